# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Kea DHCPv4 and Kea control agent documents of the role kea_dhcp4, built from its variables,
and the High Availability (HA) helpers of its preflight checks: the peers derived from the
inventory group, and the signature of the subnets and pools every HA peer must share.

Private module: its API may change without notice.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from ansible_collections.netboot.pxe.plugins.module_utils._dhcp4_subnets import subnet_problems
from ansible_collections.netboot.pxe.plugins.module_utils._kea_database import (
    DATABASE_VARIABLES,
    KeaDatabaseError,
    database_problems,
    host_rows,
    is_sql,
    without_password,
)
from ansible_collections.netboot.pxe.plugins.module_utils._kea_ha import ha_peers, ha_problems
from ansible_collections.netboot.pxe.plugins.module_utils._pxe_classes import (
    SECURE_BOOT_CLASSES,
    UEFI_X64_CLASSES,
    PxeClassError,
    client_classes,
)
from ansible_collections.netboot.pxe.plugins.module_utils._validate import ABSOLUTE_PATH, ARCHITECTURE, FILE_PATH

# The role variables the Kea DHCPv4 document is built from: all of the role's defaults except
# PEER_VARIABLES, which only feed the derivation of the HA peers and this server's peer name
# (dhcp4_config takes their result as ha_peers and this_server_name).
VARIABLES = (
    'kea_dhcp4_interfaces',
    'kea_dhcp4_subnets',
    'kea_dhcp4_option_data',
    'kea_dhcp4_valid_lifetime',
    'kea_dhcp4_renew_timer',
    'kea_dhcp4_rebind_timer',
    'kea_dhcp4_pxe_next_server',
    'kea_dhcp4_pxe_ipxe_script_url',
    'kea_dhcp4_pxe_boot_files',
    'kea_dhcp4_pxe_secure_boot_file',
    'kea_dhcp4_pxe_http_base_url',
    'kea_dhcp4_pxe_ipxe_no_pxedhcp',
    'kea_dhcp4_client_classes',
    'kea_dhcp4_lease_database',
    'kea_dhcp4_hosts_database',
    'kea_dhcp4_control_socket',
    'kea_dhcp4_log_severity',
    'kea_dhcp4_log_debuglevel',
    'kea_dhcp4_extra_config',
    'kea_dhcp4_ha_enabled',
    'kea_dhcp4_ha_mode',
    'kea_dhcp4_ha_heartbeat_delay',
    'kea_dhcp4_ha_max_response_delay',
    'kea_dhcp4_ha_max_ack_delay',
    'kea_dhcp4_ha_max_unacked_clients',
    'kea_dhcp4_ha_firewall',
    'kea_dhcp4_ha_tls',
    'kea_dhcp4_ha_tls_ca_file',
    'kea_dhcp4_ha_tls_cert_file',
    'kea_dhcp4_ha_tls_key_file',
)
# Role variables that only feed the HA peers (ha_peers_from_hosts) and this server's name.
PEER_VARIABLES = (
    'kea_dhcp4_ha_group',
    'kea_dhcp4_ha_peers',
    'kea_dhcp4_ha_this_server_name',
    'kea_dhcp4_ha_address',
    'kea_dhcp4_ha_port',
)
# The role's own switch, which no document reads: kea_dhcp4_state (present or absent).
STATE_VARIABLES = ('kea_dhcp4_state',)
# The variables of VARIABLES the Kea control agent document needs.
CTRL_AGENT_VARIABLES = ('kea_dhcp4_control_socket', 'kea_dhcp4_log_severity', 'kea_dhcp4_log_debuglevel',
                        'kea_dhcp4_ha_tls', 'kea_dhcp4_ha_tls_ca_file', 'kea_dhcp4_ha_tls_cert_file',
                        'kea_dhcp4_ha_tls_key_file')
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

