# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import ipaddress

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._dhcp.subnets6 import parse_pool6, subnet6_problems

SERVER = [('the address of this server', ipaddress.IPv6Address('fd00:10::2'))]


def subnet(**changes):
    base = {'id': 1, 'subnet': 'fd00:10::/64', 'interface': 'eth1', 'pools': [{'pool': 'fd00:10::1000 - fd00:10::1fff'}],
            'reservations': [{'hw-address': '52:54:00:00:00:01', 'ip-addresses': ['fd00:10::50'],
                              'option-data': [{'name': 'bootfile-url', 'data': 'tftp://[fd00:10::2]/shimx64.efi'}]},
                             {'duid': '00:03:00:01:52:54:00:00:00:02', 'ip-addresses': ['fd00:10::51'], 'hostname': 'b'}]}
    base.update(changes)
    return base


def test_a_good_subnet_has_no_problem():
    other = subnet(id=2, subnet='fd00:11::/64', interface='eth2', reservations=[], pools=[{'pool': 'fd00:11::/120'}])
    assert subnet6_problems([subnet(), other], 'kea_dhcp6_subnets', SERVER) == []


@pytest.mark.parametrize('subnets, message', [
    ({'id': 1}, "kea_dhcp6_subnets must be a list of subnets, got {'id': 1}"),
    ([subnet(subnet='10.0.0.0/24')], "kea_dhcp6_subnets[0].subnet must be an IPv6 network in CIDR form like fd00:10::/64 "
                                     "(host bits zero), got '10.0.0.0/24'"),
    ([subnet(subnet='fd00:10::1/64')], 'host bits zero'),
    ([subnet(subnet='fd00:10::/64\n')], "got 'fd00:10::/64\\n'"),
    ([subnet(id=0)], 'kea_dhcp6_subnets[0].id must be a positive integer, got 0'),
    ([subnet(), subnet(subnet='fd00:11::/64', reservations=[])], 'kea_dhcp6_subnets[1].id 1 is already the id of kea_dhcp6_subnets[0]'),
    ([subnet(), subnet(id=2, subnet='fd00:10::/96', pools=[], reservations=[])],
     "kea_dhcp6_subnets[1].subnet 'fd00:10::/96' overlaps kea_dhcp6_subnets[0].subnet 'fd00:10::/64'"),
    ([subnet(interface='eth1;')], "kea_dhcp6_subnets[0].interface must be an interface name, got 'eth1;'"),
    ([subnet(pool='x')], 'kea_dhcp6_subnets[0] has unknown key(s) pool; a subnet takes id, subnet, interface, pools'),
    ([subnet(pools=[{'pool': 'fd00:20::1 - fd00:20::9'}])],
     "kea_dhcp6_subnets[0].pools[0].pool 'fd00:20::1 - fd00:20::9' is not inside the subnet fd00:10::/64"),
    ([subnet(pools=[{'pool': 'fd00:10::9 - fd00:10::1'}])], 'kea_dhcp6_subnets[0].pools[0] must be {pool: "fd00:10::1000 - fd00:10::1fff"}'),
    ([subnet(pools=[{'pool': '10.0.0.1 - 10.0.0.9'}])], 'kea_dhcp6_subnets[0].pools[0] must be'),
    ([subnet(pools=[{'pool': 'fd00:10::1 - fd00:10::9', 'x': 1}])], 'kea_dhcp6_subnets[0].pools[0] must be'),
    ([subnet(pools=[{'pool': 'fd00:10::1 - fd00:10::9'}, {'pool': 'fd00:10::5 - fd00:10::f'}])],
     "kea_dhcp6_subnets[0].pools[1].pool 'fd00:10::5 - fd00:10::f' overlaps another pool of the subnet"),
    ([subnet(pools=[{'pool': 'fd00:10::1 - fd00:10::9'}])],
     "kea_dhcp6_subnets[0].pools[0].pool 'fd00:10::1 - fd00:10::9' holds the address of this server"),
    ([subnet(reservations=[{'hw-address': '52:54:00:00:00:01', 'ip-addresses': ['fd00:20::5']}])],
     "kea_dhcp6_subnets[0].reservations[0].ip-addresses 'fd00:20::5' is outside the subnet fd00:10::/64"),
    ([subnet(reservations=[{'hw-address': '52:54:00:00:00:01', 'ip-addresses': ['fd00:10::1005']}])],
     "kea_dhcp6_subnets[0].reservations[0].ip-addresses 'fd00:10::1005' is inside the dynamic pool"),
    ([subnet(reservations=[{'hw-address': '52:54:00:00:00:01', 'ip-addresses': ['fd00:10::2']}])],
     "kea_dhcp6_subnets[0].reservations[0].ip-addresses 'fd00:10::2' is the address of this server"),
    ([subnet(reservations=[{'hw-address': '52:54:00:00:00:01', 'ip-addresses': ['fe80::5']}])],
     "kea_dhcp6_subnets[0].reservations[0].ip-addresses holds 'fe80::5', which is not a global or unique local IPv6 address"),
    ([subnet(reservations=[{'hw-address': '52:54:00:00:00:01', 'ip-addresses': ['fd00:10::5%eth1']}])],
     "holds 'fd00:10::5%eth1', which is not a global or unique local IPv6 address"),
    ([subnet(reservations=[{'hw-address': '52:54:00:00:00:01', 'ip-addresses': []}])],
     'kea_dhcp6_subnets[0].reservations[0].ip-addresses must be a non-empty list of IPv6 addresses, got []'),
    ([subnet(reservations=[{'ip-addresses': ['fd00:10::5']}])],
     'kea_dhcp6_subnets[0].reservations[0] needs exactly one of hw-address (the MAC) or duid'),
    ([subnet(reservations=[{'hw-address': '52:54:00:00:00:01', 'duid': '00:01:02', 'ip-addresses': ['fd00:10::5']}])],
     'needs exactly one of hw-address (the MAC) or duid'),
    ([subnet(reservations=[{'hw-address': '52:54:00:00:00:0g', 'ip-addresses': ['fd00:10::5']}])],
     "kea_dhcp6_subnets[0].reservations[0].hw-address must be a MAC address like 52:54:00:12:34:56, got '52:54:00:00:00:0g'"),
    ([subnet(reservations=[{'duid': '00:01', 'ip-addresses': ['fd00:10::5']}])],
     "kea_dhcp6_subnets[0].reservations[0].duid must be a DUID in colon-separated hex"),
    ([subnet(reservations=[{'hw-address': '52:54:00:00:00:01', 'ip-addresses': ['fd00:10::5'], 'ip-address': 'x'}])],
     'kea_dhcp6_subnets[0].reservations[0] has unknown key(s) ip-address; a reservation takes hw-address, duid, ip-addresses'),
    ([subnet(reservations=[{'hw-address': '52:54:00:00:00:01', 'ip-addresses': ['fd00:10::5']},
                           {'hw-address': '52-54-00-00-00-01', 'ip-addresses': ['fd00:10::6']}])],
     "kea_dhcp6_subnets[0].reservations[1].hw-address '52-54-00-00-00-01' is already reserved by kea_dhcp6_subnets[0].reservations[0]"),
    ([subnet(reservations=[{'hw-address': '52:54:00:00:00:01', 'ip-addresses': ['fd00:10::5']},
                           {'hw-address': '52:54:00:00:00:02', 'ip-addresses': ['fd00:10:0::0005']}])],
     "kea_dhcp6_subnets[0].reservations[1].ip-addresses 'fd00:10:0::0005' is already reserved by kea_dhcp6_subnets[0].reservations[0]"),
    ([subnet(reservations=[{'hw-address': '52:54:00:00:00:01', 'ip-addresses': ['fd00:10::5'],
                            'option-data': [{'name': 'dns-servers', 'data': 'fd00:10::2'}]}])],
     "kea_dhcp6_subnets[0].reservations[0].option-data[0] must be {name: bootfile-url, data: <a tftp or http(s) URL without "
     "commas>}, got {'name': 'dns-servers', 'data': 'fd00:10::2'}"),
    ([subnet(reservations=[{'hw-address': '52:54:00:00:00:01', 'ip-addresses': ['fd00:10::5'],
                            'option-data': [{'name': 'bootfile-url', 'data': 'tftp://[fd00:10::2]/a,b'}]}])],
     'kea_dhcp6_subnets[0].reservations[0].option-data[0] must be {name: bootfile-url'),
    ([subnet(reservations=[{'hw-address': '52:54:00:00:00:01', 'ip-addresses': ['fd00:10::5'],
                            'option-data': [{'name': 'bootfile-url', 'data': 'tftp://[fd00:10::2]/a\nb'}]}])],
     'kea_dhcp6_subnets[0].reservations[0].option-data[0] must be {name: bootfile-url'),
    ([subnet(reservations=[{'hw-address': '52:54:00:00:00:01', 'ip-addresses': ['fd00:10::5'],
                            'option-data': {'name': 'bootfile-url'}}])],
     "kea_dhcp6_subnets[0].reservations[0].option-data must be a list, got {'name': 'bootfile-url'}"),
], ids=lambda value: None if not isinstance(value, str) else value[:40])
def test_problems_name_the_field_and_the_value(subnets, message):
    problems = subnet6_problems(subnets, 'kea_dhcp6_subnets', SERVER)
    assert any(message in problem for problem in problems), problems


@pytest.mark.parametrize('text, expected', [
    ('fd00:10::1000 - fd00:10::1fff', ('fd00:10::1000', 'fd00:10::1fff')),
    ('fd00:10::1000-fd00:10::1fff', ('fd00:10::1000', 'fd00:10::1fff')),
    ('fd00:10::/120', ('fd00:10::', 'fd00:10::ff')),
])
def test_pools(text, expected):
    assert tuple(map(str, parse_pool6(text))) == expected


@pytest.mark.parametrize('text', ['fd00:10::1 - fd00:10::1 - fd00:10::2', 'fd00:10::9 - fd00:10::1', 'fd00:10::1/120',
                                  '10.0.0.1 - 10.0.0.2', None, 'fd00:10::1%eth0 - fd00:10::2'])
def test_bad_pools(text):
    with pytest.raises(ValueError):
        parse_pool6(text)
