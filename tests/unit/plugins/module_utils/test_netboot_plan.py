# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy
import re

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._netboot_plan import (
    BOOT_VARS,
    ROLE_VARS,
    PlanError,
    netboot_dhcp_vars,
    netboot_plan,
)


def facts(default=None, **interfaces):
    """ansible_facts with the given interfaces (name=(address, netmask)) and default route (interface, gateway)."""
    result = {'interfaces': ['lo', *interfaces], 'lo': {'ipv4': {'address': '127.0.0.1', 'netmask': '255.0.0.0'}}}
    for name, (address, netmask) in interfaces.items():
        result[name] = {'ipv4': {'address': address, 'netmask': netmask}}
    if default:
        result['default_ipv4'] = {'interface': default[0], 'gateway': default[1]}
    return result


# A lab on its own: one interface, no default route.
ONE = facts(eth0=('10.0.0.2', '255.255.255.0'))
# An uplink with the default route (eth0) and the lab (eth1).
TWO = facts(('eth0', '172.17.0.1'), eth0=('172.17.0.5', '255.255.0.0'), eth1=('10.0.0.2', '255.255.255.0'))

# The DHCP boot settings the plan leaves to its second step, which takes them from the ipxe role's
# ipxe_staged fact (the binaries it staged), unless the user sets them.
FROM_IPXE_ROLE = ('kea_dhcp4_pxe_ipxe_script_url', 'kea_dhcp4_pxe_http_base_url', 'kea_dhcp4_pxe_boot_files',
                  'kea_dhcp6_pxe_ipxe_script_url', 'kea_dhcp6_pxe_http_base_url', 'kea_dhcp6_pxe_boot_files',
                  'proxy_dhcp_ipxe_script_url', 'proxy_dhcp_boot_files')
# What the ipxe role publishes (its ipxe_staged fact) for a server on 10.0.0.2.
STAGED = {'tftp_root': '/srv/tftp', 'http_root': '/srv/netboot', 'script_url': 'http://10.0.0.2/boot.ipxe',
          'binaries_url': 'http://10.0.0.2/ipxe/', 'binaries': ['undionly.kpxe', 'ipxe.efi', 'snponly.efi'],
          'boot_files': {'bios': 'undionly.kpxe', 'efi-x64': 'snponly.efi', 'http-x64': 'ipxe.efi'},
          'tftp_boot_files': {'bios': 'undionly.kpxe', 'efi-x64': 'snponly.efi'}}
FROM_STAGED = {
    'kea_dhcp4_pxe_ipxe_script_url': 'http://10.0.0.2/boot.ipxe',
    'kea_dhcp4_pxe_http_base_url': 'http://10.0.0.2/ipxe/',
    'kea_dhcp4_pxe_boot_files': {'bios': 'undionly.kpxe', 'efi-x64': 'snponly.efi', 'http-x64': 'ipxe.efi'},
    # Without netboot_ipv6, Kea DHCPv6 hands out nothing.
    'kea_dhcp6_pxe_ipxe_script_url': '',
    'kea_dhcp6_pxe_http_base_url': '',
    'kea_dhcp6_pxe_boot_files': {},
    'proxy_dhcp_ipxe_script_url': 'http://10.0.0.2/boot.ipxe',
    'proxy_dhcp_boot_files': {'bios': 'undionly.kpxe', 'efi-x64': 'snponly.efi'},
}
SUBNET_KEYS = ['id', 'subnet', 'pools', 'next-server', 'option-data', 'reservations']
MAC1, MAC2, MAC3 = '52:54:00:00:00:01', '52:54:00:00:00:02', '52:54:00:00:00:03'


def plan(variables, host_facts=None):
    return netboot_plan(variables, TWO if host_facts is None else host_facts)


def role_vars(variables, host_facts=None):
    return plan(variables, host_facts)['role_vars']


def lab_subnet(variables, host_facts=None):
    return role_vars(variables, host_facts)['kea_dhcp4_subnets'][0]


ONE_INTERFACE_PLAN = {
    'lab': {'interface': 'eth0', 'address': '10.0.0.2', 'subnet': '10.0.0.0/24', 'prefix': 24,
            'pool': '10.0.0.128 - 10.0.0.254', 'router': None},
    'lab6': None,
    'ipv6_only': False,
    'relayed': [],
    'ipv6_router_advertisements': False,
    'package_cache': False,
    'dhcp_mode': 'server',
    'role_vars': {
        'tftpd_address': '10.0.0.2',
        'nginx_listen_address': '10.0.0.2',
        'nginx_listen_ipv6_address': '',
        'nginx_allowed_networks': ['10.0.0.0/24'],
        'nginx_delete_locations': ['/builds/'],
        'ipxe_base_url': 'http://10.0.0.2',
        'ipxe_boot_files': {},
        'ipxe_secure_boot': False,
        'kea_dhcp4_interfaces': ['eth0'],
        'kea_dhcp6_state': 'absent',
        'kea_dhcp6_interfaces': ['eth0'],
        'kea_dhcp6_subnets': [],
        'kea_dhcp6_pxe_tftp_server': '',
        'kea_dhcp4_subnets': [{'id': 1, 'subnet': '10.0.0.0/24', 'pools': [{'pool': '10.0.0.128 - 10.0.0.254'}],
                               'next-server': '10.0.0.2', 'option-data': [], 'reservations': []}],
        'kea_dhcp4_pxe_next_server': '10.0.0.2',
        'kea_dhcp4_pxe_secure_boot_file': '',
        'kea_dhcp4_ha_group': 'netboot_servers',
        'kea_dhcp4_ha_address': '10.0.0.2',
        'radvd_state': 'absent',
        'radvd_interfaces': ['eth0'],
        'radvd_dhcpv6_prefixes': [],
        'package_cache_state': 'absent',
        'package_cache_address': '10.0.0.2',
        'ipxe_answer_proxy': '',
        'kea_dhcp4_state': 'present',
        'proxy_dhcp_state': 'absent',
        'proxy_dhcp_interfaces': ['eth0'],
        'proxy_dhcp_subnets': ['10.0.0.0/24'],
        'proxy_dhcp_next_server': '10.0.0.2',
        'proxy_dhcp_secure_boot_macs': [],
        'proxy_dhcp_secure_boot_file': '',
        'images_entries': [],
        'images_agent': False,
        'images_http_root': '/srv/netboot',
        'ipxe_images': [],
        'ipxe_discovery': False,
        'ipxe_discovery_networks': ['10.0.0.0/24'],
        'ipxe_discovery_known_macs': [],
    },
    'boot_vars_set': {},
    'overridden': [],
}


@pytest.mark.parametrize('variables', [
    {'netboot_interface': 'eth0'},
    {'netboot_server_address': '10.0.0.2'},
    {'netboot_interface': 'eth0', 'netboot_server_address': '10.0.0.2'},
    # Variables the plan does not read change nothing.
    {'netboot_interface': 'eth0', 'kea_dhcp4_ha_enabled': True, 'ipxe_menu_title': 'lab', 'ansible_host': 'x'},
], ids=['interface', 'server address', 'both', 'other variables'])
def test_one_interface_lab(variables):
    result = netboot_plan(variables, ONE)
    assert result == ONE_INTERFACE_PLAN
    assert list(result) == ['lab', 'lab6', 'ipv6_only', 'relayed', 'ipv6_router_advertisements', 'package_cache',
                            'dhcp_mode', 'role_vars', 'boot_vars_set', 'overridden']
    assert list(result['role_vars']) == list(ROLE_VARS)
    assert [list(subnet) for subnet in result['role_vars']['kea_dhcp4_subnets']] == [SUBNET_KEYS]
    # Nothing is left for the playbook to patch: the second step gives the rest.
    assert None not in result['role_vars'].values()
    assert netboot_dhcp_vars(result, STAGED) == FROM_STAGED


