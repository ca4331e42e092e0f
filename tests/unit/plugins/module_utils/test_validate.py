# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import ipaddress

import pytest

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
