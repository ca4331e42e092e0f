# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.netboot.pxe.plugins.module_utils._kea_ha import ha_peers


def kea_ha_peers(hosts, mode, name='kea_dhcp4_ha_group'):
    try:
        return ha_peers(hosts, mode, name=name)
    except ValueError as exc:
        raise AnsibleFilterError(f'kea_ha_peers: {exc}') from exc


class FilterModule:
    def filters(self):
        return {'kea_ha_peers': kea_ha_peers}