@pytest.mark.parametrize('variables, expected', [
    ({'netboot_interface': 'eth1'},
     {'interface': 'eth1', 'address': '10.0.0.2', 'subnet': '10.0.0.0/24', 'pool': '10.0.0.128 - 10.0.0.254',
      'router': None, 'http': 'http://10.0.0.2'}),
    ({'netboot_server_address': '172.17.0.5'},
     {'interface': 'eth0', 'address': '172.17.0.5', 'subnet': '172.17.0.0/16', 'pool': '172.17.128.0 - 172.17.255.254',
      'router': '172.17.0.1', 'http': 'http://172.17.0.5'}),
    ({'netboot_interface': 'eth1', 'netboot_subnet': '10.0.0.0/25', 'netboot_pool': '10.0.0.50 - 10.0.0.60'},
     {'interface': 'eth1', 'address': '10.0.0.2', 'subnet': '10.0.0.0/25', 'pool': '10.0.0.50 - 10.0.0.60',
      'router': None, 'http': 'http://10.0.0.2'}),
])
def test_served_network_and_the_role_variables_it_determines(variables, expected):
    result = plan(variables)
    assert {key: result['lab'][key] for key in ('interface', 'address', 'subnet', 'pool', 'router')} == {
        key: expected[key] for key in ('interface', 'address', 'subnet', 'pool', 'router')}
    address, http = expected['address'], expected['http']
    assert {name: value for name, value in result['role_vars'].items() if name != 'kea_dhcp4_subnets'} == {
        'tftpd_address': address,
        'nginx_listen_address': address,
        'nginx_listen_ipv6_address': '',
        'nginx_allowed_networks': [expected['subnet']],
        'nginx_delete_locations': ['/builds/'],
        'ipxe_base_url': http,
        'ipxe_boot_files': {},
        'ipxe_secure_boot': False,
        'kea_dhcp4_interfaces': [expected['interface']],
        'kea_dhcp6_state': 'absent',
        'kea_dhcp6_interfaces': [expected['interface']],
        'kea_dhcp6_subnets': [],
        'kea_dhcp6_pxe_tftp_server': '',
        'kea_dhcp4_pxe_next_server': address,
        'kea_dhcp4_pxe_secure_boot_file': '',
        'kea_dhcp4_ha_group': 'netboot_servers',
        'kea_dhcp4_ha_address': address,
        'radvd_state': 'absent',
        'radvd_interfaces': [expected['interface']],
        'radvd_dhcpv6_prefixes': [],
        'package_cache_state': 'absent',
        'package_cache_address': address,
        'ipxe_answer_proxy': '',
        'kea_dhcp4_state': 'present',
        'proxy_dhcp_state': 'absent',
        'proxy_dhcp_interfaces': [expected['interface']],
        'proxy_dhcp_subnets': [expected['subnet']],
        'proxy_dhcp_next_server': address,
        'proxy_dhcp_secure_boot_macs': [],
        'proxy_dhcp_secure_boot_file': '',
        'images_entries': [],
        'images_agent': False,
        'images_http_root': '/srv/netboot',
        'ipxe_images': [],
        'ipxe_discovery': False,
        'ipxe_discovery_networks': [expected['subnet']],
        'ipxe_discovery_known_macs': [],
    }
    assert netboot_dhcp_vars(result, STAGED) == FROM_STAGED
    subnet = result['role_vars']['kea_dhcp4_subnets'][0]
    assert (subnet['subnet'], subnet['pools'], subnet['next-server']) == (
        expected['subnet'], [{'pool': expected['pool']}], address)


@pytest.mark.parametrize('variables, options', [
    # The default gateway is the router when the default route leaves through the served interface.
    ({'netboot_interface': 'eth0'}, [{'name': 'routers', 'data': '172.17.0.1'}]),
    ({'netboot_interface': 'eth1'}, []),
    ({'netboot_interface': 'eth0', 'netboot_routers': []}, []),
    ({'netboot_interface': 'eth1', 'netboot_routers': ['10.0.0.1']}, [{'name': 'routers', 'data': '10.0.0.1'}]),
    ({'netboot_interface': 'eth0', 'netboot_routers': ['172.17.0.2']}, [{'name': 'routers', 'data': '172.17.0.2'}]),
    ({'netboot_interface': 'eth1', 'netboot_dns_servers': ['10.0.0.2']},
     [{'name': 'domain-name-servers', 'data': '10.0.0.2'}]),
    ({'netboot_interface': 'eth1', 'netboot_routers': ['10.0.0.1', '10.0.0.3'], 'netboot_dns_servers': ['10.0.0.2', '1.1.1.1']},
     [{'name': 'routers', 'data': '10.0.0.1, 10.0.0.3'}, {'name': 'domain-name-servers', 'data': '10.0.0.2, 1.1.1.1'}]),
    ({'netboot_interface': 'eth0', 'netboot_dns_servers': ['9.9.9.9']},
     [{'name': 'routers', 'data': '172.17.0.1'}, {'name': 'domain-name-servers', 'data': '9.9.9.9'}]),
], ids=['default gateway', 'no gateway on the interface', 'routers emptied', 'router', 'router over the gateway',
        'dns only', 'several of each', 'gateway and dns'])
def test_routers_and_name_servers(variables, options):
    assert lab_subnet(variables)['option-data'] == options


@pytest.mark.parametrize('variables, expected', [
    ({'netboot_reservations': [{'hw-address': MAC1, 'ip-address': '10.0.0.10'}]},
     [{'hw-address': MAC1, 'ip-address': '10.0.0.10'}]),
    ({'ipxe_hosts': [{'mac': MAC1, 'ip': '10.0.0.10', 'os': 'debian-12'}, {'mac': MAC2, 'items': []}]},
     [{'hw-address': MAC1, 'ip-address': '10.0.0.10'}]),
    # netboot_reservations first, then the ipxe_hosts entries with an ip, in their order.
    ({'netboot_reservations': [{'hw-address': MAC1, 'ip-address': '10.0.0.10', 'hostname': 'one'},
                               {'client-id': '01:02', 'ip-address': '10.0.0.11'}],
      'ipxe_hosts': [{'mac': MAC3, 'ip': '10.0.0.13'}, {'mac': '52:54:00:00:00:04'},
                     {'mac': MAC2, 'ip': '10.0.0.12', 'hostname': 'two'}]},
     [{'hw-address': MAC1, 'ip-address': '10.0.0.10', 'hostname': 'one'},
      {'client-id': '01:02', 'ip-address': '10.0.0.11'},
      {'hw-address': MAC3, 'ip-address': '10.0.0.13'},
      {'hw-address': MAC2, 'ip-address': '10.0.0.12'}]),
    ({'ipxe_hosts': []}, []),
], ids=['netboot_reservations', 'ipxe_hosts', 'both', 'none'])
def test_reservations_from_both_sources(variables, expected):
    assert lab_subnet({'netboot_interface': 'eth1', **variables})['reservations'] == expected


RELAYED = {
    'netboot_interface': 'eth1',
    'netboot_dns_servers': ['10.0.0.2'],
    'netboot_relayed_subnets': [{'subnet': '10.1.0.0/24', 'routers': ['10.1.0.1']}],
    'netboot_reservations': [{'hw-address': MAC1, 'ip-address': '10.0.0.10'},
                             {'hw-address': MAC2, 'ip-address': '10.1.0.10'}],
    'ipxe_hosts': [{'mac': MAC3, 'ip': '10.1.0.11', 'os': 'debian-12'}],
}


@pytest.mark.parametrize('changes, subnets', [
    # The fixed addresses behind the relay go there; the relayed subnet takes the served network's name servers.
    ({}, [
        {'id': 1, 'subnet': '10.0.0.0/24', 'pools': [{'pool': '10.0.0.128 - 10.0.0.254'}], 'next-server': '10.0.0.2',
         'option-data': [{'name': 'domain-name-servers', 'data': '10.0.0.2'}],
         'reservations': [{'hw-address': MAC1, 'ip-address': '10.0.0.10'}]},
        {'id': 2, 'subnet': '10.1.0.0/24', 'pools': [{'pool': '10.1.0.128 - 10.1.0.254'}], 'next-server': '10.0.0.2',
         'option-data': [{'name': 'routers', 'data': '10.1.0.1'}, {'name': 'domain-name-servers', 'data': '10.0.0.2'}],
         'reservations': [{'hw-address': MAC2, 'ip-address': '10.1.0.10'}, {'hw-address': MAC3, 'ip-address': '10.1.0.11'}]},
    ]),
    # Its own name servers win.
    ({'netboot_relayed_subnets': [{'subnet': '10.1.0.0/24', 'routers': ['10.1.0.1'], 'dns_servers': ['10.1.0.53', '10.1.0.54'],
                                   'pool': '10.1.0.100 - 10.1.0.199', 'id': 7}]}, [
        {'id': 1, 'subnet': '10.0.0.0/24', 'pools': [{'pool': '10.0.0.128 - 10.0.0.254'}], 'next-server': '10.0.0.2',
         'option-data': [{'name': 'domain-name-servers', 'data': '10.0.0.2'}],
         'reservations': [{'hw-address': MAC1, 'ip-address': '10.0.0.10'}]},
        {'id': 7, 'subnet': '10.1.0.0/24', 'pools': [{'pool': '10.1.0.100 - 10.1.0.199'}], 'next-server': '10.0.0.2',
         'option-data': [{'name': 'routers', 'data': '10.1.0.1'}, {'name': 'domain-name-servers', 'data': '10.1.0.53, 10.1.0.54'}],
         'reservations': [{'hw-address': MAC2, 'ip-address': '10.1.0.10'}, {'hw-address': MAC3, 'ip-address': '10.1.0.11'}]},
    ]),
    # No name servers anywhere: routers only.
    ({'netboot_dns_servers': [], 'netboot_reservations': [], 'ipxe_hosts': []}, [
        {'id': 1, 'subnet': '10.0.0.0/24', 'pools': [{'pool': '10.0.0.128 - 10.0.0.254'}], 'next-server': '10.0.0.2',
         'option-data': [], 'reservations': []},
        {'id': 2, 'subnet': '10.1.0.0/24', 'pools': [{'pool': '10.1.0.128 - 10.1.0.254'}], 'next-server': '10.0.0.2',
         'option-data': [{'name': 'routers', 'data': '10.1.0.1'}], 'reservations': []},
    ]),
    # Two relayed subnets, numbered from 2 in their order; each takes its own fixed addresses.
    ({'netboot_relayed_subnets': [{'subnet': '10.2.0.0/24', 'routers': ['10.2.0.1']},
                                  {'subnet': '10.1.0.0/24', 'routers': ['10.1.0.1'], 'dns_servers': ['10.1.0.53']}],
      'ipxe_hosts': [{'mac': MAC3, 'ip': '10.2.0.11'}]}, [
        {'id': 1, 'subnet': '10.0.0.0/24', 'pools': [{'pool': '10.0.0.128 - 10.0.0.254'}], 'next-server': '10.0.0.2',
         'option-data': [{'name': 'domain-name-servers', 'data': '10.0.0.2'}],
         'reservations': [{'hw-address': MAC1, 'ip-address': '10.0.0.10'}]},
        {'id': 2, 'subnet': '10.2.0.0/24', 'pools': [{'pool': '10.2.0.128 - 10.2.0.254'}], 'next-server': '10.0.0.2',
         'option-data': [{'name': 'routers', 'data': '10.2.0.1'}, {'name': 'domain-name-servers', 'data': '10.0.0.2'}],
         'reservations': [{'hw-address': MAC3, 'ip-address': '10.2.0.11'}]},
        {'id': 3, 'subnet': '10.1.0.0/24', 'pools': [{'pool': '10.1.0.128 - 10.1.0.254'}], 'next-server': '10.0.0.2',
         'option-data': [{'name': 'routers', 'data': '10.1.0.1'}, {'name': 'domain-name-servers', 'data': '10.1.0.53'}],
         'reservations': [{'hw-address': MAC2, 'ip-address': '10.1.0.10'}]},
    ]),
], ids=['dns of the served network', 'own dns, pool and id', 'no dns', 'two relayed subnets'])
def test_relayed_subnets(changes, subnets):
    result = plan({**RELAYED, **changes})
    assert result['role_vars']['kea_dhcp4_subnets'] == subnets
    assert [list(subnet) for subnet in result['role_vars']['kea_dhcp4_subnets']] == [SUBNET_KEYS] * len(subnets)
    assert [net['subnet'] for net in result['relayed']] == [subnet['subnet'] for subnet in subnets[1:]]


