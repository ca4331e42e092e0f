# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._dhcp.subnets import (
    reservation_problems,
    subnet_problems,
)

from changes import changed_copy

GOOD = [
    {'id': 1, 'subnet': '10.0.0.0/24', 'pools': [{'pool': '10.0.0.100 - 10.0.0.199'}],
     'reservations': [{'hw-address': '52:54:00:00:00:01', 'ip-address': '10.0.0.10'},
                      {'hw-address': '52-54-00-00-00-02', 'ip-address': '10.0.0.11', 'hostname': 'b'}]},
    {'id': 2, 'subnet': '10.0.1.0/24', 'pools': [{'pool': '10.0.1.128/26'}]},
]


def with_change(path, value):
    return changed_copy(GOOD, path, value)


def test_good_subnets_have_no_problem():
    assert not subnet_problems(GOOD, name='kea_dhcp4_subnets')


@pytest.mark.parametrize('path, value, message', [
    ((0, 'id'), KeyError, "kea_dhcp4_subnets[0].id must be a positive integer, got None"),
    ((0, 'id'), '1', "kea_dhcp4_subnets[0].id must be a positive integer, got '1'"),
    ((1, 'id'), 1, 'kea_dhcp4_subnets[1].id 1 is already the id of kea_dhcp4_subnets[0]'),
    ((1, 'subnet'), '10.0.1.5/24', "kea_dhcp4_subnets[1].subnet must be an IPv4 network in CIDR form"),
    ((1, 'subnet'), '10.0.0.0/23',
     "kea_dhcp4_subnets[1].subnet '10.0.0.0/23' overlaps kea_dhcp4_subnets[0].subnet '10.0.0.0/24'"),
    ((1, 'pools'), [{'pool': '10.0.2.1 - 10.0.2.9'}],
     "kea_dhcp4_subnets[1].pools[0].pool '10.0.2.1 - 10.0.2.9' is not inside the subnet 10.0.1.0/24"),
    ((0, 'pools'), [{'pool': '10.0.0.100 - 10.0.0.150'}, {'pool': '10.0.0.140 - 10.0.0.160'}],
     "kea_dhcp4_subnets[0].pools[1].pool '10.0.0.140 - 10.0.0.160' overlaps "
     "kea_dhcp4_subnets[0].pools[0].pool '10.0.0.100 - 10.0.0.150'"),
    ((0, 'pools'), [{'pool': '10.0.0.199 - 10.0.0.100'}], 'kea_dhcp4_subnets[0].pools[0].pool must look like'),
    ((0, 'pools'), 'oops', "kea_dhcp4_subnets[0].pools must be a list, got 'oops'"),
    ((0, 'reservations', 0, 'hw-address'), '52:54:00:00:00',
     "kea_dhcp4_subnets[0].reservations[0].hw-address must be a MAC address like 52:54:00:12:34:56, "
     "got '52:54:00:00:00'"),
    ((0, 'reservations', 1, 'hw-address'), '52:54:00:00:00:01',
     "kea_dhcp4_subnets[0].reservations[1].hw-address '52:54:00:00:00:01' is already reserved by "
     "kea_dhcp4_subnets[0].reservations[0]"),
    ((0, 'reservations', 1, 'ip-address'), '10.0.0.10',
     "kea_dhcp4_subnets[0].reservations[1].ip-address '10.0.0.10' is already reserved by "
     "kea_dhcp4_subnets[0].reservations[0]"),
    ((0, 'reservations', 1, 'ip-address'), '10.0.1.10',
     "kea_dhcp4_subnets[0].reservations[1].ip-address '10.0.1.10' is not a host address of the subnet 10.0.0.0/24"),
    ((0, 'reservations', 1, 'ip-address'), '10.0.0.255',
     "kea_dhcp4_subnets[0].reservations[1].ip-address '10.0.0.255' is not a host address"),
    ((0, 'reservations', 1, 'ip-address'), '10.0.0.150',
     "kea_dhcp4_subnets[0].reservations[1].ip-address '10.0.0.150' is inside the dynamic pool "
     "'10.0.0.100 - 10.0.0.199'"),
    ((0, 'reservations', 1, 'ip-address'), '10.0.0.1000',
     "kea_dhcp4_subnets[0].reservations[1].ip-address must be an IPv4 address, got '10.0.0.1000'"),
    ((0, 'reservations', 1, 'boot-file-name'), 'pxelinux.0',
     'kea_dhcp4_subnets[0].reservations[1] sets boot-file-name, which would override the PXE classes'),
    ((0, 'reservations', 1, 'hw-address'), KeyError,
     'kea_dhcp4_subnets[0].reservations[1] needs an identifier'),
    ((0, 'reservations'), 'x', "kea_dhcp4_subnets[0].reservations must be a list of reservations, got 'x'"),
])
def test_each_mistake_is_named(path, value, message):
    problems = subnet_problems(with_change(path, value), name='kea_dhcp4_subnets')
    assert len(problems) == 1, problems
    assert problems[0].startswith(message), problems[0]


def test_boot_file_in_reservation_allowed_without_pxe():
    subnets = with_change((0, 'reservations', 1, 'boot-file-name'), 'pxelinux.0')
    assert not subnet_problems(subnets, pxe=False)


def test_the_secure_boot_shim_is_the_one_boot_file_a_reservation_may_hand_out():
    # A Secure Boot machine never runs iPXE: the shim, then GRUB, is its whole chain.
    assert not subnet_problems(with_change((0, 'reservations', 1, 'boot-file-name'), 'shimx64.efi'))
    assert subnet_problems(with_change((0, 'reservations', 1, 'boot-file-name'), 'grubx64.efi'))


