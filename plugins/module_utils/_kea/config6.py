# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Kea DHCPv6 document of the role kea_dhcp6, built from its variables, and the sockets
Kea DHCPv6 holds.

Private module: its API may change without notice.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.netboot.pxe.plugins.module_utils._dhcp.pxe_classes import PxeClassError
from ansible_collections.netboot.pxe.plugins.module_utils._dhcp.pxe_classes6 import client_classes6
from ansible_collections.netboot.pxe.plugins.module_utils._dhcp.subnets6 import subnet6_problems
from ansible_collections.netboot.pxe.plugins.module_utils._kea.variables import KeaConfigError, check_variables, plain
from ansible_collections.netboot.pxe.plugins.module_utils._validate import CONFIG_PATH, INTERFACE, IPV6

# The role variables the Kea DHCPv6 document is built from: all of the role's defaults but its state.
VARIABLES6 = (
    'kea_dhcp6_interfaces',
    'kea_dhcp6_subnets',
    'kea_dhcp6_option_data',
    'kea_dhcp6_preferred_lifetime',
    'kea_dhcp6_valid_lifetime',
    'kea_dhcp6_renew_timer',
    'kea_dhcp6_rebind_timer',
    'kea_dhcp6_pxe_tftp_server',
    'kea_dhcp6_pxe_ipxe_script_url',
    'kea_dhcp6_pxe_boot_files',
    'kea_dhcp6_pxe_http_base_url',
    'kea_dhcp6_client_classes',
    'kea_dhcp6_lease_file',
    'kea_dhcp6_control_socket',
    'kea_dhcp6_log_severity',
    'kea_dhcp6_log_debuglevel',
    'kea_dhcp6_extra_config',
)
SEVERITIES = ('FATAL', 'ERROR', 'WARN', 'INFO', 'DEBUG')


def _timer_problems(variables):
    """Positive whole seconds; renew before rebind before the preferred lifetime, which ends
    no later than the valid one."""
    names = ('kea_dhcp6_renew_timer', 'kea_dhcp6_rebind_timer', 'kea_dhcp6_preferred_lifetime', 'kea_dhcp6_valid_lifetime')
    values = [variables[name] for name in names]
    wrong = [f'{name} must be a positive whole number of seconds, got {value!r}' for name, value in zip(names, values)
             if isinstance(value, bool) or not isinstance(value, int) or value <= 0]
    if wrong:
        return wrong
    if not values[0] < values[1] < values[2] <= values[3]:
        return [f'{names[0]} ({values[0]}) < {names[1]} ({values[1]}) < {names[2]} ({values[2]}) <= {names[3]} '
                f'({values[3]}) must hold: a client renews, then rebinds, before its address is deprecated']
    return []


def _shape_problems(variables):
    """The variables that are not subnets, classes or timers."""
    problems = []
    interfaces = variables['kea_dhcp6_interfaces']
    if not isinstance(interfaces, list) or not interfaces or not all(
            isinstance(name, str) and INTERFACE.fullmatch(name) for name in interfaces):
        problems.append(f'kea_dhcp6_interfaces must be a non-empty list of interface names, got {interfaces!r}')
    for name in ('kea_dhcp6_lease_file', 'kea_dhcp6_control_socket'):
        value = variables[name]
        if not isinstance(value, str) or not CONFIG_PATH.fullmatch(value) or '..' in value.split('/'):
            problems.append(f'{name} must be an absolute path of letters, digits and ._+-/, without "..", got {value!r}')
    if variables['kea_dhcp6_log_severity'] not in SEVERITIES:
        problems.append(f'kea_dhcp6_log_severity must be one of {", ".join(SEVERITIES)}, got '
                        f'{variables["kea_dhcp6_log_severity"]!r}')
    level = variables['kea_dhcp6_log_debuglevel']
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 99:
        problems.append(f'kea_dhcp6_log_debuglevel must be a whole number 0-99, got {level!r}')
    for name, kind in (('kea_dhcp6_option_data', list), ('kea_dhcp6_client_classes', list),
                       ('kea_dhcp6_extra_config', Mapping), ('kea_dhcp6_pxe_boot_files', Mapping)):
        if not isinstance(variables[name], kind):
            problems.append(f'{name} must be a {"list" if kind is list else "mapping"}, got {variables[name]!r}')
    server = variables['kea_dhcp6_pxe_tftp_server']
    if server != '' and IPV6.fullmatch(server) is None:
        problems.append(f'kea_dhcp6_pxe_tftp_server must be a global or unique local IPv6 address of this server '
                        f'(not link-local: machines fetch from it), or empty for no boot files, got {server!r}')
    return problems


