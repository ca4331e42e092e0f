"""Bad inventory input, through the real playbook against the running server: each run fails
with a message naming the variable and the value, changes no managed file, and leaves the
server answering DHCP. One case per kind of check (plan, role check, argument spec, Kea);
the tables of the pure functions behind them are unit tests (tests/unit)."""

import json
import os

import pytest

from conftest import managed_files
from netboot_checks import run_site

# The table runs once, on the Debian 13 server of the default scenario.
pytestmark = pytest.mark.skipif(os.environ.get('MOLECULE_SCENARIO_NAME') != 'default',
                                reason='the bad-input table runs in the default scenario')

MAC = '52:54:00:00:13:01'
BOOT_ITEM = {'key': 'debian', 'label': 'Debian', 'kernel': 'debian/linux'}
TWO_SUBNETS = [
    {'id': 1, 'subnet': '10.77.13.0/24', 'pools': [{'pool': '10.77.13.128 - 10.77.13.254'}]},
    {'id': 2, 'subnet': '10.77.99.0/24', 'pools': [{'pool': '10.77.99.100 - 10.77.99.199'}]},
]
HA_SELF = {'name': 'netboot-server-13', 'url': 'https://10.77.13.2:8000/', 'role': 'primary'}
HA_PEER = {'name': 'netboot-peer', 'url': 'https://10.77.13.9:8000/', 'role': 'standby'}


