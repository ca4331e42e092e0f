# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""dnsmasq as a proxyDHCP server: beside a DHCP server that is not ours, answer PXE clients
with the boot file of their architecture and iPXE with the script URL, and hand out no address.

The boot file travels in the proxy offer itself (``dhcp-boot``), so neither the firmware nor
iPXE needs a PXE menu or a boot server discovery. dnsmasq answers in proxy mode only when a
``pxe-service`` is configured; one for a client system type that no client sends turns the
answers on without a menu. Clients of an architecture without a boot file are ignored.

Private module: its API may change without notice.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.netboot.pxe.plugins.module_utils._dhcp.pxe_classes import (
    ARCHITECTURES,
    PxeClassError,
    check_boot_file,
)
from ansible_collections.netboot.pxe.plugins.module_utils._validate import (
    DNSMASQ_URL,
    INTERFACE,
    is_ipv4,
    normalize_mac,
)

# The client system type of the pxe-service that turns proxy answers on: sent by no client.
TRIGGER_CSA = 65535
IPXE_TAG = 'ipxe'
SECURE_BOOT_TAG = 'secure-boot'


class ProxyDhcpError(ValueError):
    """Input that would not make a correct proxyDHCP configuration."""


def _list(where, value):
    if not isinstance(value, list) or not value:
        raise ProxyDhcpError(f'{where} must be a non-empty list, got {value!r}')
    return value


def _networks(where, subnets):
    networks = []
    for index, subnet in enumerate(_list(where, subnets)):
        try:
            network = ipaddress.IPv4Network(subnet, strict=True) if isinstance(subnet, str) else None
        except ValueError:
            network = None
        if network is None or '/' not in subnet:
            raise ProxyDhcpError(f'{where}[{index}] must be an IPv4 network like 10.0.0.0/24, got {subnet!r}')
        networks.append(network)
    return networks


def _secure_boot_macs(where, macs):
    result = []
    if not isinstance(macs, list):
        raise ProxyDhcpError(f'{where} must be a list of MAC addresses, got {macs!r}')
    for index, mac in enumerate(macs):
        normalized = normalize_mac(mac) if isinstance(mac, str) else None
        if not normalized:
            raise ProxyDhcpError(f'{where}[{index}] must be a MAC address like 52:54:00:12:34:56, got {mac!r}')
        result.append(normalized)
    return result