def _fixed(variables):
    """The server's own address, which no machine may get."""
    server = IPV6.fullmatch(variables['kea_dhcp6_pxe_tftp_server'])
    return [('the address of this server (kea_dhcp6_pxe_tftp_server)', server)] if server else []


def dhcp6_config(variables):
    """Return the Kea DHCPv6 document ``{'Dhcp6': {...}}`` of the role kea_dhcp6.

    ``variables`` maps each name of ``VARIABLES6`` to the role variable's value (all required, no
    others). Without ``kea_dhcp6_pxe_tftp_server`` no boot file is handed out. A subnet without an
    ``interface`` of its own is the link of the first of ``kea_dhcp6_interfaces`` (Kea selects the
    subnet of a client that is not relayed by it). ``kea_dhcp6_extra_config`` is merged last,
    replacing whole top-level keys. Raises KeaConfigError with every problem, each naming the
    variable and the value.
    """
    check_variables(variables, VARIABLES6, 'the Kea DHCPv6 document', known=VARIABLES6)
    problems = _shape_problems(variables)
    if not problems:
        problems = _timer_problems(variables)
        problems += subnet6_problems(variables['kea_dhcp6_subnets'], 'kea_dhcp6_subnets', _fixed(variables))
    classes = []
    if not problems and variables['kea_dhcp6_pxe_tftp_server']:
        try:
            classes = client_classes6(plain(variables['kea_dhcp6_pxe_boot_files']),
                                      variables['kea_dhcp6_pxe_ipxe_script_url'], variables['kea_dhcp6_pxe_tftp_server'],
                                      http_base_url=variables['kea_dhcp6_pxe_http_base_url'] or None,
                                      name='kea_dhcp6_pxe_boot_files')
        except PxeClassError as exc:
            problems.append(str(exc))
    if problems:
        raise KeaConfigError('; '.join(problems))

    def value(name):
        return plain(variables[name])

    interfaces = value('kea_dhcp6_interfaces')
    subnets = [dict(subnet) if 'interface' in subnet else dict(subnet, interface=interfaces[0].split('/')[0])
               for subnet in value('kea_dhcp6_subnets')]
    dhcp6 = {
        'interfaces-config': {'interfaces': interfaces},
        'control-socket': {'socket-type': 'unix', 'socket-name': value('kea_dhcp6_control_socket')},
        'lease-database': {'type': 'memfile', 'persist': True, 'name': value('kea_dhcp6_lease_file'), 'lfc-interval': 3600},
        'preferred-lifetime': value('kea_dhcp6_preferred_lifetime'),
        'valid-lifetime': value('kea_dhcp6_valid_lifetime'),
        'renew-timer': value('kea_dhcp6_renew_timer'),
        'rebind-timer': value('kea_dhcp6_rebind_timer'),
        'option-data': value('kea_dhcp6_option_data'),
        'client-classes': classes + value('kea_dhcp6_client_classes'),
        'subnet6': subnets,
        'loggers': [{
            'name': 'kea-dhcp6',
            'output_options': [{'output': 'stdout'}],
            'severity': value('kea_dhcp6_log_severity'),
            'debuglevel': value('kea_dhcp6_log_debuglevel'),
        }],
    }
    # Shallow: a key of extra_config replaces the whole value.
    dhcp6.update(value('kea_dhcp6_extra_config'))
    return {'Dhcp6': dhcp6}


# Kea DHCPv6 binds each interface's link-local address and the All_DHCP_Relay_Agents_and_Servers
# multicast address, port 547.
_ALL_SERVERS = 'ff02::1:2'


def dhcp6_sockets(interfaces, facts):
    """The sockets Kea DHCPv6 holds, as ``udp/[fe80::1]:547`` (see the service_state module): port 547
    on the link-local address of each interface in the facts and on ff02::1:2. For an interface without
    a link-local address in the facts, only some socket on port 547 is asked for."""
    sockets = set()
    for interface in interfaces or []:
        data = (facts or {}).get(str(interface).replace('-', '_').replace('.', '_')) or {}
        local = [entry['address'].split('%', 1)[0] for entry in data.get('ipv6') or []
                 if isinstance(entry, dict) and str(entry.get('address', '')).lower().startswith('fe80:')]
        if local:
            sockets.update({f'udp/[{local[0]}]:547', f'udp/[{_ALL_SERVERS}]:547'})
        else:
            sockets.add('udp/*:547')
    return sorted(sockets)
