"""Bad inventory input, through the real playbook against the running server: each run fails
with a message naming the variable and the value, changes no managed file, and leaves the
server answering DHCP."""

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
HA_SELF = {'name': 'netboot-server-13', 'url': 'http://10.77.13.2:8000/', 'role': 'primary'}
HA_PEER = {'name': 'netboot-peer', 'url': 'http://10.77.13.9:8000/', 'role': 'standby'}


def subnets(index, **changes):
    result = json.loads(json.dumps(TWO_SUBNETS))
    result[index].update(changes)
    return result


# (case id, extra vars, strings the failure message must contain: the variable and the value)
CASES = [
    ('mac-malformed', {'netboot_reservations': [{'hw-address': '52:54:00:zz:13:01', 'ip-address': '10.77.13.20'}]},
     ['netboot_reservations[0].hw-address', '52:54:00:zz:13:01']),
    ('mac-short', {'netboot_reservations': [{'hw-address': '52:54:00:13:01', 'ip-address': '10.77.13.20'}]},
     ['netboot_reservations[0].hw-address', '52:54:00:13:01']),
    ('mac-duplicate', {'netboot_reservations': [{'hw-address': MAC, 'ip-address': '10.77.13.20'},
                                                {'hw-address': MAC.upper(), 'ip-address': '10.77.13.21'}]},
     ['netboot_reservations[1].hw-address', MAC.upper()]),
    ('ip-duplicate', {'netboot_reservations': [{'hw-address': MAC, 'ip-address': '10.77.13.20'},
                                               {'hw-address': '52:54:00:00:13:02', 'ip-address': '10.77.13.20'}]},
     ['netboot_reservations[1].ip-address', '10.77.13.20']),
    ('ip-outside-subnet', {'netboot_reservations': [{'hw-address': MAC, 'ip-address': '10.77.14.20'}]},
     ['netboot_reservations[0].ip-address', '10.77.14.20']),
    ('ip-in-pool', {'netboot_reservations': [{'hw-address': MAC, 'ip-address': '10.77.13.200'}]},
     ['netboot_reservations[0].ip-address', '10.77.13.200', 'pool']),
    ('ip-malformed', {'netboot_reservations': [{'hw-address': MAC, 'ip-address': '10.77.13.300'}]},
     ['netboot_reservations[0].ip-address', '10.77.13.300']),
    ('reservation-boot-file', {'netboot_reservations': [{'hw-address': MAC, 'ip-address': '10.77.13.20',
                                                         'boot-file-name': 'pxelinux.0'}]},
     ['netboot_reservations[0]', 'boot-file-name', 'pxelinux.0']),
    ('pool-outside-subnet', {'netboot_pool': '10.77.14.100 - 10.77.14.200'},
     ['netboot_pool', '10.77.14.100 - 10.77.14.200']),
    ('pool-malformed', {'netboot_pool': '10.77.13.100 to 10.77.13.200'}, ['netboot_pool', '10.77.13.100 to 10.77.13.200']),
    ('pool-holds-server', {'netboot_pool': '10.77.13.1 - 10.77.13.50'}, ['netboot_pool', '10.77.13.1 - 10.77.13.50']),
    ('subnet-without-server', {'netboot_subnet': '10.77.14.0/24'}, ['netboot_subnet', '10.77.14.0/24']),
    ('subnets-overlap', {'kea_dhcp4_subnets': subnets(1, subnet='10.77.13.128/25', pools=[])},
     ['kea_dhcp4_subnets[1].subnet', '10.77.13.128/25']),
    ('pools-overlap', {'kea_dhcp4_subnets': subnets(0, pools=[{'pool': '10.77.13.100 - 10.77.13.150'},
                                                              {'pool': '10.77.13.140 - 10.77.13.160'}])},
     ['kea_dhcp4_subnets[0].pools[1].pool', '10.77.13.140 - 10.77.13.160']),
    ('pool-outside-its-subnet', {'kea_dhcp4_subnets': subnets(1, pools=[{'pool': '10.77.98.1 - 10.77.98.9'}])},
     ['kea_dhcp4_subnets[1].pools[0].pool', '10.77.98.1 - 10.77.98.9']),
    ('subnet-ids-duplicate', {'kea_dhcp4_subnets': subnets(1, id=1)}, ['kea_dhcp4_subnets[1].id', '1']),
    ('arch-unknown', {'netboot_boot_files': {'bios': 'undionly.kpxe', 'efi-x65': 'snponly.efi'}},
     ['netboot_boot_files', 'efi-x65']),
    ('boot-file-dotdot', {'netboot_boot_files': {'bios': '../etc/passwd'}}, ['netboot_boot_files', '../etc/passwd']),
    ('boot-file-absolute', {'netboot_boot_files': {'bios': '/srv/tftp/undionly.kpxe'}},
     ['netboot_boot_files', '/srv/tftp/undionly.kpxe']),
    ('menu-duplicate-keys', {'ipxe_menu_items': [BOOT_ITEM, dict(BOOT_ITEM, label='Again')]},
     ['ipxe_menu_items', 'debian']),
    ('menu-missing-kernel', {'ipxe_menu_items': [{'key': 'debian', 'label': 'Debian'}]},
     ['ipxe_menu_items[0]', 'debian', 'kernel']),
    ('menu-newline', {'ipxe_menu_items': [dict(BOOT_ITEM, label='Debian\nshell')]},
     ['ipxe_menu_items[0]', 'control character']),
    ('menu-unbalanced-quote', {'ipxe_menu_items': [dict(BOOT_ITEM, args='console="ttyS0')]},
     ['ipxe_menu_items[0]', 'console="ttyS0']),
    ('menu-open-expansion', {'ipxe_menu_items': [dict(BOOT_ITEM, args='ip=${net0/ip')]},
     ['ipxe_menu_items[0]', 'ip=${net0/ip']),
    ('menu-default-unknown', {'ipxe_menu_default': 'windows'}, ['ipxe_menu_default', 'windows']),
    ('interface-missing', {'netboot_interface': 'eth9'}, ['netboot_interface', 'eth9']),
    ('address-not-on-interface', {'netboot_interface': 'lo'}, ['netboot_server_address', '10.77.13.2', 'lo']),
    ('kea-interface-missing', {'kea_dhcp4_interfaces': ['eth7']}, ['kea_dhcp4_interfaces', 'eth7']),
    ('extra-file-checksum', {'ipxe_extra_files': [{'name': 'ipxe-new.efi', 'url': 'http://10.77.13.2/x.efi',
                                                   'checksum': 'md5:0cc175b9c0f1b6a831c399e269772661'}]},
     ['ipxe_extra_files', 'md5:0cc175b9c0f1b6a831c399e269772661']),
    ('extra-file-short-checksum', {'ipxe_extra_files': [{'name': 'ipxe-new.efi', 'url': 'http://10.77.13.2/x.efi',
                                                         'checksum': 'sha256:abc123'}]},
     ['ipxe_extra_files', 'sha256:abc123']),
    ('extra-file-dotdot', {'ipxe_extra_files': [{'name': '../boot.ipxe', 'url': 'http://10.77.13.2/x.efi',
                                                 'checksum': 'sha256:' + 'a' * 64}]},
     ['ipxe_extra_files', '../boot.ipxe']),
    ('host-mac-malformed', {'ipxe_hosts': [{'mac': '52:54:00:13', 'items': [BOOT_ITEM]}]}, ['ipxe_hosts', '52:54:00:13']),
    ('host-mac-duplicate', {'ipxe_hosts': [{'mac': MAC, 'items': [BOOT_ITEM]}, {'mac': MAC, 'items': [BOOT_ITEM]}]},
     ['ipxe_hosts', MAC]),
    ('host-os-not-in-catalog', {'ipxe_hosts': [{'mac': MAC, 'os': 'windows-11'}]}, ['ipxe_hosts[0].os', 'windows-11']),
    ('host-items-and-os', {'ipxe_hosts': [{'mac': MAC, 'os': 'debian-13', 'items': [BOOT_ITEM]}]},
     ['ipxe_hosts[0]', 'debian-13']),
    ('catalog-checksum', {'ipxe_os_entries': [{'name': 'debian-13', 'enabled': True,
                                               'kernel': {'url': 'http://10.77.13.3:8080/linux', 'checksum': 'md5:abc'}}]},
     ['ipxe_os_entries[0].kernel', 'md5:abc']),
    ('catalog-family', {'ipxe_os_entries': [{'name': 'windows-11', 'label': 'Windows', 'family': 'windows',
                                             'architecture': 'x86_64', 'iso': {'url': '/srv/win.iso'}}]},
     ['ipxe_os_entries[0]', 'windows']),
    ('catalog-args-newline', {'ipxe_os_entries': [{'name': 'debian-13', 'args': 'quiet\nshell'}]},
     ['ipxe_os_entries[0]', 'args']),
    ('router-malformed', {'netboot_routers': ['10.77.13.256']}, ['netboot_routers', '10.77.13.256']),
    ('dns-not-a-list', {'netboot_dns_servers': '10.77.13.1'}, ['netboot_dns_servers', '10.77.13.1']),
    ('tftp-blocksize', {'tftpd_blocksize': 70000}, ['tftpd_blocksize', '70000']),
    ('nginx-root-injection', {'nginx_root': '/srv/netboot; autoindex on'}, ['nginx_root', '/srv/netboot; autoindex on']),
    ('kea-lifetime-type', {'kea_dhcp4_valid_lifetime': 'one hour'}, ['kea_dhcp4_valid_lifetime', 'one hour']),
    ('ha-alone', {'kea_dhcp4_ha_enabled': True}, ['kea_dhcp4_ha_group netboot_servers', 'at least 2']),
    ('ha-mode', {'kea_dhcp4_ha_enabled': True, 'kea_dhcp4_ha_mode': 'active-active'},
     ['kea_dhcp4_ha_mode', 'active-active']),
    ('ha-peer-url', {'kea_dhcp4_ha_enabled': True, 'kea_dhcp4_ha_peers': [HA_SELF, dict(HA_PEER, url='ftp://10.77.13.9/')]},
     ['kea_dhcp4_ha_peers[1].url', 'ftp://10.77.13.9/']),
    ('ha-address-not-own', {'kea_dhcp4_ha_enabled': True,
                            'kea_dhcp4_ha_peers': [dict(HA_SELF, url='http://10.77.13.50:8000/'), HA_PEER]},
     ['kea_dhcp4_ha_peers', '10.77.13.50']),
    ('relayed-no-router', {'netboot_relayed_subnets': [{'subnet': '10.77.99.0/24'}]},
     ['netboot_relayed_subnets[0].routers', 'None']),
    ('relayed-reservation-in-pool', {'netboot_relayed_subnets': [{'subnet': '10.77.99.0/24', 'routers': ['10.77.99.1']}],
                                     'netboot_reservations': [{'hw-address': MAC, 'ip-address': '10.77.99.200'}]},
     ['netboot_reservations[0].ip-address', '10.77.99.200', '10.77.99.128 - 10.77.99.254']),
    ('relayed-overlap', {'netboot_relayed_subnets': [{'subnet': '10.77.13.0/25', 'routers': ['10.77.13.1']}]},
     ['kea_dhcp4_subnets[1].subnet', '10.77.13.0/25']),
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
