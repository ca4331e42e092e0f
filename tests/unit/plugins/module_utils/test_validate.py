# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import ipaddress

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils import _validate
from ansible_collections.netboot.pxe.plugins.module_utils._validate import (
    is_ipv4,
    normalize_mac,
    parse_pool,
    single_line,
    whole_match,
)


@pytest.mark.parametrize('value, expected', [
    ('10.0.0.1', True), ('0.0.0.0', True), ('255.255.255.255', True),
    ('10.0.0.1\n', False), (' 10.0.0.1', False), ('010.0.0.1', False), ('10.0.0.256', False),
    ('10.0.0', False), ('10.0.0.1.2', False), ('', False), (None, False), (167772161, False), ('1e1.0.0.1', False),
])
def test_is_ipv4(value, expected):
    assert is_ipv4(value) is expected


@pytest.mark.parametrize('value, expected', [
    ('52:54:00:AB:cd:01', '52:54:00:ab:cd:01'),
    ('52-54-00-ab-cd-01', '52:54:00:ab:cd:01'),
    ('5254.00ab.cd01', '52:54:00:ab:cd:01'),
    ('525400abcd01', '52:54:00:ab:cd:01'),
    ('52:54:00:ab:cd:01\n', None),
    ('52:54:00-ab:cd:01', None),
    ('52:54:00:ab:cd', None),
    ('52:54:00:ab:cd:0g', None),
    ('5254:00ab:cd01', None),
    ('5254.00ab.cd01.', None),
    ('', None),
    (525400, None),
    (None, None),
])
def test_normalize_mac(value, expected):
    assert normalize_mac(value) == expected


@pytest.mark.parametrize('value, expected', [
    ('10.0.0.100 - 10.0.0.199', ('10.0.0.100', '10.0.0.199')),
    ('10.0.0.100-10.0.0.199', ('10.0.0.100', '10.0.0.199')),
    ('10.0.0.5 - 10.0.0.5', ('10.0.0.5', '10.0.0.5')),
    ('10.0.0.128/25', ('10.0.0.128', '10.0.0.255')),
])
def test_parse_pool(value, expected):
    assert parse_pool(value) == tuple(ipaddress.IPv4Address(address) for address in expected)


@pytest.mark.parametrize('value', [
    '10.0.0.199 - 10.0.0.100', '10.0.0.100 - 10.0.0.199\n', '10.0.0.100\t- 10.0.0.199', '10.0.0.100 to 10.0.0.199',
    '10.0.0.100 - 10.0.0.199 - 10.0.0.250', '010.0.0.1 - 10.0.0.9', '10.0.0.1/33', '', None, ['10.0.0.1', '10.0.0.9'],
    '10.0.0.1', '10.0.0.300 - 10.0.0.301', '10.0.0.1/24',
])
def test_parse_pool_refuses(value):
    with pytest.raises(ValueError):
        parse_pool(value)


@pytest.mark.parametrize('value, expected', [
    ('ssh-ed25519 AAAA user@lab', True), ('tab\tinside', True), ('', True),
    ('two\nlines', False), ('carriage\rreturn', False), ('nul\x00', False), ('escape\x1b[0m', False),
    ('line\u2028separator', False), ('delete\x7f', False), (None, False), (5, False),
])
def test_single_line(value, expected):
    assert single_line(value) is expected


@pytest.mark.parametrize('pattern, value, expected', [
    ('[0-9]+', '123', True), ('[0-9]+', '123\n', False), ('[0-9]+', 'a123', False), ('[0-9]+', 123, False),
    ('/[^\\s]*', '/srv/tftp', True), ('/[^\\s]*', '/srv/tftp\n', False),
])
def test_whole_match(pattern, value, expected):
    assert whole_match(pattern, value) is expected


