# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.netboot.pxe.plugins.filter import kea
from ansible_collections.netboot.pxe.plugins.module_utils._kea import config, ha

VARIABLES = {
    'kea_dhcp4_interfaces': ['eth1'],
    'kea_dhcp4_subnets': [{'id': 1, 'subnet': '10.0.0.0/24', 'pools': [{'pool': '10.0.0.100 - 10.0.0.199'}]}],
    'kea_dhcp4_option_data': [],
    'kea_dhcp4_valid_lifetime': 3600,
    'kea_dhcp4_renew_timer': 900,
    'kea_dhcp4_rebind_timer': 1800,
    'kea_dhcp4_pxe_next_server': '10.0.0.1',
    'kea_dhcp4_pxe_ipxe_script_url': 'http://10.0.0.1/boot.ipxe',
    'kea_dhcp4_pxe_boot_files': {'bios': 'undionly.kpxe'},
    'kea_dhcp4_pxe_http_base_url': '',
    'kea_dhcp4_pxe_secure_boot_file': '',
    'kea_dhcp4_pxe_ipxe_no_pxedhcp': True,
    'kea_dhcp4_client_classes': [],
    'kea_dhcp4_lease_database': {'type': 'memfile'},
    'kea_dhcp4_hosts_database': {},
    'kea_dhcp4_control_socket': '/run/kea/kea4-ctrl-socket',
    'kea_dhcp4_log_severity': 'INFO',
    'kea_dhcp4_log_debuglevel': 0,
    'kea_dhcp4_extra_config': {},
    'kea_dhcp4_ha_enabled': True,
    'kea_dhcp4_ha_mode': 'hot-standby',
    'kea_dhcp4_ha_heartbeat_delay': 10000,
    'kea_dhcp4_ha_max_response_delay': 60000,
    'kea_dhcp4_ha_max_ack_delay': 10000,
    'kea_dhcp4_ha_max_unacked_clients': 10,
    'kea_dhcp4_ha_firewall': True,
    'kea_dhcp4_ha_tls': True,
    'kea_dhcp4_ha_tls_ca_file': '',
    'kea_dhcp4_ha_tls_cert_file': '',
    'kea_dhcp4_ha_tls_key_file': '',
}
PLATFORM = {'ha_channel': 'listener', 'hooks_directory': '/usr/lib/x86_64-linux-gnu/kea/hooks'}
NAMES = ['kea1', 'kea2']
URLS = ['https://10.0.0.2:8000/', 'https://10.0.0.3:8000/']


def test_filters_are_registered():
    assert kea.FilterModule().filters() == {
        'kea_dhcp4_config': kea.kea_dhcp4_config,
        'kea_dhcp4_databases': kea.kea_dhcp4_databases,
        'kea_host_rows': kea.kea_host_rows,
        'kea_dhcp4_sockets': kea.kea_dhcp4_sockets,
        'kea_ctrl_agent_config': kea.kea_ctrl_agent_config,
        'kea_pool_signature': kea.kea_pool_signature,
        'kea_ha_shared_pools': kea.kea_ha_shared_pools,
        'kea_ha_peers_from_hosts': kea.kea_ha_peers_from_hosts,
        'kea_ha_peer_addresses': kea.kea_ha_peer_addresses,
        'kea_ha_tls': kea.kea_ha_tls,
        'kea_dhcp6_config': kea.kea_dhcp6_config,
        'kea_dhcp6_sockets': kea.kea_dhcp6_sockets,
    }