def proxy_dhcp_config(interfaces, subnets, next_server, ipxe_script_url, boot_files, log=False, name='proxy_dhcp',
                      secure_boot_macs=None, secure_boot_file=''):
    """The dnsmasq configuration (text, without header) of a proxyDHCP server.

    ``interfaces`` are the interface names it answers on, ``subnets`` the networks (CIDR) of
    those interfaces, ``next_server`` the TFTP server's address, ``ipxe_script_url`` what iPXE
    (user class ``iPXE``) chains, and ``boot_files`` maps an architecture name (see
    ``ARCHITECTURES``) to its TFTP boot file; ``log`` logs every answer (dnsmasq's log-dhcp). UEFI HTTP boot (``http-*``) cannot be answered by
    proxyDHCP (dnsmasq answers PXEClient only) and is refused. Errors name ``name``'s variables:
    ``<name>_interfaces``, ``<name>_subnets`` and so on.
    """
    if not isinstance(log, bool):
        raise ProxyDhcpError(f'{name}_log must be a boolean, got {log!r}')
    for index, interface in enumerate(_list(f'{name}_interfaces', interfaces)):
        if not isinstance(interface, str) or not INTERFACE.fullmatch(interface):
            raise ProxyDhcpError(f'{name}_interfaces[{index}] must be an interface name like eth0, got {interface!r}')
    networks = _networks(f'{name}_subnets', subnets)
    if not is_ipv4(next_server):
        raise ProxyDhcpError(f'{name}_next_server must be an IPv4 address, got {next_server!r}')
    if not isinstance(ipxe_script_url, str) or not DNSMASQ_URL.fullmatch(ipxe_script_url):
        raise ProxyDhcpError(f'{name}_ipxe_script_url must be an http(s) URL of letters, digits and ._~/%+=- '
                             f'(no comma, quote or space), got {ipxe_script_url!r}')
    if not isinstance(boot_files, dict) or not boot_files:
        raise ProxyDhcpError(f'{name}_boot_files must be a non-empty mapping of architecture name to TFTP boot file, '
                             f'got {boot_files!r}')
    unknown = sorted(str(arch) for arch in boot_files if arch not in ARCHITECTURES)
    if unknown:
        raise ProxyDhcpError(f'{name}_boot_files has unknown architecture name(s) {", ".join(map(repr, unknown))}; '
                             f'known: {", ".join(ARCHITECTURES)}')
    http = sorted(arch for arch in boot_files if ARCHITECTURES[arch][1])
    if http:
        raise ProxyDhcpError(f'{name}_boot_files: {", ".join(http)} is UEFI HTTP boot, which a proxyDHCP server '
                             f'cannot answer (the network\'s DHCP server must); leave it out')
    for arch, boot_file in boot_files.items():
        try:
            check_boot_file(f'{name}_boot_files[{arch!r}]', boot_file, tftp_only=True)
        except PxeClassError as exc:
            raise ProxyDhcpError(str(exc)) from exc

    macs = _secure_boot_macs(f'{name}_secure_boot_macs', [] if secure_boot_macs is None else secure_boot_macs)
    if macs:
        try:
            check_boot_file(f'{name}_secure_boot_file', secure_boot_file, tftp_only=True)
        except PxeClassError as exc:
            raise ProxyDhcpError(str(exc)) from exc
        if 'efi-x64' not in boot_files:
            raise ProxyDhcpError(f'{name}_secure_boot_macs needs {name}_boot_files efi-x64 (the UEFI x64 machines this '
                                 f'server answers), got {boot_files!r}')

    lines = [
        '# proxyDHCP only: no DNS, no addresses; the network\'s DHCP server hands those out.',
        'port=0',
        'bind-interfaces',
        'dhcp-no-override',
    ] + (['log-dhcp'] if log is True else [])
    lines += [f'interface={interface}' for interface in interfaces]
    lines += [f'dhcp-range={network.network_address},proxy,{network.netmask}' for network in networks]
    lines += ['', '# iPXE (user class iPXE) chains the script; firmware PXE gets the iPXE of its architecture.',
              f'dhcp-userclass=set:{IPXE_TAG},iPXE',
              f'dhcp-boot=tag:{IPXE_TAG},{ipxe_script_url},,{next_server}']
    tags = []
    for arch, (codes, _http) in ARCHITECTURES.items():
        if arch not in boot_files:
            continue
        tag = f'arch-{arch}'
        tags.append(tag)
        lines += [f'dhcp-match=set:{tag},option:client-arch,{code}' for code in codes]
        if arch == 'efi-x64' and macs:
            # Tags that exclude each other: which dhcp-boot line dnsmasq takes does not depend on their order.
            lines.append(f'dhcp-boot=tag:!{IPXE_TAG},tag:{tag},tag:!{SECURE_BOOT_TAG},{boot_files[arch]},,{next_server}')
            lines += [f'dhcp-mac=set:{SECURE_BOOT_TAG},{mac}' for mac in macs]
            lines.append(f'dhcp-boot=tag:!{IPXE_TAG},tag:{tag},tag:{SECURE_BOOT_TAG},{secure_boot_file},,{next_server}')
            continue
        lines.append(f'dhcp-boot=tag:!{IPXE_TAG},tag:{tag},{boot_files[arch]},,{next_server}')
    lines += ['', '# Architectures without a boot file get no answer.',
              'dhcp-ignore=' + ','.join([f'tag:!{IPXE_TAG}'] + [f'tag:!{tag}' for tag in tags]),
              '# dnsmasq answers in proxy mode only with a PXE service: one for a client type no client',
              '# sends, so that the boot file goes in the offer, without a menu.',
              f'pxe-service={TRIGGER_CSA},"netboot.pxe",none']
    return '\n'.join(lines) + '\n'
