# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._kea.ha import (
    MODES,
    ha_peers,
    ha_peers_from_hosts,
    ha_problems,
    parse_url,
    peer_addresses,
    pool_problems,
    pool_signature,
    shared_pools,
)
from ansible_collections.netboot.pxe.plugins.module_utils._kea.variables import KeaConfigError

from changes import changed_copy

HOSTS = [
    {'name': 'kea1', 'url': 'http://10.0.0.2:8000/'},
    {'name': 'kea2', 'url': 'http://10.0.0.3:8000/'},
    {'name': 'kea3', 'url': 'https://kea3.lab.example:8443'},
]
GOOD = [
    {'name': 'kea1', 'url': 'http://10.0.0.2:8000/', 'role': 'primary', 'auto-failover': True},
    {'name': 'kea2', 'url': 'http://10.0.0.3:8000/', 'role': 'standby', 'auto-failover': False},
    {'name': 'kea3', 'url': 'https://kea3.lab.example:8443', 'role': 'backup'},
]


def with_change(path, value, peers=None):
    return changed_copy(GOOD if peers is None else peers, path, value)


@pytest.mark.parametrize('mode, count, roles', [
    ('hot-standby', 2, ['primary', 'standby']),
    ('hot-standby', 3, ['primary', 'standby', 'backup']),
    ('load-balancing', 2, ['primary', 'secondary']),
    ('load-balancing', 3, ['primary', 'secondary', 'backup']),
])
def test_roles_follow_the_inventory_order(mode, count, roles):
    peers = ha_peers(HOSTS[:count], mode)
    assert [peer['role'] for peer in peers] == roles
    assert peers[0] == {'name': 'kea1', 'url': 'http://10.0.0.2:8000/', 'role': 'primary', 'auto-failover': True}
    assert [peer['name'] for peer in peers] == [host['name'] for host in HOSTS[:count]]
    assert all(peer['auto-failover'] is True for peer in peers)


@pytest.mark.parametrize('mode', MODES)
def test_built_peers_have_no_problem(mode):
    assert not ha_problems(ha_peers(HOSTS, mode), 'kea2', mode)


@pytest.mark.parametrize('hosts, mode, message', [
    (HOSTS, 'active-active',
     "kea_dhcp4_ha_mode must be one of hot-standby, load-balancing, got 'active-active' "
     "(building the peers of ha_servers)"),
    (HOSTS, None, 'kea_dhcp4_ha_mode must be one of hot-standby, load-balancing, got None'),
    (HOSTS[:1], 'hot-standby',
     "ha_servers must list at least 2 servers for Kea HA, got [{'name': 'kea1', 'url': 'http://10.0.0.2:8000/'}]"),
    ([], 'load-balancing', 'ha_servers must list at least 2 servers for Kea HA, got []'),
    ('kea1,kea2', 'hot-standby', "ha_servers must list at least 2 servers for Kea HA, got 'kea1,kea2'"),
    ([HOSTS[0], {'name': 'kea2'}], 'hot-standby',
     "ha_servers[1] must be a mapping with name and url, got {'name': 'kea2'}"),
    ([HOSTS[0], 'kea2'], 'hot-standby', "ha_servers[1] must be a mapping with name and url, got 'kea2'"),
])
def test_ha_peers_refuses(hosts, mode, message):
    with pytest.raises(ValueError) as info:
        ha_peers(hosts, mode, name='ha_servers')
    assert str(info.value).startswith(message), str(info.value)


def test_ha_peers_names_the_group_by_default():
    with pytest.raises(ValueError, match='^kea_dhcp4_ha_group must list at least 2 servers'):
        ha_peers(HOSTS[:1], 'hot-standby')


@pytest.mark.parametrize('value, expected', [
    ('http://10.0.0.2:8000/', ('http', '10.0.0.2', 8000)),
    ('http://10.0.0.2:8000', ('http', '10.0.0.2', 8000)),
    ('https://Kea1.Lab.example:443/', ('https', 'kea1.lab.example', 443)),
    ('http://kea1:65535/', ('http', 'kea1', 65535)),
    ('http://kea1.lab.example.:8000/', ('http', 'kea1.lab.example', 8000)),
])
def test_parse_url(value, expected):
    assert parse_url(value) == expected


