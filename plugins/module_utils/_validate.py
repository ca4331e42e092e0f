# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Whole-string validators shared by the filters, modules and role checks.

Every check matches the whole string (``re.fullmatch``): ``re.match`` with ``$`` also accepts a
string with a final newline, which would add a line to a generated file.

Private module: its API may change without notice.
"""

from __future__ import annotations

import ipaddress
import json
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
_LINE_BREAKING_CHARS = r'\x00-\x08\x0a-\x1f\x7f\u2028\u2029\x85'
_LINE_BREAKING = re.compile(f'[{_LINE_BREAKING_CHARS}]')
# A string that stays on one line of any generated file.
SINGLE_LINE = re.compile(f'[^{_LINE_BREAKING_CHARS}]*')

# --- Names
_DNS_LABEL = r'[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
# A DNS label, either case (a Kea HA peer's name).
DNS_LABEL = re.compile(_DNS_LABEL)
# A DNS name of such labels, at most 253 characters.
DNS_NAME = re.compile(rf'(?=.{{1,253}}$){_DNS_LABEL}(?:\.{_DNS_LABEL})*')
# A machine's host name: one lower-case label (what the installers take).
HOST_NAME = re.compile(r'[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?')
# A machine's key in file names: its MAC, lower case with "-".
MAC_KEY = re.compile(r'[0-9a-f]{2}(?:-[0-9a-f]{2}){5}')
# A build's token: 32 lower-case hexadecimal digits.
BUILD_TOKEN = re.compile(r'[0-9a-f]{32}')
# A menu item's key (a label in the iPXE script).
MENU_KEY = re.compile(r'[A-Za-z0-9][A-Za-z0-9._-]{0,63}')
# A catalog entry's name (a directory under the HTTP root).
CATALOG_NAME = re.compile(r'[a-z0-9][a-z0-9._-]{0,63}')
# An OS image's name (a directory under the HTTP root's images/).
IMAGE_NAME = re.compile(r'[a-z0-9][a-z0-9-]{0,62}')
# A Debian package's name.
PACKAGE_NAME = re.compile(r'[a-z0-9][a-z0-9+.-]+')
# A PostgreSQL name (database, user) that needs no quoting.
SQL_NAME = re.compile(r'[a-z_][a-z0-9_]{0,62}')
# A network interface name as Linux allows it (at most 15 bytes, no "/", ":" or spaces).
INTERFACE = re.compile(r'[A-Za-z0-9_.@-]{1,15}')
# A whole number of digits.
DIGITS = re.compile(r'[0-9]+')
# A file mode of owner, group and others (optionally with a leading 0).
FILE_MODE = re.compile(r'0?[0-7]{3}')

# --- Paths
# A name in a path: letters, digits and ._+-, not starting with "." (so never "." or "..").
PATH_NAME = r'[A-Za-z0-9_+-][A-Za-z0-9._+-]*'
# A path relative to a root: names joined by "/".
RELATIVE_PATH = re.compile(rf'{PATH_NAME}(?:/{PATH_NAME})*')
# An absolute path of such names.
ABSOLUTE_PATH = re.compile(rf'(?:/{PATH_NAME})+')
# A file a daemon or tool takes as it is (TLS files, keyrings, lease files): absolute, no
# spaces, quotes or control characters.
FILE_PATH = re.compile(r'/[A-Za-z0-9._+@/-]+')
# A file's name in a catalog entry.
FILE_NAME = re.compile(r'[A-Za-z0-9][A-Za-z0-9._+~-]*')
# A boot file under the TFTP root (a name or a relative path).
BOOT_FILE = re.compile(r'[A-Za-z0-9_][A-Za-z0-9_.+/-]*')

# --- URLs
# A URL's host: a DNS name (an IPv4 address is one too) or an IPv6 address in brackets.
_URL_HOST = rf'(?:{_DNS_LABEL}(?:\.{_DNS_LABEL})*|\[[0-9A-Fa-f:.]+\])'
# A port: a whole number from 1 to 65535, without leading zeros.
_URL_PORT = r'(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})'
# A path of characters that are one word in a shell, GRUB's and iPXE's languages alike: no quote,
# "$", ";", "&", "|", "#", "?", braces, brackets, parentheses, backslash, "!" or "*".
_URL_PATH = r'(?:/[A-Za-z0-9._~%+=,:@/-]*)'
# An http(s) URL: scheme, host, an optional port, an optional path; no query, fragment or user.
HTTP_URL = re.compile(rf'https?://{_URL_HOST}(?::{_URL_PORT})?{_URL_PATH}?')
# A tftp URL of the same parts.
TFTP_URL = re.compile(rf'tftp://{_URL_HOST}(?::{_URL_PORT})?{_URL_PATH}?')
# A file:// URL of a file on the controller.
FILE_URL = re.compile(r'file:///\S*')
# A Kea HA peer's URL: http(s)://HOST:PORT with an optional trailing slash and nothing after it.
PEER_URL = re.compile(r'(https?)://([^/:@?#\s]+):([0-9]{1,5})/?')
# A URL that may stand in a dnsmasq option value: no separator, quote, comment or line break.
DNSMASQ_URL = re.compile(r'https?://[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?(/[A-Za-z0-9._~/%+=-]*)?')

# --- BMCs
# A BMC's address: a DNS name or an IPv4 address, and an optional port.
BMC_ADDRESS = re.compile(rf'({_DNS_LABEL}(?:\.{_DNS_LABEL})*)(?::({_URL_PORT}))?')
# A BMC user's name: 1 to 64 printable ASCII characters, no space.
BMC_USER = re.compile(r'[!-~]{1,64}')
# A Redfish resource's Id (a system's): letters, digits and ._:-, at most 128.
REDFISH_ID = re.compile(r'[A-Za-z0-9][A-Za-z0-9._:-]{0,127}')

# --- GRUB's configuration language
# Words of a kernel command line that GRUB reads as they are: no quote, "$", ";", "|", "&",
# "<", ">", braces, backslash or "#".
GRUB_WORDS = re.compile(r'[A-Za-z0-9._,:/=@+%~*?^!\[\]-]+( [A-Za-z0-9._,:/=@+%~*?^!\[\]-]+)*')
# The path of a URL GRUB fetches, and its host.
GRUB_URL_PATH = re.compile(r'/[A-Za-z0-9._,:/=@+%~-]*')
GRUB_URL_HOST = re.compile(r'[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]+\]')
# What a menu title may not hold (GRUB quotes it in single quotes).
GRUB_TITLE_FORBIDDEN = re.compile(r"['\x00-\x1f\x7f\\]")

# --- Other values
# A disk as the kernel names it (/sys/block), under /dev: what the agent matches a disk's path with.
DISK_PATH = re.compile(r'/dev/[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}')
# A disk's serial or model as the kernel reports it: printable ASCII, no space at either end.
DISK_ID = re.compile(r'[!-~](?:[ -~]{0,126}[!-~])?')
# Plain words of a kernel command line, one space apart, or none: nothing iPXE, GRUB or a shell reads as syntax.
KERNEL_ARGS = re.compile(r'(?:[A-Za-z0-9._,:/=@+-]+(?: [A-Za-z0-9._,:/=@+-]+)*)?')
# A checksum of a catalog file, with its algorithm.
CHECKSUM = re.compile(r'sha256:[0-9a-fA-F]{64}|sha512:[0-9a-fA-F]{128}')
# One SSH public key line: type, key, and an optional comment of safe characters.
SSH_KEY = re.compile(r'(ssh-ed25519|ssh-rsa|ssh-dss|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com'
                     r'|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]{16,16384}={0,3}( [A-Za-z0-9@._+:=,-]{1,256})*')
# A host identifier in hexadecimal: pairs joined by ":", or pairs without separator.
HEX_IDENTIFIER = re.compile(r'[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})*|(?:[0-9A-Fa-f]{2})+')
# A host identifier as quoted text (Kea's notation), without quote or backslash inside.
QUOTED_IDENTIFIER = re.compile(r"'([^'\\]{1,128})'")


# --- Role settings (the roles' preflight checks, by name: filter netboot.pxe.valid)
# A path in a daemon's configuration: absolute, letters, digits and ._+-/.
CONFIG_PATH = re.compile(r'/[A-Za-z0-9._+/-]*')
# A file name to stage (an iPXE binary).
BINARY_NAME = re.compile(r'[A-Za-z0-9][A-Za-z0-9_.+-]*')
# The URL of a file to fetch: http(s) or file, no spaces.
FETCH_URL = re.compile(r'(https?|file)://\S+')
# A Debian mirror for apt's sources.list: no spaces or other words.
MIRROR_URL = re.compile(r'https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~%+/-]*)?')
# An IPv4 network in CIDR form, and an address with an optional prefix length.
IPV4_NETWORK = re.compile(rf'{_OCTET}(?:\.{_OCTET}){{3}}/(?:3[0-2]|[12]?[0-9])')
IPV4_HOST_OR_NETWORK = re.compile(rf'{_OCTET}(?:\.{_OCTET}){{3}}(?:/(?:3[0-2]|[12]?[0-9]))?')
# Clients let in (a database's pg_hba.conf lines): an address, or a network of prefix /1 to /32 -
# never /0, which lets in every address.
IPV4_CLIENT = re.compile(rf'{_OCTET}(?:\.{_OCTET}){{3}}(?:/(?:3[0-2]|[12][0-9]|[1-9]))?')


class _Address:
    """A whole-string check of an IP address or network, by the ipaddress module (a regular
    expression cannot say which IPv6 notations are right); ``fullmatch`` as a compiled pattern has."""

    def __init__(self, kind, unicast=False):
        self.kind = kind
        self.unicast = unicast

    def fullmatch(self, value):
        # No zone index (fe80::1%eth0), no spaces: the files take the plain address.
        if not isinstance(value, str) or not re.fullmatch(r'[0-9A-Fa-f:./]{2,49}', value):
            return None
        try:
            parsed = self.kind(value)
        except ValueError:
            return None
        if self.unicast and not is_unicast(parsed):
            return None
        return parsed


# An IPv6 address a machine can reach the server at: neither link-local, multicast, loopback
# nor unspecified (the files name it without a zone index).
IPV6 = _Address(ipaddress.IPv6Address, unicast=True)
# An IPv6 network in CIDR form, its host bits zero.
IPV6_NETWORK = _Address(ipaddress.IPv6Network)


class _AnyOf:
    """A whole-string check that one of ``checks`` (patterns or address checks) passes."""

    def __init__(self, *checks):
        self.checks = checks

    def fullmatch(self, value):
        return next((found for found in (check.fullmatch(value) for check in self.checks) if found), None)


# An IPv4 or IPv6 network in CIDR form (nginx's allow).
IP_NETWORK = _AnyOf(IPV4_NETWORK, IPV6_NETWORK)
# An address a daemon listens on: IPv4, or IPv6 that machines can reach.
IP_ADDRESS = _AnyOf(IPV4, IPV6)
# nginx's server_name: names separated by single spaces.
NGINX_SERVER_NAMES = re.compile(r'[A-Za-z0-9_.*-]+( [A-Za-z0-9_.*-]+)*')
# An nginx location of one name between slashes.
NGINX_LOCATION = re.compile(r'/[A-Za-z0-9_-]+/')
# in.tftpd options that may be added: none allows writes or widens what is served.
TFTPD_OPTION = re.compile('|'.join((
    '--verbose', '-v', '--verbosity=[0-9]{1,2}', '--timeout=[0-9]{1,4}', '--retransmit=[0-9]{1,9}',
    '--port-range=[0-9]{1,5}:[0-9]{1,5}', '--ipv4', '-4', '--ipv6', '-6', '--refuse=[a-z]{1,16}')))

# The patterns the filter netboot.pxe.valid knows, by name.
NAMED = {
    'binary_name': BINARY_NAME,
    'checksum': CHECKSUM,
    'config_path': CONFIG_PATH,
    'digits': DIGITS,
    'fetch_url': FETCH_URL,
    'http_url': HTTP_URL,
    'image_name': IMAGE_NAME,
    'interface': INTERFACE,
    'ip_address': IP_ADDRESS,
    'ip_network': IP_NETWORK,
    'ipv4': IPV4,
    'ipv4_client': IPV4_CLIENT,
    'ipv4_host_or_network': IPV4_HOST_OR_NETWORK,
    'ipv4_network': IPV4_NETWORK,
    'ipv6': IPV6,
    'ipv6_network': IPV6_NETWORK,
    'kernel_args': KERNEL_ARGS,
    'mirror_url': MIRROR_URL,
    'nginx_location': NGINX_LOCATION,
    'nginx_server_names': NGINX_SERVER_NAMES,
    'relative_path': RELATIVE_PATH,
    'single_line': SINGLE_LINE,
    'sql_name': SQL_NAME,
    'tftpd_option': TFTPD_OPTION,
}


def valid(value, name):
    """Whether ``value`` is a string that the shared pattern ``name`` (of NAMED) matches whole."""
    if name not in NAMED:
        raise ValueError(f'no shared pattern named {name!r}; known: {", ".join(sorted(NAMED))}')
    return isinstance(value, str) and NAMED[name].fullmatch(value) is not None


def whole_match(pattern, value):
    """Whether the string ``value`` matches ``pattern`` from its first to its last character."""
    return isinstance(value, str) and re.fullmatch(pattern, value) is not None


def is_ipv4(value):
    """Whether ``value`` is an IPv4 address in dotted decimal, without leading zeros or spaces."""
    return isinstance(value, str) and IPV4.fullmatch(value) is not None


def is_unicast(address):
    """Whether the IPv6Address ``address`` can be a server's or a machine's address on a lab
    network: global or unique local, not link-local, multicast, loopback or unspecified."""
    return not (address.is_link_local or address.is_multicast or address.is_loopback or address.is_unspecified)


def is_ipv6(value):
    """Whether ``value`` is an IPv6 address a machine can reach (see ``IPV6``), without zone index."""
    return IPV6.fullmatch(value) is not None


def url_host(address):
    """``address`` as the host part of a URL: an IPv6 address in brackets, else as it is."""
    return f'[{address}]' if ':' in str(address) else str(address)


def host_port(address, port, any_address='*'):
    """A socket as daemons and URLs write it, ``address:port``: an IPv6 address in brackets,
    ``any_address`` for an empty address (every address)."""
    return f'{url_host(address) if address else any_address}:{port}'


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


def load_json(data, error, **hooks):
    """The JSON value of the bytes ``data`` a machine sent (``hooks`` for json.loads); ``error`` (an
    exception class, a ValueError) saying why there is none: not UTF-8, nested too deeply, not JSON.
    An ``error`` a hook raised passes through."""
    try:
        return json.loads(data.decode('utf-8'), **hooks)
    except UnicodeDecodeError:
        raise error('it is not UTF-8 text') from None
    except RecursionError:
        raise error('it is nested too deeply') from None
    except ValueError as exc:  # JSONDecodeError; an integer of too many digits
        if isinstance(exc, error):
            raise
        raise error('it is not JSON') from None
