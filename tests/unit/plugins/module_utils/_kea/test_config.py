# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Kea documents of the role kea_dhcp4, built in Python.

The expected literals are what the Jinja of roles/kea_dhcp4/vars/main.yml and tasks/preflight.yml
rendered with ansible-core 2.19 for the same variables, key order included.
"""

from __future__ import annotations

import pathlib
from collections.abc import Mapping

import jinja2
import pytest
import yaml

from ansible_collections.netboot.pxe.plugins.module_utils._kea.config import ctrl_agent_config, dhcp4_config, dhcp4_sockets
from ansible_collections.netboot.pxe.plugins.module_utils._kea.ha import ha_tls
from ansible_collections.netboot.pxe.plugins.module_utils._kea.variables import (
    PEER_VARIABLES,
    VARIABLES,
    KeaConfigError,
    plain,
)

from changes import changed_copy

ROLE = pathlib.Path(__file__).parents[5] / 'roles' / 'kea_dhcp4'

# The role's defaults, without the HA peer settings.
DEFAULTS = {
    'kea_dhcp4_interfaces': [],
    'kea_dhcp4_subnets': [],
    'kea_dhcp4_option_data': [],
    'kea_dhcp4_valid_lifetime': 3600,
    'kea_dhcp4_renew_timer': 900,
    'kea_dhcp4_rebind_timer': 1800,
    'kea_dhcp4_pxe_next_server': '',
    'kea_dhcp4_pxe_ipxe_script_url': '',
    'kea_dhcp4_pxe_boot_files': {'bios': 'undionly.kpxe', 'efi-x64': 'snponly.efi'},
    'kea_dhcp4_pxe_secure_boot_file': '',
    'kea_dhcp4_pxe_http_base_url': '',
    'kea_dhcp4_pxe_ipxe_no_pxedhcp': True,
    'kea_dhcp4_client_classes': [],
    'kea_dhcp4_lease_database': {'type': 'memfile', 'persist': True, 'name': '/var/lib/kea/kea-leases4.csv', 'lfc-interval': 3600},
    'kea_dhcp4_hosts_database': {},
    'kea_dhcp4_control_socket': '/run/kea/kea4-ctrl-socket',
    'kea_dhcp4_log_severity': 'INFO',
    'kea_dhcp4_log_debuglevel': 0,
    'kea_dhcp4_extra_config': {},
    'kea_dhcp4_ha_enabled': False,
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
USER_CLASS = {'name': 'lab', 'test': "substring(option[60].hex,0,4) == 'Labx'"}
# The defaults plus the PXE settings of a lab server.
PXE = {
    **DEFAULTS,
    'kea_dhcp4_interfaces': ['eth1'],
    'kea_dhcp4_subnets': [
        {'id': 1, 'subnet': '10.0.0.0/24', 'pools': [{'pool': '10.0.0.100 - 10.0.0.199'}],
         'option-data': [{'name': 'routers', 'data': '10.0.0.1'}],
         'reservations': [{'hw-address': '52:54:00:00:00:01', 'ip-address': '10.0.0.10'}]},
        {'id': 2, 'subnet': '10.0.1.0/24', 'pools': [{'pool': '10.0.1.128 - 10.0.1.254'}, {'pool': '10.0.1.20 - 10.0.1.29'}]},
    ],
    'kea_dhcp4_option_data': [{'name': 'domain-name-servers', 'data': '10.0.0.1'}],
    'kea_dhcp4_pxe_next_server': '10.0.0.1',
    'kea_dhcp4_pxe_ipxe_script_url': 'http://10.0.0.1/boot.ipxe',
    'kea_dhcp4_pxe_boot_files': {'bios': 'undionly.kpxe', 'efi-x64': 'snponly.efi', 'http-x64': 'ipxe.efi'},
    'kea_dhcp4_pxe_http_base_url': 'http://10.0.0.1/',
    'kea_dhcp4_client_classes': [USER_CLASS],
}
# Secure Boot on the second subnet only.
SECURE_PXE = changed_copy(changed_copy(PXE, ['kea_dhcp4_subnets', 0, 'require-client-classes'], ['pxe-efi-x64', 'pxe-http-x64']),
                          ['kea_dhcp4_subnets', 1, 'require-client-classes'], ['pxe-efi-x64-secure-boot', 'pxe-http-x64-secure-boot'])
SECURE_PXE['kea_dhcp4_pxe_secure_boot_file'] = 'shimx64.efi'
HOOKS = '/usr/lib/x86_64-linux-gnu/kea/hooks'
LISTENER = {'ha_channel': 'listener', 'hooks_directory': HOOKS}
CTRL_AGENT = {'ha_channel': 'ctrl-agent', 'hooks_directory': HOOKS}
PEERS = [
    {'name': 'kea1', 'url': 'https://10.0.0.2:8000/', 'role': 'primary', 'auto-failover': True},
    {'name': 'kea2', 'url': 'https://10.0.0.3:8000/', 'role': 'standby', 'auto-failover': True},
]
# What the role adds to every peer: the pair's TLS files, and on the control agent's channel
# the basic authentication.
TLS_FILES = {'trust-anchor': '/etc/kea/tls/ca.crt', 'cert-file': '/etc/kea/tls/peer.crt', 'key-file': '/etc/kea/tls/peer.key'}
BASIC_AUTH = {'basic-auth-user': 'netboot-pxe-ha', 'basic-auth-password-file': '/etc/kea/tls/ha-password'}
LISTENER_PEERS = [{**peer, **TLS_FILES} for peer in PEERS]
AGENT_PEERS = [{**peer, **TLS_FILES, **BASIC_AUTH} for peer in PEERS]

IPXE_OPTION_DEFS = [
    {'space': 'dhcp4', 'name': 'ipxe-encap-opts', 'code': 175, 'type': 'empty', 'encapsulate': 'ipxe'},
    {'space': 'ipxe', 'name': 'no-pxedhcp', 'code': 176, 'type': 'uint8'},
]
IPXE_CLASS = {
    'name': 'ipxe',
    'test': "substring(option[77].hex,0,4) == 'iPXE'",
    'next-server': '10.0.0.1',
    'boot-file-name': 'http://10.0.0.1/boot.ipxe',
    'option-data': [{'space': 'dhcp4', 'name': 'ipxe-encap-opts', 'code': 175, 'always-send': True},
                    {'space': 'ipxe', 'name': 'no-pxedhcp', 'code': 176, 'data': '1'}],
}
EXPECTED = {
    'Dhcp4': {
        'interfaces-config': {'interfaces': ['eth1']},
        'control-socket': {'socket-type': 'unix', 'socket-name': '/run/kea/kea4-ctrl-socket'},
        'lease-database': {'type': 'memfile', 'persist': True, 'name': '/var/lib/kea/kea-leases4.csv', 'lfc-interval': 3600},
        'match-client-id': False,
        'valid-lifetime': 3600,
        'renew-timer': 900,
        'rebind-timer': 1800,
        'option-def': IPXE_OPTION_DEFS,
        'option-data': [{'name': 'domain-name-servers', 'data': '10.0.0.1'}],
        'client-classes': [
            IPXE_CLASS,
            {'name': 'pxe-bios',
             'test': "option[93].hex == 0x0000 and not member('ipxe')",
             'next-server': '10.0.0.1',
             'boot-file-name': 'undionly.kpxe'},
            {'name': 'pxe-efi-x64',
             'test': "(option[93].hex == 0x0007 or option[93].hex == 0x0009) and not member('ipxe')",
             'next-server': '10.0.0.1',
             'boot-file-name': 'snponly.efi'},
            {'name': 'pxe-http-x64',
             'test': "option[93].hex == 0x0010 and not member('ipxe')",
             'next-server': '10.0.0.1',
             'boot-file-name': 'http://10.0.0.1/ipxe.efi',
             'option-data': [{'name': 'vendor-class-identifier', 'data': 'HTTPClient', 'always-send': True}]},
            {'name': 'lab', 'test': "substring(option[60].hex,0,4) == 'Labx'"},
        ],
        'subnet4': [
            {'id': 1,
             'subnet': '10.0.0.0/24',
             'pools': [{'pool': '10.0.0.100 - 10.0.0.199'}],
             'option-data': [{'name': 'routers', 'data': '10.0.0.1'}],
             'reservations': [{'hw-address': '52:54:00:00:00:01', 'ip-address': '10.0.0.10'}]},
            {'id': 2, 'subnet': '10.0.1.0/24', 'pools': [{'pool': '10.0.1.128 - 10.0.1.254'}, {'pool': '10.0.1.20 - 10.0.1.29'}]},
        ],
        'hooks-libraries': [],
        'loggers': [{'name': 'kea-dhcp4', 'output_options': [{'output': 'stdout'}], 'severity': 'INFO', 'debuglevel': 0}],
    },
}
HA_PARAMETERS = {
    'this-server-name': 'kea1',
    'mode': 'hot-standby',
    'heartbeat-delay': 10000,
    'max-response-delay': 60000,
    'max-ack-delay': 10000,
    'max-unacked-clients': 10,
    'peers': LISTENER_PEERS,
}
LISTENER_THREADS = {'enable-multi-threading': True, 'http-dedicated-listener': True, 'http-listener-threads': 0, 'http-client-threads': 0}
# Kea's own listener: only the HA commands, only from a client with a certificate of the pair's CA.
LISTENER_HA = {**HA_PARAMETERS, 'multi-threading': LISTENER_THREADS, 'restrict-commands': True, 'require-client-certs': True}
AGENT_HA = {**HA_PARAMETERS, 'peers': AGENT_PEERS}


def ha_hooks(parameters):
    return [
        {'library': '/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so'},
        {'library': '/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_ha.so', 'parameters': {'high-availability': [parameters]}},
    ]


def ordered(value):
    """``value`` with every mapping as a list of pairs, so that comparing it compares key order too."""
    if isinstance(value, dict):
        return [(key, ordered(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [ordered(item) for item in value]
    return value


def expected(changes=(), additions=()):
    """EXPECTED with Dhcp4 keys changed in place, then keys appended."""
    result = EXPECTED
    for key, value in changes:
        result = changed_copy(result, ['Dhcp4', key], value)
    for key, value in additions:
        result = changed_copy(result, ['Dhcp4', key], value)
    return result


# The role's own switch, which no document reads.
STATE_VARIABLES = ('kea_dhcp4_state',)


def test_variables_are_the_role_defaults_but_the_peer_settings():
    defaults = yaml.safe_load((ROLE / 'defaults' / 'main.yml').read_text())
    assert set(VARIABLES).isdisjoint(PEER_VARIABLES) and set(VARIABLES + PEER_VARIABLES).isdisjoint(STATE_VARIABLES)
    assert sorted(VARIABLES + PEER_VARIABLES + STATE_VARIABLES) == sorted(defaults)
    assert DEFAULTS == {name: defaults[name] for name in VARIABLES}


@pytest.mark.parametrize('platform', [LISTENER, CTRL_AGENT])
def test_document_for_the_defaults_and_pxe_settings(platform):
    assert ordered(dhcp4_config(PXE, platform)) == ordered(EXPECTED)


@pytest.mark.parametrize('platform, hooks, additions', [
    pytest.param(LISTENER, ha_hooks(LISTENER_HA), [('multi-threading', {'enable-multi-threading': True})], id='listener'),
    pytest.param(CTRL_AGENT, ha_hooks(AGENT_HA), [], id='ctrl-agent'),
])
def test_document_with_ha_hot_standby(platform, hooks, additions):
    variables = {**PXE, 'kea_dhcp4_ha_enabled': True}
    result = dhcp4_config(variables, platform, this_server_name='kea1', ha_peers=PEERS)
    assert ordered(result) == ordered(expected([('hooks-libraries', hooks)], additions))


def test_ha_settings_reach_the_parameters():
    variables = {
        **PXE, 'kea_dhcp4_ha_enabled': True, 'kea_dhcp4_ha_mode': 'load-balancing', 'kea_dhcp4_ha_heartbeat_delay': 5000,
        'kea_dhcp4_ha_max_response_delay': 20000, 'kea_dhcp4_ha_max_ack_delay': 3000, 'kea_dhcp4_ha_max_unacked_clients': 0,
    }
    peers = changed_copy(PEERS, [1, 'role'], 'secondary')
    result = dhcp4_config(variables, CTRL_AGENT, this_server_name='kea2', ha_peers=peers)
    assert ordered(result['Dhcp4']['hooks-libraries'][1]['parameters']) == ordered({'high-availability': [{
        'this-server-name': 'kea2', 'mode': 'load-balancing', 'heartbeat-delay': 5000, 'max-response-delay': 20000,
        'max-ack-delay': 3000, 'max-unacked-clients': 0, 'peers': [{**peer, **TLS_FILES, **BASIC_AUTH} for peer in peers],
    }]})


def test_peers_are_ignored_without_ha():
    assert dhcp4_config(PXE, LISTENER, this_server_name='kea1', ha_peers=PEERS) == EXPECTED


# A key of kea_dhcp4_extra_config replaces the whole top-level value, in its place; new keys come last.
@pytest.mark.parametrize('extra, ha, changes, additions', [
    pytest.param({'valid-lifetime': 7200}, False, [('valid-lifetime', 7200)], [], id='scalar'),
    pytest.param({'lease-database': {'type': 'memfile'}}, False, [('lease-database', {'type': 'memfile'})], [], id='shallow'),
    pytest.param({'subnet4': [{'id': 9, 'subnet': '10.9.0.0/16'}]}, False, [('subnet4', [{'id': 9, 'subnet': '10.9.0.0/16'}])], [],
                 id='list'),
    pytest.param({'decline-probation-period': 600, 'option-def': []}, False, [('option-def', [])], [('decline-probation-period', 600)],
                 id='new-key-last'),
    pytest.param({'multi-threading': {'enable-multi-threading': True, 'thread-pool-size': 4}}, True,
                 [('hooks-libraries', ha_hooks(LISTENER_HA))],
                 [('multi-threading', {'enable-multi-threading': True, 'thread-pool-size': 4})], id='ha-multi-threading'),
])
def test_extra_config_replaces_top_level_keys(extra, ha, changes, additions):
    variables = {**PXE, 'kea_dhcp4_extra_config': extra, 'kea_dhcp4_ha_enabled': ha}
    result = dhcp4_config(variables, LISTENER, this_server_name='kea1', ha_peers=PEERS)
    assert ordered(result) == ordered(expected(changes, additions))


# iPXE's options 175/176 are defined only for PXE with no-pxedhcp, and only then sent to iPXE.
@pytest.mark.parametrize('next_server, script_url, no_pxedhcp, option_def, ipxe_options', [
    ('10.0.0.1', 'http://10.0.0.1/boot.ipxe', True, IPXE_OPTION_DEFS, True),
    ('10.0.0.1', 'http://10.0.0.1/boot.ipxe', False, [], False),
    ('', '', True, [], None),
    ('', '', False, [], None),
])
def test_ipxe_option_defs(next_server, script_url, no_pxedhcp, option_def, ipxe_options):
    variables = {**PXE, 'kea_dhcp4_pxe_next_server': next_server, 'kea_dhcp4_pxe_ipxe_script_url': script_url,
                 'kea_dhcp4_pxe_ipxe_no_pxedhcp': no_pxedhcp}
    dhcp4 = dhcp4_config(variables, LISTENER)['Dhcp4']
    assert dhcp4['option-def'] == option_def
    ipxe = [entry for entry in dhcp4['client-classes'] if entry['name'] == 'ipxe']
    if ipxe_options is None:
        assert ipxe == []
    else:
        assert ('option-data' in ipxe[0]) is ipxe_options


@pytest.mark.parametrize('variables, classes', [
    pytest.param({**PXE, 'kea_dhcp4_pxe_next_server': '', 'kea_dhcp4_pxe_ipxe_script_url': ''}, [USER_CLASS], id='user-classes'),
    pytest.param({**DEFAULTS, 'kea_dhcp4_interfaces': ['eth1']}, [], id='defaults'),
    # The boot files are not even looked at without a next-server.
    pytest.param({**DEFAULTS, 'kea_dhcp4_pxe_boot_files': {'nope': '../x'}}, [], id='boot-files-unused'),
])
def test_no_pxe_classes_without_next_server(variables, classes):
    assert dhcp4_config(variables, LISTENER)['Dhcp4']['client-classes'] == classes


def test_document_for_the_defaults():
    variables = {**DEFAULTS, 'kea_dhcp4_interfaces': ['eth1']}
    assert ordered(dhcp4_config(variables, CTRL_AGENT)) == ordered(expected([
        ('option-def', []), ('option-data', []), ('client-classes', []), ('subnet4', []),
    ]))


def test_document_shares_nothing_with_the_input():
    variables = {**PXE, 'kea_dhcp4_ha_enabled': True}
    result = dhcp4_config(variables, LISTENER, this_server_name='kea1', ha_peers=PEERS)
    result['Dhcp4']['subnet4'][0]['pools'].clear()
    result['Dhcp4']['hooks-libraries'][1]['parameters']['high-availability'][0]['peers'][0]['role'] = 'backup'
    result['Dhcp4']['client-classes'][0]['option-data'].clear()
    assert PXE['kea_dhcp4_subnets'][0]['pools'] == [{'pool': '10.0.0.100 - 10.0.0.199'}]
    assert PEERS[0]['role'] == 'primary'
    assert dhcp4_config(PXE, LISTENER) == EXPECTED


@pytest.mark.parametrize('variables, platform, kwargs, message', [
    pytest.param({**PXE, 'kea_dhcp4_colour': 'blue'}, LISTENER, {},
                 'the Kea DHCPv4 document got unknown role variable(s) kea_dhcp4_colour', id='unknown'),
    pytest.param({**PXE, 'kea_dhcp4_ha_port': 8000, 'kea_dhcp4_ha_group': 'kea'}, LISTENER, {},
                 'the Kea DHCPv4 document got unknown role variable(s) kea_dhcp4_ha_group, kea_dhcp4_ha_port '
                 '(the HA peer settings come in as ha_peers and this_server_name)', id='peer-setting'),
    pytest.param(changed_copy(PXE, ['kea_dhcp4_subnets'], KeyError), LISTENER, {},
                 'the Kea DHCPv4 document is missing the role variable(s) kea_dhcp4_subnets', id='missing'),
    pytest.param([('kea_dhcp4_interfaces', ['eth1'])], LISTENER, {},
                 "the Kea DHCPv4 document takes a mapping of role variable names to values, got [('kea_dhcp4_interfaces', ['eth1'])]",
                 id='not-a-mapping'),
    pytest.param(changed_copy(PXE, ['kea_dhcp4_pxe_boot_files', 'bios'], '../undionly.kpxe'), LISTENER, {},
                 'kea_dhcp4_pxe_boot_files[\'bios\'] must be a path relative to the TFTP root without "..", '
                 "or an http(s) URL; got '../undionly.kpxe'", id='bad-boot-file'),
    pytest.param(changed_copy(PXE, ['kea_dhcp4_pxe_boot_files', 'efi-x32'], 'x.efi'), LISTENER, {},
                 "kea_dhcp4_pxe_boot_files has unknown architecture name(s) 'efi-x32'; "
                 'known: bios, efi-ia32, efi-x64, efi-arm64, http-x64, http-arm64', id='unknown-architecture'),
    pytest.param({**PXE, 'kea_dhcp4_pxe_http_base_url': ''}, LISTENER, {},
                 "kea_dhcp4_pxe_boot_files['http-x64'] is for UEFI HTTP boot: the boot file 'ipxe.efi' needs an absolute URL "
                 "or http_base_url, got http_base_url=None", id='http-boot-without-base-url'),
    pytest.param(changed_copy(PXE, ['kea_dhcp4_subnets', 1, 'require-client-classes'], ['pxe-efi-x64-secure-boot']), LISTENER, {},
                 "kea_dhcp4_subnets[1].require-client-classes names 'pxe-efi-x64-secure-boot', which needs "
                 "kea_dhcp4_pxe_secure_boot_file (the shim) and kea_dhcp4_pxe_next_server, got '' and '10.0.0.1'",
                 id='secure-boot-subnet-without-shim'),
    pytest.param(changed_copy(SECURE_PXE, ['kea_dhcp4_subnets', 0, 'require-client-classes'], KeyError), LISTENER, {},
                 "kea_dhcp4_subnets[0].require-client-classes must list pxe-efi-x64-secure-boot, pxe-http-x64-secure-boot "
                 "(Secure Boot) or pxe-efi-x64, pxe-http-x64 (iPXE): with kea_dhcp4_pxe_secure_boot_file Kea evaluates the "
                 "UEFI x64 classes per subnet, got []", id='secure-boot-subnets-incomplete'),
    pytest.param({**SECURE_PXE, 'kea_dhcp4_pxe_secure_boot_file': '../shimx64.efi'}, LISTENER, {},
                 'kea_dhcp4_pxe_secure_boot_file must be a path relative to the TFTP root without ".."; '
                 "got '../shimx64.efi'", id='bad-shim'),
    pytest.param({**PXE, 'kea_dhcp4_pxe_ipxe_script_url': ''}, LISTENER, {},
                 "ipxe_script_url must be an http(s) URL, got ''", id='next-server-without-script'),
    pytest.param({**PXE, 'kea_dhcp4_extra_config': [{'valid-lifetime': 60}]}, LISTENER, {},
                 "kea_dhcp4_extra_config must be a mapping of top-level Dhcp4 keys, got [{'valid-lifetime': 60}]", id='extra-not-a-mapping'),
    pytest.param({**PXE, 'kea_dhcp4_client_classes': {'name': 'lab'}}, LISTENER, {},
                 "kea_dhcp4_client_classes must be a list of client classes, got {'name': 'lab'}", id='classes-not-a-list'),
    pytest.param(PXE, {'ha_channel': 'socket', 'hooks_directory': HOOKS}, {},
                 "platform ha_channel must be one of listener, ctrl-agent, got 'socket'", id='unknown-channel'),
    pytest.param(PXE, {'ha_channel': 'listener'}, {},
                 "platform must be a mapping with exactly ha_channel and hooks_directory, got {'ha_channel': 'listener'}", id='platform-keys'),
    pytest.param(PXE, {'ha_channel': 'listener', 'hooks_directory': 'usr/lib/kea/hooks'}, {},
                 "platform hooks_directory must be an absolute path, got 'usr/lib/kea/hooks'", id='relative-hooks-directory'),
    pytest.param({**PXE, 'kea_dhcp4_ha_enabled': True}, LISTENER, {'this_server_name': 'kea1'},
                 "ha_peers is required with kea_dhcp4_ha_enabled: the peers of Kea's HA hook", id='ha-without-peers'),
    pytest.param({**PXE, 'kea_dhcp4_ha_enabled': True}, LISTENER, {'ha_peers': PEERS},
                 "this_server_name must be the non-empty peer name of this server with HA, got ''", id='ha-without-name'),
    pytest.param({**PXE, 'kea_dhcp4_ha_enabled': True}, LISTENER, {'this_server_name': 'kea3', 'ha_peers': PEERS},
                 "kea_dhcp4_ha_this_server_name 'kea3' is not the name of a peer in ha_peers, whose names are ['kea1', 'kea2']",
                 id='ha-name-not-a-peer'),
    pytest.param({**PXE, 'kea_dhcp4_ha_enabled': True, 'kea_dhcp4_ha_mode': 'load-balancing'}, LISTENER,
                 {'this_server_name': 'kea1', 'ha_peers': PEERS},
                 "ha_peers needs exactly one peer with role secondary for kea_dhcp4_ha_mode 'load-balancing', "
                 "got 0 in roles ['primary', 'standby']; ha_peers[1].role 'standby' does not fit kea_dhcp4_ha_mode "
                 "'load-balancing', which takes primary, secondary and backup", id='ha-peers-of-the-other-mode'),
])
def test_dhcp4_config_errors(variables, platform, kwargs, message):
    with pytest.raises(KeaConfigError) as error:
        dhcp4_config(variables, platform, **kwargs)
    assert str(error.value) == message


@pytest.mark.parametrize('architecture, directory', [
    ('x86_64', '/usr/lib/x86_64-linux-gnu/kea/hooks'),
    ('aarch64', '/usr/lib/aarch64-linux-gnu/kea/hooks'),
    ('armv7l', '/usr/lib/arm-linux-gnueabihf/kea/hooks'),
    ('i386', '/usr/lib/i386-linux-gnu/kea/hooks'),
    ('riscv64', '/usr/lib/riscv64-linux-gnu/kea/hooks'),
    ('ppc64le', '/usr/lib/ppc64le-linux-gnu/kea/hooks'),
])
def test_hooks_directory_of_the_role(architecture, directory):
    """The role's __kea_dhcp4_hooks_directory: Debian's multiarch directory of the architecture fact."""
    variables = yaml.safe_load((ROLE / 'vars' / 'main.yml').read_text())
    template = jinja2.Environment().from_string(variables['__kea_dhcp4_hooks_directory'])
    assert template.render(__kea_dhcp4_multiarch=variables['__kea_dhcp4_multiarch'],
                           ansible_facts={'architecture': architecture}) == directory


CTRL_AGENT_EXPECTED = {
    'Control-agent': {
        'http-host': '10.0.0.2',
        'http-port': 8000,
        **TLS_FILES,
        'cert-required': True,
        'authentication': {'type': 'basic', 'realm': 'netboot.pxe HA', 'directory': '/etc/kea/tls',
                           'clients': [{'user': 'netboot-pxe-ha', 'password-file': 'ha-password'}]},
        'control-sockets': {'dhcp4': {'socket-type': 'unix', 'socket-name': '/run/kea/kea4-ctrl-socket'}},
        'loggers': [{'name': 'kea-ctrl-agent', 'output_options': [{'output': 'stdout'}], 'severity': 'INFO', 'debuglevel': 0}],
    },
}
TLS_VARIABLES = {'kea_dhcp4_ha_tls': True, 'kea_dhcp4_ha_tls_ca_file': '', 'kea_dhcp4_ha_tls_cert_file': '',
                 'kea_dhcp4_ha_tls_key_file': ''}
CTRL_AGENT_VARIABLES = {'kea_dhcp4_control_socket': '/run/kea/kea4-ctrl-socket', 'kea_dhcp4_log_severity': 'INFO',
                        'kea_dhcp4_log_debuglevel': 0, **TLS_VARIABLES}
USER_FILES = {'kea_dhcp4_ha_tls_ca_file': '/etc/pki/lab-ca.pem', 'kea_dhcp4_ha_tls_cert_file': '/etc/pki/kea1.pem',
              'kea_dhcp4_ha_tls_key_file': '/etc/pki/private/kea1.key'}


@pytest.mark.parametrize('variables', [CTRL_AGENT_VARIABLES, PXE], ids=['needed', 'all'])
def test_ctrl_agent_config(variables):
    assert ordered(ctrl_agent_config(variables, 'https://10.0.0.2:8000/')) == ordered(CTRL_AGENT_EXPECTED)


def test_ctrl_agent_without_tls_still_asks_for_the_password():
    agent = ctrl_agent_config({**CTRL_AGENT_VARIABLES, 'kea_dhcp4_ha_tls': False}, 'http://10.0.0.2:8000/')['Control-agent']
    assert 'cert-required' not in agent and 'trust-anchor' not in agent
    assert agent['authentication'] == CTRL_AGENT_EXPECTED['Control-agent']['authentication']


def test_ctrl_agent_takes_the_users_certificates():
    agent = ctrl_agent_config({**CTRL_AGENT_VARIABLES, **USER_FILES}, 'https://10.0.0.2:8000/')['Control-agent']
    assert [agent[key] for key in ('trust-anchor', 'cert-file', 'key-file')] == list(USER_FILES.values())


@pytest.mark.parametrize('url, host, port', [
    ('https://10.0.0.3:8001', '10.0.0.3', 8001),
    ('https://Kea1.Lab.Example:8443/', 'kea1.lab.example', 8443),
])
def test_ctrl_agent_listens_on_this_url(url, host, port):
    variables = {**CTRL_AGENT_VARIABLES, 'kea_dhcp4_log_severity': 'DEBUG', 'kea_dhcp4_log_debuglevel': 99}
    agent = ctrl_agent_config(variables, url)['Control-agent']
    assert (agent['http-host'], agent['http-port']) == (host, port)
    assert agent['loggers'][0]['severity'] == 'DEBUG'
    assert agent['loggers'][0]['debuglevel'] == 99


@pytest.mark.parametrize('url', ['https://10.0.0.2/', 'ftp://10.0.0.2:8000/', 'https://10.0.0.2:80000/', 'https://:8000/',
                                 'https://10.0.0.2:8000/\n', '10.0.0.2:8000', '', None])
def test_ctrl_agent_config_refuses_urls(url):
    with pytest.raises(KeaConfigError) as error:
        ctrl_agent_config(CTRL_AGENT_VARIABLES, url)
    assert str(error.value) == f'this_url must be the http(s)://HOST:PORT/ URL of this HA peer, got {url!r}'


@pytest.mark.parametrize('variables, url, message', [
    ({'kea_dhcp4_log_severity': 'INFO', 'kea_dhcp4_log_debuglevel': 0, **TLS_VARIABLES}, 'https://10.0.0.2:8000/',
     'the Kea control agent document is missing the role variable(s) kea_dhcp4_control_socket'),
    ({**CTRL_AGENT_VARIABLES, 'kea_dhcp4_ha_address': '10.0.0.2'}, 'https://10.0.0.2:8000/',
     'the Kea control agent document got unknown role variable(s) kea_dhcp4_ha_address '
     '(the HA peer settings come in as ha_peers and this_server_name)'),
    (CTRL_AGENT_VARIABLES, 'http://10.0.0.2:8000/',
     "this_url 'http://10.0.0.2:8000/' must start with https:// with kea_dhcp4_ha_tls"),
    ({**CTRL_AGENT_VARIABLES, 'kea_dhcp4_ha_tls': False}, 'https://10.0.0.2:8000/',
     "this_url 'https://10.0.0.2:8000/' must start with http:// without kea_dhcp4_ha_tls"),
])
def test_ctrl_agent_config_errors(variables, url, message):
    with pytest.raises(KeaConfigError) as error:
        ctrl_agent_config(variables, url)
    assert str(error.value) == message


@pytest.mark.parametrize('changes, generated, files', [
    ({}, True, TLS_FILES),
    (USER_FILES, False, {'trust-anchor': '/etc/pki/lab-ca.pem', 'cert-file': '/etc/pki/kea1.pem',
                         'key-file': '/etc/pki/private/kea1.key'}),
    ({'kea_dhcp4_ha_tls': False}, False, TLS_FILES),
])
def test_ha_tls_files(changes, generated, files):
    security = ha_tls({**CTRL_AGENT_VARIABLES, **changes})
    assert security == {'enabled': changes.get('kea_dhcp4_ha_tls', True), 'generated': generated, 'directory': '/etc/kea/tls',
                        'files': files, 'password-file': '/etc/kea/tls/ha-password', 'user': 'netboot-pxe-ha'}


@pytest.mark.parametrize('changes, messages', [
    ({'kea_dhcp4_ha_tls': 'yes'}, ["kea_dhcp4_ha_tls must be true or false, got 'yes'"]),
    ({'kea_dhcp4_ha_tls_cert_file': '/etc/pki/kea1.pem'},
     ['kea_dhcp4_ha_tls_cert_file set without kea_dhcp4_ha_tls_ca_file, kea_dhcp4_ha_tls_key_file']),
    ({**USER_FILES, 'kea_dhcp4_ha_tls_key_file': 'kea1.key'},
     ["kea_dhcp4_ha_tls_key_file must be an absolute path without spaces or quotes, got 'kea1.key'"]),
    ({**USER_FILES, 'kea_dhcp4_ha_tls_ca_file': '/etc/pki/ca.pem\n'}, ['kea_dhcp4_ha_tls_ca_file', "'/etc/pki/ca.pem\\n'"]),
    ({**USER_FILES, 'kea_dhcp4_ha_tls_ca_file': '/etc/pki/lab ca.pem'}, ['kea_dhcp4_ha_tls_ca_file', "'/etc/pki/lab ca.pem'"]),
    ({**USER_FILES, 'kea_dhcp4_ha_tls_ca_file': '/etc/pki/"ca".pem'}, ['kea_dhcp4_ha_tls_ca_file']),
    ({**USER_FILES, 'kea_dhcp4_ha_tls_cert_file': None}, ['kea_dhcp4_ha_tls_cert_file must be an absolute path', 'got None']),
    ({**USER_FILES, 'kea_dhcp4_ha_tls': False},
     ['kea_dhcp4_ha_tls_ca_file, kea_dhcp4_ha_tls_cert_file, kea_dhcp4_ha_tls_key_file set, but kea_dhcp4_ha_tls is false']),
])
def test_ha_tls_refuses(changes, messages):
    with pytest.raises(KeaConfigError) as error:
        ha_tls({**CTRL_AGENT_VARIABLES, **changes})
    for message in messages:
        assert message in str(error.value)


HTTP_PEERS = [{**peer, 'url': peer['url'].replace('https:', 'http:')} for peer in PEERS]


@pytest.mark.parametrize('changes, peers, message', [
    ({'kea_dhcp4_ha_tls': False, 'kea_dhcp4_ha_firewall': False}, HTTP_PEERS,
     'kea_dhcp4_ha_firewall: false needs kea_dhcp4_ha_tls: true'),
    ({}, HTTP_PEERS, "ha_peers[0].url 'http://10.0.0.2:8000/' must start with https:// with kea_dhcp4_ha_tls; "
                     "ha_peers[1].url 'http://10.0.0.3:8000/' must start with https:// with kea_dhcp4_ha_tls"),
    ({'kea_dhcp4_ha_tls': False}, PEERS, "ha_peers[0].url 'https://10.0.0.2:8000/' must start with http:// without"),
    ({}, changed_copy(PEERS, [1, 'basic-auth-password'], 'secret'),
     'ha_peers[1] has unknown key(s) basic-auth-password; a peer takes name, url, role, auto-failover'),
    ({}, changed_copy(PEERS, [0, 'cert-file'], '/tmp/x.pem'), 'ha_peers[0] has unknown key(s) cert-file'),
])
def test_ha_channel_security_refusals(changes, peers, message):
    variables = {**PXE, 'kea_dhcp4_ha_enabled': True, **changes}
    with pytest.raises(KeaConfigError) as error:
        dhcp4_config(variables, LISTENER, this_server_name='kea1', ha_peers=peers)
    assert message in str(error.value)


@pytest.mark.parametrize('platform, expected_peers', [(LISTENER, HTTP_PEERS),
                                                      (CTRL_AGENT, [{**peer, **BASIC_AUTH} for peer in HTTP_PEERS])])
def test_ha_without_tls_behind_the_firewall(platform, expected_peers):
    variables = {**PXE, 'kea_dhcp4_ha_enabled': True, 'kea_dhcp4_ha_tls': False}
    parameters = dhcp4_config(variables, platform, this_server_name='kea1', ha_peers=HTTP_PEERS)['Dhcp4']['hooks-libraries'][1]
    ha = parameters['parameters']['high-availability'][0]
    assert ha['peers'] == expected_peers
    assert 'require-client-certs' not in ha


FACTS = {'eth1': {'ipv4': {'address': '10.0.0.2'}}, 'br_lab': {'ipv4': {'address': '10.9.0.2'}}, 'eth2': {}}


@pytest.mark.parametrize('interfaces, ha_url, expected', [
    (['eth1'], None, ['udp/10.0.0.2:67']),
    (['eth1/10.0.0.3'], None, ['udp/10.0.0.3:67']),
    (['br-lab', 'eth1'], None, ['udp/10.0.0.2:67', 'udp/10.9.0.2:67']),
    (['*'], None, ['udp/*:67']),
    (['eth2'], None, ['udp/*:67']),
    (['eth1'], 'http://10.0.0.2:8000/', ['tcp/10.0.0.2:8000', 'udp/10.0.0.2:67']),
    ([], None, []),
])
def test_lists_the_sockets_kea_holds(interfaces, ha_url, expected):
    assert dhcp4_sockets(interfaces, FACTS, ha_url=ha_url) == expected


def test_refuses_an_ha_url_without_an_address():
    with pytest.raises(KeaConfigError, match="'http://kea-1.lab:8000/' must have an IPv4 address"):
        dhcp4_sockets(['eth1'], FACTS, ha_url='http://kea-1.lab:8000/')


@pytest.mark.parametrize('changes, message', [
    ({'kea_dhcp4_valid_lifetime': 0}, 'kea_dhcp4_valid_lifetime must be a positive whole number of seconds, got 0'),
    ({'kea_dhcp4_renew_timer': -5}, 'kea_dhcp4_renew_timer must be a positive whole number of seconds, got -5'),
    ({'kea_dhcp4_rebind_timer': True}, 'kea_dhcp4_rebind_timer must be a positive whole number of seconds, got True'),
    ({'kea_dhcp4_renew_timer': 1800}, 'kea_dhcp4_renew_timer (1800) < kea_dhcp4_rebind_timer (1800) < kea_dhcp4_valid_lifetime (3600) must hold'),
    ({'kea_dhcp4_valid_lifetime': 600}, 'kea_dhcp4_renew_timer (900) < kea_dhcp4_rebind_timer (1800) < kea_dhcp4_valid_lifetime (600)'),
])
def test_lease_times_must_be_in_order(changes, message):
    with pytest.raises(KeaConfigError) as error:
        dhcp4_config({**DEFAULTS, **changes}, LISTENER)
    assert message in str(error.value)


def test_a_secure_boot_subnet_gets_the_shim_class():
    dhcp4 = dhcp4_config(SECURE_PXE, LISTENER)['Dhcp4']
    names = [entry['name'] for entry in dhcp4['client-classes']]
    # Kea takes the first class's boot file: the iPXE classes of UEFI x64 are required classes too.
    by_name = {entry['name']: entry for entry in dhcp4['client-classes']}
    assert [name for name, entry in by_name.items() if entry.get('only-if-required')] == [
        'pxe-efi-x64', 'pxe-http-x64', 'pxe-efi-x64-secure-boot', 'pxe-http-x64-secure-boot']
    # Last of the PXE classes, before the user's; by UEFI HTTP boot too (PXE offers http-x64).
    assert names[-3:] == ['pxe-efi-x64-secure-boot', 'pxe-http-x64-secure-boot', 'lab']
    assert [entry['only-if-required'] for entry in dhcp4['client-classes'][-3:-1]] == [True, True]
    assert dhcp4['client-classes'][-2]['boot-file-name'] == 'http://10.0.0.1/shimx64.efi'
    assert dhcp4['subnet4'][1]['require-client-classes'] == ['pxe-efi-x64-secure-boot', 'pxe-http-x64-secure-boot']


class _Str(str):
    """Stands for Ansible's tagged strings."""