def test_package_cache_gives_the_installers_their_proxy():
    result = plan({'netboot_interface': 'eth1', 'netboot_package_cache': 'yes', 'package_cache_port': 3143})
    assert result['package_cache'] is True
    assert result['role_vars']['ipxe_answer_proxy'] == f'http://{result["lab"]["address"]}:3143/'
    with pytest.raises(PlanError, match="netboot_package_cache"):
        plan({'netboot_interface': 'eth1', 'netboot_package_cache': 'maybe'})


@pytest.mark.parametrize('value, expected', [
    (True, True), (False, False), (1, True), (0, False),
    ('true', True), ('True', True), ('TRUE', True), ('yes', True), ('Yes', True), ('on', True), ('1', True),
    ('false', False), ('False', False), ('no', False), ('NO', False), ('off', False), ('0', False),
    (KeyError, False),
])
def test_ipv6_router_advertisements(value, expected):
    variables = {'netboot_interface': 'eth1'}
    if value is not KeyError:
        variables['netboot_ipv6_router_advertisements'] = value
    assert plan(variables)['ipv6_router_advertisements'] is expected


@pytest.mark.parametrize('name, value', [
    ('tftpd_address', '0.0.0.0'),
    ('nginx_listen_address', '*'),
    ('ipxe_base_url', 'http://boot.example.com'),
    ('ipxe_boot_files', {'bios': 'undionly.kpxe'}),
    ('kea_dhcp4_interfaces', ['eth1', 'eth2']),
    ('kea_dhcp4_subnets', [{'id': 9, 'subnet': '10.0.0.0/24', 'pools': [{'pool': '10.0.0.200 - 10.0.0.210'}]}]),
    ('kea_dhcp4_pxe_next_server', '10.0.0.9'),
    ('kea_dhcp4_pxe_ipxe_script_url', 'http://boot.example.com/boot.ipxe'),
    ('kea_dhcp4_pxe_http_base_url', 'http://boot.example.com/ipxe/'),
    ('kea_dhcp4_pxe_boot_files', {'bios': 'undionly.kpxe'}),
    ('proxy_dhcp_ipxe_script_url', 'http://boot.example.com/boot.ipxe'),
    ('proxy_dhcp_boot_files', {'bios': 'undionly.kpxe'}),
    ('kea_dhcp4_ha_group', 'dhcp_pair'),
    ('kea_dhcp4_ha_address', '10.0.0.9'),
    ('radvd_interfaces', ['eth2']),
    ('package_cache_address', '10.0.0.9'),
    ('ipxe_answer_proxy', 'http://cache.lab:3142/'),
])
def test_role_variable_set_by_the_user_is_honoured(name, value):
    derived = role_vars({'netboot_interface': 'eth1'})
    result = plan({'netboot_interface': 'eth1', name: value})
    if name in BOOT_VARS:
        assert result['role_vars'] == derived
        assert netboot_dhcp_vars(result, STAGED) == {**FROM_STAGED, name: value}
    else:
        assert result['role_vars'] == {**derived, name: value}
        assert netboot_dhcp_vars(result, STAGED) == FROM_STAGED
    assert list(result['role_vars']) == list(ROLE_VARS)
    assert result['overridden'] == [name]


def test_every_role_variable_can_be_overridden_and_the_list_is_sorted():
    variables = {name: f'user {name}' for name in reversed(ROLE_VARS + tuple(BOOT_VARS))}
    result = plan({'netboot_interface': 'eth1', **variables})
    assert result['role_vars'] == {name: f'user {name}' for name in ROLE_VARS}
    assert netboot_dhcp_vars(result, STAGED) == {name: f'user {name}' for name in BOOT_VARS}
    assert result['overridden'] == sorted(ROLE_VARS + tuple(BOOT_VARS))


def test_the_two_steps_give_the_role_variables_the_play_passed_before():
    assert not set(ROLE_VARS) & set(BOOT_VARS)
    # The 30 the play passed before, the images' (the images role's and the names the ipxe role takes),
    # discovery's and IPv6's (Kea DHCPv6, nginx's second address, radvd's prefixes).
    assert len(ROLE_VARS) + len(BOOT_VARS) == 46
    assert set(BOOT_VARS) == set(FROM_IPXE_ROLE)


@pytest.mark.parametrize('value', ['', {}, None], ids=['empty string', 'empty mapping', 'null'])
def test_an_empty_boot_setting_of_the_user_takes_what_is_staged(value):
    result = plan({'netboot_interface': 'eth1', **{name: value for name in BOOT_VARS}})
    assert result['overridden'] == sorted(BOOT_VARS)
    assert netboot_dhcp_vars(result, STAGED) == FROM_STAGED


@pytest.mark.parametrize('the_plan, staged, message', [
    ({'role_vars': {}}, STAGED, "the plan must be the result of netboot_plan (with boot_vars_set), got {'role_vars': {}}"),
    (None, STAGED, 'the plan must be the result of netboot_plan (with boot_vars_set), got None'),
    ({'boot_vars_set': {}}, {'script_url': 'http://10.0.0.2/boot.ipxe'},
     "ipxe_staged must be the ipxe role's fact, with binaries_url, boot_files, script_url, tftp_boot_files, "
     "got {'script_url': 'http://10.0.0.2/boot.ipxe'}"),
    ({'boot_vars_set': {}}, 'http://10.0.0.2/', "ipxe_staged must be the ipxe role's fact, with binaries_url, boot_files, "
                                                "script_url, tftp_boot_files, got 'http://10.0.0.2/'"),
], ids=['no boot_vars_set', 'no plan', 'staged without all keys', 'staged not a mapping'])
def test_the_second_step_refuses_what_is_not_a_plan_or_ipxe_staged(the_plan, staged, message):
    with pytest.raises(PlanError) as error:
        netboot_dhcp_vars(the_plan, staged)
    assert str(error.value) == message


@pytest.mark.parametrize('variables, expected', [
    ({'netboot_servers_group': 'pxe'}, 'pxe'),
    ({}, 'netboot_servers'),
    ({'netboot_servers_group': ''}, 'netboot_servers'),
])
def test_ha_group(variables, expected):
    assert role_vars({'netboot_interface': 'eth1', **variables})['kea_dhcp4_ha_group'] == expected


@pytest.mark.parametrize('variables, expected', [
    ({'netboot_boot_files': {'bios': 'undionly.kpxe'}}, {'bios': 'undionly.kpxe'}),
    ({'netboot_boot_files': {'efi-arm64': 'arm/snp.efi', 'http-arm64': 'http://mirror.example/ipxe.efi'}},
     {'efi-arm64': 'arm/snp.efi', 'http-arm64': 'http://mirror.example/ipxe.efi'}),
    # Unset or empty: the ipxe role offers every architecture a binary it stages serves.
    ({}, {}),
    ({'netboot_boot_files': {}}, {}),
    # '' leaves an architecture out; it is passed on as given, for the ipxe role to skip.
    ({'netboot_boot_files': {'bios': 'undionly.kpxe', 'efi-x64': ''}}, {'bios': 'undionly.kpxe', 'efi-x64': ''}),
    ({'netboot_boot_files': {'efi-x64': '', 'http-x64': ''}}, {'efi-x64': '', 'http-x64': ''}),
], ids=['bios', 'arm64', 'unset', 'empty', 'one not offered', 'none offered'])
def test_boot_files_go_to_the_ipxe_role(variables, expected):
    result = plan({'netboot_interface': 'eth1', **variables})
    assert result['role_vars']['ipxe_boot_files'] == expected
    assert not set(FROM_IPXE_ROLE) & set(result['role_vars'])
    assert netboot_dhcp_vars(result, STAGED) == FROM_STAGED
    assert result['overridden'] == []


@pytest.mark.parametrize('boot_files', [
    {'bios': 'undionly.kpxe'},
    {'efi-x64': ''},
], ids=['a file', 'not offered'])
def test_kea_dhcp4_pxe_boot_files_with_netboot_boot_files_is_refused(boot_files):
    with pytest.raises(PlanError) as error:
        plan({'netboot_interface': 'eth1', 'kea_dhcp4_pxe_boot_files': {'bios': 'undionly.kpxe'},
              'netboot_boot_files': boot_files})
    message = str(error.value)
    assert message.startswith('kea_dhcp4_pxe_boot_files and netboot_boot_files are both set: ')
    assert f'so netboot_boot_files {boot_files!r} would be silently dropped; use one or the other' in message