@pytest.mark.parametrize('value', [
    'http://10.0.0.2/', 'http://10.0.0.2', 'http://10.0.0.2:/', 'http://10.0.0.2:0/', 'http://10.0.0.2:65536/',
    'http://10.0.0.2:8000/ha', 'http://10.0.0.2:8000//', 'http://10.0.0.2:8000/?x=1', 'http://10.0.0.2:8000/#x',
    'ftp://10.0.0.2:8000/', 'HTTP://10.0.0.2:8000/', '10.0.0.2:8000', 'http://user@10.0.0.2:8000/',
    'http://10.0.0.300:8000/', 'http://10.0.2:8000/', 'http://[::1]:8000/', 'http://kea_1:8000/',
    'http://-kea1:8000/', 'http://kea1..lab:8000/', 'http://' + 'a' * 64 + ':8000/', ' http://10.0.0.2:8000/',
    None, 8000,
])
def test_parse_url_refuses(value):
    with pytest.raises(ValueError):
        parse_url(value)


@pytest.mark.parametrize('peers, this, mode', [
    (GOOD, 'kea1', 'hot-standby'),
    (GOOD, 'kea3', 'hot-standby'),
    (GOOD[:2], 'kea2', 'hot-standby'),
    (with_change((1, 'role'), 'secondary'), 'kea1', 'load-balancing'),
    (with_change((0, 'auto-failover'), KeyError), 'kea1', 'hot-standby'),
    (with_change((2, 'role'), 'primary', with_change((0, 'role'), 'backup')), 'kea1', 'hot-standby'),
    (with_change((2, 'url'), 'https://KEA3.lab.example:8443/'), 'kea1', 'hot-standby'),
    (GOOD + [{'name': 'kea4', 'url': 'http://10.0.0.5:8000/', 'role': 'backup'}], 'kea4', 'hot-standby'),
])
def test_good_peers_have_no_problem(peers, this, mode):
    assert not ha_problems(peers, this, mode)


