# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Kea DHCPv4 and Kea control agent documents of the role kea_dhcp4, built from its
variables, and the sockets Kea DHCPv4 holds.

Private module: its API may change without notice.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from ansible_collections.netboot.pxe.plugins.module_utils._dhcp.pxe_classes import (
    SECURE_BOOT_CLASSES,
    UEFI_X64_CLASSES,
    PxeClassError,
    client_classes,
)
from ansible_collections.netboot.pxe.plugins.module_utils._dhcp.subnets import subnet_problems
from ansible_collections.netboot.pxe.plugins.module_utils._kea.database import (
    DATABASE_VARIABLES,
    KeaDatabaseError,
    database_problems,
    host_rows,
    is_sql,
    without_password,
)
from ansible_collections.netboot.pxe.plugins.module_utils._kea.ha import CHANNELS, HA_PASSWORD_FILE, HA_REALM, ha_hooks, ha_tls, scheme_problems
from ansible_collections.netboot.pxe.plugins.module_utils._kea.variables import (
    CTRL_AGENT_VARIABLES,
    VARIABLES,
    KeaConfigError,
    check_variables,
    only,
    plain,
)
from ansible_collections.netboot.pxe.plugins.module_utils._validate import ABSOLUTE_PATH

# iPXE's encapsulated options (175), with no-pxedhcp (176) = 1: skip the ProxyDHCP wait.
IPXE_OPTION_DEFS = (
    {'space': 'dhcp4', 'name': 'ipxe-encap-opts', 'code': 175, 'type': 'empty', 'encapsulate': 'ipxe'},
    {'space': 'ipxe', 'name': 'no-pxedhcp', 'code': 176, 'type': 'uint8'},
)
IPXE_NO_PXEDHCP_OPTIONS = (
    {'space': 'dhcp4', 'name': 'ipxe-encap-opts', 'code': 175, 'always-send': True},
    {'space': 'ipxe', 'name': 'no-pxedhcp', 'code': 176, 'data': '1'},
)

_URL_SCHEMES = ('http', 'https')


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


def dhcp4_config(variables, platform, this_server_name='', ha_peers=None, ha_peers_name='ha_peers'):
    """Return the Kea DHCPv4 document ``{'Dhcp4': {...}}`` of the role kea_dhcp4.

    ``variables`` maps each name of ``VARIABLES`` to the role variable's value (all required,
    no others). ``platform`` is ``{'ha_channel': 'listener' or 'ctrl-agent', 'hooks_directory':
    '/usr/lib/.../kea/hooks'}``. With ``kea_dhcp4_ha_enabled``, ``this_server_name`` is this
    server's peer name and ``ha_peers`` the ``peers`` of Kea's HA hook (checked with
    ``_kea.ha.ha_problems``, naming them ``ha_peers_name``); without, both are ignored. The subnets
    are checked with ``_dhcp.subnets.subnet_problems``. ``kea_dhcp4_extra_config`` is merged
    last, replacing whole top-level keys. The databases' passwords are left out (the module
    kea_config writes them to the file, as secrets). Raises KeaConfigError with every problem, each naming
    the variable and the value.
    """
    check_variables(variables, VARIABLES, 'the Kea DHCPv4 document')
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
        'hooks-libraries': ha_hooks(variables, channel, platform['hooks_directory'], this_server_name, ha_peers,
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


def ctrl_agent_config(variables, this_url):
    """Return the Kea control agent document ``{'Control-agent': {...}}`` of the role kea_dhcp4.

    The agent listens on the host and port of ``this_url``, this server's HA peer URL, and
    passes commands to Kea DHCPv4's control socket. It asks for HTTP basic authentication (the
    password file of ``ha_tls``) and, with kea_dhcp4_ha_tls, for HTTPS with a client
    certificate of the pair's CA. ``variables`` may be the same mapping as
    for dhcp4_config; only the names of ``CTRL_AGENT_VARIABLES`` are required.
    """
    check_variables(variables, CTRL_AGENT_VARIABLES, 'the Kea control agent document')
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
    security = ha_tls(only(variables, CTRL_AGENT_VARIABLES))
    problems = scheme_problems({'this_url': this_url}, security['enabled'])
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
