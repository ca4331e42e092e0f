# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Derive the served networks (interface, address, subnet, pool), IPv4 and IPv6, from host facts.

Private module: its API may change without notice.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.netboot.pxe.plugins.module_utils._validate import is_ipv4, is_unicast, parse_pool

# The characters of an IPv6 address in the input (no zone index, no spaces).
IPV6_ADDRESS_CHARS = re.compile(r'[0-9A-Fa-f:.]{2,45}')


class LabNetworkError(ValueError):
    """The facts and settings do not describe one served IPv4 network."""


def _interfaces(facts):
    """Yield (name, ipv4 address, netmask) for every interface address in the facts."""
    for name in facts.get('interfaces', []):
        data = facts.get(name.replace('-', '_').replace('.', '_')) or {}
        addresses = []
        if isinstance(data.get('ipv4'), dict):
            addresses.append(data['ipv4'])
        addresses += [a for a in data.get('ipv4_secondaries', []) if isinstance(a, dict)]
        for address in addresses:
            if address.get('address') and address.get('netmask'):
                yield name, address['address'], address['netmask']


def _default_pool(network, *avoid):
    """The upper half of the subnet, or else the lower half without its first host (often the
    router), whichever holds none of ``avoid`` (the server, routers); when both hold one, the
    longest run of addresses between them."""
    if network.num_addresses < 8:
        raise LabNetworkError(f'subnet {network} is too small for a dynamic pool; set netboot_pool')
    middle = network.network_address + network.num_addresses // 2
    halves = [(middle, network.broadcast_address - 1), (network.network_address + 2, middle - 1)]
    for low, high in halves:
        if not any(address is not None and low <= address <= high for address in avoid):
            return f'{low} - {high}'
    best = None
    for low, high in halves:
        start = low
        for stop in sorted({address for address in avoid if address is not None and low <= address <= high}) + [high + 1]:
            if stop - 1 >= start and (best is None or int(stop - 1) - int(start) > int(best[1]) - int(best[0])):
                best = (start, stop - 1)
            start = stop + 1
    if best is None:
        raise LabNetworkError(f'subnet {network} has no room for a dynamic pool; set netboot_pool')
    return f'{best[0]} - {best[1]}'


def _parse_pool(pool, network, variable='netboot_pool'):
    try:
        if '/' in str(pool):
            raise ValueError(pool)
        start, end = parse_pool(pool)
    except ValueError as exc:
        if isinstance(pool, str) and pool.count('-') == 1 and all(is_ipv4(part.strip(' ')) for part in pool.split('-')):
            raise LabNetworkError(f'{variable} {pool!r} must be an ascending range inside the subnet {network}') from exc
        raise LabNetworkError(f'{variable} must look like "10.0.0.100 - 10.0.0.199", got {pool!r}') from exc
    if start not in network or end not in network:
        raise LabNetworkError(f'{variable} {pool!r} must be an ascending range inside the subnet {network}')
    if network.prefixlen < 31:
        for role, address in (('network', network.network_address), ('broadcast', network.broadcast_address)):
            if start <= address <= end:
                raise LabNetworkError(f'{variable} {pool!r} holds the {role} address {address} of the subnet {network}')
    return f'{start} - {end}'


def lab_network(facts, interface=None, address=None, subnet=None, pool=None):
    """Return the served network as a dict: interface, address, subnet, prefix, pool, router.

    The interface is chosen by name (``interface``) or by one of its IPv4
    addresses (``address``); the subnet comes from that address and netmask
    unless given; the pool defaults to the upper half of the subnet (the lower
    half when the server's address is up there).
    """
    candidates = list(_interfaces(facts))
    if interface:
        if interface not in facts.get('interfaces', []):
            raise LabNetworkError(
                f'netboot_interface {interface!r} does not exist on this host; it has: '
                f'{", ".join(sorted(facts.get("interfaces", [])))}')
        candidates = [c for c in candidates if c[0] == interface]
        if not candidates:
            raise LabNetworkError(f'netboot_interface {interface!r} has no IPv4 address')
    if address:
        matches = [c for c in candidates if c[1] == address]
        if not matches:
            raise LabNetworkError(
                f'netboot_server_address {address!r} is not an address of '
                f'{repr(interface) if interface else "any interface"}; found: '
                f'{", ".join(f"{c[0]}={c[1]}" for c in candidates) or "none"}')
        candidates = matches
    if not interface and not address:
        raise LabNetworkError('set netboot_interface (the interface that serves the lab) or netboot_server_address')
    name, server, netmask = candidates[0]
    server_ip = ipaddress.IPv4Address(server)
    own = ipaddress.IPv4Network(f'{server}/{netmask}', strict=False)
    if subnet:
        try:
            network = ipaddress.IPv4Network(subnet)
        except ValueError as exc:
            raise LabNetworkError(f'netboot_subnet must be an IPv4 network in CIDR form, got {subnet!r}') from exc
        if server_ip not in network:
            raise LabNetworkError(f'netboot_subnet {subnet!r} does not contain the server address {server}')
    else:
        network = own
    default = facts.get('default_ipv4') or {}
    router = default.get('gateway') if default.get('interface') == name else None
    pool_range = _parse_pool(pool, network) if pool else _default_pool(
        network, server_ip, ipaddress.IPv4Address(router) if is_ipv4(router) else None)
    start, end = (ipaddress.IPv4Address(p.strip()) for p in pool_range.split('-'))
    if start <= server_ip <= end:
        raise LabNetworkError(f'netboot_pool {pool_range!r} contains the server address {server}')
    return {
        'interface': name,
        'address': server,
        'subnet': str(network),
        'prefix': network.prefixlen,
        'pool': pool_range,
        'router': router,
    }


