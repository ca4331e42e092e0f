# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import re

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._lab_network import LabNetworkError, lab_network, relayed_networks


def facts(**interfaces):
    result = {'interfaces': list(interfaces), 'default_ipv4': {'interface': 'eth0', 'gateway': '172.17.0.1'}}
    for name, (address, netmask) in interfaces.items():
        result[name] = {'ipv4': {'address': address, 'netmask': netmask}}
    return result


LAB = facts(eth0=('172.17.0.5', '255.255.0.0'), eth1=('10.0.0.2', '255.255.255.0'), lo=('127.0.0.1', '255.0.0.0'))


@pytest.mark.parametrize('kwargs, expected', [
    ({'interface': 'eth1'},
     {'interface': 'eth1', 'address': '10.0.0.2', 'subnet': '10.0.0.0/24', 'prefix': 24,
      'pool': '10.0.0.128 - 10.0.0.254', 'router': None}),
    ({'address': '10.0.0.2'},
     {'interface': 'eth1', 'address': '10.0.0.2', 'subnet': '10.0.0.0/24', 'prefix': 24,
      'pool': '10.0.0.128 - 10.0.0.254', 'router': None}),
    ({'interface': 'eth1', 'pool': '10.0.0.50-10.0.0.60'},
     {'interface': 'eth1', 'address': '10.0.0.2', 'subnet': '10.0.0.0/24', 'prefix': 24,
      'pool': '10.0.0.50 - 10.0.0.60', 'router': None}),
    ({'interface': 'eth1', 'subnet': '10.0.0.0/25'},
     {'interface': 'eth1', 'address': '10.0.0.2', 'subnet': '10.0.0.0/25', 'prefix': 25,
      'pool': '10.0.0.64 - 10.0.0.126', 'router': None}),
    ({'interface': 'eth0'},
     {'interface': 'eth0', 'address': '172.17.0.5', 'subnet': '172.17.0.0/16', 'prefix': 16,
      'pool': '172.17.128.0 - 172.17.255.254', 'router': '172.17.0.1'}),
])
def test_derives_the_served_network(kwargs, expected):
    assert lab_network(LAB, **kwargs) == expected


def test_pool_moves_below_a_server_in_the_upper_half():
    result = lab_network(facts(eth1=('10.0.0.200', '255.255.255.0')), interface='eth1')
    assert result['pool'] == '10.0.0.2 - 10.0.0.127'


def test_secondary_address_chooses_the_interface():
    data = facts(eth1=('10.0.0.2', '255.255.255.0'))
    data['eth1']['ipv4_secondaries'] = [{'address': '192.168.5.1', 'netmask': '255.255.255.0'}]
    assert lab_network(data, address='192.168.5.1')['subnet'] == '192.168.5.0/24'


@pytest.mark.parametrize('kwargs, message', [
    ({}, 'set netboot_interface'),
    ({'interface': 'eth9'}, "netboot_interface 'eth9' does not exist on this host"),
    ({'interface': 'eth1', 'address': '10.0.0.3'}, "netboot_server_address '10.0.0.3' is not an address of 'eth1'"),
    ({'address': '192.0.2.1'}, "netboot_server_address '192.0.2.1' is not an address of any interface"),
    ({'interface': 'eth1', 'subnet': '10.1.0.0/24'}, "netboot_subnet '10.1.0.0/24' does not contain"),
    ({'interface': 'eth1', 'subnet': 'ten'}, "netboot_subnet must be an IPv4 network in CIDR form, got 'ten'"),
    ({'interface': 'eth1', 'pool': '10.0.0.1 - 10.0.0.9'}, 'contains the server address 10.0.0.2'),
    ({'interface': 'eth1', 'pool': '10.0.0.90 - 10.0.0.80'}, "netboot_pool '10.0.0.90 - 10.0.0.80' must be an ascending range"),
    ({'interface': 'eth1', 'pool': '10.0.1.5 - 10.0.1.9'}, 'inside the subnet 10.0.0.0/24'),
    ({'interface': 'eth1', 'pool': 'many'}, "netboot_pool must look like \"10.0.0.100 - 10.0.0.199\", got 'many'"),
])
def test_bad_settings_name_the_variable_and_value(kwargs, message):
    with pytest.raises(LabNetworkError) as error:
        lab_network(LAB, **kwargs)
    assert message in str(error.value)


def test_interface_without_ipv4_is_refused():
    data = {'interfaces': ['eth1'], 'eth1': {'ipv4': {}}}
    with pytest.raises(LabNetworkError, match="'eth1' has no IPv4 address"):
        lab_network(data, interface='eth1')