# (case id, extra vars, strings the failure message must contain: the variable and the value)
CASES = [
    ('mac-malformed', {'netboot_reservations': [{'hw-address': '52:54:00:zz:13:01', 'ip-address': '10.77.13.20'}]},
     ['netboot_reservations[0].hw-address', '52:54:00:zz:13:01']),
    ('reservation-unknown-key', {'netboot_reservations': [{'hw-address': MAC, 'ip-adress': '10.77.13.20'}]},
     ['netboot_reservations[0]', 'unknown key(s) ip-adress']),
    ('pool-holds-server', {'netboot_pool': '10.77.13.1 - 10.77.13.50'}, ['netboot_pool', '10.77.13.1 - 10.77.13.50']),
    ('arch-unknown', {'netboot_boot_files': {'bios': 'undionly.kpxe', 'efi-x65': 'snponly.efi'}},
     ['netboot_boot_files', 'efi-x65']),
    ('menu-newline', {'ipxe_menu_items': [dict(BOOT_ITEM, label='Debian\nshell')]},
     ['ipxe_menu_items[0]', 'control character']),
    ('menu-default-unknown', {'ipxe_menu_default': 'windows'}, ['ipxe_menu_default', 'windows']),
    ('interface-missing', {'netboot_interface': 'eth9'}, ['netboot_interface', 'eth9']),
    ('address-not-on-interface', {'netboot_interface': 'lo'}, ['netboot_server_address', '10.77.13.2', 'lo']),
    ('kea-interface-missing', {'kea_dhcp4_interfaces': ['eth7']}, ['kea_dhcp4_interfaces', 'eth7']),
    ('extra-file-checksum', {'ipxe_extra_files': [{'name': 'ipxe-new.efi', 'url': 'http://10.77.13.2/x.efi',
                                                   'checksum': 'md5:0cc175b9c0f1b6a831c399e269772661'}]},
     ['ipxe_extra_files', 'md5:0cc175b9c0f1b6a831c399e269772661']),
    ('host-os-not-in-catalog', {'ipxe_hosts': [{'mac': MAC, 'os': 'windows-11'}]}, ['ipxe_hosts[0].os', 'windows-11']),
    ('catalog-checksum', {'ipxe_os_entries': [{'name': 'debian-13', 'enabled': True,
                                               'kernel': {'url': 'http://10.77.13.3:8080/linux', 'checksum': 'md5:abc'}}]},
     ['ipxe_os_entries[0].kernel', 'md5:abc']),
    ('dns-not-a-list', {'netboot_dns_servers': '10.77.13.1'}, ['netboot_dns_servers', '10.77.13.1']),
    ('tftp-blocksize', {'tftpd_blocksize': 70000}, ['tftpd_blocksize', '70000']),
    ('nginx-root-injection', {'nginx_root': '/srv/netboot; autoindex on'}, ['nginx_root', '/srv/netboot; autoindex on']),
    ('kea-lifetime-type', {'kea_dhcp4_valid_lifetime': 'one hour'}, ['kea_dhcp4_valid_lifetime', 'one hour']),
    ('ha-alone', {'kea_dhcp4_ha_enabled': True}, ['kea_dhcp4_ha_group netboot_servers', 'at least 2']),
    ('ha-mode', {'kea_dhcp4_ha_enabled': True, 'kea_dhcp4_ha_mode': 'active-active'},
     ['kea_dhcp4_ha_mode', 'active-active']),
    ('ha-address-not-own', {'kea_dhcp4_ha_enabled': True,
                            'kea_dhcp4_ha_peers': [dict(HA_SELF, url='https://10.77.13.50:8000/'), HA_PEER]},
     ['kea_dhcp4_ha_peers', '10.77.13.50']),
    ('ha-open-channel', {'kea_dhcp4_ha_enabled': True, 'kea_dhcp4_ha_tls': False, 'kea_dhcp4_ha_firewall': False,
                         'kea_dhcp4_ha_peers': [dict(HA_SELF, url='http://10.77.13.2:8000/'),
                                                dict(HA_PEER, url='http://10.77.13.9:8000/')]},
     ['kea_dhcp4_ha_firewall: false needs kea_dhcp4_ha_tls: true']),
    ('relayed-reservation-in-pool', {'netboot_relayed_subnets': [{'subnet': '10.77.99.0/24', 'routers': ['10.77.99.1']}],
                                     'netboot_reservations': [{'hw-address': MAC, 'ip-address': '10.77.99.200'}]},
     ['netboot_reservations[0].ip-address', '10.77.99.200', '10.77.99.128 - 10.77.99.254']),
    ('relayed-overlap', {'netboot_relayed_subnets': [{'subnet': '10.77.13.0/25', 'routers': ['10.77.13.1']}]},
     ['kea_dhcp4_subnets[1].subnet', '10.77.13.0/25']),
    # Refused by the nested argument spec of ipxe_hosts, before the role's own checks.
    ('host-unknown-key', {'ipxe_hosts': [{'mac': MAC, 'os': 'debian-13', 'hostnmae': 'web1'}]},
     ['hostnmae', 'ipxe_hosts']),
    ('boot-file-not-staged', {'netboot_boot_files': {'efi-x64': 'snp-new.efi'}},
     ["ipxe_boot_files['efi-x64']", 'snp-new.efi', 'not staged']),
    ('ssh-key-injection', {'ipxe_answer_ssh_keys': ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0 a\nd-i preseed/late_command string id']},
     ['ipxe_answer_ssh_keys[0]', 'preseed/late_command']),
    ('reservation-of-the-server', {'netboot_reservations': [{'hw-address': MAC, 'ip-address': '10.77.13.2'}]},
     ['netboot_reservations[0].ip-address', '10.77.13.2', 'the address of this server']),
    ('pool-holds-broadcast', {'netboot_pool': '10.77.13.200 - 10.77.13.255'},
     ['netboot_pool', '10.77.13.200 - 10.77.13.255', 'broadcast']),
    ('kea-lifetime-zero', {'kea_dhcp4_valid_lifetime': 0}, ['kea_dhcp4_valid_lifetime', 'got 0']),
    ('tftpd-writable', {'tftpd_extra_options': ['--create']}, ['tftpd_extra_options', '--create']),
    ('kea-subnets-and-host-addresses', {'kea_dhcp4_subnets': TWO_SUBNETS},
     ['kea_dhcp4_subnets and ipxe_hosts (the entries with an ip) are both set', '10.77.13.50']),
]


@pytest.fixture(scope='module')
def good_state(server):
    """The managed files of the running server before any bad run."""
    return managed_files(server)


@pytest.mark.parametrize('extra_vars, expected', [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_bad_input_is_refused_before_any_change(server, dhcp, good_state, extra_vars, expected):
    result = run_site('-e', json.dumps(extra_vars))
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    failed = [line for line in output.splitlines() if line.startswith(('fatal:', '[ERROR]'))]
    assert failed, output[-3000:]
    message = '\n'.join(failed)
    for text in expected:
        assert text in message, f'{text!r} not in: {message[-2000:]}'
    assert 'changed=0' in output.split('PLAY RECAP')[-1], output[-1500:]
    assert managed_files(server) == good_state
    assert dhcp(7)['ack']['file'] == 'snponly.efi'
