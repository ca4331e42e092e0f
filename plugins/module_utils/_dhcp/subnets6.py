# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Find the mistakes in Kea DHCPv6 subnets before Kea's checker sees them, each message naming
the variable and the value: networks and pools that are not IPv6, pools outside their subnet or
overlapping, reservations outside their subnet, inside a pool or twice, a reservation's boot file
URL that is not one, unknown keys.

Private module: its API may change without notice.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.netboot.pxe.plugins.module_utils._dhcp.subnets import subnet_id_problems, unknown_keys
from ansible_collections.netboot.pxe.plugins.module_utils._validate import (
    HTTP_URL,
    INTERFACE,
    IPV6,
    IPV6_NETWORK,
    TFTP_URL,
    normalize_mac,
)

# What a Kea DHCPv6 subnet may hold here; anything else is a typing mistake.
SUBNET_KEYS = ('id', 'subnet', 'interface', 'pools', 'reservations', 'option-data', 'comment', 'user-context')
# What a DHCPv6 host reservation may hold: one identifier, its addresses, a host name, a boot file URL.
RESERVATION_KEYS = ('hw-address', 'duid', 'ip-addresses', 'hostname', 'option-data', 'comment', 'user-context')
_IDENTIFIERS = ('hw-address', 'duid')
# A DUID as Kea writes it: at least 3 octets (type and content), colon-separated hex.
DUID = re.compile(r'[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){2,129}')
# A machine's system (SMBIOS) UUID, as dmidecode and BMCs show it.
SYSTEM_UUID = re.compile(r'[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}')


def uuid_duid(uuid):
    """The DUID-UUID (type 4, RFC 6355) iPXE sends for a machine's system UUID: 00:04, then the UUID's
    16 bytes in the order it is written."""
    digits = uuid.replace('-', '').lower()
    return ':'.join(['00', '04'] + [digits[index:index + 2] for index in range(0, 32, 2)])


def parse_pool6(text):
    """(first, last) IPv6Address of a pool ``a - b`` or CIDR; ValueError if malformed."""
    if not isinstance(text, str):
        raise ValueError(text)
    if '/' in text:
        network = IPV6_NETWORK.fullmatch(text.strip(' '))
        if network is None:
            raise ValueError(text)
        return network.network_address, network.broadcast_address
    parts = text.split('-')
    if len(parts) != 2:
        raise ValueError(text)
    first, last = (ipaddress.IPv6Address(part.strip(' ')) for part in parts)
    if first > last or '%' in text:
        raise ValueError(text)
    return first, last


def _identifier(host, where, seen, problems):
    """The reservation's identifier (kind, normalized value), recording duplicates."""
    present = [key for key in _IDENTIFIERS if key in host]
    if len(present) != 1:
        problems.append(f'{where} needs exactly one of hw-address (the MAC) or duid, got {host!r}')
        return
    key = present[0]
    value = host[key]
    normal = normalize_mac(value) if key == 'hw-address' else (value.lower() if isinstance(value, str) and DUID.fullmatch(value) else None)
    if normal is None:
        shape = 'a MAC address like 52:54:00:12:34:56' if key == 'hw-address' else 'a DUID in colon-separated hex like 00:03:00:01:52:54:00:12:34:56'
        problems.append(f'{where}.{key} must be {shape}, got {value!r}')
    elif (key, normal) in seen:
        problems.append(f'{where}.{key} {value!r} is already reserved by {seen[(key, normal)]}')
    else:
        seen[(key, normal)] = where


def _boot_file_url_problems(host, where):
    """The problems of a reservation's option-data: only a boot file URL (option 59, tftp or http),
    without the comma that would split Kea's option data."""
    options = host.get('option-data', [])
    if not isinstance(options, list):
        return [f'{where}.option-data must be a list, got {options!r}']
    problems = []
    for index, option in enumerate(options):
        data = option.get('data') if isinstance(option, dict) else None
        if (not isinstance(option, dict) or set(option) != {'name', 'data'} or option['name'] != 'bootfile-url'
                or not isinstance(data, str) or ',' in data or not (TFTP_URL.fullmatch(data) or HTTP_URL.fullmatch(data))):
            problems.append(f'{where}.option-data[{index}] must be {{name: bootfile-url, data: <a tftp or http(s) URL '
                            f'without commas>}}, got {option!r}')
    return problems


