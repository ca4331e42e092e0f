# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Which machine may fetch which per-host file, as nginx locations (an include of the netboot site).

A machine's script, GRUB configuration, answer files and build marker carry its build's token.
A MAC is broadcast in every DHCP packet, so a file named by the MAC alone is as public as the MAC:
where a machine has a reserved address, its files are served to that address only (and its
marker deleted from there only). GRUB asks for ``grub/hosts/<MAC with colons>.cfg``: the files
are named with hyphens, and a machine without a configuration of its own gets the common menu.
No directory that holds a token is listed.

The netboot.pxe agent of an image deploy PUTs its report to ``reports/<token>.json``: only its
machine may, only that file, at most ``REPORT_MAX_BODY``, and nobody may read it over HTTP (boot_info
reads it on the server). Every other path under ``/reports/`` is refused.

Discovery: the agent on a machine the inventory does not name PUTs its facts to ``/discovery/report``,
from the served and relayed networks only, at most ``REPORT_MAX_BODY``; nginx stores them as
``discovered/<the sender's address>.json`` (each address its own record, never another's), which
nobody reads over HTTP.

Private module: its API may change without notice.
"""

from __future__ import annotations

from ansible_collections.netboot.pxe.plugins.module_utils._validate import BUILD_TOKEN, MAC_KEY, is_ipv4, is_ipv6

# The directories of per-host files and tokens: never listed, only read.
PRIVATE_DIRECTORIES = ('/hosts/', '/answers/', '/grub/hosts/')
# The common GRUB menu, for a machine without a configuration of its own.
GRUB_MENU = '/grub/menu.cfg'
# The agents' reports: written by their machine only, read by nobody over HTTP.
REPORTS = '/reports/'
# The largest report nginx takes (the reader takes no more either).
REPORT_MAX_BODY = '64k'
# Discovery: where the agent PUTs its facts, and where nginx keeps them by the sender's address.
DISCOVERY_REPORT = '/discovery/report'
DISCOVERED = '/discovered/'
_HEX = '([0-9a-f]{2})'
_GRUB_BY_COLONS = ':'.join([_HEX] * 6)


class HostAccessError(ValueError):
    """A machine's files or address that cannot go into an nginx location."""


def _addresses(address):
    """A machine's reserved addresses (IPv4, IPv6), one or a list; HostAccessError if any is neither."""
    addresses = address if isinstance(address, list) and address else [address]
    for each in addresses:
        if not (is_ipv4(each) or is_ipv6(each)):
            raise HostAccessError(f'a reserved address must be an IPv4 or IPv6 address, got {each!r}')
    return addresses


def machine_locations(address, key, script=False, grub_config=False, token=None, report=False):
    """The locations of one machine's files: ``(path, kind)`` with kind ``file``, ``directory``,
    ``marker`` (may be deleted) or ``report`` (may be written, not read), for the machine at ``address``
    (its reserved IPv4 or IPv6 address, or a list of both) named ``key`` (its MAC, lower case with "-"),
    with an iPXE ``script``, a ``grub_config``, a pending build ``token`` and, with ``report`` (an image
    deploy), the agent's report of that build."""
    _addresses(address)
    if not isinstance(key, str) or not MAC_KEY.fullmatch(key):
        raise HostAccessError(f'a machine is named by its MAC, lower case with "-", got {key!r}')
    locations = []
    if script:
        locations.append((f'/hosts/{key}.ipxe', 'file'))
    if grub_config:
        locations.append((f'/grub/hosts/{key}.cfg', 'file'))
    if token is not None:
        if not isinstance(token, str) or not BUILD_TOKEN.fullmatch(token):
            raise HostAccessError(f'a build token is 32 hexadecimal digits, got {token!r}')
        locations += [(f'/answers/{token}/', 'directory'), (f'/builds/{token}', 'marker')]
        if report:
            locations.append((f'{REPORTS}{token}.json', 'report'))
    return {'address': address, 'locations': locations}


def _block(head, body):
    return [f'location {head} {{'] + [f'    {line}' for line in body] + ['}']


def discovery_locations(networks):
    """The location that takes discovery records from ``networks`` (CIDR, checked by the caller)."""
    lines = ['# Discovery: each address writes its own record, from the served and relayed networks only.']
    lines += _block(f'= {DISCOVERY_REPORT}', [f'allow {network};' for network in networks]
                    + ['deny all;', 'dav_methods PUT;', f'client_max_body_size {REPORT_MAX_BODY};',
                       'limit_except PUT {', '    deny all;', '}', f'rewrite ^ {DISCOVERED}$remote_addr.json break;'])
    return lines + _block(DISCOVERED, ['deny all;'])


def render_nginx_access(machines, discovery_networks=()):
    """The nginx locations (server context) of ``machines`` (each from ``machine_locations``), and of
    discovery when ``discovery_networks`` are given."""
    lines = ['# Per-host files: never listed, only read; a machine with a reserved address gets its own',
             '# files there and nowhere else.']
    for directory in PRIVATE_DIRECTORIES[:2]:
        lines += _block(directory, ['autoindex off;', 'limit_except GET {', '    deny all;', '}'])
    lines += ['# GRUB names a machine by its MAC with colons; a machine without a configuration gets the menu.']
    lines += _block(f'~ "^/grub/hosts/{_GRUB_BY_COLONS}\\.cfg$"',
                    ['rewrite "^/grub/hosts/' + _GRUB_BY_COLONS + '\\.cfg$" /grub/hosts/$1-$2-$3-$4-$5-$6.cfg last;'])
    lines += _block('/grub/hosts/', ['autoindex off;', 'limit_except GET {', '    deny all;', '}',
                                     f'try_files $uri {GRUB_MENU};'])
    lines += ['# Reports: each written by its machine, under its build token; none read over HTTP.']
    lines += _block(REPORTS, ['deny all;'])
    if discovery_networks:
        lines += discovery_locations(discovery_networks)
    seen = set()
    for machine in sorted(machines, key=lambda each: str(each['address'])):
        allow = [f'allow {address};' for address in _addresses(machine['address'])]
        for path, kind in machine['locations']:
            if path in seen:
                raise HostAccessError(f'{path} is given to two machines')
            seen.add(path)
            if kind == 'report':
                body = allow + ['deny all;', 'dav_methods PUT;', f'client_max_body_size {REPORT_MAX_BODY};',
                                'limit_except PUT {', '    deny all;', '}']
                lines += _block('= ' + path, body)
                continue
            methods = 'GET DELETE' if kind == 'marker' else 'GET'
            body = allow + ['deny all;', 'autoindex off;']
            if kind == 'marker':
                body.append('dav_methods DELETE;')
            body += [f'limit_except {methods} {{', '    deny all;', '}']
            lines += _block(('^~ ' if kind == 'directory' else '= ') + path, body)
    return '\n'.join(lines) + '\n'
