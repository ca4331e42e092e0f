# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The network plan of the playbook netboot.pxe.site, in two steps. ``netboot_plan``: from the
host's variables and facts, the served network, the subnets behind relays and the role variables
that follow from them, every input checked with a message naming the variable the user wrote and
its value. ``netboot_dhcp_vars``: once the ipxe role has planned what it stages (its ipxe_staged
fact), the DHCP roles' boot settings.

Private module: its API may change without notice.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from ansible_collections.netboot.pxe.plugins.module_utils._boot.images import ImageError, check_entries
from ansible_collections.netboot.pxe.plugins.module_utils._dhcp.pxe_classes6 import client_classes6
from ansible_collections.netboot.pxe.plugins.module_utils._dhcp.pxe_classes import (
    ARCHITECTURES,
    SECURE_BOOT_CLASSES,
    UEFI_X64_CLASSES,
    PxeClassError,
    client_classes,
)
from ansible_collections.netboot.pxe.plugins.module_utils._dhcp.subnets import SECURE_BOOT_SHIM as SHIM, reservation_problems
from ansible_collections.netboot.pxe.plugins.module_utils._lab_network import (
    LabNetworkError,
    has_ipv4,
    interface_of_ipv6,
    lab_network,
    relayed_networks,
)
from ansible_collections.netboot.pxe.plugins.module_utils._netboot_ipv6 import (
    boot_files6,
    host_reservations6,
    ipv6_only_problems,
    kea_subnets6,
    lab6_network,
    on_ipv6_host,
)
from ansible_collections.netboot.pxe.plugins.module_utils._validate import is_ipv4, normalize_mac, url_host

# The role variables the plan derives (known before any role runs), in the order of the result;
# each one the host's variables set is taken from there instead.
ROLE_VARS = (
    'tftpd_address',
    'nginx_listen_address',
    'nginx_listen_ipv6_address',
    'nginx_allowed_networks',
    'nginx_delete_locations',
    'ipxe_base_url',
    'ipxe_boot_files',
    'ipxe_secure_boot',
    'kea_dhcp4_interfaces',
    'kea_dhcp6_state',
    'kea_dhcp6_interfaces',
    'kea_dhcp6_subnets',
    'kea_dhcp6_pxe_tftp_server',
    'kea_dhcp4_subnets',
    'kea_dhcp4_pxe_next_server',
    'kea_dhcp4_pxe_secure_boot_file',
    'kea_dhcp4_ha_group',
    'kea_dhcp4_ha_address',
    'radvd_state',
    'radvd_interfaces',
    'radvd_dhcpv6_prefixes',
    'package_cache_state',
    'package_cache_address',
    'ipxe_answer_proxy',
    'kea_dhcp4_state',
    'proxy_dhcp_state',
    'proxy_dhcp_interfaces',
    'proxy_dhcp_subnets',
    'proxy_dhcp_next_server',
    'proxy_dhcp_secure_boot_macs',
    'proxy_dhcp_secure_boot_file',
    'images_entries',
    'images_agent',
    'images_http_root',
    'ipxe_images',
    'ipxe_discovery',
    'ipxe_discovery_networks',
    'ipxe_discovery_known_macs',
)
# The DHCP roles' boot settings, the second step (netboot_dhcp_vars): each the key of the ipxe
# role's ipxe_staged fact it comes from, unless the host's variables set it.
BOOT_VARS = {
    'kea_dhcp4_pxe_ipxe_script_url': 'script_url',
    'kea_dhcp4_pxe_http_base_url': 'binaries_url',
    'kea_dhcp4_pxe_boot_files': 'boot_files',
    # The same on the server's IPv6 address, for the UEFI architectures (BIOS PXE has no IPv6).
    'kea_dhcp6_pxe_ipxe_script_url': 'script_url',
    'kea_dhcp6_pxe_http_base_url': 'binaries_url',
    'kea_dhcp6_pxe_boot_files': 'boot_files',
    'proxy_dhcp_ipxe_script_url': 'script_url',
    # Without UEFI HTTP boot, which a proxyDHCP server cannot answer.
    'proxy_dhcp_boot_files': 'tftp_boot_files',
}
DHCP_MODES = ('server', 'proxy')
# What the network's own DHCP server decides in proxy mode: refused there, not dropped.
_FOREIGN_SERVER_SETTINGS = ('netboot_reservations', 'netboot_relayed_subnets', 'netboot_pool', 'netboot_routers',
                            'netboot_dns_servers', 'kea_dhcp4_subnets')