@pytest.mark.parametrize('peers, this, mode, messages', [
    (GOOD, 'kea1', 'active-active',
     ["kea_dhcp4_ha_mode must be one of hot-standby, load-balancing, got 'active-active'"]),
    ({'kea1': 'http://10.0.0.2:8000/'}, 'kea1', 'hot-standby',
     ["kea_dhcp4_ha_peers must be a list of peers, got {'kea1': 'http://10.0.0.2:8000/'}"]),
    ('kea1', 'kea1', 'bad', ["kea_dhcp4_ha_mode must be one of hot-standby, load-balancing, got 'bad'",
                             "kea_dhcp4_ha_peers must be a list of peers, got 'kea1'"]),
    (GOOD[:1], 'kea1', 'hot-standby',
     ["kea_dhcp4_ha_peers must list at least 2 peers for Kea HA, got [{'name': 'kea1'",
      "kea_dhcp4_ha_peers needs exactly one peer with role standby for kea_dhcp4_ha_mode 'hot-standby', "
      "got 0 in roles ['primary']"]),
    (GOOD[:2] + ['kea3'], 'kea1', 'hot-standby',
     ["kea_dhcp4_ha_peers[2] must be a mapping with name, url and role, got 'kea3'"]),
    (with_change((1, 'name'), KeyError), 'kea1', 'hot-standby',
     ['kea_dhcp4_ha_peers[1].name must be a non-empty string, got None']),
    (with_change((1, 'name'), ' '), 'kea1', 'hot-standby',
     ["kea_dhcp4_ha_peers[1].name must be a non-empty string, got ' '"]),
    (with_change((1, 'name'), 2), 'kea1', 'hot-standby',
     ['kea_dhcp4_ha_peers[1].name must be a non-empty string, got 2']),
    (with_change((2, 'name'), 'kea1'), 'kea1', 'hot-standby',
     ["kea_dhcp4_ha_peers[2].name 'kea1' is already the name of kea_dhcp4_ha_peers[0]"]),
    (with_change((1, 'url'), 'http://10.0.0.3/'), 'kea1', 'hot-standby',
     ['kea_dhcp4_ha_peers[1].url must look like http://10.0.0.2:8000/ (IPv4 address or DNS name, '
      "port required, no path), got 'http://10.0.0.3/'"]),
    (with_change((1, 'url'), 'http://10.0.0.3:8000/ha-api'), 'kea1', 'hot-standby',
     ["kea_dhcp4_ha_peers[1].url must look like http://10.0.0.2:8000/ (IPv4 address or DNS name, "
      "port required, no path), got 'http://10.0.0.3:8000/ha-api'"]),
    (with_change((1, 'url'), KeyError), 'kea1', 'hot-standby',
     ['kea_dhcp4_ha_peers[1].url must look like http://10.0.0.2:8000/ (IPv4 address or DNS name, '
      'port required, no path), got None']),
    (with_change((1, 'url'), 'http://10.0.0.2:8000'), 'kea1', 'hot-standby',
     ["kea_dhcp4_ha_peers[1].url 'http://10.0.0.2:8000' points to the same host and port as "
      "kea_dhcp4_ha_peers[0].url 'http://10.0.0.2:8000/'"]),
    (with_change((1, 'url'), 'https://KEA3.Lab.example:8443/'), 'kea1', 'hot-standby',
     ["kea_dhcp4_ha_peers[2].url 'https://kea3.lab.example:8443' points to the same host and port as "
      "kea_dhcp4_ha_peers[1].url 'https://KEA3.Lab.example:8443/'"]),
    (with_change((2, 'role'), 'master'), 'kea1', 'hot-standby',
     ["kea_dhcp4_ha_peers[2].role must be one of primary, secondary, standby, backup, got 'master'"]),
    (with_change((2, 'role'), KeyError), 'kea1', 'hot-standby',
     ['kea_dhcp4_ha_peers[2].role must be one of primary, secondary, standby, backup, got None']),
    (with_change((2, 'role'), 'primary'), 'kea1', 'hot-standby',
     ["kea_dhcp4_ha_peers needs exactly one peer with role primary for kea_dhcp4_ha_mode 'hot-standby', "
      "got 2 in roles ['primary', 'standby', 'primary']"]),
    (with_change((2, 'role'), 'standby'), 'kea1', 'hot-standby',
     ["kea_dhcp4_ha_peers needs exactly one peer with role standby for kea_dhcp4_ha_mode 'hot-standby', "
      "got 2 in roles ['primary', 'standby', 'standby']"]),
    (with_change((2, 'role'), 'secondary'), 'kea1', 'hot-standby',
     ["kea_dhcp4_ha_peers[2].role 'secondary' does not fit kea_dhcp4_ha_mode 'hot-standby', "
      'which takes primary, standby and backup']),
    (with_change((1, 'role'), 'secondary'), 'kea1', 'hot-standby',
     ["kea_dhcp4_ha_peers needs exactly one peer with role standby for kea_dhcp4_ha_mode 'hot-standby', "
      "got 0 in roles ['primary', 'secondary', 'backup']",
      "kea_dhcp4_ha_peers[1].role 'secondary' does not fit kea_dhcp4_ha_mode 'hot-standby'"]),
    (GOOD, 'kea1', 'load-balancing',
     ["kea_dhcp4_ha_peers needs exactly one peer with role secondary for kea_dhcp4_ha_mode 'load-balancing', "
      "got 0 in roles ['primary', 'standby', 'backup']",
      "kea_dhcp4_ha_peers[1].role 'standby' does not fit kea_dhcp4_ha_mode 'load-balancing', "
      'which takes primary, secondary and backup']),
    (with_change((2, 'role'), 'standby', with_change((1, 'role'), 'secondary')), 'kea1', 'load-balancing',
     ["kea_dhcp4_ha_peers[2].role 'standby' does not fit kea_dhcp4_ha_mode 'load-balancing'"]),
    (with_change((2, 'role'), 'secondary', with_change((1, 'role'), 'secondary')), 'kea1', 'load-balancing',
     ["kea_dhcp4_ha_peers needs exactly one peer with role secondary for kea_dhcp4_ha_mode 'load-balancing', "
      "got 2 in roles ['primary', 'secondary', 'secondary']"]),
    (with_change((0, 'role'), 'backup', with_change((1, 'role'), 'secondary')), 'kea1', 'load-balancing',
     ["kea_dhcp4_ha_peers needs exactly one peer with role primary for kea_dhcp4_ha_mode 'load-balancing', "
      "got 0 in roles ['backup', 'secondary', 'backup']"]),
    (with_change((0, 'auto-failover'), 'yes'), 'kea1', 'hot-standby',
     ["kea_dhcp4_ha_peers[0].auto-failover must be true or false, got 'yes'"]),
    (with_change((0, 'auto-failover'), 1), 'kea1', 'hot-standby',
     ['kea_dhcp4_ha_peers[0].auto-failover must be true or false, got 1']),
    (GOOD, 'kea9', 'hot-standby',
     ["kea_dhcp4_ha_this_server_name 'kea9' is not the name of a peer in kea_dhcp4_ha_peers, "
      "whose names are ['kea1', 'kea2', 'kea3']"]),
    (GOOD, None, 'hot-standby', ['kea_dhcp4_ha_this_server_name None is not the name of a peer']),
    (GOOD, ['kea1'], 'hot-standby', ["kea_dhcp4_ha_this_server_name ['kea1'] is not the name of a peer"]),
    (GOOD, 'KEA1', 'hot-standby', ["kea_dhcp4_ha_this_server_name 'KEA1' is not the name of a peer"]),
])
def test_each_mistake_is_named(peers, this, mode, messages):
    problems = ha_problems(peers, this, mode)
    assert len(problems) == len(messages), problems
    for problem, message in zip(problems, messages):
        assert problem.startswith(message), problem


