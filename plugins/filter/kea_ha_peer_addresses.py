# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.netboot.pxe.plugins.module_utils._kea_ha import peer_addresses


def kea_ha_peer_addresses(peers):
    try:
        return peer_addresses(peers)
    except ValueError as exc:
        raise AnsibleFilterError(f'kea_ha_peer_addresses: {exc}') from exc


class FilterModule:
    def filters(self):
        return {'kea_ha_peer_addresses': kea_ha_peer_addresses}
