# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan with IPv6: a dual-stack network, an IPv6-only one, and the bad input refused before any change."""

from __future__ import annotations

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._lab_network import LabNetworkError, lab_network6
from ansible_collections.netboot.pxe.plugins.module_utils._netboot_plan import PlanError, netboot_dhcp_vars, netboot_plan

MAC1, MAC2 = '52:54:00:00:00:01', '52:54:00:00:00:02'
LINK_LOCAL = {'address': 'fe80::5054:ff:fe00:2', 'prefix': '64', 'scope': 'link'}
GLOBAL = {'address': 'fd00:10::2', 'prefix': '64', 'scope': 'global'}
DUAL = {'interfaces': ['lo', 'eth1'], 'eth1': {'ipv4': {'address': '10.0.0.2', 'netmask': '255.255.255.0'},
                                               'ipv6': [GLOBAL, LINK_LOCAL]}}
ONLY6 = {'interfaces': ['lo', 'eth1'], 'eth1': {'ipv6': [GLOBAL, LINK_LOCAL]}}
STAGED = {'script_url': 'http://10.0.0.2/boot.ipxe', 'binaries_url': 'http://10.0.0.2/ipxe/',
          'boot_files': {'bios': 'undionly.kpxe', 'efi-x64': 'snponly.efi', 'http-x64': 'ipxe.efi'},
          'tftp_boot_files': {'bios': 'undionly.kpxe', 'efi-x64': 'snponly.efi'}}


def test_dual_stack():
    result = netboot_plan({'netboot_interface': 'eth1', 'netboot_ipv6': True,
                           'ipxe_hosts': [{'mac': MAC1, 'ip': '10.0.0.50', 'ipv6': 'fd00:10::50'},
                                          {'mac': MAC2, 'ipv6': 'fd00:10::51', 'duid': '00:04:aa:bb:cc'}]}, DUAL)
    assert result['lab6'] == {'interface': 'eth1', 'address': 'fd00:10::2', 'subnet': 'fd00:10::/64', 'prefix': 64,
                              'pool': 'fd00:10::1000 - fd00:10::1fff'}
    assert not result['ipv6_only'] and result['ipv6_router_advertisements']
    role_vars = result['role_vars']
    # The scripts keep their IPv4 URLs; tftpd binds every address (one only, or all), nginx both.
    assert (role_vars['ipxe_base_url'], role_vars['tftpd_address'], role_vars['nginx_listen_address'],
            role_vars['nginx_listen_ipv6_address']) == ('http://10.0.0.2', '', '10.0.0.2', 'fd00:10::2')
    assert role_vars['nginx_allowed_networks'] == ['10.0.0.0/24', 'fd00:10::/64']
    assert (role_vars['kea_dhcp4_state'], role_vars['kea_dhcp6_state'], role_vars['radvd_state']) == ('present', 'present', 'present')
    assert role_vars['kea_dhcp6_subnets'] == [{
        'id': 1, 'subnet': 'fd00:10::/64', 'interface': 'eth1', 'pools': [{'pool': 'fd00:10::1000 - fd00:10::1fff'}],
        'reservations': [{'hw-address': MAC1, 'ip-addresses': ['fd00:10::50']},
                         {'duid': '00:04:aa:bb:cc', 'ip-addresses': ['fd00:10::51']}]}]
    assert role_vars['kea_dhcp6_pxe_tftp_server'] == 'fd00:10::2'
    assert role_vars['radvd_dhcpv6_prefixes'] == ['fd00:10::/64']
    dhcp = netboot_dhcp_vars(result, STAGED)
    # Kea DHCPv6 hands out the server's IPv6 URLs, to the UEFI architectures.
    assert (dhcp['kea_dhcp6_pxe_ipxe_script_url'], dhcp['kea_dhcp6_pxe_http_base_url'], dhcp['kea_dhcp6_pxe_boot_files']) == (
        'http://[fd00:10::2]/boot.ipxe', 'http://[fd00:10::2]/ipxe/', {'efi-x64': 'snponly.efi', 'http-x64': 'ipxe.efi'})
    assert dhcp['kea_dhcp4_pxe_ipxe_script_url'] == 'http://10.0.0.2/boot.ipxe'