def test_messages_name_the_variable():
    problems = ha_problems(with_change((1, 'role'), 'master'), 'kea1', 'hot-standby', name='ha_peers')
    assert problems[0].startswith("ha_peers[1].role must be one of primary, secondary, standby, backup, "
                                  "got 'master'"), problems
    assert all(problem.startswith('ha_peers') for problem in problems), problems


def test_every_problem_is_reported_at_once():
    peers = with_change((1, 'url'), 'http://10.0.0.3/', with_change((2, 'name'), ''))
    peers[0]['auto-failover'] = 'no'
    assert len(ha_problems(peers, 'kea9', 'hot-standby')) == 4


@pytest.mark.parametrize('peers, expected', [
    (GOOD, ['10.0.0.2', '10.0.0.3', 'kea3.lab.example']),
    ([{'url': 'http://10.0.0.10:8000/'}, {'url': 'http://10.0.0.9:8000/'}, {'url': 'http://10.0.0.10:8001/'},
      {'url': 'https://B.lab:8000'}, {'url': 'http://a.lab:8000/'}, {'url': 'http://b.lab:8000/'}],
     ['10.0.0.9', '10.0.0.10', 'a.lab', 'b.lab']),
    ([], []),
])
def test_peer_addresses(peers, expected):
    assert peer_addresses(peers) == expected


@pytest.mark.parametrize('peers, expected', [
    (GOOD, ['kea3.lab.example']),
    ([{'url': 'http://10.0.0.10:8000/'}, {'url': 'http://10.0.0.9:8000/'}], []),
    ([{'url': 'https://B.lab:8000'}, {'url': 'http://10.0.0.9:8000/'}, {'url': 'http://a.lab:8000/'}], ['a.lab', 'b.lab']),
])
def test_the_firewall_cannot_name_the_dns_names(peers, expected):
    assert peer_addresses(peers, names_only=True) == expected


@pytest.mark.parametrize('peers, message', [
    (with_change((1, 'url'), 'http://10.0.0.3/'),
     "peers[1].url must look like http://10.0.0.2:8000/ (IPv4 address or DNS name, port required, no path), "
     "got 'http://10.0.0.3/'"),
    (['kea1'], 'peers[0].url must look like'),
    ('http://10.0.0.2:8000/', "peers must be a list of peers, got 'http://10.0.0.2:8000/'"),
])
def test_peer_addresses_refuses(peers, message):
    with pytest.raises(ValueError) as info:
        peer_addresses(peers)
    assert str(info.value).startswith(message), str(info.value)


SUBNETS = [
    {'id': 1, 'subnet': '10.0.0.0/24', 'pools': [{'pool': '10.0.0.100 - 10.0.0.199'}],
     'option-data': [{'name': 'routers', 'data': '10.0.0.1'}],
     'reservations': [{'hw-address': '52:54:00:00:00:01', 'ip-address': '10.0.0.10'}]},
    {'id': 2, 'subnet': '10.0.1.0/24', 'pools': [{'pool': '10.0.1.128 - 10.0.1.254'}, {'pool': '10.0.1.20 - 10.0.1.29'}]},
]
SUBNETS_SIGNATURE = '1 10.0.0.0/24 (10.0.0.100 - 10.0.0.199), 2 10.0.1.0/24 (10.0.1.128 - 10.0.1.254, 10.0.1.20 - 10.0.1.29)'


