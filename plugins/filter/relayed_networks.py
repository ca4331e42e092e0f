# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.netboot.pxe.plugins.module_utils._lab_network import (
    LabNetworkError,
    relayed_networks as _relayed_networks,
)


def relayed_networks(entries, name='netboot_relayed_subnets', first_id=2, reservations=()):
    try:
        return _relayed_networks(entries, name=name, first_id=first_id, reservations=reservations)
    except LabNetworkError as exc:
        raise AnsibleFilterError(f'relayed_networks: {exc}') from exc


class FilterModule:
    def filters(self):
        return {'relayed_networks': relayed_networks}
