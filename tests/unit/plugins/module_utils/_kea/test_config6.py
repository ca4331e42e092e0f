# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pathlib

import pytest
import yaml

from ansible_collections.netboot.pxe.plugins.module_utils._kea.config6 import VARIABLES6, dhcp6_config, dhcp6_sockets
from ansible_collections.netboot.pxe.plugins.module_utils._kea.variables import KeaConfigError

ROLE = pathlib.Path(__file__).parents[5] / 'roles' / 'kea_dhcp6'
DEFAULTS = yaml.safe_load((ROLE / 'defaults' / 'main.yml').read_text())
SUBNET = {'id': 1, 'subnet': 'fd00:10::/64', 'pools': [{'pool': 'fd00:10::1000 - fd00:10::1fff'}],
          'reservations': [{'hw-address': '52:54:00:00:00:01', 'ip-addresses': ['fd00:10::50']}]}


def variables(**changes):
    base = {name: DEFAULTS[name] for name in VARIABLES6}
    base.update(kea_dhcp6_interfaces=['eth1'], kea_dhcp6_subnets=[SUBNET], kea_dhcp6_pxe_tftp_server='fd00:10::2',
                kea_dhcp6_pxe_ipxe_script_url='http://[fd00:10::2]/boot.ipxe',
                kea_dhcp6_pxe_http_base_url='http://[fd00:10::2]/ipxe/',
                kea_dhcp6_pxe_boot_files={'efi-x64': 'snponly.efi', 'http-x64': 'ipxe.efi'})
    base.update(changes)
    return base


def test_the_variables_are_the_roles_defaults_but_its_state():
    assert sorted(VARIABLES6) == sorted(name for name in DEFAULTS if name != 'kea_dhcp6_state')


def test_the_document():
    dhcp6 = dhcp6_config(variables())['Dhcp6']
    assert dhcp6['interfaces-config'] == {'interfaces': ['eth1']}
    # A subnet of a machine on the link is the interface's.
    assert dhcp6['subnet6'] == [dict(SUBNET, interface='eth1')]
    assert dhcp6['lease-database'] == {'type': 'memfile', 'persist': True, 'name': '/var/lib/kea/kea-leases6.csv',
                                       'lfc-interval': 3600}
    assert dhcp6['control-socket'] == {'socket-type': 'unix', 'socket-name': '/run/kea/kea6-ctrl-socket'}
    assert [entry['name'] for entry in dhcp6['client-classes']] == ['ipxe', 'pxe-efi-x64', 'pxe-http-x64']
    assert (dhcp6['renew-timer'], dhcp6['rebind-timer'], dhcp6['preferred-lifetime'], dhcp6['valid-lifetime']) == (
        1000, 2000, 3000, 4000)


def test_without_a_tftp_server_no_boot_file_is_handed_out():
    dhcp6 = dhcp6_config(variables(kea_dhcp6_pxe_tftp_server='', kea_dhcp6_client_classes=[{'name': 'mine'}]))['Dhcp6']
    assert dhcp6['client-classes'] == [{'name': 'mine'}]


def test_extra_config_replaces_whole_keys():
    dhcp6 = dhcp6_config(variables(kea_dhcp6_extra_config={'subnet6': [], 'decline-probation-period': 10}))['Dhcp6']
    assert dhcp6['subnet6'] == [] and dhcp6['decline-probation-period'] == 10


@pytest.mark.parametrize('changes, message', [
    ({'kea_dhcp6_interfaces': []}, 'kea_dhcp6_interfaces must be a non-empty list of interface names, got []'),
    ({'kea_dhcp6_interfaces': ['eth1 eth2']}, "kea_dhcp6_interfaces must be a non-empty list of interface names, got ['eth1 eth2']"),
    ({'kea_dhcp6_pxe_tftp_server': 'fe80::2'}, "kea_dhcp6_pxe_tftp_server must be a global or unique local IPv6 address of "
                                               "this server (not link-local: machines fetch from it), or empty for no boot "
                                               "files, got 'fe80::2'"),
    ({'kea_dhcp6_control_socket': '/run/kea/../x'}, 'kea_dhcp6_control_socket must be an absolute path'),
    ({'kea_dhcp6_lease_file': 'leases.csv'}, 'kea_dhcp6_lease_file must be an absolute path'),
    ({'kea_dhcp6_log_severity': 'LOUD'}, "kea_dhcp6_log_severity must be one of FATAL, ERROR, WARN, INFO, DEBUG, got 'LOUD'"),
    ({'kea_dhcp6_log_debuglevel': 100}, 'kea_dhcp6_log_debuglevel must be a whole number 0-99, got 100'),
    ({'kea_dhcp6_extra_config': []}, 'kea_dhcp6_extra_config must be a mapping, got []'),
    ({'kea_dhcp6_renew_timer': 2500}, 'kea_dhcp6_renew_timer (2500) < kea_dhcp6_rebind_timer (2000)'),
    ({'kea_dhcp6_valid_lifetime': True}, 'kea_dhcp6_valid_lifetime must be a positive whole number of seconds, got True'),
    ({'kea_dhcp6_subnets': [dict(SUBNET, subnet='10.0.0.0/24')]}, 'kea_dhcp6_subnets[0].subnet must be an IPv6 network'),
    ({'kea_dhcp6_subnets': [dict(SUBNET, reservations=[{'hw-address': '52:54:00:00:00:01', 'ip-addresses': ['fd00:10::2']}])]},
     "kea_dhcp6_subnets[0].reservations[0].ip-addresses 'fd00:10::2' is the address of this server (kea_dhcp6_pxe_tftp_server)"),
    ({'kea_dhcp6_pxe_boot_files': {'bios': 'undionly.kpxe'}},
     "kea_dhcp6_pxe_boot_files has unknown architecture name(s) 'bios' for IPv6"),
    ({'kea_dhcp6_pxe_ipxe_script_url': 'http://[fd00:10::2]/boot.ipxe\n'}, 'ipxe_script_url must be an http(s) URL'),
])
def test_refused_naming_the_variable(changes, message):
    with pytest.raises(KeaConfigError) as error:
        dhcp6_config(variables(**changes))
    assert message in str(error.value), str(error.value)


def test_unknown_and_missing_variables_are_refused():
    with pytest.raises(KeaConfigError, match='unknown role variable'):
        dhcp6_config(dict(variables(), kea_dhcp6_state='present'))
    with pytest.raises(KeaConfigError, match='missing the role variable'):
        dhcp6_config({'kea_dhcp6_interfaces': ['eth1']})


@pytest.mark.parametrize('facts, expected', [
    ({'eth1': {'ipv6': [{'address': 'fd00:10::2', 'prefix': '64', 'scope': 'global'},
                        {'address': 'fe80::42:aff:fe4d:1402', 'prefix': '64', 'scope': 'link'}]}},
     ['udp/[fe80::42:aff:fe4d:1402]:547', 'udp/[ff02::1:2]:547']),
    ({'eth1': {'ipv4': {'address': '10.0.0.2'}}}, ['udp/*:547']),
    ({}, ['udp/*:547']),
])
def test_sockets(facts, expected):
    assert dhcp6_sockets(['eth1'], facts) == expected