# iPXE's encapsulated options (175), with no-pxedhcp (176) = 1: skip the ProxyDHCP wait.
IPXE_OPTION_DEFS = (
    {'space': 'dhcp4', 'name': 'ipxe-encap-opts', 'code': 175, 'type': 'empty', 'encapsulate': 'ipxe'},
    {'space': 'ipxe', 'name': 'no-pxedhcp', 'code': 176, 'type': 'uint8'},
)
IPXE_NO_PXEDHCP_OPTIONS = (
    {'space': 'dhcp4', 'name': 'ipxe-encap-opts', 'code': 175, 'always-send': True},
    {'space': 'ipxe', 'name': 'no-pxedhcp', 'code': 176, 'data': '1'},
)
# HTTP listener of the HA hook, inside its parameters, on the 'listener' channel.
HA_LISTENER_THREADS = {
    'enable-multi-threading': True,
    'http-dedicated-listener': True,
    'http-listener-threads': 0,
    'http-client-threads': 0,
}
# Debian's multiarch triplet of an architecture fact; others get '<architecture>-linux-gnu'.
MULTIARCH = {
    'x86_64': 'x86_64-linux-gnu',
    'aarch64': 'aarch64-linux-gnu',
    'armv7l': 'arm-linux-gnueabihf',
    'i386': 'i386-linux-gnu',
}

_URL_SCHEMES = ('http', 'https')


class KeaConfigError(ValueError):
    """Input that cannot become a correct Kea document."""


def _names(names):
    return ', '.join(sorted(map(str, names)))


def _check_variables(variables, required, what):
    """Refuse a non-mapping, names outside VARIABLES, and missing names of ``required``."""
    if not isinstance(variables, Mapping):
        raise KeaConfigError(f'{what} takes a mapping of role variable names to values, got {variables!r}')
    unknown = [name for name in variables if name not in VARIABLES]
    if unknown:
        hint = ''
        if any(name in PEER_VARIABLES for name in unknown):
            hint = ' (the HA peer settings come in as ha_peers and this_server_name)'
        raise KeaConfigError(f'{what} got unknown role variable(s) {_names(unknown)}{hint}')
    missing = [name for name in required if name not in variables]
    if missing:
        raise KeaConfigError(f'{what} is missing the role variable(s) {_names(missing)}')


def _check_platform(platform):
    if not isinstance(platform, Mapping) or set(platform) != {'ha_channel', 'hooks_directory'}:
        raise KeaConfigError(f'platform must be a mapping with exactly ha_channel and hooks_directory, got {platform!r}')
    if platform['ha_channel'] not in CHANNELS:
        raise KeaConfigError(f'platform ha_channel must be one of {", ".join(CHANNELS)}, got {platform["ha_channel"]!r}')
    directory = platform['hooks_directory']
    if not isinstance(directory, str) or not ABSOLUTE_PATH.fullmatch(directory):
        raise KeaConfigError(f'platform hooks_directory must be an absolute path, got {directory!r}')


def _pxe_classes(variables):
    """The PXE client classes of the role, or [] without a next-server."""
    if not variables['kea_dhcp4_pxe_next_server']:
        return []
    try:
        return client_classes(
            variables['kea_dhcp4_pxe_boot_files'],
            variables['kea_dhcp4_pxe_ipxe_script_url'],
            variables['kea_dhcp4_pxe_next_server'],
            http_base_url=variables['kea_dhcp4_pxe_http_base_url'] or None,
            ipxe_options=copy.deepcopy(list(IPXE_NO_PXEDHCP_OPTIONS)) if variables['kea_dhcp4_pxe_ipxe_no_pxedhcp'] else None,
            name='kea_dhcp4_pxe_boot_files', secure_boot_file=variables['kea_dhcp4_pxe_secure_boot_file'] or None,
            secure_boot_name='kea_dhcp4_pxe_secure_boot_file')
    except PxeClassError as exc:
        raise KeaConfigError(str(exc)) from exc


