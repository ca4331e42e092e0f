# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Build and check the peers of a Kea DHCPv4 High Availability (HA) pair: roles from the
inventory order, URLs Kea can reach, exactly the roles the mode needs, and the addresses a
firewall should let in.

Private module: its API may change without notice.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.netboot.pxe.plugins.module_utils._validate import DNS_LABEL, PEER_URL

MODES = ('hot-standby', 'load-balancing')
ROLES = ('primary', 'secondary', 'standby', 'backup')
# What a peer of kea_dhcp4_ha_peers may say; the role adds the channel's TLS and authentication.
PEER_KEYS = ('name', 'url', 'role', 'auto-failover')
# Role of the second server in each mode; the first is primary, any further one backup.
_PARTNER = {'hot-standby': 'standby', 'load-balancing': 'secondary'}
# http(s)://HOST:PORT with an optional trailing slash and nothing after it.
_URL_HINT = 'http://10.0.0.2:8000/ (IPv4 address or DNS name, port required, no path)'


def _host(value):
    """Return ``value`` as an IPv4 address or lower-case DNS name; ValueError if it is neither."""
    labels = value.rstrip('.').split('.')
    if labels[-1].isdigit():  # all-numeric top label: only an IPv4 address fits
        return str(ipaddress.IPv4Address(value))
    if len(value) > 253 or not all(DNS_LABEL.fullmatch(label) for label in labels):
        raise ValueError(value)
    return value.rstrip('.').lower()


def parse_url(value):
    """Return (scheme, host, port) of a Kea HA peer URL; ValueError if malformed."""
    match = PEER_URL.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(value)
    port = int(match.group(3))
    if not 0 < port < 65536:
        raise ValueError(value)
    return match.group(1), _host(match.group(2)), port


def _mode_problem(mode):
    if mode in MODES:
        return None
    return f'kea_dhcp4_ha_mode must be one of {", ".join(MODES)}, got {mode!r}'


def ha_peers(hosts, mode, name='kea_dhcp4_ha_group'):
    """Kea ``peers`` of the HA hook from ``hosts`` ({'name', 'url'}) in inventory order.

    The first host is primary, the second standby or secondary by ``mode``, the rest backup.
    """
    problem = _mode_problem(mode)
    if problem:
        raise ValueError(f'{problem} (building the peers of {name})')
    if not isinstance(hosts, list) or len(hosts) < 2:
        raise ValueError(f'{name} must list at least 2 servers for Kea HA, got {hosts!r}')
    peers = []
    for index, host in enumerate(hosts):
        if not isinstance(host, dict) or 'name' not in host or 'url' not in host:
            raise ValueError(f'{name}[{index}] must be a mapping with name and url, got {host!r}')
        role = 'primary' if index == 0 else _PARTNER[mode] if index == 1 else 'backup'
        peers.append({'name': host['name'], 'url': host['url'], 'role': role, 'auto-failover': True})
    return peers


def _role_count_problems(peers, mode, name):
    """Exactly one primary and one partner of the mode; no partner of the other mode."""
    problems = []
    partner = _PARTNER[mode]
    wrong = 'secondary' if partner == 'standby' else 'standby'
    roles = [peer.get('role') for peer in peers if isinstance(peer, dict)]
    for role in ('primary', partner):
        if roles.count(role) != 1:
            problems.append(f'{name} needs exactly one peer with role {role} for kea_dhcp4_ha_mode {mode!r}, '
                            f'got {roles.count(role)} in roles {roles!r}')
    for index, peer in enumerate(peers):
        if isinstance(peer, dict) and peer.get('role') == wrong:
            problems.append(f'{name}[{index}].role {wrong!r} does not fit kea_dhcp4_ha_mode {mode!r}, '
                            f'which takes primary, {partner} and backup')
    return problems


def ha_problems(peers, this_server_name, mode, name='kea_dhcp4_ha_peers'):
    """Problems of Kea HA ``peers``, each message naming ``name``[i].field and the value."""
    problems = []
    mode_problem = _mode_problem(mode)
    if mode_problem:
        problems.append(mode_problem)
    if not isinstance(peers, list):
        return problems + [f'{name} must be a list of peers, got {peers!r}']
    if len(peers) < 2:
        problems.append(f'{name} must list at least 2 peers for Kea HA, got {peers!r}')
    names = {}
    endpoints = {}
    for index, peer in enumerate(peers):
        where = f'{name}[{index}]'
        if not isinstance(peer, dict):
            problems.append(f'{where} must be a mapping with name, url and role, got {peer!r}')
            continue
        unknown = sorted(str(key) for key in peer if key not in PEER_KEYS)
        if unknown:
            problems.append(f'{where} has unknown key(s) {", ".join(unknown)}; a peer takes {", ".join(PEER_KEYS)}')
        peer_name = peer.get('name')
        if not isinstance(peer_name, str) or not peer_name.strip():
            problems.append(f'{where}.name must be a non-empty string, got {peer_name!r}')
        elif peer_name in names:
            problems.append(f'{where}.name {peer_name!r} is already the name of {name}[{names[peer_name]}]')
        else:
            names[peer_name] = index
        url = peer.get('url')
        try:
            endpoint = parse_url(url)[1:]
        except ValueError:
            problems.append(f'{where}.url must look like {_URL_HINT}, got {url!r}')
        else:
            if endpoint in endpoints:
                other = endpoints[endpoint]
                problems.append(f'{where}.url {url!r} points to the same host and port as '
                                f'{name}[{other}].url {peers[other]["url"]!r}')
            else:
                endpoints[endpoint] = index
        role = peer.get('role')
        if role not in ROLES:
            problems.append(f'{where}.role must be one of {", ".join(ROLES)}, got {role!r}')
        if 'auto-failover' in peer and not isinstance(peer['auto-failover'], bool):
            problems.append(f'{where}.auto-failover must be true or false, got {peer["auto-failover"]!r}')
    if not mode_problem:
        problems += _role_count_problems(peers, mode, name)
    if not isinstance(this_server_name, str) or this_server_name not in names:
        problems.append(f'kea_dhcp4_ha_this_server_name {this_server_name!r} is not the name of a peer in '
                        f'{name}, whose names are {list(names)!r}')
    return problems


def _address_order(host):
    """IPv4 addresses first, in numeric order, then DNS names."""
    try:
        return 0, int(ipaddress.IPv4Address(host)), ''
    except ValueError:
        return 1, 0, host


def peer_addresses(peers):
    """Sorted unique hosts (IPv4 addresses or DNS names) of the peers' URLs; ValueError if one is malformed."""
    if not isinstance(peers, list):
        raise ValueError(f'peers must be a list of peers, got {peers!r}')
    hosts = set()
    for index, peer in enumerate(peers):
        url = peer.get('url') if isinstance(peer, dict) else None
        try:
            hosts.add(parse_url(url)[1])
        except ValueError:
            raise ValueError(f'peers[{index}].url must look like {_URL_HINT}, got {url!r}') from None
    return sorted(hosts, key=_address_order)