def test_every_problem_is_reported_at_once():
    subnets = with_change((0, 'reservations', 1), {'hw-address': 'zz', 'ip-address': '10.0.9.9'})
    subnets[1]['subnet'] = '10.0.0.0/23'
    assert len(subnet_problems(subnets)) == 3


@pytest.mark.parametrize('reservations, message', [
    ([{'hw-address': '52:54:00:00:00:01', 'ip-address': '10.0.0.120'}],
     "netboot_reservations[0].ip-address '10.0.0.120' is inside the dynamic pool '10.0.0.100 - 10.0.0.199'"),
    ([{'hw-address': '52:54:00:00:00:01'}, {'hw-address': '52:54:00:00:00:01'}],
     "netboot_reservations[1].hw-address '52:54:00:00:00:01' is already reserved by netboot_reservations[0]"),
    ([{'hw-address': '52:54:00:00:00:01', 'client-classes': ['x']}],
     'netboot_reservations[0] sets client-classes'),
    ('52:54:00:00:00:01', "netboot_reservations must be a list of reservations, got '52:54:00:00:00:01'"),
    (['52:54:00:00:00:01'], 'netboot_reservations[0] must be a mapping'),
    ([{'hw-address': '52:54:00:00:00:01', 'ip-adress': '10.0.0.20'}],
     'netboot_reservations[0] has unknown key(s) ip-adress; a reservation takes hw-address, client-id'),
    ([{'hw-address': '52:54:00:00:00:01', 'hostname': 'web1', 'Hostname': 'web2'}],
     'netboot_reservations[0] has unknown key(s) Hostname;'),
])
def test_reservations_of_one_subnet(reservations, message):
    problems = reservation_problems(reservations, '10.0.0.0/24', ['10.0.0.100 - 10.0.0.199'],
                                    name='netboot_reservations')
    assert len(problems) == 1, problems
    assert problems[0].startswith(message), problems[0]


RELAYED = [{'subnet': '10.1.0.0/24', 'pool': '10.1.0.128 - 10.1.0.254'}, {'subnet': '10.2.0.0/24', 'pools': []}]


@pytest.mark.parametrize('address, message', [
    ('10.0.0.10', None),
    ('10.1.0.10', None),
    ('10.2.0.200', None),
    ('10.1.0.200', "netboot_reservations[0].ip-address '10.1.0.200' is inside the dynamic pool '10.1.0.128 - 10.1.0.254'"),
    ('10.0.0.150', "netboot_reservations[0].ip-address '10.0.0.150' is inside the dynamic pool '10.0.0.100 - 10.0.0.199'"),
    ('10.3.0.10', "netboot_reservations[0].ip-address '10.3.0.10' is not a host address of the subnet "
                  "10.0.0.0/24 or 10.1.0.0/24 or 10.2.0.0/24"),
    ('10.1.0.255', "netboot_reservations[0].ip-address '10.1.0.255' is not a host address of the subnet"),
])
def test_reservations_may_be_in_other_subnets(address, message):
    problems = reservation_problems([{'hw-address': '52:54:00:00:00:01', 'ip-address': address}], '10.0.0.0/24',
                                    ['10.0.0.100 - 10.0.0.199'], name='netboot_reservations', other_subnets=RELAYED)
    if message is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problems[0].startswith(message), problems


SERVED = {'id': 1, 'subnet': '10.0.0.0/24', 'next-server': '10.0.0.2', 'pools': [{'pool': '10.0.0.100 - 10.0.0.199'}],
          'option-data': [{'name': 'routers', 'data': '10.0.0.1, 10.0.0.254'}],
          'reservations': [{'hw-address': '52:54:00:00:00:01', 'ip-address': '10.0.0.10'}]}


@pytest.mark.parametrize('path, value, message', [
    (('pools',), [{'pool': '10.0.0.200 - 10.0.0.255'}],
     "kea_dhcp4_subnets[0].pools[0].pool '10.0.0.200 - 10.0.0.255' holds the broadcast address 10.0.0.255"),
    (('pools',), [{'pool': '10.0.0.0 - 10.0.0.9'}],
     "kea_dhcp4_subnets[0].pools[0].pool '10.0.0.0 - 10.0.0.9' holds the network address 10.0.0.0"),
    (('pools',), [{'pool': '10.0.0.2 - 10.0.0.9'}],
     "kea_dhcp4_subnets[0].pools[0].pool '10.0.0.2 - 10.0.0.9' holds the boot server (next-server) 10.0.0.2"),
    (('pools',), [{'pool': '10.0.0.200 - 10.0.0.254'}],
     "kea_dhcp4_subnets[0].pools[0].pool '10.0.0.200 - 10.0.0.254' holds the router 10.0.0.254"),
    (('pools',), [{'pool': '10.0.0.0/25'}],
     "kea_dhcp4_subnets[0].pools[0].pool '10.0.0.0/25' holds the network address 10.0.0.0"),
    (('reservations', 0, 'ip-address'), '10.0.0.2',
     "kea_dhcp4_subnets[0].reservations[0].ip-address '10.0.0.2' is the boot server (next-server)"),
    (('reservations', 0, 'ip-address'), '10.0.0.1',
     "kea_dhcp4_subnets[0].reservations[0].ip-address '10.0.0.1' is the router"),
])
def test_no_client_gets_the_server_a_router_or_the_subnet_addresses(path, value, message):
    problems = subnet_problems(changed_copy([SERVED], (0, *path), value), name='kea_dhcp4_subnets')
    assert problems and problems[0].startswith(message), problems


def test_a_served_subnet_with_server_and_routers_outside_the_pool_passes():
    assert not subnet_problems([SERVED], name='kea_dhcp4_subnets')