@pytest.mark.parametrize('subnets, signature', [
    ([], ''),
    ([{'id': 1, 'subnet': '10.0.0.0/24'}], '1 10.0.0.0/24 ()'),
    ([{'id': 1, 'subnet': '10.0.0.0/24', 'pools': []}], '1 10.0.0.0/24 ()'),
    (SUBNETS, '1 10.0.0.0/24 (10.0.0.100 - 10.0.0.199), 2 10.0.1.0/24 (10.0.1.128 - 10.0.1.254, 10.0.1.20 - 10.0.1.29)'),
    ([{'id': 1, 'subnet': '10.0.0.0/24', 'pools': [{'pool': '10.0.0.100 - 10.0.0.199'}]}, {'id': 2, 'subnet': '10.0.1.0/24'}],
     '1 10.0.0.0/24 (10.0.0.100 - 10.0.0.199), 2 10.0.1.0/24 ()'),
    ([{'id': '7', 'subnet': '10.0.7.0/24', 'pools': [{'pool': '10.0.7.0/25', 'option-data': []}]}], '7 10.0.7.0/24 (10.0.7.0/25)'),
])
def test_pool_signature(subnets, signature):
    assert pool_signature(subnets) == signature


@pytest.mark.parametrize('subnets, message', [
    ({'id': 1}, "kea_dhcp4_subnets must be a list of subnets, got {'id': 1}"),
    ([{'subnet': '10.0.0.0/24'}], "kea_dhcp4_subnets[0] must be a mapping with id and subnet, got {'subnet': '10.0.0.0/24'}"),
    ([{'id': 1, 'subnet': '10.0.0.0/24', 'pools': None}], 'kea_dhcp4_subnets[0].pools must be a list of mappings with pool, got None'),
    ([{'id': 1, 'subnet': '10.0.0.0/24', 'pools': ['10.0.0.9 - 10.0.0.10']}],
     "kea_dhcp4_subnets[0].pools must be a list of mappings with pool, got ['10.0.0.9 - 10.0.0.10']"),
])
def test_pool_signature_errors(subnets, message):
    with pytest.raises(KeaConfigError) as error:
        pool_signature(subnets)
    assert str(error.value) == message


SIGNATURE = '1 10.0.0.0/24 (10.0.0.100 - 10.0.0.199), 2 10.0.1.0/24 ()'
OTHER = '1 10.0.0.0/24 (10.0.0.100 - 10.0.0.150), 2 10.0.1.0/24 ()'


@pytest.mark.parametrize('signatures, kwargs, problems', [
    ({}, {}, []),
    ({'kea1': SIGNATURE}, {}, []),
    ({'kea1': SIGNATURE, 'kea2': SIGNATURE}, {}, []),
    ({'kea1': '', 'kea2': None}, {}, []),
    ({'kea1': SIGNATURE, 'kea2': OTHER}, {},
     ['kea_dhcp4_subnets must have the same ids, subnets and pools on every HA peer, got: '
      'kea1: 1 10.0.0.0/24 (10.0.0.100 - 10.0.0.199), 2 10.0.1.0/24 (); kea2: 1 10.0.0.0/24 (10.0.0.100 - 10.0.0.150), 2 10.0.1.0/24 ()']),
    ({'kea2': SIGNATURE, 'kea1': SIGNATURE, 'kea3': None}, {'name': 'subnets'},
     ['subnets must have the same ids, subnets and pools on every HA peer, got: '
      'kea2: 1 10.0.0.0/24 (10.0.0.100 - 10.0.0.199), 2 10.0.1.0/24 (); kea1: 1 10.0.0.0/24 (10.0.0.100 - 10.0.0.199), '
      '2 10.0.1.0/24 (); kea3: ']),
])
def test_pool_problems(signatures, kwargs, problems):
    assert pool_problems(signatures, **kwargs) == problems


def test_pool_problems_wants_a_mapping():
    with pytest.raises(KeaConfigError, match=r"^signatures must be a mapping of host to pool signature, got \['kea1'\]$"):
        pool_problems(['kea1'])


URLS = ['http://10.0.0.2:8000/', 'http://10.0.0.3:8000/', 'http://10.0.0.4:8000/']