def ha_tls(variables):
    """How the HA channel is secured, from the role variables of HA_TLS_VARIABLES and kea_dhcp4_ha_tls.

    ``{'enabled': bool, 'generated': bool, 'directory': ..., 'files': {'trust-anchor': ...,
    'cert-file': ..., 'key-file': ...}, 'password-file': ..., 'user': ...}``: with ``enabled``
    the peers talk HTTPS and show each other a certificate of the pair's CA; ``generated`` when
    the role makes that CA and the certificates (none of kea_dhcp4_ha_tls_*_file is set), else
    the three files are the user's. The basic authentication password is always the role's.
    """
    _check_variables(variables, CTRL_AGENT_VARIABLES, 'the HA channel settings')
    enabled = variables['kea_dhcp4_ha_tls']
    if not isinstance(enabled, bool):
        raise KeaConfigError(f'kea_dhcp4_ha_tls must be true or false, got {enabled!r}')
    given = {key: variables[name] for key, name in HA_TLS_VARIABLES.items()}
    problems = [f'{HA_TLS_VARIABLES[key]} must be an absolute path without spaces or quotes, got {value!r}'
                for key, value in given.items() if value != '' and not (isinstance(value, str) and FILE_PATH.fullmatch(value))]
    named = [HA_TLS_VARIABLES[key] for key, value in given.items() if value != '']
    if not problems and named and len(named) != len(given):
        problems.append(f'{", ".join(named)} set without {_names(set(HA_TLS_VARIABLES.values()) - set(named))}: '
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


def _scheme_problems(urls, tls):
    """Each URL of ``urls`` ({where: url}) must be https with TLS, http without."""
    scheme = 'https' if tls else 'http'
    return [f'{where} {url!r} must start with {scheme}:// {"with" if tls else "without"} kea_dhcp4_ha_tls'
            for where, url in urls.items() if urlsplit(url).scheme != scheme]


def _ha_hooks(variables, channel, hooks_dir, this_server_name, peers, peers_name='ha_peers'):
    """lease_cmds and ha hook libraries, with the HA parameters of this server."""
    if not isinstance(this_server_name, str) or not this_server_name:
        raise KeaConfigError(f'this_server_name must be the non-empty peer name of this server with HA, got {this_server_name!r}')
    if peers is None:
        raise KeaConfigError("ha_peers is required with kea_dhcp4_ha_enabled: the peers of Kea's HA hook")
    problems = ha_problems(peers, this_server_name, variables['kea_dhcp4_ha_mode'], name=peers_name)
    if problems:
        raise KeaConfigError('; '.join(problems))
    security = ha_tls(_only(variables, CTRL_AGENT_VARIABLES))
    if not security['enabled'] and variables['kea_dhcp4_ha_firewall'] is not True:
        raise KeaConfigError('kea_dhcp4_ha_firewall: false needs kea_dhcp4_ha_tls: true; without either, anyone '
                             "on the network could send commands to Kea's HA channel")
    problems = _scheme_problems({f'{peers_name}[{index}].url': peer['url'] for index, peer in enumerate(peers)},
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


def _only(variables, names):
    return {name: variables[name] for name in names}


def _timer_problems(variables):
    """Lease times: positive whole seconds, renew before rebind before the end of the lease."""
    names = ('kea_dhcp4_renew_timer', 'kea_dhcp4_rebind_timer', 'kea_dhcp4_valid_lifetime')
    values = [variables[name] for name in names]
    wrong = [f'{name} must be a positive whole number of seconds, got {value!r}' for name, value in zip(names, values)
             if isinstance(value, bool) or not isinstance(value, int) or value <= 0]
    if wrong:
        return wrong
    if not values[0] < values[1] < values[2]:
        return [f'{names[0]} ({values[0]}) < {names[1]} ({values[1]}) < {names[2]} ({values[2]}) must hold: a client '
                'renews its lease, then rebinds, before it ends']
    return []


def _secure_boot_subnet_problems(variables, pxe):
    """A subnet that requires the Secure Boot classes needs them (a shim and the PXE classes); with
    a shim, every subnet requires either those or the UEFI x64 iPXE classes (required classes then)."""
    subnets = variables['kea_dhcp4_subnets'] if isinstance(variables['kea_dhcp4_subnets'], list) else []
    shim = pxe and variables['kea_dhcp4_pxe_secure_boot_file']
    problems = []
    for index, subnet in enumerate(subnets):
        required = subnet.get('require-client-classes', []) if isinstance(subnet, Mapping) else []
        required = required if isinstance(required, list) else []
        names = [name for name in SECURE_BOOT_CLASSES if name in required]
        if names and not shim:
            problems.append(f'kea_dhcp4_subnets[{index}].require-client-classes names {names[0]!r}, which needs '
                            'kea_dhcp4_pxe_secure_boot_file (the shim) and kea_dhcp4_pxe_next_server, '
                            f'got {variables["kea_dhcp4_pxe_secure_boot_file"]!r} and {variables["kea_dhcp4_pxe_next_server"]!r}')
        elif shim and isinstance(subnet, Mapping) and not (set(SECURE_BOOT_CLASSES) <= set(required)
                                                           or set(UEFI_X64_CLASSES) <= set(required)):
            problems.append(f'kea_dhcp4_subnets[{index}].require-client-classes must list {", ".join(SECURE_BOOT_CLASSES)} '
                            f'(Secure Boot) or {", ".join(UEFI_X64_CLASSES)} (iPXE): with kea_dhcp4_pxe_secure_boot_file '
                            f'Kea evaluates the UEFI x64 classes per subnet, got {required!r}')
    return problems


def plain(value):
    """A deep copy in plain dicts, lists and strings. Filters get Ansible's lazy containers, whose
    copy.deepcopy templates them again at every level: for a subnet of 200 reservations, seconds."""
    if isinstance(value, Mapping):
        return {plain(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, str):
        return str(value)
    return copy.deepcopy(value)


def dhcp4_config(variables, platform, this_server_name='', ha_peers=None, ha_peers_name='ha_peers'):
    """Return the Kea DHCPv4 document ``{'Dhcp4': {...}}`` of the role kea_dhcp4.

    ``variables`` maps each name of ``VARIABLES`` to the role variable's value (all required,
    no others). ``platform`` is ``{'ha_channel': 'listener' or 'ctrl-agent', 'hooks_directory':
    '/usr/lib/.../kea/hooks'}``. With ``kea_dhcp4_ha_enabled``, ``this_server_name`` is this
    server's peer name and ``ha_peers`` the ``peers`` of Kea's HA hook (checked with
    ``_kea_ha.ha_problems``, naming them ``ha_peers_name``); without, both are ignored. The subnets
    are checked with ``_dhcp4_subnets.subnet_problems``. ``kea_dhcp4_extra_config`` is merged
    last, replacing whole top-level keys. The databases' passwords are left out (the module
    kea_config writes them to the file, as secrets). Raises KeaConfigError with every problem, each naming
    the variable and the value.
    """
    _check_variables(variables, VARIABLES, 'the Kea DHCPv4 document')
    _check_platform(platform)
    extra = variables['kea_dhcp4_extra_config']
    if not isinstance(extra, Mapping):
        raise KeaConfigError(f'kea_dhcp4_extra_config must be a mapping of top-level Dhcp4 keys, got {extra!r}')
    user_classes = variables['kea_dhcp4_client_classes']
    if not isinstance(user_classes, list):
        raise KeaConfigError(f'kea_dhcp4_client_classes must be a list of client classes, got {user_classes!r}')
    channel = platform['ha_channel']
    ha_enabled = bool(variables['kea_dhcp4_ha_enabled'])
    pxe = bool(variables['kea_dhcp4_pxe_next_server'])
    problems = subnet_problems(variables['kea_dhcp4_subnets'], name='kea_dhcp4_subnets', pxe=pxe) + _timer_problems(variables)
    problems += _secure_boot_subnet_problems(variables, pxe)
    for key, variable in DATABASE_VARIABLES.items():
        problems += database_problems(variables[variable], variable, memfile=key == 'lease-database')
    if not problems and is_sql(variables['kea_dhcp4_hosts_database']):
        try:
            host_rows(plain(variables['kea_dhcp4_subnets']))
        except KeaDatabaseError as exc:
            problems.append(str(exc))
    if problems:
        raise KeaConfigError('; '.join(problems))

    def value(name):
        return plain(variables[name])

    dhcp4 = {
        'interfaces-config': {'interfaces': value('kea_dhcp4_interfaces')},
        'control-socket': {'socket-type': 'unix', 'socket-name': value('kea_dhcp4_control_socket')},
        'lease-database': without_password(value('kea_dhcp4_lease_database')),
        'match-client-id': False,
        'valid-lifetime': value('kea_dhcp4_valid_lifetime'),
        'renew-timer': value('kea_dhcp4_renew_timer'),
        'rebind-timer': value('kea_dhcp4_rebind_timer'),
        'option-def': copy.deepcopy(list(IPXE_OPTION_DEFS)) if pxe and variables['kea_dhcp4_pxe_ipxe_no_pxedhcp'] else [],
        'option-data': value('kea_dhcp4_option_data'),
        'client-classes': _pxe_classes(variables) + value('kea_dhcp4_client_classes'),
        'subnet4': value('kea_dhcp4_subnets'),
        'hooks-libraries': _ha_hooks(variables, channel, platform['hooks_directory'], this_server_name, ha_peers,
                                     ha_peers_name) if ha_enabled else [],
        'loggers': [{
            'name': 'kea-dhcp4',
            'output_options': [{'output': 'stdout'}],
            'severity': value('kea_dhcp4_log_severity'),
            'debuglevel': value('kea_dhcp4_log_debuglevel'),
        }],
    }
    if is_sql(variables['kea_dhcp4_hosts_database']):
        # The reservations are rows of the database (kea_host_rows), read by Kea per client.
        dhcp4['hosts-database'] = without_password(value('kea_dhcp4_hosts_database'))
        dhcp4['subnet4'] = [{key: item for key, item in subnet.items() if key != 'reservations'} for subnet in dhcp4['subnet4']]
    if ha_enabled and channel == 'listener':
        dhcp4['multi-threading'] = {'enable-multi-threading': True}
    # Shallow, like Ansible's combine without recursive: a key of extra_config replaces the whole value.
    dhcp4.update(plain(extra))
    return {'Dhcp4': dhcp4}


def hooks_directory(architecture):
    """Debian's directory of Kea's hook libraries for the architecture fact (ansible_facts.architecture)."""
    if not isinstance(architecture, str) or not ARCHITECTURE.fullmatch(architecture):
        raise KeaConfigError(f'architecture must be a machine architecture name such as x86_64, got {architecture!r}')
    return f'/usr/lib/{MULTIARCH.get(architecture, architecture + "-linux-gnu")}/kea/hooks'


def ctrl_agent_config(variables, this_url):
    """Return the Kea control agent document ``{'Control-agent': {...}}`` of the role kea_dhcp4.

    The agent listens on the host and port of ``this_url``, this server's HA peer URL, and
    passes commands to Kea DHCPv4's control socket. It asks for HTTP basic authentication (the
    password file of ``ha_tls``) and, with kea_dhcp4_ha_tls, for HTTPS with a client
    certificate of the pair's CA. ``variables`` may be the same mapping as
    for dhcp4_config; only the names of ``CTRL_AGENT_VARIABLES`` are required.
    """
    _check_variables(variables, CTRL_AGENT_VARIABLES, 'the Kea control agent document')
    host = port = None
    if isinstance(this_url, str) and re.fullmatch(r'\S+', this_url):
        parts = urlsplit(this_url)
        try:
            host, port = parts.hostname, parts.port
        except ValueError:
            host = port = None
        if parts.scheme not in _URL_SCHEMES:
            host = None
    if not host or port is None:
        raise KeaConfigError(f'this_url must be the http(s)://HOST:PORT/ URL of this HA peer, got {this_url!r}')
    security = ha_tls(_only(variables, CTRL_AGENT_VARIABLES))
    problems = _scheme_problems({'this_url': this_url}, security['enabled'])
    if problems:
        raise KeaConfigError(problems[0])
    tls = {}
    if security['enabled']:
        tls = dict(security['files'], **{'cert-required': True})
    return {
        'Control-agent': {
            'http-host': host,
            'http-port': port,
            **tls,
            'authentication': {
                'type': 'basic',
                'realm': HA_REALM,
                'directory': security['directory'],
                'clients': [{'user': security['user'], 'password-file': HA_PASSWORD_FILE}],
            },
            'control-sockets': {
                'dhcp4': {
                    'socket-type': 'unix',
                    'socket-name': plain(variables['kea_dhcp4_control_socket']),
                },
            },
            'loggers': [{
                'name': 'kea-ctrl-agent',
                'output_options': [{'output': 'stdout'}],
                'severity': plain(variables['kea_dhcp4_log_severity']),
                'debuglevel': plain(variables['kea_dhcp4_log_debuglevel']),
            }],
        },
    }


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


def shared_pools(signatures, name='kea_dhcp4_subnets'):
    """The one pool signature every HA peer of ``signatures`` ({host: pool_signature}) has; KeaConfigError otherwise."""
    problems = pool_problems(signatures, name=name)
    if problems:
        raise KeaConfigError('; '.join(problems))
    return next(iter(signatures.values()), '') or ''


def ha_peers_from_hosts(names, urls, mode, name='kea_dhcp4_ha_group'):
    """Kea ``peers`` of the HA hook from the peer names and URLs of a group's hosts, in inventory order.

    The first is primary, the second standby or secondary by ``mode``, the rest backup
    (``_kea_ha.ha_peers``). Messages name ``name``.
    """
    if not isinstance(names, (list, tuple)) or not isinstance(urls, (list, tuple)):
        raise KeaConfigError(f'{name}: the peer names and URLs must be lists, got {names!r} and {urls!r}')
    if len(names) != len(urls):
        raise KeaConfigError(f'{name}: {len(names)} peer name(s) {names!r} but {len(urls)} URL(s) {urls!r}')
    try:
        return ha_peers([{'name': peer, 'url': url} for peer, url in zip(names, urls)], mode, name=name)
    except ValueError as exc:
        raise KeaConfigError(str(exc)) from exc


def dhcp4_sockets(interfaces, facts, ha_url=None):
    """The sockets Kea DHCPv4 holds, as ``udp/10.0.0.2:67`` (see the service_state module).

    Kea binds port 67 on the IPv4 address of each interface it listens on (``eth1``, or
    ``eth1/10.0.0.2`` for one address; ``*`` asks only for some socket on port 67), and the HA
    peers' channel on the address and port of ``ha_url`` when Kea itself listens for it.
    """
    sockets = []
    for interface in interfaces or []:
        name, _slash, address = str(interface).partition('/')
        if name == '*':
            address = '*'
        elif not address:
            data = (facts or {}).get(name.replace('-', '_').replace('.', '_')) or {}
            address = (data.get('ipv4') or {}).get('address') or '*'
        sockets.append(f'udp/{address}:67')
    if ha_url:
        parts = urlsplit(ha_url)
        if not parts.hostname or not re.fullmatch(r'[0-9.]+', parts.hostname):
            raise KeaConfigError(f'the HA URL {ha_url!r} must have an IPv4 address to listen on')
        sockets.append(f'tcp/{parts.hostname}:{parts.port}')
    return sorted(set(sockets))