def test_filters_chain():
    peers = kea.kea_ha_peers_from_hosts(NAMES, URLS, 'hot-standby')
    assert peers == ha.ha_peers_from_hosts(NAMES, URLS, 'hot-standby')
    assert kea.kea_dhcp4_config(VARIABLES, PLATFORM, 'kea1', peers) == config.dhcp4_config(VARIABLES, PLATFORM, 'kea1', peers)
    assert kea.kea_ctrl_agent_config(VARIABLES, URLS[0]) == config.ctrl_agent_config(VARIABLES, URLS[0])
    assert kea.kea_ha_tls(VARIABLES) == ha.ha_tls(VARIABLES)
    signature = kea.kea_pool_signature(VARIABLES['kea_dhcp4_subnets'])
    assert signature == '1 10.0.0.0/24 (10.0.0.100 - 10.0.0.199)'
    subnets = VARIABLES['kea_dhcp4_subnets']
    assert kea.kea_ha_shared_pools({'kea1': subnets, 'kea2': subnets}) == signature


@pytest.mark.parametrize('call, message', [
    (lambda: kea.kea_dhcp4_config(VARIABLES, PLATFORM, 'kea1'),
     "kea_dhcp4_config: ha_peers is required with kea_dhcp4_ha_enabled: the peers of Kea's HA hook"),
    (lambda: kea.kea_ctrl_agent_config(VARIABLES, 'https://10.0.0.2/'),
     "kea_ctrl_agent_config: this_url must be the http(s)://HOST:PORT/ URL of this HA peer, got 'https://10.0.0.2/'"),
    (lambda: kea.kea_ha_tls(dict(VARIABLES, kea_dhcp4_ha_tls_key_file='key.pem')),
     "kea_ha_tls: kea_dhcp4_ha_tls_key_file must be an absolute path without spaces or quotes, got 'key.pem'"),
    (lambda: kea.kea_pool_signature([{'id': 1}], name='subnets'),
     "kea_pool_signature: subnets[0] must be a mapping with id and subnet, got {'id': 1}"),
    (lambda: kea.kea_ha_shared_pools('kea1'),
     "kea_ha_shared_pools: kea_dhcp4_subnets of the HA peers must be a mapping of host name to subnets, got 'kea1'"),
    (lambda: kea.kea_ha_shared_pools({'kea1': VARIABLES['kea_dhcp4_subnets'], 'kea2': []}),
     'kea_ha_shared_pools: kea_dhcp4_subnets must have the same ids, subnets and pools on every HA peer, got: '
     'kea1: 1 10.0.0.0/24 (10.0.0.100 - 10.0.0.199); kea2:'),
    (lambda: kea.kea_ha_shared_pools({'kea1': [{'id': 1}]}, name='subnets'),
     "kea_ha_shared_pools: kea1: subnets[0] must be a mapping with id and subnet, got {'id': 1}"),
    (lambda: kea.kea_dhcp4_config(dict(VARIABLES, kea_dhcp4_subnets=[{'id': 1, 'subnet': '10.0.0.0/33'}]), PLATFORM, 'kea1'),
     "kea_dhcp4_config: kea_dhcp4_subnets[0].subnet must be an IPv4 network in CIDR form like 10.0.0.0/24 (host bits zero), "
     "got '10.0.0.0/33'"),
    (lambda: kea.kea_dhcp4_config(VARIABLES, PLATFORM, 'kea1', [{'name': 'kea1', 'url': URLS[0], 'role': 'primary'}],
                                  ha_peers_name='kea_dhcp4_ha_peers'),
     "kea_dhcp4_config: kea_dhcp4_ha_peers must list at least 2 peers for Kea HA, got [{'name': 'kea1', 'url': "
     "'https://10.0.0.2:8000/', 'role': 'primary'}]; kea_dhcp4_ha_peers needs exactly one peer with role standby for "
     "kea_dhcp4_ha_mode 'hot-standby', got 0 in roles ['primary']"),
    (lambda: kea.kea_ha_peers_from_hosts(NAMES, URLS[:1], 'hot-standby', name='group kea'),
     "kea_ha_peers_from_hosts: group kea: 2 peer name(s) ['kea1', 'kea2'] but 1 URL(s) ['https://10.0.0.2:8000/']"),
])
def test_filter_errors_are_filter_errors(call, message):
    with pytest.raises(AnsibleFilterError) as info:
        call()
    assert str(info.value) == message