@pytest.mark.parametrize('variables', [{}, {'netboot_boot_files': {}}], ids=['alone', 'netboot_boot_files empty'])
def test_kea_dhcp4_pxe_boot_files_alone_is_honoured(variables):
    result = plan({'netboot_interface': 'eth1', 'kea_dhcp4_pxe_boot_files': {'bios': 'undionly.kpxe'}, **variables})
    assert netboot_dhcp_vars(result, STAGED)['kea_dhcp4_pxe_boot_files'] == {'bios': 'undionly.kpxe'}
    assert result['role_vars']['ipxe_boot_files'] == {}
    assert result['overridden'] == ['kea_dhcp4_pxe_boot_files']


KEA_SUBNETS = [{'id': 1, 'subnet': '10.0.0.0/24', 'pools': [{'pool': '10.0.0.100 - 10.0.0.199'}]}]


@pytest.mark.parametrize('variables, other, value', [
    ({'netboot_reservations': [{'hw-address': MAC1, 'ip-address': '10.0.0.10'}]},
     'netboot_reservations', [{'hw-address': MAC1, 'ip-address': '10.0.0.10'}]),
    ({'netboot_relayed_subnets': [{'subnet': '10.1.0.0/24', 'routers': ['10.1.0.1']}]},
     'netboot_relayed_subnets', [{'subnet': '10.1.0.0/24', 'routers': ['10.1.0.1']}]),
    ({'ipxe_hosts': [{'mac': MAC1, 'os': 'debian-12'}, {'mac': MAC2, 'ip': '10.0.0.12', 'os': 'debian-12'}]},
     'ipxe_hosts (the entries with an ip)', [{'mac': MAC2, 'ip': '10.0.0.12', 'os': 'debian-12'}]),
    ({'netboot_pool': '10.0.0.50 - 10.0.0.60'}, 'netboot_pool', '10.0.0.50 - 10.0.0.60'),
    ({'netboot_subnet': '10.0.0.0/25'}, 'netboot_subnet', '10.0.0.0/25'),
    ({'netboot_routers': ['10.0.0.1']}, 'netboot_routers', ['10.0.0.1']),
    ({'netboot_dns_servers': ['10.0.0.2', '1.1.1.1']}, 'netboot_dns_servers', ['10.0.0.2', '1.1.1.1']),
], ids=['netboot_reservations', 'netboot_relayed_subnets', 'ipxe_hosts', 'netboot_pool', 'netboot_subnet',
        'netboot_routers', 'netboot_dns_servers'])
def test_kea_dhcp4_subnets_with_what_it_would_drop_is_refused(variables, other, value):
    with pytest.raises(PlanError) as error:
        plan({'netboot_interface': 'eth1', 'kea_dhcp4_subnets': KEA_SUBNETS, **variables})
    message = str(error.value)
    assert message.startswith(f'kea_dhcp4_subnets and {other} are both set: ')
    assert f'so {other} {value!r} would be silently dropped; use one or the other' in message


@pytest.mark.parametrize('variables', [
    {},
    {'netboot_reservations': [], 'netboot_relayed_subnets': [], 'netboot_routers': [], 'netboot_dns_servers': []},
    {'netboot_pool': '', 'netboot_subnet': None},
    {'ipxe_hosts': [{'mac': MAC1, 'os': 'debian-12'}]},
], ids=['alone', 'empty lists', 'no pool or subnet', 'ipxe_hosts without ip'])
def test_kea_dhcp4_subnets_with_nothing_to_drop_is_honoured(variables):
    result = plan({'netboot_interface': 'eth1', 'kea_dhcp4_subnets': KEA_SUBNETS, **variables})
    assert result['role_vars']['kea_dhcp4_subnets'] == KEA_SUBNETS
    assert result['overridden'] == ['kea_dhcp4_subnets']


class Unquoted(str):
    """A value the message names without quotes."""

    def __repr__(self):
        return str(self)


