# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.netboot.pxe.plugins.module_utils._dhcp.proxy_dhcp import (
    ProxyDhcpError,
    proxy_dhcp_config,
)

ARGS = {'interfaces': ['eth1'], 'subnets': ['10.0.0.0/24'], 'next_server': '10.0.0.2',
        'ipxe_script_url': 'http://10.0.0.2/boot.ipxe', 'boot_files': {'bios': 'undionly.kpxe', 'efi-x64': 'snponly.efi'}}


def config(**changes):
    return proxy_dhcp_config(**dict(ARGS, **changes))


def options(text):
    """The option lines (no comments, no blank lines)."""
    return [line for line in text.splitlines() if line and not line.startswith('#')]


def test_bios_and_uefi_x64():
    assert options(config()) == [
        'port=0',
        'bind-interfaces',
        'dhcp-no-override',
        'interface=eth1',
        'dhcp-range=10.0.0.0,proxy,255.255.255.0',
        'dhcp-userclass=set:ipxe,iPXE',
        'dhcp-boot=tag:ipxe,http://10.0.0.2/boot.ipxe,,10.0.0.2',
        'dhcp-match=set:arch-bios,option:client-arch,0',
        'dhcp-boot=tag:!ipxe,tag:arch-bios,undionly.kpxe,,10.0.0.2',
        'dhcp-match=set:arch-efi-x64,option:client-arch,7',
        'dhcp-match=set:arch-efi-x64,option:client-arch,9',
        'dhcp-boot=tag:!ipxe,tag:arch-efi-x64,snponly.efi,,10.0.0.2',
        'dhcp-ignore=tag:!ipxe,tag:!arch-bios,tag:!arch-efi-x64',
        'pxe-service=65535,"netboot.pxe",none',
    ]


@pytest.mark.parametrize('changes, lines', [
    ({'interfaces': ['eth1', 'vlan.20'], 'subnets': ['10.0.0.0/24', '10.20.0.0/16']},
     ['interface=eth1', 'interface=vlan.20', 'dhcp-range=10.0.0.0,proxy,255.255.255.0', 'dhcp-range=10.20.0.0,proxy,255.255.0.0']),
    ({'boot_files': {'efi-arm64': 'ipxe-arm64.efi', 'efi-ia32': 'snponly-ia32.efi'}},
     ['dhcp-match=set:arch-efi-ia32,option:client-arch,6', 'dhcp-match=set:arch-efi-arm64,option:client-arch,11',
      'dhcp-boot=tag:!ipxe,tag:arch-efi-arm64,ipxe-arm64.efi,,10.0.0.2',
      'dhcp-ignore=tag:!ipxe,tag:!arch-efi-ia32,tag:!arch-efi-arm64']),
    ({'log': True}, ['log-dhcp']),
    ({'ipxe_script_url': 'https://boot.lab:8443/ipxe/boot.ipxe'}, ['dhcp-boot=tag:ipxe,https://boot.lab:8443/ipxe/boot.ipxe,,10.0.0.2']),
])
def test_lines(changes, lines):
    found = options(config(**changes))
    assert [line for line in lines if line not in found] == []


def test_secure_boot_machines_get_the_shim_by_their_mac():
    lines = options(config(secure_boot_macs=['52-54-00-00-00-01', '52:54:00:00:00:02'], secure_boot_file='shimx64.efi'))
    efi = lines[lines.index('dhcp-match=set:arch-efi-x64,option:client-arch,9') + 1:lines.index('dhcp-ignore=tag:!ipxe,tag:!arch-bios,tag:!arch-efi-x64')]
    assert efi == [
        'dhcp-boot=tag:!ipxe,tag:arch-efi-x64,tag:!secure-boot,snponly.efi,,10.0.0.2',
        'dhcp-mac=set:secure-boot,52:54:00:00:00:01',
        'dhcp-mac=set:secure-boot,52:54:00:00:00:02',
        'dhcp-boot=tag:!ipxe,tag:arch-efi-x64,tag:secure-boot,shimx64.efi,,10.0.0.2',
    ]
    assert config(secure_boot_macs=[], secure_boot_file='shimx64.efi') == config()


def test_no_log_by_default():
    assert 'log-dhcp' not in options(config())