@pytest.mark.parametrize('entries, expected', [
    ([{'subnet': '10.1.0.0/24', 'routers': ['10.1.0.1']}],
     [{'id': 2, 'subnet': '10.1.0.0/24', 'pool': '10.1.0.128 - 10.1.0.254', 'routers': ['10.1.0.1'],
       'dns_servers': None, 'reservations': []}]),
    ([{'subnet': '10.1.0.0/24', 'routers': ['10.1.0.254'], 'dns_servers': ['192.0.2.53']}],
     [{'id': 2, 'subnet': '10.1.0.0/24', 'pool': '10.1.0.2 - 10.1.0.127', 'routers': ['10.1.0.254'],
       'dns_servers': ['192.0.2.53'], 'reservations': []}]),
    ([{'subnet': '10.1.0.0/24', 'routers': ['10.1.0.1'], 'pool': '10.1.0.10-10.1.0.20', 'id': 9},
      {'subnet': '10.2.0.0/25', 'routers': ['10.2.0.1']}],
     [{'id': 9, 'subnet': '10.1.0.0/24', 'pool': '10.1.0.10 - 10.1.0.20', 'routers': ['10.1.0.1'],
       'dns_servers': None, 'reservations': []},
      {'id': 3, 'subnet': '10.2.0.0/25', 'pool': '10.2.0.64 - 10.2.0.126', 'routers': ['10.2.0.1'],
       'dns_servers': None, 'reservations': []}]),
    ([], []),
])
def test_relayed_networks_are_completed(entries, expected):
    assert relayed_networks(entries) == expected


def test_each_relayed_network_takes_the_reservations_it_holds():
    hosts = [{'hw-address': '52:54:00:00:00:01', 'ip-address': '10.1.0.10'},
             {'hw-address': '52:54:00:00:00:02', 'ip-address': '10.2.0.10'},
             {'hw-address': '52:54:00:00:00:03', 'ip-address': '10.0.0.10'},
             {'hw-address': '52:54:00:00:00:04', 'ip-address': '10.1.0.300'},
             'not a reservation']
    result = relayed_networks([{'subnet': '10.1.0.0/24', 'routers': ['10.1.0.1']},
                               {'subnet': '10.2.0.0/24', 'routers': ['10.2.0.1']}], reservations=hosts)
    assert [net['reservations'] for net in result] == [[hosts[0]], [hosts[1]]]


@pytest.mark.parametrize('entries, message', [
    ('10.1.0.0/24', "netboot_relayed_subnets must be a list of subnets, got '10.1.0.0/24'"),
    (['10.1.0.0/24'], "netboot_relayed_subnets[0] must be a dict with subnet and routers, got '10.1.0.0/24'"),
    ([{'subnet': '10.1.0.0/24', 'routers': ['10.1.0.1'], 'gateway': 'x'}],
     'netboot_relayed_subnets[0] has unknown keys gateway'),
    ([{'routers': ['10.1.0.1']}], 'netboot_relayed_subnets[0].subnet must be an IPv4 network in CIDR form, got None'),
    ([{'subnet': '10.1.0.5/24', 'routers': ['10.1.0.1']}],
     "netboot_relayed_subnets[0].subnet must be an IPv4 network in CIDR form, got '10.1.0.5/24'"),
    ([{'subnet': '10.1.0.0/24'}], 'netboot_relayed_subnets[0].routers must be a non-empty list of IPv4 addresses, got None'),
    ([{'subnet': '10.1.0.0/24', 'routers': '10.1.0.1'}],
     "netboot_relayed_subnets[0].routers must be a non-empty list of IPv4 addresses, got '10.1.0.1'"),
    ([{'subnet': '10.1.0.0/24', 'routers': ['10.9.0.1']}],
     "netboot_relayed_subnets[0].routers '10.9.0.1' is outside the subnet 10.1.0.0/24"),
    ([{'subnet': '10.1.0.0/24', 'routers': ['10.1.0.1'], 'dns_servers': ['ns1']}],
     "netboot_relayed_subnets[0].dns_servers must be a list of IPv4 addresses, got ['ns1']"),
    ([{'subnet': '10.1.0.0/24', 'routers': ['10.1.0.1'], 'pool': '10.2.0.1 - 10.2.0.9'}],
     "netboot_relayed_subnets[0].pool '10.2.0.1 - 10.2.0.9' must be an ascending range inside the subnet"),
    ([{'subnet': '10.1.0.0/24', 'routers': ['10.1.0.1'], 'pool': '10.1.0.1 - 10.1.0.9'}],
     "netboot_relayed_subnets[0].pool '10.1.0.1 - 10.1.0.9' contains the router 10.1.0.1"),
    ([{'subnet': '10.1.0.0/24', 'routers': ['10.1.0.1'], 'id': '2'}],
     "netboot_relayed_subnets[0].id must be a positive integer, got '2'"),
    ([{'subnet': '10.1.0.0/24', 'routers': ['10.1.0.1'], 'id': 0}],
     'netboot_relayed_subnets[0].id must be a positive integer, got 0'),
])
def test_relayed_networks_refuse_bad_entries(entries, message):
    with pytest.raises(LabNetworkError, match=re.escape(message)):
        relayed_networks(entries)
