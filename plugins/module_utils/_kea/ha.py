# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Kea DHCPv4 High Availability (HA): the peers (roles from the inventory order, URLs Kea can
reach, exactly the roles the mode needs, the addresses a firewall should let in), the security of
their channel (TLS and HTTP basic authentication), the HA hook libraries of the Kea document, and
the signature of the subnets and pools every peer must share.

Private module: its API may change without notice.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit

from ansible_collections.netboot.pxe.plugins.module_utils._kea.variables import (
    CTRL_AGENT_VARIABLES,
    KeaConfigError,
    check_variables,
    joined_names,
    only,
    plain,
)
from ansible_collections.netboot.pxe.plugins.module_utils._validate import DNS_LABEL, FILE_PATH, PEER_URL, is_ipv4

MODES = ('hot-standby', 'load-balancing')
ROLES = ('primary', 'secondary', 'standby', 'backup')
# What a peer of kea_dhcp4_ha_peers may say; the role adds the channel's TLS and authentication.
PEER_KEYS = ('name', 'url', 'role', 'auto-failover')
# Role of the second server in each mode; the first is primary, any further one backup.
_PARTNER = {'hot-standby': 'standby', 'load-balancing': 'secondary'}
# http(s)://HOST:PORT with an optional trailing slash and nothing after it.
_URL_HINT = 'http://10.0.0.2:8000/ (IPv4 address or DNS name, port required, no path)'
# The HA channel's TLS files (a CA per pair, a certificate per peer) and the password of its
# HTTP basic authentication, where the role makes them; kea_dhcp4_ha_tls_*_file name others.
HA_TLS_DIRECTORY = '/etc/kea/tls'
HA_TLS_FILES = {'trust-anchor': 'ca.crt', 'cert-file': 'peer.crt', 'key-file': 'peer.key'}
HA_TLS_VARIABLES = {'trust-anchor': 'kea_dhcp4_ha_tls_ca_file', 'cert-file': 'kea_dhcp4_ha_tls_cert_file',
                    'key-file': 'kea_dhcp4_ha_tls_key_file'}
HA_PASSWORD_FILE = 'ha-password'
# The user the peers authenticate as on the control agent (Kea 2.6's HA listener has no
# HTTP authentication of its own: there, the client certificate is what authenticates).
HA_USER = 'netboot-pxe-ha'
HA_REALM = 'netboot.pxe HA'

# How the HA peers reach each other: Kea's own HTTP listener (Kea 2.4 and later, with
# multi-threading) or the Kea control agent (Kea 2.2).
CHANNELS = ('listener', 'ctrl-agent')
# HTTP listener of the HA hook, inside its parameters, on the 'listener' channel.
HA_LISTENER_THREADS = {
    'enable-multi-threading': True,
    'http-dedicated-listener': True,
    'http-listener-threads': 0,
    'http-client-threads': 0,
}


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


def peer_addresses(peers, names_only=False):
    """Sorted unique hosts (IPv4 addresses or DNS names) of the peers' URLs, or with ``names_only``
    the DNS names alone (what a firewall rule by address cannot name); ValueError if one is malformed."""
    if not isinstance(peers, list):
        raise ValueError(f'peers must be a list of peers, got {peers!r}')
    hosts = set()
    for index, peer in enumerate(peers):
        url = peer.get('url') if isinstance(peer, dict) else None
        try:
            hosts.add(parse_url(url)[1])
        except ValueError:
            raise ValueError(f'peers[{index}].url must look like {_URL_HINT}, got {url!r}') from None
    return sorted((host for host in hosts if not (names_only and is_ipv4(host))), key=_address_order)