GOOD = {'netboot_interface': 'eth1'}
BAD_CASES = [
    # (changes to GOOD, the variable named, the value named, more of the message)
    ({'netboot_interface': 'eth9'}, 'netboot_interface', 'eth9', 'does not exist on this host'),
    ({'netboot_interface': None, 'netboot_server_address': '192.0.2.1'},
     'netboot_server_address', '192.0.2.1', 'is not an address of any interface'),
    ({'netboot_subnet': 'ten'}, 'netboot_subnet', 'ten', 'must be an IPv4 network in CIDR form'),
    ({'netboot_pool': 'many'}, 'netboot_pool', 'many', 'must look like "10.0.0.100 - 10.0.0.199"'),
    ({'netboot_pool': '10.0.0.1 - 10.0.0.9'}, 'netboot_pool', '10.0.0.1 - 10.0.0.9', 'contains the server address 10.0.0.2'),
    ({'netboot_routers': '10.0.0.1'}, 'netboot_routers', '10.0.0.1', 'must be a list of IPv4 addresses, got '),
    ({'netboot_routers': ['10.0.0.1\n']}, 'netboot_routers', ['10.0.0.1\n'], 'must be a list of IPv4 addresses, got '),
    ({'netboot_routers': ['10.0.0.256']}, 'netboot_routers', ['10.0.0.256'], 'must be a list of IPv4 addresses, got '),
    ({'netboot_routers': ['010.0.0.1']}, 'netboot_routers', ['010.0.0.1'], 'must be a list of IPv4 addresses, got '),
    ({'netboot_routers': [167772161]}, 'netboot_routers', [167772161], 'must be a list of IPv4 addresses, got '),
    ({'netboot_routers': ['gw']}, 'netboot_routers', ['gw'], 'must be a list of IPv4 addresses, got '),
    ({'netboot_routers': None}, 'netboot_routers', None, 'must be a list of IPv4 addresses, got '),
    ({'netboot_routers': {'10.0.0.1': 'gw'}}, 'netboot_routers', {'10.0.0.1': 'gw'}, 'must be a list of IPv4 addresses, got '),
    ({'netboot_dns_servers': ['10.0.0.2', 'dns.example']}, 'netboot_dns_servers', ['10.0.0.2', 'dns.example'],
     'must be a list of IPv4 addresses, got '),
    ({'netboot_dns_servers': '10.0.0.2'}, 'netboot_dns_servers', '10.0.0.2', 'must be a list of IPv4 addresses, got '),
    ({'netboot_boot_files': ['undionly.kpxe']}, 'netboot_boot_files', ['undionly.kpxe'],
     'must be a mapping of architecture name to file, got '),
    ({'netboot_boot_files': None}, 'netboot_boot_files', None, 'must be a mapping of architecture name to file, got '),
    ({'netboot_boot_files': {'bios': None}}, "netboot_boot_files['bios']", None, 'must be a non-empty string, got '),
    ({'netboot_boot_files': {'bios': 0}}, "netboot_boot_files['bios']", 0, 'must be a non-empty string, got '),
    ({'netboot_boot_files': {'bios9': ''}}, 'netboot_boot_files', 'bios9', 'unknown architecture name(s)'),
    ({'netboot_boot_files': {'bios': 'undionly.kpxe'}, 'ipxe_boot_files': {}}, 'ipxe_boot_files',
     {'bios': 'undionly.kpxe'}, 'ipxe_boot_files and netboot_boot_files are both set'),
    ({'netboot_boot_files': {'bios9': 'undionly.kpxe'}}, 'netboot_boot_files', 'bios9', 'has unknown architecture name(s) '),
    ({'netboot_boot_files': {'bios': '../undionly.kpxe'}}, "netboot_boot_files['bios']", '../undionly.kpxe',
     'must be a path relative to the TFTP root'),
    ({'netboot_boot_files': {'bios': 'http://x/undionly.kpxe'}}, "netboot_boot_files['bios']", 'http://x/undionly.kpxe',
     'is for firmware PXE over TFTP'),
    # '' leaves an architecture out, not the others out of the checks.
    ({'netboot_boot_files': {'bios': '', 'efi-x64': '../snponly.efi'}}, "netboot_boot_files['efi-x64']", '../snponly.efi',
     'must be a path relative to the TFTP root'),
    ({'netboot_boot_files': {'bios': '', 'http-x64': ' '}}, "netboot_boot_files['http-x64']", ' ',
     'must be a path relative to the TFTP root'),
    ({'kea_dhcp4_pxe_boot_files': {'bios': 'undionly.kpxe'}, 'netboot_boot_files': {'efi-x64': 'snponly.efi'}},
     'kea_dhcp4_pxe_boot_files', {'efi-x64': 'snponly.efi'}, 'and netboot_boot_files are both set: '),
    ({'kea_dhcp4_subnets': [], 'netboot_pool': '10.0.0.50 - 10.0.0.60'}, 'kea_dhcp4_subnets', '10.0.0.50 - 10.0.0.60',
     'and netboot_pool are both set: '),
    ({'kea_dhcp4_subnets': [], 'netboot_subnet': '10.0.0.0/25'}, 'kea_dhcp4_subnets', '10.0.0.0/25',
     'and netboot_subnet are both set: '),
    ({'kea_dhcp4_subnets': [], 'netboot_routers': ['10.0.0.1']}, 'kea_dhcp4_subnets', ['10.0.0.1'],
     'and netboot_routers are both set: '),
    ({'kea_dhcp4_subnets': [], 'netboot_dns_servers': ['10.0.0.2']}, 'kea_dhcp4_subnets', ['10.0.0.2'],
     'and netboot_dns_servers are both set: '),
    ({'netboot_reservations': {'hw-address': MAC1}}, 'netboot_reservations', {'hw-address': MAC1},
     'must be a list of reservations, got '),
    ({'netboot_reservations': None}, 'netboot_reservations', None, 'must be a list of reservations, got '),
    ({'netboot_reservations': [MAC1]}, 'netboot_reservations[0]', MAC1, 'must be a mapping with hw-address and ip-address'),
    ({'netboot_reservations': [{'hw-address': 'zz', 'ip-address': '10.0.0.10'}]},
     'netboot_reservations[0].hw-address', 'zz', 'must be a MAC address like 52:54:00:12:34:56'),
    ({'netboot_reservations': [{'hw-address': MAC1, 'ip-address': '10.0.0.200'}]},
     'netboot_reservations[0].ip-address', '10.0.0.200', "is inside the dynamic pool '10.0.0.128 - 10.0.0.254'"),
    ({'netboot_reservations': [{'hw-address': MAC1, 'ip-address': '10.9.0.10'}]},
     'netboot_reservations[0].ip-address', '10.9.0.10', 'is not a host address of the subnet 10.0.0.0/24'),
    ({'netboot_reservations': [{'hw-address': MAC1, 'ip-address': '10.0.0.10', 'boot-file-name': 'x.efi'}]},
     'netboot_reservations[0]', 'x.efi', 'sets boot-file-name, which would override the PXE classes'),
    ({'netboot_reservations': [{'ip-address': '10.0.0.10'}]}, 'netboot_reservations[0]', {'ip-address': '10.0.0.10'},
     'needs an identifier'),
    ({'netboot_reservations': [{'hw-address': MAC1, 'ip-address': '10.0.0.10'}, {'hw-address': MAC2, 'ip-address': '10.0.0.10'}]},
     'netboot_reservations[1].ip-address', '10.0.0.10', 'is already reserved by netboot_reservations[0]'),
    ({'ipxe_hosts': 'host1'}, 'ipxe_hosts', 'host1', 'must be a list of mappings with mac'),
    ({'ipxe_hosts': None}, 'ipxe_hosts', None, 'must be a list of mappings with mac'),
    ({'ipxe_hosts': [{'mac': MAC1}, MAC2]}, 'ipxe_hosts[1]', MAC2, 'must be a mapping with mac'),
    ({'ipxe_hosts': [{'ip': '10.0.0.10', 'os': 'debian-12'}]}, 'ipxe_hosts[0]', {'ip': '10.0.0.10', 'os': 'debian-12'},
     'has an ip but no mac'),
    ({'ipxe_hosts': [{'mac': 'zz', 'ip': '10.0.0.10'}]}, 'ipxe_hosts (the entries with an ip)[0].hw-address', 'zz',
     'must be a MAC address'),
    ({'ipxe_hosts': [{'mac': MAC1}, {'mac': MAC2, 'ip': 'ten'}]}, 'ipxe_hosts (the entries with an ip)[0].ip-address', 'ten',
     'must be an IPv4 address'),
    ({'ipxe_hosts': [{'mac': MAC1, 'ip': '10.0.0.130'}]}, 'ipxe_hosts (the entries with an ip)[0].ip-address', '10.0.0.130',
     'is inside the dynamic pool'),
    ({'netboot_reservations': [{'hw-address': MAC1, 'ip-address': '10.0.0.10'}], 'ipxe_hosts': [{'mac': MAC1, 'ip': '10.0.0.11'}]},
     'netboot_reservations followed by the ipxe_hosts with an ip[1].hw-address', MAC1,
     'is already reserved by netboot_reservations followed by the ipxe_hosts with an ip[0]'),
    ({'netboot_reservations': [{'hw-address': MAC1, 'ip-address': '10.0.0.10'}], 'ipxe_hosts': [{'mac': MAC2, 'ip': '10.0.0.10'}]},
     'netboot_reservations followed by the ipxe_hosts with an ip[1].ip-address', '10.0.0.10', 'is already reserved by'),
    ({'netboot_relayed_subnets': {'subnet': '10.1.0.0/24'}}, 'netboot_relayed_subnets', {'subnet': '10.1.0.0/24'},
     'must be a list of subnets, got '),
    ({'netboot_relayed_subnets': None}, 'netboot_relayed_subnets', None, 'must be a list of subnets, got '),
    ({'netboot_relayed_subnets': [{'subnet': '10.1.0.0/24'}]}, 'netboot_relayed_subnets[0].routers', None,
     'must be a non-empty list of IPv4 addresses, got '),
    ({'netboot_relayed_subnets': [{'subnet': '10.1.0.0/24', 'routers': ['10.1.0.1'], 'dns_servers': ['ns']}]},
     'netboot_relayed_subnets[0].dns_servers', ['ns'], 'must be a list of IPv4 addresses, got '),
    ({'netboot_relayed_subnets': [{'subnet': '10.1.0.0/24', 'routers': ['10.1.0.1'], 'gateway': '10.1.0.1'}]},
     'netboot_relayed_subnets[0]', Unquoted('gateway'), 'has unknown keys gateway; known: '),
    ({'netboot_relayed_subnets': [{'subnet': '10.1.0.0/24', 'routers': ['10.1.0.1']}],
      'netboot_reservations': [{'hw-address': MAC1, 'ip-address': '10.1.0.200'}]},
     'netboot_reservations[0].ip-address', '10.1.0.200', "is inside the dynamic pool '10.1.0.128 - 10.1.0.254'"),
    ({'netboot_ipv6_router_advertisements': 'maybe'}, 'netboot_ipv6_router_advertisements', 'maybe', 'must be a boolean'),
    ({'netboot_ipv6_router_advertisements': 2}, 'netboot_ipv6_router_advertisements', 2, 'must be a boolean'),
    ({'netboot_ipv6_router_advertisements': None}, 'netboot_ipv6_router_advertisements', None, 'must be a boolean'),
    ({'netboot_ipv6_router_advertisements': ' yes'}, 'netboot_ipv6_router_advertisements', ' yes', 'must be a boolean'),
]


@pytest.mark.parametrize('changes, variable, value, text', BAD_CASES, ids=[f'{case[1]}={case[2]!r}' for case in BAD_CASES])
def test_bad_input_names_the_variable_and_the_value(changes, variable, value, text):
    with pytest.raises(PlanError) as error:
        plan({**GOOD, **changes})
    message = str(error.value)
    assert re.search(rf'(^|; ){re.escape(variable)}(?![\w\[.-])', message), message
    assert repr(value) in message, message
    assert text in message, message


@pytest.mark.parametrize('variables', [{}, {'netboot_interface': None, 'netboot_server_address': ''}])
def test_the_served_network_must_be_named(variables):
    with pytest.raises(PlanError, match=re.escape('set netboot_interface (the interface that serves the lab) or netboot_server_address')):
        plan(variables)


def test_several_problems_are_joined():
    with pytest.raises(PlanError) as error:
        plan({**GOOD, 'netboot_routers': ['gw'], 'netboot_dns_servers': 'ns', 'netboot_boot_files': {'bios': '../x'},
              'netboot_ipv6_router_advertisements': 'maybe', 'ipxe_hosts': ['x'], 'kea_dhcp4_subnets': []})
    # Some of the messages hold '; ' themselves: compare the joined text.
    assert str(error.value) == '; '.join([
        "ipxe_hosts[0] must be a mapping with mac (and ip for a fixed address), got 'x'",
        "netboot_routers must be a list of IPv4 addresses, got ['gw']",
        "netboot_dns_servers must be a list of IPv4 addresses, got 'ns'",
        'netboot_boot_files[\'bios\'] must be a path relative to the TFTP root without "..", or an http(s) URL; '
        "got '../x'",
        "netboot_ipv6_router_advertisements must be a boolean (true/false, yes/no, on/off, 1/0), got 'maybe'",
        'kea_dhcp4_subnets and netboot_routers are both set: kea_dhcp4_subnets replaces the subnets the playbook builds, '
        "so netboot_routers ['gw'] would be silently dropped; use one or the other",
        'kea_dhcp4_subnets and netboot_dns_servers are both set: kea_dhcp4_subnets replaces the subnets the playbook '
        "builds, so netboot_dns_servers 'ns' would be silently dropped; use one or the other",
    ])


def test_each_source_of_fixed_addresses_is_checked_alone_before_both_together():
    # A problem of one source hides the duplicate across both, as in the play today.
    with pytest.raises(PlanError) as error:
        plan({**GOOD, 'netboot_reservations': [{'hw-address': MAC1, 'ip-address': '10.0.0.10'}],
              'ipxe_hosts': [{'mac': MAC1, 'ip': '10.0.0.200'}]})
    assert str(error.value) == ("ipxe_hosts (the entries with an ip)[0].ip-address '10.0.0.200' is inside the dynamic pool "
                                "'10.0.0.128 - 10.0.0.254'; reserve an address outside the pool")


def test_the_input_is_not_changed():
    variables = copy.deepcopy(RELAYED)
    plan(variables)
    assert variables == RELAYED


class OnlyGetAndContains:
    """A mapping that cannot be iterated, like the variables the plan must not walk through."""

    def __init__(self, data):
        self._data = data

    def get(self, key, default=None):
        return self._data.get(key, default)

    def __contains__(self, key):
        return key in self._data

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self):
        raise AssertionError('the plan iterated over the variables')


