# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The IPv6 part of the network plan of the playbook netboot.pxe.site: the served IPv6 network,
the machines' IPv6 reservations and the Kea DHCPv6 subnet, and what an IPv6-only network (an
interface without IPv4) cannot take. Every problem names the variable the user wrote and its value.

Private module: its API may change without notice.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

from ansible_collections.netboot.pxe.plugins.module_utils._dhcp.pxe_classes6 import ARCHITECTURES6, tftp_boot_file_option
from ansible_collections.netboot.pxe.plugins.module_utils._dhcp.subnets import SECURE_BOOT_SHIM
from ansible_collections.netboot.pxe.plugins.module_utils._dhcp.subnets6 import SYSTEM_UUID, parse_pool6, reservation6_problems, uuid_duid
from ansible_collections.netboot.pxe.plugins.module_utils._lab_network import lab_network6
from ansible_collections.netboot.pxe.plugins.module_utils._validate import normalize_mac, url_host

HOSTS6_NAME = 'ipxe_hosts (the entries with an ipv6)'
# What only an IPv4 network has: refused on an IPv6-only one, not dropped.
IPV4_ONLY_SETTINGS = ('netboot_server_address', 'netboot_subnet', 'netboot_pool', 'netboot_routers', 'netboot_dns_servers',
                      'netboot_reservations', 'netboot_relayed_subnets', 'netboot_secure_boot_subnets')


def ipv6_only_problems(variables, interface):
    """The IPv4 settings and features an IPv6-only network (of ``interface``) cannot serve, each named."""
    why = 'netboot_ipv6 on an interface without IPv4 ({!r}) serves an IPv6-only network, which {}; remove'
    problems = [why.format(interface, 'has no IPv4 to serve') + f' {name} {variables[name]!r}'
                for name in IPV4_ONLY_SETTINGS if variables.get(name) not in (None, [], '', {})]
    if variables.get('netboot_dhcp_mode', 'server') != 'server':
        problems.append(why.format(interface, 'Kea DHCPv6 answers (a proxyDHCP server is IPv4)')
                        + f' netboot_dhcp_mode {variables["netboot_dhcp_mode"]!r}')
    hosts = variables.get('ipxe_hosts', [])
    for index, host in enumerate(hosts if isinstance(hosts, list) else []):
        if isinstance(host, Mapping) and 'ip' in host:
            problems.append(why.format(interface, 'has no IPv4 to reserve') + f' the ip of ipxe_hosts[{index}] {host["ip"]!r} '
                            '(give it ipv6 instead)')
        if isinstance(host, Mapping) and 'image' in host:
            problems.append(why.format(interface, 'the agent of an image deploy does not boot on yet (it takes its address '
                                       'by DHCPv4)') + f' the image of ipxe_hosts[{index}] {host["image"]!r}')
    if variables.get('netboot_discovery') not in (None, False):
        problems.append(why.format(interface, 'the agent does not boot on yet (it takes its address by DHCPv4)')
                        + f' netboot_discovery {variables["netboot_discovery"]!r}')
    return problems


def lab6_network(variables, facts, interface):
    """The served IPv6 network (see ``lab_network6``) of ``interface``; LabNetworkError naming the variable."""
    return lab_network6(facts, interface, address=variables.get('netboot_ipv6_address'),
                        subnet=variables.get('netboot_ipv6_subnet'), pool=variables.get('netboot_ipv6_pool'))


def host_reservations6(hosts, lab6, problems):
    """Kea DHCPv6 reservations of the ipxe_hosts entries with an ipv6: by iPXE's DUID when they have a
    uuid (their system UUID), by their duid when they have one, else by their MAC. A secure_boot
    machine never runs iPXE: its firmware asks, and its reservation (by duid or MAC) hands it the
    shim over TFTP. Problems (outside the subnet, in the pool, twice) go to ``problems``."""
    reservations = []
    for index, host in enumerate(hosts if isinstance(hosts, list) else []):
        if not isinstance(host, Mapping) or not {'ipv6', 'duid', 'uuid'} & set(host):
            continue
        if 'ipv6' not in host:
            problems.append(f'ipxe_hosts[{index}] has a duid or uuid but no ipv6 to reserve for it, got {host!r}')
            continue
        secure_boot = host.get('secure_boot') is True
        if secure_boot and 'uuid' in host:
            problems.append(f'ipxe_hosts[{index}] has secure_boot and a uuid: the uuid reserves the address for iPXE\'s '
                            f'DUID, and a Secure Boot machine never runs iPXE; remove uuid {host["uuid"]!r} (its '
                            'firmware is known by its MAC, or by duid)')
            continue
        if isinstance(host.get('uuid'), str) and SYSTEM_UUID.fullmatch(host['uuid']):
            # The DUID iPXE sends: the address goes to iPXE, which fetches the machine's own files.
            identifier = {'duid': uuid_duid(host['uuid'])}
        elif 'duid' in host:
            identifier = {'duid': host['duid']}
        else:
            identifier = {'hw-address': normalize_mac(host.get('mac')) or host.get('mac')}
        reservation = dict(identifier, **{'ip-addresses': [host['ipv6']]})
        if secure_boot and lab6 is not None:
            reservation['option-data'] = [tftp_boot_file_option(lab6['address'], SECURE_BOOT_SHIM)]
        reservations.append(reservation)
    if lab6 is not None:
        network = ipaddress.IPv6Network(lab6['subnet'])
        first, last = parse_pool6(lab6['pool'])
        problems += reservation6_problems(reservations, network, [(lab6['pool'], first, last)], HOSTS6_NAME,
                                          fixed=[('the address of this server', ipaddress.IPv6Address(lab6['address']))])
    return reservations


def kea_subnets6(lab6, reservations):
    """Kea DHCPv6's subnet: the served IPv6 network on its interface, with the reservations."""
    return [{
        'id': 1,
        'subnet': lab6['subnet'],
        'interface': lab6['interface'],
        'pools': [{'pool': lab6['pool']}],
        'reservations': reservations,
    }]


def on_ipv6_host(url, lab6):
    """``url`` with the server's IPv6 address as its host (what a machine on IPv6 only can reach)."""
    parts = urlsplit(url)
    port = f':{parts.port}' if parts.port else ''
    return urlunsplit((parts.scheme, f'{url_host(lab6["address"])}{port}', parts.path, parts.query, parts.fragment))


def boot_files6(boot_files):
    """The boot files of the architectures whose firmware boots over IPv6 (UEFI; not BIOS)."""
    return {arch: name for arch, name in (boot_files or {}).items() if arch in ARCHITECTURES6}