def ha_tls(variables):
    """How the HA channel is secured, from the role variables of HA_TLS_VARIABLES and kea_dhcp4_ha_tls.

    ``{'enabled': bool, 'generated': bool, 'directory': ..., 'files': {'trust-anchor': ...,
    'cert-file': ..., 'key-file': ...}, 'password-file': ..., 'user': ...}``: with ``enabled``
    the peers talk HTTPS and show each other a certificate of the pair's CA; ``generated`` when
    the role makes that CA and the certificates (none of kea_dhcp4_ha_tls_*_file is set), else
    the three files are the user's. The basic authentication password is always the role's.
    """
    check_variables(variables, CTRL_AGENT_VARIABLES, 'the HA channel settings')
    enabled = variables['kea_dhcp4_ha_tls']
    if not isinstance(enabled, bool):
        raise KeaConfigError(f'kea_dhcp4_ha_tls must be true or false, got {enabled!r}')
    given = {key: variables[name] for key, name in HA_TLS_VARIABLES.items()}
    problems = [f'{HA_TLS_VARIABLES[key]} must be an absolute path without spaces or quotes, got {value!r}'
                for key, value in given.items() if value != '' and not (isinstance(value, str) and FILE_PATH.fullmatch(value))]
    named = [HA_TLS_VARIABLES[key] for key, value in given.items() if value != '']
    if not problems and named and len(named) != len(given):
        problems.append(f'{", ".join(named)} set without {joined_names(set(HA_TLS_VARIABLES.values()) - set(named))}: '
                        'give the CA certificate, this peer\'s certificate and its key together, or none of them')
    if not problems and named and not enabled:
        problems.append(f'{", ".join(named)} set, but kea_dhcp4_ha_tls is false: the files would not be used')
    if problems:
        raise KeaConfigError('; '.join(problems))
    files = {key: given[key] or f'{HA_TLS_DIRECTORY}/{name}' for key, name in HA_TLS_FILES.items()}
    return {
        'enabled': enabled,
        'generated': enabled and not named,
        'directory': HA_TLS_DIRECTORY,
        'files': files,
        'password-file': f'{HA_TLS_DIRECTORY}/{HA_PASSWORD_FILE}',
        'user': HA_USER,
    }


def scheme_problems(urls, tls):
    """Each URL of ``urls`` ({where: url}) must be https with TLS, http without."""
    scheme = 'https' if tls else 'http'
    return [f'{where} {url!r} must start with {scheme}:// {"with" if tls else "without"} kea_dhcp4_ha_tls'
            for where, url in urls.items() if urlsplit(url).scheme != scheme]


def ha_hooks(variables, channel, hooks_dir, this_server_name, peers, peers_name='ha_peers'):
    """lease_cmds and ha hook libraries, with the HA parameters of this server."""
    if not isinstance(this_server_name, str) or not this_server_name:
        raise KeaConfigError(f'this_server_name must be the non-empty peer name of this server with HA, got {this_server_name!r}')
    if peers is None:
        raise KeaConfigError("ha_peers is required with kea_dhcp4_ha_enabled: the peers of Kea's HA hook")
    problems = ha_problems(peers, this_server_name, variables['kea_dhcp4_ha_mode'], name=peers_name)
    if problems:
        raise KeaConfigError('; '.join(problems))
    security = ha_tls(only(variables, CTRL_AGENT_VARIABLES))
    if not security['enabled'] and variables['kea_dhcp4_ha_firewall'] is not True:
        raise KeaConfigError('kea_dhcp4_ha_firewall: false needs kea_dhcp4_ha_tls: true; without either, anyone '
                             "on the network could send commands to Kea's HA channel")
    problems = scheme_problems({f'{peers_name}[{index}].url': peer['url'] for index, peer in enumerate(peers)},
                               security['enabled'])
    if problems:
        raise KeaConfigError('; '.join(problems))
    peers = plain(peers)
    for peer in peers:
        if security['enabled']:
            peer.update(security['files'])
        if channel == 'ctrl-agent':
            peer['basic-auth-user'] = security['user']
            peer['basic-auth-password-file'] = security['password-file']
    parameters = {
        'this-server-name': this_server_name,
        'mode': variables['kea_dhcp4_ha_mode'],
        'heartbeat-delay': variables['kea_dhcp4_ha_heartbeat_delay'],
        'max-response-delay': variables['kea_dhcp4_ha_max_response_delay'],
        'max-ack-delay': variables['kea_dhcp4_ha_max_ack_delay'],
        'max-unacked-clients': variables['kea_dhcp4_ha_max_unacked_clients'],
        'peers': peers,
    }
    if channel == 'listener':
        parameters['multi-threading'] = dict(HA_LISTENER_THREADS)
        # The listener takes only the commands the peers send each other (no config-set, shutdown...).
        parameters['restrict-commands'] = True
        if security['enabled']:
            parameters['require-client-certs'] = True
    return [
        {'library': f'{hooks_dir}/libdhcp_lease_cmds.so'},
        {'library': f'{hooks_dir}/libdhcp_ha.so', 'parameters': {'high-availability': [parameters]}},
    ]