def test_reads_the_variables_by_name_only():
    assert plan(OnlyGetAndContains(RELAYED)) == plan(RELAYED)


# A typical server (the molecule scenarios boot and relay together), and what playbooks/site.yml
# (0.3.0) computes for it in Jinja - written out by hand from its play vars and pre_tasks.
TYPICAL_FACTS = facts(('eth0', '10.77.50.1'), eth0=('10.77.50.2', '255.255.255.0'))
TYPICAL = {
    'netboot_server_address': '10.77.50.2',
    'netboot_boot_files': {'bios': 'undionly.kpxe', 'efi-x64': 'snponly.efi'},
    'netboot_pool': '10.77.50.100 - 10.77.50.199',
    'netboot_dns_servers': ['10.77.50.2'],
    'netboot_ipv6_router_advertisements': True,
    'netboot_reservations': [{'hw-address': '52:54:00:50:00:11', 'ip-address': '10.77.50.11'},
                             {'hw-address': '52:54:00:51:00:60', 'ip-address': '10.77.51.60'}],
    'netboot_relayed_subnets': [{'subnet': '10.77.51.0/24', 'pool': '10.77.51.100 - 10.77.51.199', 'routers': ['10.77.51.4']}],
    'ipxe_hosts': [{'mac': '52:54:00:50:00:14', 'ip': '10.77.50.14', 'os': 'debian-12', 'hostname': 'lab-installer'},
                   {'mac': '52:54:00:51:00:61', 'ip': '10.77.51.61', 'os': 'debian-12'},
                   {'mac': '52:54:00:50:00:15', 'items': [{'key': 'local', 'label': 'Local disk', 'type': 'exit'}]}],
    'kea_dhcp4_ha_enabled': True,
    'kea_dhcp4_log_severity': 'DEBUG',
    'ipxe_menu_title': 'netboot.pxe test lab',
}
OLD_JINJA = {
    # __netboot_lab
    'lab': {'interface': 'eth0', 'address': '10.77.50.2', 'subnet': '10.77.50.0/24', 'prefix': 24,
            'pool': '10.77.50.100 - 10.77.50.199', 'router': '10.77.50.1'},
    # __netboot_relayed
    'relayed': [{'id': 2, 'subnet': '10.77.51.0/24', 'pool': '10.77.51.100 - 10.77.51.199', 'routers': ['10.77.51.4'],
                 'dns_servers': None,
                 'reservations': [{'hw-address': '52:54:00:51:00:60', 'ip-address': '10.77.51.60'},
                                  {'hw-address': '52:54:00:51:00:61', 'ip-address': '10.77.51.61'}]}],
    # __netboot_ipv6_ra
    'ipv6_router_advertisements': True,
    'package_cache': False,
    'role_vars': {
        'tftpd_address': '10.77.50.2',
        'nginx_listen_address': '10.77.50.2',
        'ipxe_base_url': 'http://10.77.50.2',
        'kea_dhcp4_interfaces': ['eth0'],
        'kea_dhcp6_state': 'absent',
        'kea_dhcp6_interfaces': ['eth0'],
        'kea_dhcp6_subnets': [],
        'kea_dhcp6_pxe_tftp_server': '',
        'kea_dhcp4_subnets': [
            {'id': 1, 'subnet': '10.77.50.0/24', 'pools': [{'pool': '10.77.50.100 - 10.77.50.199'}],
             'next-server': '10.77.50.2',
             'option-data': [{'name': 'routers', 'data': '10.77.50.1'}, {'name': 'domain-name-servers', 'data': '10.77.50.2'}],
             'reservations': [{'hw-address': '52:54:00:50:00:11', 'ip-address': '10.77.50.11'},
                              {'hw-address': '52:54:00:50:00:14', 'ip-address': '10.77.50.14'}]},
            {'id': 2, 'subnet': '10.77.51.0/24', 'pools': [{'pool': '10.77.51.100 - 10.77.51.199'}],
             'next-server': '10.77.50.2',
             'option-data': [{'name': 'routers', 'data': '10.77.51.4'}, {'name': 'domain-name-servers', 'data': '10.77.50.2'}],
             'reservations': [{'hw-address': '52:54:00:51:00:60', 'ip-address': '10.77.51.60'},
                              {'hw-address': '52:54:00:51:00:61', 'ip-address': '10.77.51.61'}]},
        ],
        'kea_dhcp4_pxe_next_server': '10.77.50.2',
        'kea_dhcp4_pxe_ipxe_script_url': 'http://10.77.50.2/boot.ipxe',
        'kea_dhcp4_pxe_http_base_url': 'http://10.77.50.2/ipxe/',
        'kea_dhcp4_pxe_boot_files': {'bios': 'undionly.kpxe', 'efi-x64': 'snponly.efi'},
        'kea_dhcp4_ha_group': 'netboot_servers',
        'kea_dhcp4_ha_address': '10.77.50.2',
        'radvd_interfaces': ['eth0'],
        'package_cache_address': '10.77.50.2',
        'ipxe_answer_proxy': '',
    },
    'overridden': [],
}


# What the plan gives now and the old play did not: the ipxe role chooses each architecture's binary
# among those it stages (netboot_boot_files only picks or leaves some out), and Kea takes its boot
# settings from what the ipxe role publishes (its ipxe_staged fact), in the second step.
NOT_AS_IN_JINJA = {
    # New: nginx answers the served subnet and the subnets behind relays only.
    'nginx_allowed_networks': ['10.77.50.0/24', '10.77.51.0/24'],
    # New: installers delete their build marker when they are done.
    'nginx_delete_locations': ['/builds/'],
    'ipxe_boot_files': {'bios': 'undionly.kpxe', 'efi-x64': 'snponly.efi'},
    # New: Secure Boot (netboot_secure_boot, netboot_secure_boot_subnets), off.
    'ipxe_secure_boot': False,
    'kea_dhcp4_pxe_secure_boot_file': '',
    # New: a role the inventory no longer asks for runs with state absent.
    'radvd_state': 'present',
    'package_cache_state': 'absent',
    # New: Kea answers, the proxyDHCP server (netboot_dhcp_mode: proxy) does not.
    'kea_dhcp4_state': 'present',
    'proxy_dhcp_state': 'absent',
    'proxy_dhcp_interfaces': ['eth0'],
    'proxy_dhcp_subnets': ['10.77.50.0/24'],
    'proxy_dhcp_next_server': '10.77.50.2',
    'proxy_dhcp_secure_boot_macs': [],
    'proxy_dhcp_secure_boot_file': '',
    'images_entries': [],
    'images_agent': False,
    'images_http_root': '/srv/netboot',
    'ipxe_images': [],
    'ipxe_discovery': False,
    'ipxe_discovery_networks': ['10.77.50.0/24', '10.77.51.0/24'],
    'ipxe_discovery_known_macs': ['52:54:00:50:00:11', '52:54:00:50:00:14', '52:54:00:51:00:60', '52:54:00:51:00:61'],
    # New: IPv6 (netboot_ipv6), off.
    'nginx_listen_ipv6_address': '',
    'kea_dhcp6_state': 'absent',
    'kea_dhcp6_interfaces': ['eth0'],
    'kea_dhcp6_subnets': [],
    'kea_dhcp6_pxe_tftp_server': '',
    'radvd_dhcpv6_prefixes': [],
}
NEW_PLAN_KEYS = {'dhcp_mode': 'server', 'boot_vars_set': {}, 'lab6': None, 'ipv6_only': False}
# What the ipxe role stages on the typical server: the second step gives Kea what the old play did.
TYPICAL_STAGED = {'script_url': 'http://10.77.50.2/boot.ipxe', 'binaries_url': 'http://10.77.50.2/ipxe/',
                  'boot_files': {'bios': 'undionly.kpxe', 'efi-x64': 'snponly.efi'},
                  'tftp_boot_files': {'bios': 'undionly.kpxe', 'efi-x64': 'snponly.efi'}}


def test_typical_server_gets_what_the_play_computed_in_jinja():
    result = netboot_plan(TYPICAL, TYPICAL_FACTS)
    assert {key: value for key, value in result.items() if key != 'role_vars'} == dict(
        {key: value for key, value in OLD_JINJA.items() if key != 'role_vars'}, **NEW_PLAN_KEYS)
    assert {name: value for name, value in result['role_vars'].items() if name not in NOT_AS_IN_JINJA} == {
        name: value for name, value in OLD_JINJA['role_vars'].items() if name not in NOT_AS_IN_JINJA and name in ROLE_VARS}
    assert {name: result['role_vars'][name] for name in NOT_AS_IN_JINJA} == NOT_AS_IN_JINJA
    assert netboot_dhcp_vars(result, TYPICAL_STAGED) == {
        **{name: value for name, value in OLD_JINJA['role_vars'].items() if name in BOOT_VARS},
        # New: the proxyDHCP server's, from the same fact.
        'proxy_dhcp_ipxe_script_url': 'http://10.77.50.2/boot.ipxe',
        'proxy_dhcp_boot_files': {'bios': 'undionly.kpxe', 'efi-x64': 'snponly.efi'},
        # New: Kea DHCPv6's, without netboot_ipv6 empty.
        'kea_dhcp6_pxe_ipxe_script_url': '', 'kea_dhcp6_pxe_http_base_url': '', 'kea_dhcp6_pxe_boot_files': {}}
    assert list(result['role_vars']) == list(ROLE_VARS)
    assert [list(subnet) for subnet in result['role_vars']['kea_dhcp4_subnets']] == [SUBNET_KEYS, SUBNET_KEYS]
    assert [list(option) for subnet in result['role_vars']['kea_dhcp4_subnets'] for option in subnet['option-data']] == [
        ['name', 'data']] * 4