_RELAYED_KEYS = {'subnet', 'pool', 'routers', 'dns_servers', 'id'}


def _ipv4_list(value, variable, network=None):
    if not isinstance(value, list) or not value:
        raise LabNetworkError(f'{variable} must be a non-empty list of IPv4 addresses, got {value!r}')
    for item in value:
        try:
            address = ipaddress.IPv4Address(str(item))
        except ValueError as exc:
            raise LabNetworkError(f'{variable} must be a list of IPv4 addresses, got {value!r}') from exc
        if network is not None and address not in network:
            raise LabNetworkError(f'{variable} {item!r} is outside the subnet {network}')
    return [str(item) for item in value]


def _address_in(reservation, network):
    try:
        return ipaddress.IPv4Address(str(reservation.get('ip-address'))) in network
    except ValueError:
        return False


def relayed_networks(entries, name='netboot_relayed_subnets', first_id=2, reservations=()):
    """Return the subnets behind DHCP relays as dicts: id, subnet, pool, routers, dns_servers, reservations.

    Each entry needs ``subnet`` (CIDR) and ``routers`` (the gateway, usually the relay, through
    which its machines reach the server); ``pool`` defaults as for the served network, and
    ``id`` (Kea's subnet id) to ``first_id`` plus the entry's position. Each subnet takes the
    ``reservations`` (Kea host reservations) whose ip-address it holds.
    """
    if not isinstance(entries, list):
        raise LabNetworkError(f'{name} must be a list of subnets, got {entries!r}')
    result = []
    for index, entry in enumerate(entries):
        where = f'{name}[{index}]'
        if not isinstance(entry, dict):
            raise LabNetworkError(f'{where} must be a dict with subnet and routers, got {entry!r}')
        unknown = sorted(set(entry) - _RELAYED_KEYS)
        if unknown:
            raise LabNetworkError(f'{where} has unknown keys {", ".join(unknown)}; known: {", ".join(sorted(_RELAYED_KEYS))}')
        try:
            network = ipaddress.IPv4Network(str(entry.get('subnet')))
        except ValueError as exc:
            raise LabNetworkError(
                f'{where}.subnet must be an IPv4 network in CIDR form, got {entry.get("subnet")!r}') from exc
        routers = _ipv4_list(entry.get('routers'), f'{where}.routers', network)
        dns_servers = _ipv4_list(entry['dns_servers'], f'{where}.dns_servers') if 'dns_servers' in entry else None
        if entry.get('pool'):
            pool = _parse_pool(entry['pool'], network, f'{where}.pool')
        else:
            pool = _default_pool(network, *(ipaddress.IPv4Address(router) for router in routers))
        start, end = (ipaddress.IPv4Address(part.strip()) for part in pool.split('-'))
        inside = [router for router in routers if start <= ipaddress.IPv4Address(router) <= end]
        if inside:
            raise LabNetworkError(f'{where}.pool {pool!r} contains the router {inside[0]}')
        subnet_id = entry.get('id', first_id + index)
        if not isinstance(subnet_id, int) or isinstance(subnet_id, bool) or subnet_id < 1:
            raise LabNetworkError(f'{where}.id must be a positive integer, got {subnet_id!r}')
        result.append({'id': subnet_id, 'subnet': str(network), 'pool': pool,
                       'routers': routers, 'dns_servers': dns_servers,
                       'reservations': [host for host in reservations or ()
                                        if isinstance(host, dict) and _address_in(host, network)]})
    return result


def _ipv6_addresses(facts, name):
    """[(address, prefix length)] of the IPv6 addresses of the interface ``name`` in the facts."""
    data = facts.get(name.replace('-', '_').replace('.', '_')) or {}
    found = []
    for entry in data.get('ipv6') or []:
        if isinstance(entry, dict) and entry.get('address') and str(entry.get('prefix', '')).isdigit():
            found.append((str(entry['address']).split('%', 1)[0], int(entry['prefix'])))
    return found


