# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Whole-string validators shared by the filters, modules and role checks.

Every check matches the whole string (``re.fullmatch``): ``re.match`` with ``$`` also accepts a
string with a final newline, which would add a line to a generated file.

Private module: its API may change without notice.
"""

from __future__ import annotations

import ipaddress
import re

_OCTET = r'(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])'
IPV4 = re.compile(rf'{_OCTET}(?:\.{_OCTET}){{3}}')
# The notations of a MAC address in common use: 52:54:00:12:34:56, 52-54-00-12-34-56,
# 5254.0012.3456 (Cisco) and 525400123456.
_MAC_FORMS = (
    re.compile(r'[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}'),
    re.compile(r'[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5}'),
    re.compile(r'[0-9A-Fa-f]{4}(?:\.[0-9A-Fa-f]{4}){2}'),
    re.compile(r'[0-9A-Fa-f]{12}'),
)
# Characters that end or continue a line, or end a string, in some generated file.
_LINE_BREAKING = re.compile(r'[\x00-\x08\x0a-\x1f\x7f\u2028\u2029\x85]')


def whole_match(pattern, value):
    """Whether the string ``value`` matches ``pattern`` from its first to its last character."""
    return isinstance(value, str) and re.fullmatch(pattern, value) is not None


def is_ipv4(value):
    """Whether ``value`` is an IPv4 address in dotted decimal, without leading zeros or spaces."""
    return isinstance(value, str) and IPV4.fullmatch(value) is not None


def normalize_mac(value):
    """``value`` as lower-case colon-separated hex (from any notation of _MAC_FORMS), or None."""
    if not isinstance(value, str) or not any(form.fullmatch(value) for form in _MAC_FORMS):
        return None
    digits = re.sub(r'[:.-]', '', value).lower()
    return ':'.join(digits[index:index + 2] for index in range(0, 12, 2))


def parse_pool(value):
    """(first, last) IPv4Address of a pool, ``a - b`` or CIDR; ValueError if malformed."""
    if not isinstance(value, str) or _LINE_BREAKING.search(value):
        raise ValueError(value)
    if '/' in value:
        network = ipaddress.IPv4Network(value.strip())
        return network.network_address, network.broadcast_address
    parts = value.split('-')
    if len(parts) != 2 or not all(is_ipv4(part.strip(' ')) for part in parts):
        raise ValueError(value)
    first, last = (ipaddress.IPv4Address(part.strip(' ')) for part in parts)
    if first > last:
        raise ValueError(value)
    return first, last


def single_line(value):
    """Whether the string ``value`` stays on one line of any generated file (no CR, LF, NUL or other control)."""
    return isinstance(value, str) and _LINE_BREAKING.search(value) is None