def pool_signature(subnets, name='kea_dhcp4_subnets'):
    """The ids, subnets and pools of Kea ``subnet4`` entries in one string, for comparing HA peers.

    ``"1 10.0.0.0/24 (10.0.0.100 - 10.0.0.199), 2 10.0.1.0/24 ()"``; empty for no subnets.
    """
    if not isinstance(subnets, list):
        raise KeaConfigError(f'{name} must be a list of subnets, got {subnets!r}')
    parts = []
    for index, subnet in enumerate(subnets):
        where = f'{name}[{index}]'
        if not isinstance(subnet, Mapping) or 'id' not in subnet or 'subnet' not in subnet:
            raise KeaConfigError(f'{where} must be a mapping with id and subnet, got {subnet!r}')
        pools = subnet.get('pools', [])
        if not isinstance(pools, list) or not all(isinstance(pool, Mapping) and 'pool' in pool for pool in pools):
            raise KeaConfigError(f'{where}.pools must be a list of mappings with pool, got {pools!r}')
        parts.append(f'{subnet["id"]} {subnet["subnet"]} ({", ".join(str(pool["pool"]) for pool in pools)})')
    return ', '.join(parts)


def pool_problems(signatures, name='kea_dhcp4_subnets'):
    """[] when every HA peer of ``signatures`` ({host: pool_signature}) has the same one, else one message.

    A host without a signature (None) counts as the empty signature.
    """
    if not isinstance(signatures, Mapping):
        raise KeaConfigError(f'signatures must be a mapping of host to pool signature, got {signatures!r}')
    found = {host: '' if signature is None else str(signature) for host, signature in signatures.items()}
    if len(set(found.values())) <= 1:
        return []
    listing = '; '.join(f'{host}: {signature}' for host, signature in found.items())
    return [f'{name} must have the same ids, subnets and pools on every HA peer, got: {listing}']


def shared_pools(subnets_of_peers, name='kea_dhcp4_subnets'):
    """The one pool signature (pool_signature) of the subnets of every HA peer of ``subnets_of_peers``
    ({host: its subnets}); KeaConfigError otherwise. A host whose subnets are null has none."""
    if not isinstance(subnets_of_peers, Mapping):
        raise KeaConfigError(f'{name} of the HA peers must be a mapping of host name to subnets, got {subnets_of_peers!r}')
    signatures = {}
    for host, subnets in subnets_of_peers.items():
        try:
            signatures[host] = '' if subnets is None else pool_signature(subnets, name=name)
        except KeaConfigError as exc:
            raise KeaConfigError(f'{host}: {exc}') from exc
    problems = pool_problems(signatures, name=name)
    if problems:
        raise KeaConfigError('; '.join(problems))
    return next(iter(signatures.values()), '')


def ha_peers_from_hosts(names, urls, mode, name='kea_dhcp4_ha_group'):
    """Kea ``peers`` of the HA hook from the peer names and URLs of a group's hosts, in inventory order.

    The first is primary, the second standby or secondary by ``mode``, the rest backup
    (``ha_peers``). Messages name ``name``.
    """
    if not isinstance(names, (list, tuple)) or not isinstance(urls, (list, tuple)):
        raise KeaConfigError(f'{name}: the peer names and URLs must be lists, got {names!r} and {urls!r}')
    if len(names) != len(urls):
        raise KeaConfigError(f'{name}: {len(names)} peer name(s) {names!r} but {len(urls)} URL(s) {urls!r}')
    try:
        return ha_peers([{'name': peer, 'url': url} for peer, url in zip(names, urls)], mode, name=name)
    except ValueError as exc:
        raise KeaConfigError(str(exc)) from exc
