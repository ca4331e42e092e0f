# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Find the mistakes in Kea DHCPv4 subnets that Kea's own checker lets through or
reports without naming the inventory variable: overlaps, addresses outside their
subnet, reservations inside a pool, malformed or duplicate MAC addresses.

Private module: its API may change without notice.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.netboot.pxe.plugins.module_utils._validate import is_ipv4, normalize_mac, parse_pool

# Reservation fields that would override the PXE classes and break the PXE -> iPXE chain.
PXE_BREAKING_FIELDS = ('boot-file-name', 'client-classes', 'next-server', 'server-hostname')
# The one boot file a reservation may hand out: Debian's signed shim, for a UEFI Secure Boot
# machine, which never runs iPXE (shim, then GRUB and its menu, is its whole chain).
SECURE_BOOT_SHIM = 'shimx64.efi'
_IDENTIFIERS = ('hw-address', 'client-id', 'duid', 'circuit-id', 'flex-id')
# What a Kea DHCPv4 host reservation may hold; anything else is a typing mistake.
RESERVATION_KEYS = _IDENTIFIERS + ('ip-address', 'hostname', 'option-data', 'boot-file-name', 'client-classes',
                                   'next-server', 'server-hostname', 'user-context', 'comment')


def unknown_keys(mapping, known, where, what):
    """The problem of keys of ``mapping`` outside ``known`` (a typing mistake), or []."""
    unknown = sorted(str(key) for key in mapping if key not in known)
    return [f'{where} has unknown key(s) {", ".join(unknown)}; {what} takes {", ".join(known)}'] if unknown else []


def subnet_id_problems(subnet, index, ids, name):
    """The problem of the id of ``name``[``index``] (a positive 32-bit integer, not in ``ids``: id -> index,
    where it is recorded), or []."""
    ident = subnet.get('id')
    if isinstance(ident, bool) or not isinstance(ident, int) or not 0 < ident < 2 ** 32:
        return [f'{name}[{index}].id must be a positive integer, got {ident!r}']
    if ident in ids:
        return [f'{name}[{index}].id {ident} is already the id of {name}[{ids[ident]}]']
    ids[ident] = index
    return []


def _pools(subnet, where, problems):
    """Parsed pools of one subnet: list of (where, text, first, last)."""
    pools = subnet.get('pools') or []
    if not isinstance(pools, list):
        problems.append(f'{where}.pools must be a list, got {pools!r}')
        return []
    parsed = []
    for index, pool in enumerate(pools):
        text = pool.get('pool') if isinstance(pool, dict) else pool
        try:
            first, last = parse_pool(text)
        except ValueError:
            problems.append(f'{where}.pools[{index}].pool must look like "10.0.0.100 - 10.0.0.199" '
                            f'or 10.0.0.128/25, got {text!r}')
            continue
        parsed.append((f'{where}.pools[{index}]', text, first, last))
    return parsed


def _overlaps(ranges):
    """Yield pairs of (where, text) whose [first, last] ranges overlap."""
    ordered = sorted(ranges, key=lambda item: (item[2], item[3]))
    for index, current in enumerate(ordered):
        for later in ordered[index + 1:]:
            if later[2] > current[3]:
                break
            yield current, later


def _pool_ranges(pools):
    ranges = []
    for pool in pools:
        try:
            ranges.append((pool, *parse_pool(pool.get('pool') if isinstance(pool, dict) else pool)))
        except ValueError:
            continue  # reported with the pools themselves
    return ranges