# (name of a shared pattern, values it takes whole, values it refuses)
PATTERNS = [
    ('DNS_LABEL', ['kea1', 'Peer-2', 'a'], ['-a', 'a-', 'a.b', 'a' * 64]),
    ('DNS_NAME', ['db.lab', 'DB1.example.org', 'a'], ['db..lab', '.lab', 'a_b.lab', 'a.' * 127 + 'ab']),
    ('HOST_NAME', ['web1', 'a-b'], ['Web1', 'web1.lab', '-web', 'a' * 64]),
    ('MAC_KEY', ['52-54-00-12-34-5f'], ['52:54:00:12:34:5f', '52-54-00-12-34-5F', '52-54-00-12-34']),
    ('BUILD_TOKEN', ['0123456789abcdef' * 2], ['0123456789ABCDEF' * 2, '0123456789abcdef']),
    ('MENU_KEY', ['debian-13', 'a.b_c'], ['-debian', 'a b', 'a' * 65]),
    ('CATALOG_NAME', ['debian-13'], ['Debian-13', '.hidden', 'a/b']),
    ('PACKAGE_NAME', ['grub-efi-amd64-signed', 'g++'], ['G', 'a', 'a b']),
    ('IMAGE_NAME', ['trixie', 'web-2', '0', 'a' * 63], ['Trixie', '-web', 'a.b', 'a_b', 'a/b', 'a' * 64, '']),
    ('DISK_PATH', ['/dev/sda', '/dev/nvme0n1', '/dev/mmcblk0'],
     ['/dev/', 'sda', '/dev/disk/by-id/x', '/dev/../etc/shadow', '/dev/.x', '/dev/sd a', '/dev/sda;']),
    ('DISK_ID', ['S4EWNX0R123456', 'Samsung SSD 970 EVO Plus 1TB', 'QEMU_HARDDISK', 'a'],
     ['', ' lead', 'trail ', 'tab\tin', 'caf\xe9', 'a' * 129, 'nul\x00']),
    ('KERNEL_ARGS', ['console=tty0 console=ttyS0,115200', 'quiet', ''],
     ['a  b', ' a', 'a ', 'a;b', 'a$b', 'a#b', "a'b", 'a"b', 'a{b}', 'a\tb', 'a||b', 'a\\b']),
    ('SQL_NAME', ['kea', '_kea_leases1'], ['Kea', '1kea', 'kea-db', 'a' * 64]),
    ('INTERFACE', ['eth0', 'br-lab.10', 'veth@if3'], ['eth 0', 'a/b', 'a:b', 'a' * 16]),
    ('DIGITS', ['0', '15'], ['', '1.5', '-1']),
    ('FILE_MODE', ['0640', '755'], ['0800', '06400', 'rw']),
    ('RELATIVE_PATH', ['a', 'a/b.c', 'os/debian-13/linux'], ['/a', 'a/../b', '.a', 'a//b', 'a/']),
    ('ABSOLUTE_PATH', ['/srv/tftp', '/a/b+c'], ['/', 'srv', '/a/../b', '/a/.b', '/a b']),
    ('FILE_PATH', ['/etc/kea/tls/ca.crt', '/a@b'], ['etc/kea', '/a b', "/a'b"]),
    ('FILE_NAME', ['linux', 'initrd.gz', 'a~b'], ['.a', 'a/b', 'a b']),
    ('BOOT_FILE', ['ipxe.efi', 'ipxe/undionly.kpxe'], ['/ipxe.efi', 'a b', '.a']),
    ('HTTP_URL', ['http://10.0.0.2/boot.ipxe', 'https://boot.lab', 'http://10.0.0.2:8080/a%20b/c~d', 'http://[fd00::2]:80/x',
                  'http://10.0.0.2:65535'],
     ['ftp://a/b', 'http://a b/', 'http://a?b/', 'http://',
      # The security review's inputs: shell commands in the path, iPXE and GRUB commands in the port.
      'http://10.0.0.2/x$(touch${IFS}/tmp/PWNED)y', 'http://10.0.0.2:80;reboot;',
      "http://10.0.0.2:80;};set;default=1;set;timeout=0;menuentry'x'{/vmlinuz", 'http://10.0.0.2:8x',
      'http://10.0.0.2:0/', 'http://10.0.0.2:65536/', 'http://10.0.0.2:080/', 'http://u@10.0.0.2/', 'http://-a/',
      "http://10.0.0.2/a'b", 'http://10.0.0.2/a;b', 'http://10.0.0.2/a&b', 'http://10.0.0.2/a`b`', 'http://10.0.0.2/a#b']),
    ('TFTP_URL', ['tftp://10.0.0.2/undionly.kpxe', 'tftp://boot.lab:69/a'], ['tftp://10.0.0.2:69;reboot;/a', 'http://10.0.0.2/']),
    ('FILE_URL', ['file:///srv/a.iso'], ['file://host/a', 'file:///a b']),
    ('PEER_URL', ['https://10.0.0.2:8000/', 'http://kea1:8000'], ['http://kea1', 'http://kea1:8000/x', 'http://u@kea1:80']),
    ('DNSMASQ_URL', ['http://10.0.0.2/boot.ipxe', 'http://boot.lab:8080/a/b'], ['http://a/b,c', 'http://a/b#c', 'http://a/b c']),
    ('GRUB_WORDS', ['console=ttyS0 panic=-1', 'a=b,c'], ['a;b', 'a$b', 'a  b', "a'b", 'a{b}']),
    ('GRUB_URL_PATH', ['/boot-test/vmlinuz'], ['boot', '/a b', '/a;b']),
    ('GRUB_URL_HOST', ['10.0.0.2', 'boot.lab', '[fd00::2]'], ['a b', 'a;b']),
    ('CHECKSUM', ['sha256:' + 'a' * 64, 'sha512:' + 'B' * 128], ['sha256:' + 'a' * 63, 'md5:' + 'a' * 32, 'a' * 64]),
    ('SSH_KEY', ['ssh-ed25519 ' + 'A' * 68 + ' me@lab', 'ssh-rsa ' + 'A' * 16 + '=='], ['ssh-ed25519', 'ssh-foo ' + 'A' * 68]),
    ('HEX_IDENTIFIER', ['01:02:03', '010203', 'aB'], ['1:2', '0102:03', '012']),
    ('QUOTED_IDENTIFIER', ["'rack-1'"], ["rack-1", "'a'b'", "'a\\b'", "''"]),
    ('IPV4_HOST_OR_NETWORK', ['10.0.0.5', '10.0.0.0/8', '0.0.0.0/0'], ['10.0.0.0/08', '10.0.0.0/33', '10.0.0.0/']),
    # Clients let in (kea_database_clients): never /0, every address.
    ('IPV4_CLIENT', ['10.0.0.5', '10.0.0.0/24', '10.0.0.5/32', '10.0.0.0/8', '0.0.0.0/1', '128.0.0.0/1'],
     ['0.0.0.0/0', '10.0.0.0/0', '10.0.0.0/00', '10.0.0.0/08', '10.0.0.0/33', '10.0.0.0/', '10.0.0.5 ', '10.0.0.256']),
]


@pytest.mark.parametrize('name, taken, refused', PATTERNS, ids=[row[0] for row in PATTERNS])
def test_shared_patterns_take_whole_strings(name, taken, refused):
    pattern = getattr(_validate, name)
    assert [value for value in taken if not pattern.fullmatch(value)] == []
    assert [value for value in refused if pattern.fullmatch(value)] == []
    # A final line break is never part of a value that reaches a generated file.
    assert [value for value in taken if pattern.fullmatch(value + '\n')] == []


@pytest.mark.parametrize('value, expected', [
    ('10.77.40.2', True), ('10.77.40.0/24', True), ('0.0.0.0/1', True),
    ('0.0.0.0/0', False), ('10.77.40.0/0', False), ('0.0.0.0/0\n', False), (None, False),
])
def test_ipv4_client_is_a_named_pattern_that_refuses_every_address(value, expected):
    assert _validate.valid(value, 'ipv4_client') is expected
