# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters of the kea_dhcp4 role: the Kea documents, subnets, HA peers and PXE boot files
(documented in the sidecar files named after each filter)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.netboot.pxe.plugins.module_utils._kea_config import (
    KeaConfigError,
    ctrl_agent_config,
    plain,
    dhcp4_config,
    dhcp4_sockets,
    ha_peers_from_hosts,
    ha_tls,
    pool_signature,
    shared_pools,
)
from ansible_collections.netboot.pxe.plugins.module_utils._kea_database import SYNC_QUERIES, KeaDatabaseError, databases, host_rows, rows_json
from ansible_collections.netboot.pxe.plugins.module_utils._kea_ha import peer_addresses
from ansible_collections.netboot.pxe.plugins.module_utils._pxe_classes import PxeClassError, boot_files


def kea_dhcp4_config(variables, platform, this_server_name='', ha_peers=None, ha_peers_name='ha_peers'):
    try:
        return dhcp4_config(variables, platform, this_server_name=this_server_name, ha_peers=ha_peers,
                            ha_peers_name=ha_peers_name)
    except KeaConfigError as exc:
        raise AnsibleFilterError(f'kea_dhcp4_config: {exc}') from exc


def kea_ctrl_agent_config(variables, this_url):
    try:
        return ctrl_agent_config(variables, this_url)
    except KeaConfigError as exc:
        raise AnsibleFilterError(f'kea_ctrl_agent_config: {exc}') from exc


def kea_ha_tls(variables):
    try:
        return ha_tls(variables)
    except KeaConfigError as exc:
        raise AnsibleFilterError(f'kea_ha_tls: {exc}') from exc


def kea_pool_signature(subnets, name='kea_dhcp4_subnets'):
    try:
        return pool_signature(subnets, name=name)
    except KeaConfigError as exc:
        raise AnsibleFilterError(f'kea_pool_signature: {exc}') from exc


def kea_ha_shared_pools(signatures, name='kea_dhcp4_subnets'):
    try:
        return shared_pools(signatures, name=name)
    except KeaConfigError as exc:
        raise AnsibleFilterError(f'kea_ha_shared_pools: {exc}') from exc


def kea_ha_peers_from_hosts(names, urls, mode, name='kea_dhcp4_ha_group'):
    try:
        return ha_peers_from_hosts(names, urls, mode, name=name)
    except KeaConfigError as exc:
        raise AnsibleFilterError(f'kea_ha_peers_from_hosts: {exc}') from exc


def kea_dhcp4_sockets(interfaces, facts, ha_url=None):
    try:
        return dhcp4_sockets(interfaces, facts, ha_url=ha_url)
    except KeaConfigError as exc:
        raise AnsibleFilterError(f'kea_dhcp4_sockets: {exc}') from exc


def kea_ha_peer_addresses(peers):
    try:
        return peer_addresses(peers)
    except ValueError as exc:
        raise AnsibleFilterError(f'kea_ha_peer_addresses: {exc}') from exc


def kea_dhcp4_databases(variables):
    try:
        return databases(variables)
    except KeaDatabaseError as exc:
        raise AnsibleFilterError(f'kea_dhcp4_databases: {exc}') from exc


def kea_host_rows(subnets, name='kea_dhcp4_subnets'):
    try:
        return {'query': list(SYNC_QUERIES), 'positional_args': [rows_json(host_rows(plain(subnets), name=name))]}
    except KeaDatabaseError as exc:
        raise AnsibleFilterError(f'kea_host_rows: {exc}') from exc


def pxe_boot_files(staged, chosen=None, name='boot files', http_boot=True):
    try:
        return boot_files(staged, chosen, name=name, http_boot=http_boot)
    except PxeClassError as exc:
        raise AnsibleFilterError(f'pxe_boot_files: {exc}') from exc


class FilterModule:
    def filters(self):
        return {
            'kea_dhcp4_config': kea_dhcp4_config,
            'kea_dhcp4_databases': kea_dhcp4_databases,
            'kea_host_rows': kea_host_rows,
            'kea_dhcp4_sockets': kea_dhcp4_sockets,
            'kea_ctrl_agent_config': kea_ctrl_agent_config,
            'kea_pool_signature': kea_pool_signature,
            'kea_ha_shared_pools': kea_ha_shared_pools,
            'kea_ha_peers_from_hosts': kea_ha_peers_from_hosts,
            'kea_ha_peer_addresses': kea_ha_peer_addresses,
            'kea_ha_tls': kea_ha_tls,
            'pxe_boot_files': pxe_boot_files,
        }