def reservation_problems(reservations, subnet, pools=(), name='reservations', pxe=True, other_subnets=(), fixed=None):
    """Problems of a list of Kea host reservations in ``subnet`` (CIDR) with ``pools``.

    With ``pxe``, fields that override the PXE client classes are refused. An address may also
    be in one of ``other_subnets`` (dicts with ``subnet`` and ``pool`` or ``pools``), outside
    that subnet's pools. No address may be one of ``fixed`` (for
    example the server and the routers), a list of (what it is, IPv4Address).
    """
    problems = []
    if reservations is None:
        return problems
    if not isinstance(reservations, list):
        return [f'{name} must be a list of reservations, got {reservations!r}']
    networks = [(ipaddress.IPv4Network(subnet, strict=False), _pool_ranges(pools))]
    for other in other_subnets:
        other_pools = other.get('pools') or ([other['pool']] if other.get('pool') else [])
        networks.append((ipaddress.IPv4Network(other['subnet'], strict=False), _pool_ranges(other_pools)))
    seen_macs = {}
    seen_ips = {}
    for index, host in enumerate(reservations):
        where = f'{name}[{index}]'
        if not isinstance(host, dict):
            problems.append(f'{where} must be a mapping with hw-address and ip-address, got {host!r}')
            continue
        problems += unknown_keys(host, RESERVATION_KEYS, where, 'a reservation')
        if not any(key in host for key in _IDENTIFIERS):
            problems.append(f'{where} needs an identifier ({", ".join(_IDENTIFIERS)}), got {host!r}')
        if 'hw-address' in host:
            mac = normalize_mac(host['hw-address'])
            if mac is None:
                problems.append(f'{where}.hw-address must be a MAC address like 52:54:00:12:34:56, '
                                f'got {host["hw-address"]!r}')
            elif mac in seen_macs:
                problems.append(f'{where}.hw-address {host["hw-address"]!r} is already reserved by '
                                f'{name}[{seen_macs[mac]}]')
            else:
                seen_macs[mac] = index
        if pxe:
            breaking = [key for key in PXE_BREAKING_FIELDS if key in host
                        and not (key == 'boot-file-name' and host[key] == SECURE_BOOT_SHIM)]
            if breaking:
                problems.append(f'{where} sets {", ".join(breaking)}, which would override the PXE classes and '
                                f'break the PXE -> iPXE chain; got {host!r}')
        if 'ip-address' not in host:
            continue
        try:
            address = ipaddress.IPv4Address(host['ip-address'])
        except ValueError:
            problems.append(f'{where}.ip-address must be an IPv4 address, got {host["ip-address"]!r}')
            continue
        holding = [(network, ranges) for network, ranges in networks
                   if address in network and address not in (network.network_address, network.broadcast_address)]
        if not holding:
            subnets = ' or '.join(str(network) for network, _ranges in networks)
            problems.append(f'{where}.ip-address {str(address)!r} is not a host address of the subnet {subnets}')
        for pool, first, last in holding[0][1] if holding else networks[0][1]:
            if first <= address <= last:
                text = pool.get('pool') if isinstance(pool, dict) else pool
                problems.append(f'{where}.ip-address {str(address)!r} is inside the dynamic pool {text!r}; '
                                f'reserve an address outside the pool')
        for role, taken in fixed or ():
            if address == taken and holding:  # the network and broadcast addresses are reported above
                problems.append(f'{where}.ip-address {str(address)!r} is {role}')
        if address in seen_ips:
            problems.append(f'{where}.ip-address {str(address)!r} is already reserved by {name}[{seen_ips[address]}]')
        else:
            seen_ips[address] = index
    return problems


def _fixed_addresses(subnet, network):
    """[(what it is, address)] of the addresses of ``network`` that no client may get."""
    fixed = []
    if network.prefixlen < 31:
        fixed += [('the network address', network.network_address), ('the broadcast address', network.broadcast_address)]
    routers = [part.strip() for option in subnet.get('option-data') or []
               if isinstance(option, dict) and option.get('name') == 'routers' for part in str(option.get('data', '')).split(',')]
    for role, text in [('the boot server (next-server)', subnet.get('next-server'))] + [('the router', router) for router in routers]:
        if is_ipv4(text) and ipaddress.IPv4Address(text) in network:
            fixed.append((role, ipaddress.IPv4Address(text)))
    return fixed


def subnet_problems(subnets, name='subnets', pxe=True):
    """Problems of a list of Kea ``subnet4`` entries, each message naming ``name``[i].field and the value."""
    if not isinstance(subnets, list):
        return [f'{name} must be a list of subnets, got {subnets!r}']
    problems = []
    networks = []
    all_pools = []
    ids = {}
    for index, subnet in enumerate(subnets):
        where = f'{name}[{index}]'
        if not isinstance(subnet, dict):
            problems.append(f'{where} must be a mapping with id and subnet, got {subnet!r}')
            continue
        problems += subnet_id_problems(subnet, index, ids, name)
        try:
            network = ipaddress.IPv4Network(subnet.get('subnet'))
        except (ValueError, TypeError):
            problems.append(f'{where}.subnet must be an IPv4 network in CIDR form like 10.0.0.0/24 '
                            f'(host bits zero), got {subnet.get("subnet")!r}')
            continue
        networks.append((where, str(network), network.network_address, network.broadcast_address))
        pools = _pools(subnet, where, problems)
        fixed = _fixed_addresses(subnet, network)
        for pool_where, text, first, last in pools:
            if first not in network or last not in network:
                problems.append(f'{pool_where}.pool {text!r} is not inside the subnet {network}')
                continue
            for role, address in fixed:
                if first <= address <= last:
                    problems.append(f'{pool_where}.pool {text!r} holds {role} {address}')
        all_pools += pools
        problems += reservation_problems(subnet.get('reservations'), str(network),
                                         [{'pool': pool[1]} for pool in pools], f'{where}.reservations', pxe,
                                         fixed=fixed)
    for first, second in _overlaps(networks):
        problems.append(f'{second[0]}.subnet {second[1]!r} overlaps {first[0]}.subnet {first[1]!r}')
    for first, second in _overlaps(all_pools):
        problems.append(f'{second[0]}.pool {second[1]!r} overlaps {first[0]}.pool {first[1]!r}')
    return problems