def test_a_system_uuid_reserves_the_address_for_ipxes_duid():
    result = netboot_plan({'netboot_interface': 'eth1', 'netboot_ipv6': True,
                           'ipxe_hosts': [{'mac': MAC1, 'ipv6': 'fd00:10::50', 'uuid': '6E657462-6f6f-7436-8000-000000000011'}]},
                          DUAL)
    assert result['role_vars']['kea_dhcp6_subnets'][0]['reservations'] == [
        {'duid': '00:04:6e:65:74:62:6f:6f:74:36:80:00:00:00:00:00:00:11', 'ip-addresses': ['fd00:10::50']}]


@pytest.mark.parametrize('host_facts', [ONLY6, DUAL], ids=['ipv6-only', 'dual-stack'])
def test_a_secure_boot_machines_reservation_hands_its_firmware_the_shim(host_facts):
    # Its firmware asks DHCPv6 (iPXE never runs): reserved by its MAC, or its duid, with the shim over TFTP.
    hosts = [{'mac': MAC1, 'ipv6': 'fd00:10::50', 'secure_boot': True},
             {'mac': MAC2, 'ipv6': 'fd00:10::51', 'duid': '00:01:00:01:aa:bb:cc:dd', 'secure_boot': True}]
    if host_facts is DUAL:
        hosts = [dict(host, ip=f'10.0.0.{50 + index}') for index, host in enumerate(hosts)]
    role_vars = netboot_plan({'netboot_interface': 'eth1', 'netboot_ipv6': True, 'ipxe_hosts': hosts}, host_facts)['role_vars']
    shim = [{'name': 'bootfile-url', 'data': 'tftp://[fd00:10::2]/shimx64.efi'}]
    assert role_vars['kea_dhcp6_subnets'][0]['reservations'] == [
        {'hw-address': MAC1, 'ip-addresses': ['fd00:10::50'], 'option-data': shim},
        {'duid': '00:01:00:01:aa:bb:cc:dd', 'ip-addresses': ['fd00:10::51'], 'option-data': shim}]
    assert role_vars['ipxe_secure_boot']


def test_ipv6_only():
    result = netboot_plan({'netboot_interface': 'eth1', 'netboot_ipv6': 'yes', 'netboot_ipv6_pool': 'fd00:10::100 - fd00:10::1ff',
                           'ipxe_hosts': [{'mac': MAC1, 'ipv6': 'fd00:10::50', 'items': [{'key': 'a', 'type': 'exit', 'label': 'A'}]}]},
                          ONLY6)
    assert result['ipv6_only']
    role_vars = result['role_vars']
    assert (role_vars['ipxe_base_url'], role_vars['tftpd_address'], role_vars['nginx_listen_address'],
            role_vars['nginx_listen_ipv6_address']) == ('http://[fd00:10::2]', 'fd00:10::2', 'fd00:10::2', '')
    assert role_vars['nginx_allowed_networks'] == ['fd00:10::/64']
    assert (role_vars['kea_dhcp4_state'], role_vars['kea_dhcp6_state'], role_vars['proxy_dhcp_state']) == ('absent', 'present', 'absent')
    assert role_vars['kea_dhcp4_subnets'] == [] and not role_vars['ipxe_discovery']
    assert role_vars['kea_dhcp6_subnets'][0]['pools'] == [{'pool': 'fd00:10::100 - fd00:10::1ff'}]
    assert netboot_dhcp_vars(result, dict(STAGED, script_url='http://[fd00:10::2]/boot.ipxe'))[
        'kea_dhcp6_pxe_ipxe_script_url'] == 'http://[fd00:10::2]/boot.ipxe'