class _Lazy(Mapping):
    """Stands for Ansible's lazy containers: a Mapping that is not a dict."""

    def __init__(self, data):
        self._data = data

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)


@pytest.mark.parametrize('value, expected', [
    (_Lazy({'subnet': _Str('10.0.0.0/24'), 'reservations': (_Lazy({'ip-address': _Str('10.0.0.5')}),)}),
     {'subnet': '10.0.0.0/24', 'reservations': [{'ip-address': '10.0.0.5'}]}),
    ([1, True, None, 2.5, _Str('x')], [1, True, None, 2.5, 'x']),
    ({}, {}),
])
def test_plain_copies_into_plain_containers(value, expected):
    result = plain(value)
    assert result == expected

    def types(item):
        if isinstance(item, dict):
            return [dict] + [types(part) for pair in item.items() for part in pair]
        if isinstance(item, list):
            return [list] + [types(part) for part in item]
        return type(item)
    assert types(result) == types(expected)


def test_plain_is_a_copy():
    inner = {'pools': [{'pool': '10.0.0.100 - 10.0.0.199'}]}
    result = plain({'subnet4': [inner]})
    result['subnet4'][0]['pools'].append('changed')
    assert inner == {'pools': [{'pool': '10.0.0.100 - 10.0.0.199'}]}