DEFAULT_SERVERS_GROUP = 'netboot_servers'
# The ipxe role's default HTTP root, where the images role publishes too.
DEFAULT_HTTP_ROOT = '/srv/netboot'
# What Ansible's bool filter accepts (strings compared in lower case).
_TRUE = ('true', 'yes', 'on', '1')
_FALSE = ('false', 'no', 'off', '0')
_OWN_NAME = 'netboot_reservations'
_HOSTS_NAME = 'ipxe_hosts (the entries with an ip)'
_BOTH_NAME = 'netboot_reservations followed by the ipxe_hosts with an ip'


class PlanError(ValueError):
    """The host's variables and facts do not make a netboot server."""


def _flag(value, variable):
    """An Ansible-style boolean: true/false, yes/no, on/off, 1/0 (strings in any case too)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in _TRUE + _FALSE:
        return value.lower() in _TRUE
    raise PlanError(f'{variable} must be a boolean (true/false, yes/no, on/off, 1/0), got {value!r}')


def _address_list_problems(value, variable):
    if isinstance(value, (list, tuple)) and all(is_ipv4(item) for item in value):
        return []
    return [f'{variable} must be a list of IPv4 addresses, got {value!r}']


def _host_reservations(hosts, problems):
    """Kea reservations of the ipxe_hosts entries with an ip (their other fields are the ipxe role's)."""
    if not isinstance(hosts, list):
        problems.append(f'ipxe_hosts must be a list of mappings with mac (and ip for a fixed address), got {hosts!r}')
        return []
    reservations = []
    for index, host in enumerate(hosts):
        if not isinstance(host, Mapping):
            problems.append(f'ipxe_hosts[{index}] must be a mapping with mac (and ip for a fixed address), got {host!r}')
        elif 'ip' in host and 'mac' not in host:
            problems.append(f'ipxe_hosts[{index}] has an ip but no mac to reserve it for, got {host!r}')
        elif 'ip' in host:
            reservations.append({'hw-address': host['mac'], 'ip-address': host['ip']})
    return reservations


def _secure_boot_hosts(hosts, problems, need=('ip',)):
    """MACs (normalized) of the ipxe_hosts entries with secure_boot: true; each needs one of the keys
    ``need`` (ip, or ipv6 with DHCPv6): its Kea reservation carries the shim as its boot file. Beside a
    foreign DHCP server (``need`` empty) the proxyDHCP server tags it by MAC."""
    macs = []
    for index, host in enumerate(hosts if isinstance(hosts, list) else []):
        if not isinstance(host, Mapping) or 'secure_boot' not in host:
            continue
        if not isinstance(host['secure_boot'], bool):
            problems.append(f'ipxe_hosts[{index}].secure_boot must be true or false, got {host["secure_boot"]!r}')
        elif host['secure_boot'] and need and not set(need) & set(host):
            problems.append(f'ipxe_hosts[{index}].secure_boot needs {" or ".join(f"an {key}" for key in need)}: its Kea '
                            f'reservation hands it the shim, got {host!r}')
        elif host['secure_boot']:
            macs.append(normalize_mac(host.get('mac')))
    return macs


def _with_shim(reservations, macs):
    """The reservations, those of ``macs`` handing out the shim (for UEFI Secure Boot)."""
    return [dict(host, **{'boot-file-name': SHIM}) if host.get('hw-address') in macs else host for host in reservations]


def _kea_subnets(lab, relayed, reservations, routers, dns_servers, secure_hosts):
    """Kea's subnets: the served network, then those behind relays. Each fixed address goes to the
    subnet that holds it; the others stay with the served network."""
    relayed_reservations = [host for net in relayed for host in net['reservations']]
    subnets = [{
        'id': 1,
        'subnet': lab['subnet'],
        'pools': [{'pool': lab['pool']}],
        'next-server': lab['address'],
        'option-data': _options(routers, dns_servers),
        'reservations': _with_shim(_kea_reservations([host for host in reservations if host not in relayed_reservations]),
                                   secure_hosts),
    }]
    for net in relayed:
        subnets.append({
            'id': net['id'],
            'subnet': net['subnet'],
            'pools': [{'pool': net['pool']}],
            'next-server': lab['address'],
            'option-data': _options(net['routers'], net['dns_servers'] if net['dns_servers'] is not None else dns_servers),
            'reservations': _with_shim(_kea_reservations(net['reservations']), secure_hosts),
        })
    return subnets


def _secure_boot_subnets(value, lab, relayed, problems):
    """The subnets (CIDR, as the plan writes them) of netboot_secure_boot_subnets: each the served
    network or one behind a relay."""
    served = [lab['subnet']] + [net['subnet'] for net in relayed]
    if not isinstance(value, list):
        problems.append(f'netboot_secure_boot_subnets must be a list of subnets in CIDR form, got {value!r}')
        return []
    subnets = []
    for index, entry in enumerate(value):
        try:
            subnet = str(ipaddress.IPv4Network(entry)) if isinstance(entry, str) else None
        except ValueError:
            subnet = None
        if subnet not in served:
            problems.append(f'netboot_secure_boot_subnets[{index}] must be the served network or one of '
                            f'netboot_relayed_subnets ({", ".join(served)}), got {entry!r}')
        elif subnet in subnets:
            problems.append(f'netboot_secure_boot_subnets[{index}] {entry!r} is listed twice')
        else:
            subnets.append(subnet)
    return subnets


def _with_secure_boot(subnet, secure_subnets):
    """A Kea subnet whose UEFI x64 machines get the shim, or iPXE, by the classes it requires (Kea
    evaluates them after choosing the subnet); as it is without Secure Boot subnets."""
    if not secure_subnets:
        return subnet
    required = SECURE_BOOT_CLASSES if subnet['subnet'] in secure_subnets else UEFI_X64_CLASSES
    return dict(subnet, **{'require-client-classes': list(required)})


def _with_shim_boot_files(boot_files):
    """netboot_boot_files with the shim for UEFI x64 machines, by PXE and by UEFI HTTP boot (unless off)."""
    return dict(boot_files, **{'efi-x64': SHIM}, **({} if boot_files.get('http-x64') == '' else {'http-x64': SHIM}))


def _kea_reservations(hosts):
    """The reservations as Kea takes them: any common MAC notation written as 52:54:00:12:34:56."""
    return [dict(host, **{'hw-address': normalize_mac(host['hw-address'])}) if normalize_mac(host.get('hw-address')) else host
            for host in hosts]


def _options(routers, dns_servers):
    """Kea option-data for routers and name servers, each left out when empty."""
    options = []
    if routers:
        options.append({'name': 'routers', 'data': ', '.join(routers)})
    if dns_servers:
        options.append({'name': 'domain-name-servers', 'data': ', '.join(dns_servers)})
    return options


def _taken(lab, routers, relayed):
    """[(what it is, address)] of the server's own address and the routers, which no machine may get."""
    taken = [('the address of this server', ipaddress.IPv4Address(lab['address']))]
    for router in list(routers) + [router for net in relayed for router in net['routers']]:
        if is_ipv4(router):
            taken.append(('a router', ipaddress.IPv4Address(router)))
    return taken


def _fixed_address_problems(own, host_reservations, lab, relayed, routers):
    """The checks of the fixed addresses: each source alone, then both together (duplicates across them)."""
    where = {'subnet': lab['subnet'], 'pools': [lab['pool']], 'other_subnets': relayed,
             'fixed': _taken(lab, routers if isinstance(routers, (list, tuple)) else [], relayed)}
    if own is None:
        own_problems = [f'{_OWN_NAME} must be a list of reservations, got None']
    else:
        own_problems = reservation_problems(own, name=_OWN_NAME, **where)
    problems = own_problems + reservation_problems(host_reservations, name=_HOSTS_NAME, **where)
    if problems:
        return problems
    return reservation_problems(own + host_reservations, name=_BOTH_NAME, **where)


def _dropped_by_kea_subnets(variables, own):
    """Refuse the settings that a kea_dhcp4_subnets of the user's would silently replace."""
    if 'kea_dhcp4_subnets' not in variables:
        return []
    hosts = variables.get('ipxe_hosts', [])
    with_ip = [host for host in hosts if isinstance(host, Mapping) and 'ip' in host] if isinstance(hosts, list) else []
    dropped = [
        ('netboot_reservations', own),
        ('netboot_relayed_subnets', variables.get('netboot_relayed_subnets')),
        (_HOSTS_NAME, with_ip),
    ] + [(name, variables.get(name)) for name in ('netboot_pool', 'netboot_subnet', 'netboot_routers', 'netboot_dns_servers')]
    return [f'kea_dhcp4_subnets and {name} are both set: kea_dhcp4_subnets replaces the subnets the playbook builds, '
            f'so {name} {value!r} would be silently dropped; use one or the other'
            for name, value in dropped if value]


def _boot_file_problems(variables, http, address):
    """netboot_boot_files: a mapping of architecture to boot file ('' for none), not set with kea_dhcp4_pxe_boot_files."""
    boot_files = variables.get('netboot_boot_files', {})
    for other in ('kea_dhcp4_pxe_boot_files', 'ipxe_boot_files'):
        if boot_files and other in variables:
            return [f'{other} and netboot_boot_files are both set: {other} replaces the boot files the playbook '
                    f'offers, so netboot_boot_files {boot_files!r} would be silently dropped; use one or the other']
    unknown = sorted(str(arch) for arch in boot_files if arch not in ARCHITECTURES) if isinstance(boot_files, Mapping) else []
    if unknown:
        return [f'netboot_boot_files has unknown architecture name(s) {", ".join(map(repr, unknown))}; '
                f'known: {", ".join(ARCHITECTURES)}']
    try:
        offered = {arch: name for arch, name in boot_files.items() if name != ''} if isinstance(boot_files, Mapping) else boot_files
        client_classes(offered, f'{http}/boot.ipxe', address, http_base_url=f'{http}/ipxe/', name='netboot_boot_files')
    except PxeClassError as exc:
        return [str(exc)]
    return []


def _boot_file_problems6(variables, lab6):
    """netboot_boot_files as Kea DHCPv6 offers them (the UEFI architectures), on the server's IPv6 address."""
    boot_files = variables.get('netboot_boot_files', {})
    if not isinstance(boot_files, Mapping):
        return []
    http = f'http://{url_host(lab6["address"])}'
    try:
        client_classes6(boot_files6({arch: name for arch, name in boot_files.items() if name != ''}), f'{http}/boot.ipxe',
                        lab6['address'], http_base_url=f'{http}/ipxe/', name='netboot_boot_files')
    except PxeClassError as exc:
        return [str(exc)]
    return []


def _proxy_mode_problems(variables):
    """Settings that belong to the network's own DHCP server when netboot.pxe is its proxyDHCP server."""
    why = ('netboot_dhcp_mode is proxy: the network\'s own DHCP server hands out the addresses, routers and name '
           'servers, and keeps any fixed address; set it there and remove')
    problems = [f'{why} {name} {variables[name]!r}' for name in _FOREIGN_SERVER_SETTINGS
                if variables.get(name) not in (None, [], '', {})]
    if variables.get('netboot_secure_boot_subnets') not in (None, []):
        problems.append(f'netboot_dhcp_mode is proxy: the proxyDHCP server answers on the served network only, so '
                        f'set netboot_secure_boot (every UEFI x64 machine) instead of netboot_secure_boot_subnets '
                        f'{variables["netboot_secure_boot_subnets"]!r}')
    hosts = variables.get('ipxe_hosts', [])
    for index, host in enumerate(hosts if isinstance(hosts, list) else []):
        if isinstance(host, Mapping) and 'ip' in host:
            problems.append(f'{why} the ip of ipxe_hosts[{index}] {host["ip"]!r} (the entry without ip still gets '
                            f'its script and install)')
    boot_files = variables.get('netboot_boot_files', {})
    if isinstance(boot_files, Mapping):
        http = sorted(str(arch) for arch in boot_files if arch in ARCHITECTURES and ARCHITECTURES[arch][1]
                      and boot_files[arch] != '')
        if http:
            problems.append(f'netboot_dhcp_mode is proxy: a proxyDHCP server cannot answer UEFI HTTP boot, so '
                            f'netboot_boot_files {", ".join(http)} would never be offered; remove it')
    return problems


def netboot_plan(variables, facts):
    """Return the network plan of a netboot server as a dict: lab, relayed, ipv6_router_advertisements,
    package_cache (netboot_package_cache), dhcp_mode (netboot_dhcp_mode), role_vars, boot_vars_set
    and overridden.

    ``variables`` maps the host's own variables (inventory and extra vars: ``hostvars[inventory_hostname]``);
    only the netboot_* settings, ipxe_hosts and the role variable names of ``ROLE_VARS`` and
    ``BOOT_VARS`` are read. ``facts`` are the host's ansible_facts. ``lab`` is the served network
    (see ``lab_network``), ``relayed`` the subnets behind DHCP relays (see ``relayed_networks``);
    ``role_vars`` holds the role variables of ``ROLE_VARS`` that follow from them, except those
    ``variables`` sets, which are kept as set. ``boot_vars_set`` holds the ``BOOT_VARS`` that
    ``variables`` sets, for ``netboot_dhcp_vars``; ``overridden`` lists, sorted, every name of
    both that ``variables`` sets. Raises PlanError naming each variable in error and its value.
    """
    dhcp_mode = variables.get('netboot_dhcp_mode', 'server')
    if dhcp_mode not in DHCP_MODES:
        raise PlanError(f'netboot_dhcp_mode must be one of {", ".join(DHCP_MODES)}, got {dhcp_mode!r}')
    foreign = _proxy_mode_problems(variables) if dhcp_mode == 'proxy' else []
    if foreign:
        raise PlanError('; '.join(foreign))
    ipv6 = _flag(variables.get('netboot_ipv6', False), 'netboot_ipv6')
    interface = variables.get('netboot_interface')
    if ipv6 and not interface and not variables.get('netboot_server_address') and 'netboot_ipv6_address' in variables:
        # The interface that holds netboot_ipv6_address, as netboot_server_address names one for IPv4.
        try:
            interface = interface_of_ipv6(facts, variables['netboot_ipv6_address'])
        except LabNetworkError as exc:
            raise PlanError(str(exc)) from exc
    # An interface without IPv4 serves an IPv6-only network.
    ipv6_only = (ipv6 and isinstance(interface, str) and interface in facts.get('interfaces', [])
                 and not variables.get('netboot_server_address') and not has_ipv4(facts, interface))
    if ipv6 and dhcp_mode == 'proxy':
        raise PlanError('netboot_ipv6 makes this server the network\'s DHCPv6 server, and netboot_dhcp_mode proxy says '
                        'another server answers DHCP: a proxyDHCP server is IPv4 only; set netboot_ipv6 false')
    if ipv6_only:
        refused = ipv6_only_problems(variables, interface)
        if refused:
            raise PlanError('; '.join(refused))
    try:
        if ipv6_only:
            lab6 = lab6_network(variables, facts, interface)
            lab = dict(lab6, router=None)
        else:
            lab = lab_network(facts, interface=interface, address=variables.get('netboot_server_address'),
                              subnet=variables.get('netboot_subnet'), pool=variables.get('netboot_pool'))
            lab6 = lab6_network(variables, facts, lab['interface']) if ipv6 else None
    except LabNetworkError as exc:
        raise PlanError(str(exc)) from exc

    problems = []
    host_reservations = _host_reservations(variables.get('ipxe_hosts', []), problems)
    own = variables.get('netboot_reservations', [])
    reservations = (own if isinstance(own, list) else []) + host_reservations
    try:
        relayed = relayed_networks(variables.get('netboot_relayed_subnets', []), name='netboot_relayed_subnets',
                                   reservations=reservations)
    except LabNetworkError as exc:
        raise PlanError('; '.join(problems + [str(exc)])) from exc

    http = f'http://{url_host(lab["address"])}'
    boot_files = variables.get('netboot_boot_files', {})
    if 'netboot_routers' in variables:
        routers = variables['netboot_routers']
    else:
        routers = [lab['router']] if lab['router'] else []
    dns_servers = variables.get('netboot_dns_servers', [])

    problems += _address_list_problems(routers, 'netboot_routers')
    problems += _address_list_problems(dns_servers, 'netboot_dns_servers')
    if not ipv6_only:
        problems += _boot_file_problems(variables, http, lab['address'])
        problems += _fixed_address_problems(own, host_reservations, lab, relayed, routers)
    if lab6 is not None:
        problems += _boot_file_problems6(variables, lab6)
    reservations6 = host_reservations6(variables.get('ipxe_hosts', []), lab6, problems)
    if reservations6 and lab6 is None:
        problems.append('ipxe_hosts has entries with an ipv6 (or a duid), which need netboot_ipv6: true')
    advertise = ipv6
    try:
        advertise = _flag(variables.get('netboot_ipv6_router_advertisements', False), 'netboot_ipv6_router_advertisements') or ipv6
    except PlanError as exc:
        problems.append(str(exc))
    secure_boot = False
    try:
        secure_boot = _flag(variables.get('netboot_secure_boot', False), 'netboot_secure_boot')
    except PlanError as exc:
        problems.append(str(exc))
    # UEFI HTTP boot may stay off ('' in netboot_boot_files); PXE may not.
    kept = {'efi-x64': (None, SHIM), 'http-x64': (None, SHIM, '')}
    for arch in kept if secure_boot and isinstance(boot_files, Mapping) else ():
        if boot_files.get(arch) not in kept[arch]:
            problems.append(f'netboot_secure_boot hands UEFI x64 machines Debian\'s signed shim ({SHIM}), so '
                            f'netboot_boot_files {arch} {boot_files[arch]!r} would be dropped; leave it out')
    # What a secure_boot machine's Kea reservation is keyed on: its ip, or its ipv6 with DHCPv6.
    if dhcp_mode != 'server':
        need = ()
    elif ipv6_only:
        need = ('ipv6',)
    else:
        need = ('ip', 'ipv6') if ipv6 else ('ip',)
    secure_hosts = _secure_boot_hosts(variables.get('ipxe_hosts', []), problems, need)
    secure_subnets = _secure_boot_subnets(variables.get('netboot_secure_boot_subnets', []), lab, relayed, problems)
    package_cache = False
    try:
        package_cache = _flag(variables.get('netboot_package_cache', False), 'netboot_package_cache')
    except PlanError as exc:
        problems.append(str(exc))
    problems += _dropped_by_kea_subnets(variables, own)
    images = variables.get('netboot_images', [])
    image_names = []
    try:
        image_names = [entry['name'] for entry in check_entries(images, name='netboot_images')]
    except ImageError as exc:
        problems.append(str(exc))
    # Discovery where it is safe: on the network this server answers, with the agent it builds for images.
    discovery = False
    try:
        discovery = _flag(variables.get('netboot_discovery', dhcp_mode == 'server' and bool(image_names) and not ipv6_only),
                          'netboot_discovery')
    except PlanError as exc:
        problems.append(str(exc))
    if problems:
        raise PlanError('; '.join(problems))

    subnets = [] if ipv6_only else [_with_secure_boot(subnet, secure_subnets)
                                    for subnet in _kea_subnets(lab, relayed, reservations, routers, dns_servers, secure_hosts)]
    networks = [lab['subnet']] + [net['subnet'] for net in relayed]
    derived = {
        # tftpd-hpa binds one address: both families need all of them.
        'tftpd_address': '' if lab6 is not None and not ipv6_only else lab['address'],
        'nginx_listen_address': lab['address'],
        'nginx_listen_ipv6_address': lab6['address'] if lab6 is not None and not ipv6_only else '',
        'nginx_allowed_networks': networks + ([lab6['subnet']] if lab6 is not None and not ipv6_only else []),
        # The ipxe role's build markers: an installer deletes its own when it is done.
        'nginx_delete_locations': ['/builds/'],
        'ipxe_base_url': http,
        # With netboot_secure_boot every UEFI x64 machine gets the shim; else those of their reservation.
        'ipxe_boot_files': _with_shim_boot_files(boot_files) if secure_boot else boot_files,
        'ipxe_secure_boot': secure_boot or bool(secure_hosts) or bool(secure_subnets),
        'kea_dhcp4_interfaces': [lab['interface']],
        'kea_dhcp6_state': 'present' if lab6 is not None else 'absent',
        'kea_dhcp6_interfaces': [lab['interface']],
        'kea_dhcp6_subnets': kea_subnets6(lab6, reservations6) if lab6 is not None else [],
        'kea_dhcp6_pxe_tftp_server': lab6['address'] if lab6 is not None else '',
        'kea_dhcp4_subnets': subnets,
        'kea_dhcp4_pxe_next_server': lab['address'],
        # The shim for the UEFI x64 machines of netboot_secure_boot_subnets.
        'kea_dhcp4_pxe_secure_boot_file': SHIM if secure_subnets else '',
        'kea_dhcp4_ha_group': variables.get('netboot_servers_group') or DEFAULT_SERVERS_GROUP,
        'kea_dhcp4_ha_address': lab['address'],
        # What the inventory no longer asks for is taken down.
        'radvd_state': 'present' if advertise else 'absent',
        'radvd_interfaces': [lab['interface']],
        # With DHCPv6, the advertisements send the machines to it (managed and other flags) and
        # say the served prefix is on the link, without addresses of its own (SLAAC).
        'radvd_dhcpv6_prefixes': [lab6['subnet']] if lab6 is not None else [],
        'package_cache_state': 'present' if package_cache else 'absent',
        'package_cache_address': lab['address'],
        # The installers fetch their packages through the package cache, when there is one.
        'ipxe_answer_proxy': (f'http://{url_host(lab["address"])}:{variables.get("package_cache_port", 3142)}/'
                              if package_cache else ''),
        # One DHCP service answers: Kea as the network's DHCP server, or dnsmasq as its proxyDHCP server.
        'kea_dhcp4_state': 'present' if dhcp_mode == 'server' and not ipv6_only else 'absent',
        'proxy_dhcp_state': 'present' if dhcp_mode == 'proxy' else 'absent',
        'proxy_dhcp_interfaces': [lab['interface']],
        'proxy_dhcp_subnets': [lab['subnet']],
        'proxy_dhcp_next_server': lab['address'],
        # Beside a foreign DHCP server, the proxyDHCP server hands the shim to the secure_boot machines.
        'proxy_dhcp_secure_boot_macs': secure_hosts if dhcp_mode == 'proxy' else [],
        'proxy_dhcp_secure_boot_file': SHIM if secure_hosts and dhcp_mode == 'proxy' else '',
        # The images of netboot_images, built or fetched beside the ipxe role's files; the agent boot
        # image while a machine deploys one.
        'images_entries': images,
        'images_agent': discovery or any(isinstance(host, Mapping) and 'image' in host
                                         for host in variables.get('ipxe_hosts') or []),
        'images_http_root': variables.get('ipxe_http_root', DEFAULT_HTTP_ROOT),
        'ipxe_images': image_names,
        # Machines the inventory does not name boot the agent, which reports what they are.
        'ipxe_discovery': discovery,
        'ipxe_discovery_networks': networks,
        'ipxe_discovery_known_macs': sorted({normalize_mac(host['hw-address']) for host in reservations
                                             if isinstance(host, Mapping) and normalize_mac(host.get('hw-address'))}),
    }
    return {
        'lab': lab,
        'lab6': lab6,
        'ipv6_only': ipv6_only,
        'relayed': relayed,
        'ipv6_router_advertisements': advertise,
        'package_cache': package_cache,
        'dhcp_mode': dhcp_mode,
        'role_vars': {name: variables[name] if name in variables else derived[name] for name in ROLE_VARS},
        'boot_vars_set': {name: variables[name] for name in BOOT_VARS if name in variables},
        'overridden': sorted(name for name in ROLE_VARS + tuple(BOOT_VARS) if name in variables),
    }


def netboot_dhcp_vars(plan, staged):
    """The second step of the plan: the DHCP roles' boot settings (the names of ``BOOT_VARS``), once
    the ipxe role has planned what it stages. ``plan`` is the result of ``netboot_plan``, ``staged``
    the ipxe role's ipxe_staged fact. Each setting is the one the host's variables set (the plan's
    boot_vars_set), unless empty, else the value of ``staged`` that ``BOOT_VARS`` names. Raises
    PlanError naming the argument in error and its value.
    """
    if not isinstance(plan, Mapping) or not isinstance(plan.get('boot_vars_set'), Mapping):
        raise PlanError(f'the plan must be the result of netboot_plan (with boot_vars_set), got {plan!r}')
    keys = sorted(set(BOOT_VARS.values()))
    if not isinstance(staged, Mapping) or any(key not in staged for key in keys):
        raise PlanError(f'ipxe_staged must be the ipxe role\'s fact, with {", ".join(keys)}, got {staged!r}')
    # An empty value the host's variables set takes what is staged, as the playbook always did.
    result = {name: plan['boot_vars_set'].get(name) or staged[key] for name, key in BOOT_VARS.items()}
    lab6 = plan.get('lab6')
    # Kea DHCPv6 hands out URLs on the server's IPv6 address, to the UEFI architectures.
    for name in [name for name in BOOT_VARS if name.startswith('kea_dhcp6_') and not plan['boot_vars_set'].get(name)]:
        if lab6 is None:
            result[name] = {} if name.endswith('boot_files') else ''
        elif name.endswith('boot_files'):
            result[name] = boot_files6(result[name])
        else:
            result[name] = on_ipv6_host(result[name], lab6)
    return result
