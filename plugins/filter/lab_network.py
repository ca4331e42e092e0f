# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.netboot.pxe.plugins.module_utils._lab_network import (
    LabNetworkError,
    lab_network as _lab_network,
)


def lab_network(facts, interface=None, address=None, subnet=None, pool=None):
    try:
        return _lab_network(facts, interface=interface, address=address, subnet=subnet, pool=pool)
    except LabNetworkError as exc:
        raise AnsibleFilterError(f'lab_network: {exc}') from exc


class FilterModule:
    def filters(self):
        return {'lab_network': lab_network}