@pytest.mark.parametrize('names, urls, mode, roles', [
    (['kea1', 'kea2'], URLS[:2], 'hot-standby', ['primary', 'standby']),
    (['kea1', 'kea2'], URLS[:2], 'load-balancing', ['primary', 'secondary']),
    (['kea1', 'kea2', 'kea3'], URLS, 'hot-standby', ['primary', 'standby', 'backup']),
    (('kea2', 'kea1'), tuple(URLS[:2]), 'load-balancing', ['primary', 'secondary']),
])
def test_ha_peers_from_hosts(names, urls, mode, roles):
    peers = ha_peers_from_hosts(names, urls, mode)
    assert peers == [{'name': name, 'url': url, 'role': role, 'auto-failover': True} for name, url, role in zip(names, urls, roles)]


def test_ha_peers_from_hosts_are_the_peers_of_the_role():
    assert ha_peers_from_hosts(['kea1', 'kea2'], URLS[:2], 'hot-standby', name='kea_dhcp4_ha_group netboot_servers') == [
        {'name': 'kea1', 'url': 'http://10.0.0.2:8000/', 'role': 'primary', 'auto-failover': True},
        {'name': 'kea2', 'url': 'http://10.0.0.3:8000/', 'role': 'standby', 'auto-failover': True},
    ]


@pytest.mark.parametrize('names, urls, mode, message', [
    (['kea1', 'kea2'], URLS, 'hot-standby',
     f"kea_dhcp4_ha_group: 2 peer name(s) ['kea1', 'kea2'] but 3 URL(s) {URLS!r}"),
    ('kea1', URLS[:1], 'hot-standby', "kea_dhcp4_ha_group: the peer names and URLs must be lists, got 'kea1' and ['http://10.0.0.2:8000/']"),
    (['kea1'], URLS[:1], 'hot-standby',
     "kea_dhcp4_ha_group must list at least 2 servers for Kea HA, got [{'name': 'kea1', 'url': 'http://10.0.0.2:8000/'}]"),
    (['kea1', 'kea2'], URLS[:2], 'active-active',
     "kea_dhcp4_ha_mode must be one of hot-standby, load-balancing, got 'active-active' (building the peers of kea_dhcp4_ha_group)"),
])
def test_ha_peers_from_hosts_errors(names, urls, mode, message):
    with pytest.raises(KeaConfigError) as error:
        ha_peers_from_hosts(names, urls, mode)
    assert str(error.value) == message


@pytest.mark.parametrize('subnets_of_peers, kwargs, signature', [
    ({}, {}, ''),
    ({'kea1': SUBNETS}, {}, SUBNETS_SIGNATURE),
    ({'kea1': SUBNETS, 'kea2': SUBNETS}, {}, SUBNETS_SIGNATURE),
    ({'kea1': [], 'kea2': None}, {}, ''),
    ({'kea1': None}, {'name': 'subnets'}, ''),
])
def test_shared_pools(subnets_of_peers, kwargs, signature):
    assert shared_pools(subnets_of_peers, **kwargs) == signature


@pytest.mark.parametrize('subnets_of_peers, kwargs, message', [
    ({'kea1': SUBNETS, 'kea2': SUBNETS[:1]}, {},
     'kea_dhcp4_subnets must have the same ids, subnets and pools on every HA peer, got: '
     f'kea1: {SUBNETS_SIGNATURE}; kea2: 1 10.0.0.0/24 (10.0.0.100 - 10.0.0.199)'),
    ({'kea1': SUBNETS, 'kea2': None}, {'name': 'subnets'},
     f'subnets must have the same ids, subnets and pools on every HA peer, got: kea1: {SUBNETS_SIGNATURE}; kea2: '),
    ({'kea1': SUBNETS, 'kea2': [{'id': 1}]}, {}, "kea2: kea_dhcp4_subnets[0] must be a mapping with id and subnet, got {'id': 1}"),
    ({'kea1': {'id': 1}}, {'name': 'subnets'}, "kea1: subnets must be a list of subnets, got {'id': 1}"),
    (['kea1'], {}, "kea_dhcp4_subnets of the HA peers must be a mapping of host name to subnets, got ['kea1']"),
])
def test_shared_pools_refuses(subnets_of_peers, kwargs, message):
    with pytest.raises(KeaConfigError) as error:
        shared_pools(subnets_of_peers, **kwargs)
    assert str(error.value) == message