@pytest.mark.parametrize('changes, message', [
    ({'interfaces': []}, 'proxy_dhcp_interfaces must be a non-empty list'),
    ({'interfaces': 'eth1'}, "proxy_dhcp_interfaces must be a non-empty list, got 'eth1'"),
    ({'interfaces': ['eth1\ndhcp-range=0.0.0.0,proxy']}, 'proxy_dhcp_interfaces[0] must be an interface name'),
    ({'interfaces': ['eth1,eth2']}, "proxy_dhcp_interfaces[0] must be an interface name like eth0, got 'eth1,eth2'"),
    ({'interfaces': ['averyveryverylongname']}, 'proxy_dhcp_interfaces[0] must be an interface name'),
    ({'subnets': ['10.0.0.1/24']}, "proxy_dhcp_subnets[0] must be an IPv4 network like 10.0.0.0/24, got '10.0.0.1/24'"),
    ({'subnets': ['10.0.0.0']}, 'proxy_dhcp_subnets[0] must be an IPv4 network'),
    ({'subnets': [' 10.0.0.0/24']}, 'proxy_dhcp_subnets[0] must be an IPv4 network'),
    ({'subnets': ['fd00::/64']}, 'proxy_dhcp_subnets[0] must be an IPv4 network'),
    ({'next_server': '10.0.0.256'}, "proxy_dhcp_next_server must be an IPv4 address, got '10.0.0.256'"),
    ({'next_server': '10.0.0.2,x'}, 'proxy_dhcp_next_server must be an IPv4 address'),
    ({'ipxe_script_url': 'http://10.0.0.2/boot.ipxe,,1.2.3.4'}, 'proxy_dhcp_ipxe_script_url must be an http(s) URL'),
    ({'ipxe_script_url': 'tftp://10.0.0.2/boot.ipxe'}, 'proxy_dhcp_ipxe_script_url must be an http(s) URL'),
    ({'ipxe_script_url': 'http://10.0.0.2/a b'}, 'proxy_dhcp_ipxe_script_url must be an http(s) URL'),
    ({'ipxe_script_url': 'http://10.0.0.2/#x'}, 'proxy_dhcp_ipxe_script_url must be an http(s) URL'),
    ({'boot_files': {}}, 'proxy_dhcp_boot_files must be a non-empty mapping'),
    ({'boot_files': {'sparc': 'x.efi'}}, "proxy_dhcp_boot_files has unknown architecture name(s) 'sparc'"),
    ({'boot_files': {'http-x64': 'ipxe.efi'}}, 'proxy_dhcp_boot_files: http-x64 is UEFI HTTP boot'),
    ({'boot_files': {'bios': 'a,b.kpxe'}}, "proxy_dhcp_boot_files['bios'] must be a path relative to the TFTP root"),
    ({'boot_files': {'bios': '../etc/passwd'}}, "proxy_dhcp_boot_files['bios'] must be a path relative to the TFTP root"),
    ({'boot_files': {'bios': 'http://10.0.0.2/undionly.kpxe'}}, "proxy_dhcp_boot_files['bios'] must be a path"),
    ({'boot_files': {'bios': ''}}, "proxy_dhcp_boot_files['bios'] must be a non-empty string"),
    ({'log': 'yes'}, "proxy_dhcp_log must be a boolean, got 'yes'"),
    ({'secure_boot_macs': '52:54:00:00:00:01', 'secure_boot_file': 'shimx64.efi'},
     "proxy_dhcp_secure_boot_macs must be a list of MAC addresses, got '52:54:00:00:00:01'"),
    ({'secure_boot_macs': ['52:54:00:00:00:01,set:x'], 'secure_boot_file': 'shimx64.efi'},
     'proxy_dhcp_secure_boot_macs[0] must be a MAC address like 52:54:00:12:34:56'),
    ({'secure_boot_macs': ['52:54:00:00:00:01'], 'secure_boot_file': ''},
     'proxy_dhcp_secure_boot_file must be a non-empty string'),
    ({'secure_boot_macs': ['52:54:00:00:00:01'], 'secure_boot_file': 'shim x64.efi'},
     'proxy_dhcp_secure_boot_file must be a path relative to the TFTP root without ".."; got'),
    ({'secure_boot_macs': ['52:54:00:00:00:01'], 'secure_boot_file': 'shimx64.efi', 'boot_files': {'bios': 'undionly.kpxe'}},
     'proxy_dhcp_secure_boot_macs needs proxy_dhcp_boot_files efi-x64'),
])
def test_refused(changes, message):
    with pytest.raises(ProxyDhcpError) as error:
        config(**changes)
    assert message in str(error.value)


# Characters that end a value, start a comment, quote or break a line in a dnsmasq file.
SYNTAX = tuple('\n\r\x00,#"\'\\ \t') + ('\x0b', '\x0c', '\x85', '\u2028', '\u2029')
PIECES = SYNTAX + ('a', '/', '-', '.', '0', ':', 'é', '..', 'http://', 'eth1', ',proxy,', '\n')
TEXT = st.lists(st.sampled_from(PIECES), min_size=1, max_size=8).map(''.join)


@settings(max_examples=400, deadline=None)
@given(field=st.sampled_from(['interface', 'next_server', 'ipxe_script_url', 'boot_file']), text=TEXT)
def test_an_accepted_value_adds_no_line_option_or_field(field, text):
    """Whatever a value holds, either it is refused or every line keeps its option and its fields."""
    changes = {
        'interface': {'interfaces': [text]},
        'next_server': {'next_server': text},
        'ipxe_script_url': {'ipxe_script_url': 'http://10.0.0.2/' + text},
        'boot_file': {'boot_files': {'bios': text, 'efi-x64': 'snponly.efi'}},
    }[field]
    try:
        text_out = config(**changes)
    except ProxyDhcpError:
        return
    reference = options(config())
    found = options(text_out)
    assert len(found) == len(reference)
    for line, expected in zip(found, reference):
        assert line.split('=', 1)[0] == expected.split('=', 1)[0]
        assert line.count(',') == expected.count(',')
        assert not set(line) & set('#"\'\\ \t\r\x00\x0b\x0c\x85\u2028\u2029') or line.startswith('pxe-service=')