def _ipv6_pool(pool, network, server):
    """The pool ``first - last`` of netboot_ipv6_pool, or the default: 4,096 addresses from ::1000."""
    if pool:
        parts = pool.split('-') if isinstance(pool, str) else []
        try:
            first, last = (ipaddress.IPv6Address(part.strip(' ')) for part in parts)
        except ValueError as exc:
            raise LabNetworkError(f'netboot_ipv6_pool must look like "fd00:10::1000 - fd00:10::1fff", got {pool!r}') from exc
        if first not in network or last not in network or first > last:
            raise LabNetworkError(f'netboot_ipv6_pool {pool!r} must be an ascending range inside netboot_ipv6_subnet {network}')
    elif network.num_addresses >= 0x2000:
        first, last = network.network_address + 0x1000, network.network_address + 0x1fff
    else:
        raise LabNetworkError(f'the IPv6 subnet {network} is too small for the default pool (::1000 - ::1fff); '
                              'set netboot_ipv6_pool')
    if first <= server <= last:
        raise LabNetworkError(f'netboot_ipv6_pool {first} - {last} contains the server address {server}; '
                              'set netboot_ipv6_pool (or netboot_ipv6_address) apart')
    return f'{first} - {last}'


def server_ipv6(address):
    """netboot_ipv6_address as an IPv6Address: global or unique local, no zone index; LabNetworkError naming it."""
    if not isinstance(address, str) or not IPV6_ADDRESS_CHARS.fullmatch(address):
        raise LabNetworkError(f'netboot_ipv6_address must be an IPv6 address without zone index, got {address!r}')
    try:
        parsed = ipaddress.IPv6Address(address)
    except ValueError as exc:
        raise LabNetworkError(f'netboot_ipv6_address must be an IPv6 address, got {address!r}') from exc
    if not is_unicast(parsed):
        raise LabNetworkError(f'netboot_ipv6_address {address!r} is link-local, multicast, loopback or unspecified: '
                              'machines need a global or unique local address of the server in their URLs')
    return parsed


def lab_network6(facts, interface, address=None, subnet=None, pool=None):
    """Return the served IPv6 network of ``interface`` as a dict: interface, address, subnet,
    prefix, pool.

    The server's address is ``address`` (netboot_ipv6_address), one of the interface's, or
    else its only global or unique local one; never link-local, which machines cannot be
    sent to in a URL. The subnet (netboot_ipv6_subnet) must be on the interface: it holds the
    server's address. The pool (netboot_ipv6_pool) defaults to ::1000 - ::1fff of the subnet.
    """
    own = _ipv6_addresses(facts, interface)
    reachable = [(ip, prefix) for ip, prefix in own if is_unicast(ipaddress.IPv6Address(ip))]
    listed = ', '.join(f'{ip}/{prefix}' for ip, prefix in own) or 'none'
    if address is not None:
        parsed = server_ipv6(address)
        matches = [(ip, prefix) for ip, prefix in reachable if ipaddress.IPv6Address(ip) == parsed]
        if not matches:
            raise LabNetworkError(f'netboot_ipv6_address {address!r} is not an address of {interface!r}; it has: {listed}')
    else:
        matches = reachable
        if len(matches) != 1:
            raise LabNetworkError(
                f'{interface!r} has {"no" if not matches else "more than one"} global or unique local IPv6 address '
                f'({listed}); {"give it one" if not matches else "set netboot_ipv6_address"}')
    server, prefix = ipaddress.IPv6Address(matches[0][0]), matches[0][1]
    if subnet is not None:
        try:
            network = ipaddress.IPv6Network(subnet) if isinstance(subnet, str) and '%' not in subnet else None
        except ValueError:
            network = None
        if network is None:
            raise LabNetworkError(f'netboot_ipv6_subnet must be an IPv6 network in CIDR form, got {subnet!r}')
        if server not in network:
            raise LabNetworkError(f'netboot_ipv6_subnet {subnet!r} is not on {interface!r}: it does not hold the '
                                  f'server address {server} (the interface has: {listed})')
    else:
        network = ipaddress.IPv6Network(f'{server}/{prefix}', strict=False)
    return {
        'interface': interface,
        'address': str(server),
        'subnet': str(network),
        'prefix': network.prefixlen,
        'pool': _ipv6_pool(pool, network, server),
    }


def has_ipv4(facts, interface):
    """Whether the interface ``interface`` has an IPv4 address in the facts."""
    return any(name == interface for name, _address, _netmask in _interfaces(facts or {}))


def interface_of_ipv6(facts, address):
    """The interface of the facts that holds netboot_ipv6_address ``address``; LabNetworkError naming the
    variable when it is not an address machines can reach or no interface holds it."""
    wanted = server_ipv6(address)
    found = []
    for name in (facts or {}).get('interfaces', []):
        for held, _prefix in _ipv6_addresses(facts, name):
            if ipaddress.IPv6Address(held) == wanted:
                return name
            found.append(f'{name}={held}')
    raise LabNetworkError(f'netboot_ipv6_address {address!r} is not an address of any interface; found: '
                          f'{", ".join(found) or "none"}')