@pytest.mark.parametrize('host_facts, ipv6_only', [(ONLY6, True), (DUAL, False)])
def test_netboot_ipv6_address_names_the_interface(host_facts, ipv6_only):
    result = netboot_plan({'netboot_ipv6': True, 'netboot_ipv6_address': 'fd00:10::2'}, host_facts)
    assert (result['lab6']['interface'], result['ipv6_only']) == ('eth1', ipv6_only)


@pytest.mark.parametrize('address, message', [
    ('fe80::2', "netboot_ipv6_address 'fe80::2' is link-local, multicast, loopback or unspecified"),
    ('fd00:10::9', "netboot_ipv6_address 'fd00:10::9' is not an address of any interface; found: "
                   "eth1=fd00:10::2, eth1=fe80::5054:ff:fe00:2"),
    ('fd00:10::2\n', 'netboot_ipv6_address must be an IPv6 address without zone index'),
])
def test_netboot_ipv6_address_alone_must_name_an_interface(address, message):
    with pytest.raises(PlanError) as error:
        netboot_plan({'netboot_ipv6': True, 'netboot_ipv6_address': address}, ONLY6)
    assert str(error.value).startswith(message), str(error.value)


def test_without_netboot_ipv6_nothing_of_ipv6_runs():
    role_vars = netboot_plan({'netboot_interface': 'eth1'}, DUAL)['role_vars']
    assert (role_vars['kea_dhcp6_state'], role_vars['radvd_state'], role_vars['tftpd_address']) == ('absent', 'absent', '10.0.0.2')


