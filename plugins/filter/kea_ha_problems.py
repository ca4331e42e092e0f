# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.netboot.pxe.plugins.module_utils._kea_ha import ha_problems


def kea_ha_problems(peers, this_server_name, mode, name='kea_dhcp4_ha_peers'):
    return ha_problems(peers, this_server_name, mode, name=name)


class FilterModule:
    def filters(self):
        return {'kea_ha_problems': kea_ha_problems}