@pytest.mark.parametrize('variables, message', [
    ({'netboot_reservations': [{'hw-address': MAC1, 'ip-address': '10.0.0.2'}]},
     "netboot_reservations[0].ip-address '10.0.0.2' is the address of this server"),
    ({'netboot_routers': ['10.0.0.1'], 'netboot_reservations': [{'hw-address': MAC1, 'ip-address': '10.0.0.1'}]},
     "netboot_reservations[0].ip-address '10.0.0.1' is a router"),
    ({'ipxe_hosts': [{'mac': MAC1, 'ip': '10.0.0.2', 'os': 'debian-13'}]},
     "ipxe_hosts (the entries with an ip)[0].ip-address '10.0.0.2' is the address of this server"),
    ({'netboot_relayed_subnets': [{'subnet': '10.1.0.0/24', 'routers': ['10.1.0.1']}],
      'netboot_reservations': [{'hw-address': MAC1, 'ip-address': '10.1.0.1'}]},
     "netboot_reservations[0].ip-address '10.1.0.1' is a router"),
    ({'netboot_pool': '10.0.0.128 - 10.0.0.255'}, "netboot_pool '10.0.0.128 - 10.0.0.255' holds the broadcast address 10.0.0.255"),
    ({'netboot_pool': '10.0.0.128 - 10.0.0.200\n'}, 'netboot_pool must look like "10.0.0.100 - 10.0.0.199"'),
    ({'netboot_pool': '10.0.0.128/25'}, 'netboot_pool must look like "10.0.0.100 - 10.0.0.199"'),
])
def test_no_machine_gets_the_server_a_router_or_the_broadcast_address(variables, message):
    with pytest.raises(PlanError) as error:
        plan({'netboot_interface': 'eth1', **variables})
    assert message in str(error.value)


@pytest.mark.parametrize('mac', ['52-54-00-00-00-01', '5254.0000.0001', '525400000001', '52:54:00:00:00:01'])
def test_kea_gets_every_mac_notation_as_colons(mac):
    variables = {'netboot_interface': 'eth1', 'netboot_reservations': [{'hw-address': mac, 'ip-address': '10.0.0.10'}],
                 'ipxe_hosts': [{'mac': mac.replace('1', '2'), 'ip': '10.0.0.11', 'os': 'debian-13'}]}
    reservations = lab_subnet(variables)['reservations']
    assert [host['hw-address'] for host in reservations] == [MAC1, MAC2]


@pytest.mark.parametrize('host_facts, pool', [
    (facts(('eth0', '10.0.0.254'), eth0=('10.0.0.2', '255.255.255.0')), '10.0.0.128 - 10.0.0.253'),
    (facts(('eth0', '10.0.0.1'), eth0=('10.0.0.2', '255.255.255.0')), '10.0.0.128 - 10.0.0.254'),
    (facts(('eth0', '10.0.0.1'), eth0=('10.0.0.200', '255.255.255.0')), '10.0.0.2 - 10.0.0.127'),
])
def test_the_derived_pool_leaves_out_the_server_and_the_router(host_facts, pool):
    assert plan({'netboot_interface': 'eth0'}, host_facts)['lab']['pool'] == pool


# --- netboot_dhcp_mode: proxy -------------------------------------------------------------------

def test_proxy_mode_runs_the_proxy_dhcp_server_instead_of_kea():
    result = plan({'netboot_interface': 'eth1', 'netboot_dhcp_mode': 'proxy', 'ipxe_hosts': [{'mac': MAC1, 'os': 'debian-13'}]})
    assert result['dhcp_mode'] == 'proxy'
    assert {name: result['role_vars'][name] for name in (
        'kea_dhcp4_state', 'proxy_dhcp_state', 'proxy_dhcp_interfaces', 'proxy_dhcp_subnets', 'proxy_dhcp_next_server')} == {
        'kea_dhcp4_state': 'absent', 'proxy_dhcp_state': 'present', 'proxy_dhcp_interfaces': ['eth1'],
        'proxy_dhcp_subnets': ['10.0.0.0/24'], 'proxy_dhcp_next_server': '10.0.0.2'}
    # The proxyDHCP server offers TFTP boot files only.
    assert {name: value for name, value in netboot_dhcp_vars(result, STAGED).items() if name.startswith('proxy_dhcp_')} == {
        'proxy_dhcp_ipxe_script_url': 'http://10.0.0.2/boot.ipxe',
        'proxy_dhcp_boot_files': {'bios': 'undionly.kpxe', 'efi-x64': 'snponly.efi'}}


def test_server_mode_is_the_default_and_stops_the_proxy_dhcp_server_first():
    result = plan({'netboot_interface': 'eth1', 'netboot_dhcp_mode': 'server'})
    assert result == plan({'netboot_interface': 'eth1'})
    assert result['dhcp_mode'] == 'server'
    assert (result['role_vars']['kea_dhcp4_state'], result['role_vars']['proxy_dhcp_state']) == ('present', 'absent')


PROXY = {'netboot_interface': 'eth1', 'netboot_dhcp_mode': 'proxy'}


@pytest.mark.parametrize('variables, message', [
    ({'netboot_dhcp_mode': 'relay'}, "netboot_dhcp_mode must be one of server, proxy, got 'relay'"),
    ({'netboot_dhcp_mode': None}, 'netboot_dhcp_mode must be one of server, proxy, got None'),
    (dict(PROXY, netboot_reservations=[{'hw-address': MAC1, 'ip-address': '10.0.0.10'}]),
     "netboot_dhcp_mode is proxy: the network's own DHCP server hands out the addresses, routers and name servers, "
     "and keeps any fixed address; set it there and remove netboot_reservations"),
    (dict(PROXY, ipxe_hosts=[{'mac': MAC1, 'os': 'debian-13'}, {'mac': MAC2, 'ip': '10.0.0.10', 'os': 'debian-13'}]),
     "remove the ip of ipxe_hosts[1] '10.0.0.10'"),
    (dict(PROXY, netboot_relayed_subnets=[{'subnet': '10.1.0.0/24'}]), 'remove netboot_relayed_subnets'),
    (dict(PROXY, netboot_pool='10.0.0.100 - 10.0.0.110'), "remove netboot_pool '10.0.0.100 - 10.0.0.110'"),
    (dict(PROXY, netboot_routers=['10.0.0.1']), "remove netboot_routers ['10.0.0.1']"),
    (dict(PROXY, netboot_dns_servers=['10.0.0.1']), 'remove netboot_dns_servers'),
    (dict(PROXY, kea_dhcp4_subnets=[{'id': 1, 'subnet': '10.0.0.0/24'}]), 'remove kea_dhcp4_subnets'),
    (dict(PROXY, netboot_boot_files={'bios': 'undionly.kpxe', 'http-x64': 'ipxe.efi'}),
     'a proxyDHCP server cannot answer UEFI HTTP boot, so netboot_boot_files http-x64 would never be offered'),
])
def test_proxy_mode_refuses_what_belongs_to_the_network_dhcp_server(variables, message):
    with pytest.raises(PlanError) as error:
        plan(variables)
    assert message in str(error.value)


def test_proxy_mode_accepts_http_boot_left_out():
    result = plan(dict(PROXY, netboot_boot_files={'bios': 'undionly.kpxe', 'http-x64': ''}))
    assert result['dhcp_mode'] == 'proxy'


# --- netboot_secure_boot ------------------------------------------------------------------------

@pytest.mark.parametrize('value, expected', [(True, True), ('yes', True), (False, False)])
def test_secure_boot_goes_to_the_ipxe_role(value, expected):
    assert role_vars({'netboot_interface': 'eth1', 'netboot_secure_boot': value})['ipxe_secure_boot'] is expected


@pytest.mark.parametrize('variables, message', [
    ({'netboot_secure_boot': 'sometimes'}, "netboot_secure_boot must be a boolean (true/false, yes/no, on/off, 1/0), got 'sometimes'"),
    ({'netboot_secure_boot': True, 'netboot_boot_files': {'http-x64': 'ipxe.efi'}},
     "netboot_secure_boot hands UEFI x64 machines Debian's signed shim (shimx64.efi), so netboot_boot_files http-x64 'ipxe.efi' "),
    ({'netboot_secure_boot': True, 'netboot_boot_files': {'efi-x64': 'ipxe.efi'}},
     "netboot_secure_boot hands UEFI x64 machines Debian's signed shim (shimx64.efi), so netboot_boot_files efi-x64 'ipxe.efi' "
     "would be dropped"),
])
def test_secure_boot_refused(variables, message):
    with pytest.raises(PlanError) as error:
        plan(dict(variables, netboot_interface='eth1'))
    assert message in str(error.value)


def test_a_secure_boot_host_gets_the_shim_in_its_reservation_and_the_others_keep_ipxe():
    hosts = [{'mac': '52-54-00-00-00-01', 'ip': '10.0.0.11', 'secure_boot': True},
             {'mac': MAC2, 'ip': '10.0.0.12', 'secure_boot': False}, {'mac': MAC3, 'ip': '10.0.0.13'}]
    result = role_vars({'netboot_interface': 'eth1', 'ipxe_hosts': hosts})
    assert result['kea_dhcp4_subnets'][0]['reservations'] == [
        {'hw-address': MAC1, 'ip-address': '10.0.0.11', 'boot-file-name': 'shimx64.efi'},
        {'hw-address': MAC2, 'ip-address': '10.0.0.12'},
        {'hw-address': MAC3, 'ip-address': '10.0.0.13'}]
    assert result['ipxe_secure_boot'] is True and 'efi-x64' not in result['ipxe_boot_files']


