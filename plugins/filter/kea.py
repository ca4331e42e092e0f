# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters of the kea_dhcp4 and kea_dhcp6 roles: the Kea documents, subnets and HA peers (documented
in the sidecar files named after each filter)."""

from __future__ import annotations

from ansible_collections.netboot.pxe.plugins.module_utils._kea.config import ctrl_agent_config, dhcp4_config, dhcp4_sockets
from ansible_collections.netboot.pxe.plugins.module_utils._kea.config6 import dhcp6_config, dhcp6_sockets
from ansible_collections.netboot.pxe.plugins.module_utils._kea.database import SYNC_QUERIES, KeaDatabaseError, databases, host_rows, rows_json
from ansible_collections.netboot.pxe.plugins.module_utils._kea.ha import (
    ha_peers_from_hosts,
    ha_tls,
    peer_addresses,
    pool_signature,
    shared_pools,
)
from ansible_collections.netboot.pxe.plugins.module_utils._kea.variables import KeaConfigError, plain
from ansible_collections.netboot.pxe.plugins.plugin_utils._filters import filter_errors

kea_dhcp4_config = filter_errors('kea_dhcp4_config', KeaConfigError)(dhcp4_config)
kea_ctrl_agent_config = filter_errors('kea_ctrl_agent_config', KeaConfigError)(ctrl_agent_config)
kea_ha_tls = filter_errors('kea_ha_tls', KeaConfigError)(ha_tls)
# Deprecated (meta/runtime.yml): kea_ha_shared_pools takes the subnets themselves.
kea_pool_signature = filter_errors('kea_pool_signature', KeaConfigError)(pool_signature)
kea_ha_shared_pools = filter_errors('kea_ha_shared_pools', KeaConfigError)(shared_pools)
kea_ha_peers_from_hosts = filter_errors('kea_ha_peers_from_hosts', KeaConfigError)(ha_peers_from_hosts)
kea_dhcp4_sockets = filter_errors('kea_dhcp4_sockets', KeaConfigError)(dhcp4_sockets)
kea_ha_peer_addresses = filter_errors('kea_ha_peer_addresses', ValueError)(peer_addresses)
kea_dhcp4_databases = filter_errors('kea_dhcp4_databases', KeaDatabaseError)(databases)
kea_dhcp6_config = filter_errors('kea_dhcp6_config', KeaConfigError)(dhcp6_config)
kea_dhcp6_sockets = filter_errors('kea_dhcp6_sockets', KeaConfigError)(dhcp6_sockets)


@filter_errors('kea_host_rows', KeaDatabaseError)
def kea_host_rows(subnets, name='kea_dhcp4_subnets'):
    return {'query': list(SYNC_QUERIES), 'positional_args': [rows_json(host_rows(plain(subnets), name=name))]}


class FilterModule:
    def filters(self):
        return {
            'kea_dhcp4_config': kea_dhcp4_config,
            'kea_dhcp4_databases': kea_dhcp4_databases,
            'kea_host_rows': kea_host_rows,
            'kea_dhcp4_sockets': kea_dhcp4_sockets,
            'kea_ctrl_agent_config': kea_ctrl_agent_config,
            'kea_pool_signature': kea_pool_signature,
            'kea_ha_shared_pools': kea_ha_shared_pools,
            'kea_ha_peers_from_hosts': kea_ha_peers_from_hosts,
            'kea_ha_peer_addresses': kea_ha_peer_addresses,
            'kea_ha_tls': kea_ha_tls,
            'kea_dhcp6_config': kea_dhcp6_config,
            'kea_dhcp6_sockets': kea_dhcp6_sockets,
        }