def reservation6_problems(reservations, network, pools, name, seen_ids=None, seen_ips=None, fixed=()):
    """Problems of Kea DHCPv6 host reservations of the IPv6Network ``network`` with the parsed
    ``pools`` [(text, first, last)]; ``fixed`` [(what it is, IPv6Address)] no machine may get."""
    seen_ids = {} if seen_ids is None else seen_ids
    seen_ips = {} if seen_ips is None else seen_ips
    if not isinstance(reservations, list):
        return [f'{name} must be a list of reservations, got {reservations!r}']
    problems = []
    for index, host in enumerate(reservations):
        where = f'{name}[{index}]'
        if not isinstance(host, dict):
            problems.append(f'{where} must be a mapping with hw-address or duid and ip-addresses, got {host!r}')
            continue
        problems += unknown_keys(host, RESERVATION_KEYS, where, 'a reservation')
        _identifier(host, where, seen_ids, problems)
        problems += _boot_file_url_problems(host, where)
        addresses = host.get('ip-addresses', [])
        if not isinstance(addresses, list) or not addresses:
            problems.append(f'{where}.ip-addresses must be a non-empty list of IPv6 addresses, got {addresses!r}')
            continue
        for text in addresses:
            address = IPV6.fullmatch(text)
            if address is None:
                problems.append(f'{where}.ip-addresses holds {text!r}, which is not a global or unique local IPv6 address')
            elif address not in network:
                problems.append(f'{where}.ip-addresses {text!r} is outside the subnet {network}')
            elif any(first <= address <= last for _text, first, last in pools):
                pool = next(text for text, first, last in pools if first <= address <= last)
                problems.append(f'{where}.ip-addresses {text!r} is inside the dynamic pool {pool!r}; reserve an address outside it')
            elif address in seen_ips:
                problems.append(f'{where}.ip-addresses {text!r} is already reserved by {seen_ips[address]}')
            else:
                taken = [role for role, other in fixed if other == address]
                if taken:
                    problems.append(f'{where}.ip-addresses {text!r} is {taken[0]}')
                seen_ips[address] = where
    return problems


def subnet6_problems(subnets, name='subnets', fixed=()):
    """Problems of a list of Kea ``subnet6`` entries, each message naming ``name``[i].field and the value."""
    if not isinstance(subnets, list):
        return [f'{name} must be a list of subnets, got {subnets!r}']
    problems = []
    ids = {}
    networks = []
    seen_ids, seen_ips = {}, {}
    for index, subnet in enumerate(subnets):
        where = f'{name}[{index}]'
        if not isinstance(subnet, dict):
            problems.append(f'{where} must be a mapping with id, subnet and pools, got {subnet!r}')
            continue
        problems += unknown_keys(subnet, SUBNET_KEYS, where, 'a subnet')
        problems += subnet_id_problems(subnet, index, ids, name)
        if 'interface' in subnet and not (isinstance(subnet['interface'], str) and INTERFACE.fullmatch(subnet['interface'])):
            problems.append(f'{where}.interface must be an interface name, got {subnet["interface"]!r}')
        network = IPV6_NETWORK.fullmatch(subnet.get('subnet'))
        if network is None:
            problems.append(f'{where}.subnet must be an IPv6 network in CIDR form like fd00:10::/64 (host bits zero), '
                            f'got {subnet.get("subnet")!r}')
            continue
        for other_where, other in networks:
            if network.overlaps(other):
                problems.append(f'{where}.subnet {str(network)!r} overlaps {other_where}.subnet {str(other)!r}')
        networks.append((where, network))
        pools = []
        raw_pools = subnet.get('pools', [])
        if not isinstance(raw_pools, list):
            problems.append(f'{where}.pools must be a list of {{pool: "first - last"}}, got {raw_pools!r}')
            raw_pools = []
        for pool_index, pool in enumerate(raw_pools):
            text = pool.get('pool') if isinstance(pool, dict) and set(pool) == {'pool'} else None
            try:
                first, last = parse_pool6(text)
            except ValueError:
                problems.append(f'{where}.pools[{pool_index}] must be {{pool: "fd00:10::1000 - fd00:10::1fff"}}, got {pool!r}')
                continue
            if first not in network or last not in network:
                problems.append(f'{where}.pools[{pool_index}].pool {text!r} is not inside the subnet {network}')
            elif any(first <= other_last and other_first <= last for _text, other_first, other_last in pools):
                problems.append(f'{where}.pools[{pool_index}].pool {text!r} overlaps another pool of the subnet')
            else:
                held = [role for role, address in fixed if first <= address <= last]
                if held:
                    problems.append(f'{where}.pools[{pool_index}].pool {text!r} holds {held[0]}')
                pools.append((text, first, last))
        problems += reservation6_problems(subnet.get('reservations', []), network, pools, f'{where}.reservations',
                                          seen_ids, seen_ips, fixed)
    return problems