def test_netboot_secure_boot_hands_every_uefi_x64_machine_the_shim():
    result = role_vars({'netboot_interface': 'eth1', 'netboot_secure_boot': True, 'netboot_boot_files': {'bios': 'undionly.kpxe'}})
    # By PXE and by UEFI HTTP boot; HTTP boot stays off where the inventory turns it off.
    assert result['ipxe_boot_files'] == {'bios': 'undionly.kpxe', 'efi-x64': 'shimx64.efi', 'http-x64': 'shimx64.efi'}
    off = role_vars({'netboot_interface': 'eth1', 'netboot_secure_boot': True, 'netboot_boot_files': {'http-x64': ''}})
    assert off['ipxe_boot_files'] == {'efi-x64': 'shimx64.efi', 'http-x64': ''}


@pytest.mark.parametrize('host, message', [
    ({'mac': MAC1, 'secure_boot': True}, 'ipxe_hosts[0].secure_boot needs an ip'),
    ({'mac': MAC1, 'ip': '10.0.0.11', 'secure_boot': 'yes'}, "ipxe_hosts[0].secure_boot must be true or false, got 'yes'"),
])
def test_secure_boot_hosts_refused(host, message):
    with pytest.raises(PlanError) as error:
        plan({'netboot_interface': 'eth1', 'ipxe_hosts': [host]})
    assert message in str(error.value)


# --- netboot_secure_boot_subnets -----------------------------------------------------------------

TWO_RELAYS = [{'subnet': '10.1.0.0/24', 'routers': ['10.1.0.1']}, {'subnet': '10.2.0.0/24', 'routers': ['10.2.0.1']}]


@pytest.mark.parametrize('chosen, required', [
    (['10.1.0.0/24'], [False, True, False]),
    (['10.0.0.0/24', '10.2.0.0/24'], [True, False, True]),
])
def test_secure_boot_subnets_require_the_shim_class(chosen, required):
    result = role_vars({'netboot_interface': 'eth1', 'netboot_relayed_subnets': TWO_RELAYS, 'netboot_secure_boot_subnets': chosen})
    assert [subnet['require-client-classes'] == ['pxe-efi-x64-secure-boot', 'pxe-http-x64-secure-boot']
            for subnet in result['kea_dhcp4_subnets']] == required
    # The others require the iPXE classes of UEFI x64, required classes too (Kea takes the first boot file).
    assert [subnet['require-client-classes'] == ['pxe-efi-x64', 'pxe-http-x64']
            for subnet in result['kea_dhcp4_subnets']] == [not secure for secure in required]
    assert result['kea_dhcp4_pxe_secure_boot_file'] == 'shimx64.efi' and result['ipxe_secure_boot'] is True
    # iPXE stays the boot file of the other subnets' UEFI x64 machines.
    assert 'efi-x64' not in result['ipxe_boot_files']


@pytest.mark.parametrize('value, message', [
    ('10.1.0.0/24', "netboot_secure_boot_subnets must be a list of subnets in CIDR form, got '10.1.0.0/24'"),
    (['10.9.0.0/24'], "netboot_secure_boot_subnets[0] must be the served network or one of netboot_relayed_subnets "
                      "(10.0.0.0/24, 10.1.0.0/24, 10.2.0.0/24), got '10.9.0.0/24'"),
    (['10.1.0.0/16'], 'netboot_secure_boot_subnets[0] must be the served network'),
    (['10.1.0.5/24'], 'netboot_secure_boot_subnets[0] must be the served network'),
    ([None], 'netboot_secure_boot_subnets[0] must be the served network'),
    (['10.1.0.0/24', '10.1.0.0/24'], "netboot_secure_boot_subnets[1] '10.1.0.0/24' is listed twice"),
])
def test_secure_boot_subnets_refused(value, message):
    with pytest.raises(PlanError) as error:
        plan({'netboot_interface': 'eth1', 'netboot_relayed_subnets': TWO_RELAYS, 'netboot_secure_boot_subnets': value})
    assert message in str(error.value)


def test_secure_boot_subnets_are_refused_in_proxy_mode():
    with pytest.raises(PlanError) as error:
        plan({'netboot_interface': 'eth1', 'netboot_dhcp_mode': 'proxy', 'netboot_secure_boot_subnets': ['10.0.0.0/24']})
    assert ("netboot_dhcp_mode is proxy: the proxyDHCP server answers on the served network only, so set "
            "netboot_secure_boot (every UEFI x64 machine) instead of netboot_secure_boot_subnets ['10.0.0.0/24']") in str(error.value)


def test_beside_a_foreign_dhcp_server_the_proxy_hands_secure_boot_machines_the_shim():
    hosts = [{'mac': '52-54-00-00-00-01', 'secure_boot': True}, {'mac': MAC2, 'items': [{'key': 'local', 'type': 'exit'}]}]
    result = role_vars({'netboot_interface': 'eth1', 'netboot_dhcp_mode': 'proxy', 'ipxe_hosts': hosts})
    assert result['proxy_dhcp_secure_boot_macs'] == [MAC1] and result['proxy_dhcp_secure_boot_file'] == 'shimx64.efi'
    assert result['ipxe_secure_boot'] is True and result['kea_dhcp4_subnets'][0]['reservations'] == []


IMAGES = [{'name': 'debian-13', 'form': 'archive', 'build': {'suite': 'trixie'}},
          {'name': 'vendor', 'form': 'raw', 'url': 'https://images.example/disk.raw.xz', 'checksum': 'sha256:' + 'a' * 64}]


def test_the_images_go_to_the_images_role_and_their_names_to_the_ipxe_role():
    result = role_vars({'netboot_interface': 'eth1', 'netboot_images': IMAGES, 'ipxe_http_root': '/srv/boot'})
    assert (result['images_entries'], result['ipxe_images'], result['images_http_root']) == (
        IMAGES, ['debian-13', 'vendor'], '/srv/boot')
    # With images, in server mode, discovery is on: the agent is built for it.
    assert (result['images_agent'], result['ipxe_discovery']) == (True, True)


@pytest.mark.parametrize('hosts, agent', [
    ([], False),
    ([{'mac': MAC1, 'os': 'debian-13'}], False),
    ([{'mac': MAC1, 'ip': '10.0.0.20', 'image': 'debian-13'}], True),
])
def test_the_agent_is_built_while_a_machine_deploys_an_image(hosts, agent):
    variables = {'netboot_interface': 'eth1', 'netboot_images': IMAGES, 'ipxe_hosts': hosts, 'netboot_discovery': False}
    assert role_vars(variables)['images_agent'] is agent


@pytest.mark.parametrize('variables, discovery', [
    ({}, False),                                                  # no images: no agent
    ({'netboot_images': IMAGES}, True),                           # where it is safe: this server answers DHCP
    ({'netboot_images': IMAGES, 'netboot_discovery': 'no'}, False),
    ({'netboot_discovery': True}, True),                          # asked for: the agent is built for it
])
def test_discovery_is_on_where_it_is_safe(variables, discovery):
    result = role_vars(dict({'netboot_interface': 'eth1'}, **variables))
    assert (result['ipxe_discovery'], result['images_agent'] or not discovery) == (discovery, True)


def test_beside_a_foreign_dhcp_server_discovery_stays_off_unless_asked():
    variables = {'netboot_interface': 'eth1', 'netboot_dhcp_mode': 'proxy', 'netboot_images': IMAGES}
    assert role_vars(variables)['ipxe_discovery'] is False
    assert role_vars(dict(variables, netboot_discovery=True))['ipxe_discovery'] is True


def test_discovery_takes_records_from_the_served_and_relayed_networks_and_knows_the_reserved_machines():
    result = role_vars({'netboot_interface': 'eth1', 'netboot_images': IMAGES,
                        'netboot_reservations': [{'hw-address': '52-54-00-00-00-0A', 'ip-address': '10.0.0.30'}],
                        'ipxe_hosts': [{'mac': MAC2, 'ip': '10.0.0.31', 'items': [{'key': 'local', 'type': 'exit'}]}]})
    assert result['ipxe_discovery_networks'] == ['10.0.0.0/24']
    assert result['ipxe_discovery_known_macs'] == sorted(['52:54:00:00:00:0a', MAC2])


def test_a_discovery_flag_that_is_not_a_boolean_is_refused():
    with pytest.raises(PlanError, match="netboot_discovery must be a boolean .*got 'sometimes'"):
        plan({'netboot_interface': 'eth1', 'netboot_discovery': 'sometimes'})


@pytest.mark.parametrize('images, message', [
    ({'name': 'x'}, "netboot_images must be a list of images, got {'name': 'x'}"),
    ([{'name': 'Bad Name', 'form': 'raw', 'build': {'suite': 'trixie'}}], "netboot_images[0].name"),
    ([IMAGES[0], IMAGES[0]], "netboot_images[1].name 'debian-13' is given twice"),
])
def test_bad_images_fail_the_plan_naming_the_entry(images, message):
    with pytest.raises(PlanError) as error:
        plan({'netboot_interface': 'eth1', 'netboot_images': images})
    assert message in str(error.value)