@pytest.mark.parametrize('variables, host_facts, message', [
    ({'netboot_ipv6_address': 'fe80::5054:ff:fe00:2'}, DUAL,
     "netboot_ipv6_address 'fe80::5054:ff:fe00:2' is link-local, multicast, loopback or unspecified"),
    ({'netboot_ipv6_address': 'fd00:10::2%eth1'}, DUAL, "netboot_ipv6_address must be an IPv6 address without zone index"),
    ({'netboot_ipv6_address': 'fd00:10::3'}, DUAL, "netboot_ipv6_address 'fd00:10::3' is not an address of 'eth1'; it has: "
                                                   "fd00:10::2/64, fe80::5054:ff:fe00:2/64"),
    ({'netboot_ipv6_subnet': 'fd00:20::/64'}, DUAL, "netboot_ipv6_subnet 'fd00:20::/64' is not on 'eth1': it does not hold "
                                                    "the server address fd00:10::2"),
    ({'netboot_ipv6_subnet': 'fd00:10::1/64'}, DUAL, "netboot_ipv6_subnet must be an IPv6 network in CIDR form, got 'fd00:10::1/64'"),
    ({'netboot_ipv6_pool': 'fd00:10::1 - fd00:10::9'}, DUAL, 'netboot_ipv6_pool fd00:10::1 - fd00:10::9 contains the server address'),
    ({'netboot_ipv6_pool': 'fd00:20::1 - fd00:20::9'}, DUAL, "netboot_ipv6_pool 'fd00:20::1 - fd00:20::9' must be an ascending "
                                                             "range inside netboot_ipv6_subnet fd00:10::/64"),
    ({'ipxe_hosts': [{'mac': MAC1, 'ipv6': 'fd00:20::5'}]}, DUAL,
     "ipxe_hosts (the entries with an ipv6)[0].ip-addresses 'fd00:20::5' is outside the subnet fd00:10::/64"),
    ({'ipxe_hosts': [{'mac': MAC1, 'ipv6': 'fd00:10::1005'}]}, DUAL, "'fd00:10::1005' is inside the dynamic pool"),
    ({'ipxe_hosts': [{'mac': MAC1, 'ipv6': 'fd00:10::2'}]}, DUAL, "'fd00:10::2' is the address of this server"),
    ({'ipxe_hosts': [{'mac': MAC1, 'duid': '00:04:aa:bb:cc'}]}, DUAL, 'ipxe_hosts[0] has a duid or uuid but no ipv6 to reserve for it'),
    ({'netboot_ipv6': 'maybe'}, DUAL, "netboot_ipv6 must be a boolean (true/false, yes/no, on/off, 1/0), got 'maybe'"),
    ({'netboot_dhcp_mode': 'proxy'}, DUAL, "netboot_ipv6 makes this server the network's DHCPv6 server"),
    ({}, {'interfaces': ['eth1'], 'eth1': {'ipv4': {'address': '10.0.0.2', 'netmask': '255.255.255.0'}, 'ipv6': [LINK_LOCAL]}},
     "'eth1' has no global or unique local IPv6 address (fe80::5054:ff:fe00:2/64); give it one"),
    ({'netboot_pool': '10.0.0.100 - 10.0.0.120', 'netboot_dns_servers': ['10.0.0.1']}, ONLY6,
     "netboot_ipv6 on an interface without IPv4 ('eth1') serves an IPv6-only network, which has no IPv4 to "
     "serve; remove netboot_pool '10.0.0.100 - 10.0.0.120'; netboot_ipv6 on an interface"),
    ({'ipxe_hosts': [{'mac': MAC1, 'ip': '10.0.0.5'}]}, ONLY6, "remove the ip of ipxe_hosts[0] '10.0.0.5' (give it ipv6 instead)"),
    ({'ipxe_hosts': [{'mac': MAC1, 'ipv6': 'fd00:10::50', 'image': 'debian'}]}, ONLY6, "the image of ipxe_hosts[0] 'debian'"),
    ({'netboot_discovery': True}, ONLY6, 'remove netboot_discovery True'),
    ({'ipxe_hosts': [{'mac': MAC1, 'secure_boot': True}]}, ONLY6,
     'ipxe_hosts[0].secure_boot needs an ipv6: its Kea reservation hands it the shim'),
    ({'ipxe_hosts': [{'mac': MAC1, 'ipv6': 'fd00:10::50', 'uuid': '6e657462-6f6f-7436-8000-000000000011', 'secure_boot': True}]},
     ONLY6, "ipxe_hosts[0] has secure_boot and a uuid: the uuid reserves the address for iPXE's DUID, and a Secure Boot "
            "machine never runs iPXE; remove uuid '6e657462-6f6f-7436-8000-000000000011'"),
], ids=lambda value: value[:45] if isinstance(value, str) else None)
def test_bad_ipv6_input_is_refused_naming_the_variable(variables, host_facts, message):
    with pytest.raises(PlanError) as error:
        netboot_plan({'netboot_interface': 'eth1', 'netboot_ipv6': True, **variables}, host_facts)
    assert message in str(error.value), str(error.value)


def test_an_ipv6_reservation_without_netboot_ipv6_is_refused():
    with pytest.raises(PlanError, match=r'ipxe_hosts has entries with an ipv6 \(or a duid\), which need netboot_ipv6: true'):
        netboot_plan({'netboot_interface': 'eth1', 'ipxe_hosts': [{'mac': MAC1, 'ipv6': 'fd00:10::50'}]}, DUAL)


def test_several_addresses_need_the_one_to_serve():
    facts = {'eth1': {'ipv6': [GLOBAL, {'address': '2001:db8::2', 'prefix': '64', 'scope': 'global'}, LINK_LOCAL]}}
    with pytest.raises(LabNetworkError, match="'eth1' has more than one global or unique local IPv6 address"):
        lab_network6(facts, 'eth1')
    assert lab_network6(facts, 'eth1', address='2001:db8::2')['subnet'] == '2001:db8::/64'
    # A prefix too small for the default pool asks for one.
    small = {'eth1': {'ipv6': [{'address': 'fd00:10::2', 'prefix': '120', 'scope': 'global'}]}}
    with pytest.raises(LabNetworkError, match='too small for the default pool'):
        lab_network6(small, 'eth1')
