# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The role variables of kea_dhcp4 that the Kea documents are built from, the check that a
mapping holds the right ones, and the plain copies the documents are made of.

Private module: its API may change without notice.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

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
# The variables of VARIABLES the Kea control agent document needs.
CTRL_AGENT_VARIABLES = ('kea_dhcp4_control_socket', 'kea_dhcp4_log_severity', 'kea_dhcp4_log_debuglevel',
                        'kea_dhcp4_ha_tls', 'kea_dhcp4_ha_tls_ca_file', 'kea_dhcp4_ha_tls_cert_file',
                        'kea_dhcp4_ha_tls_key_file')


class KeaConfigError(ValueError):
    """Input that cannot become a correct Kea document."""


def joined_names(names):
    """The names, sorted, joined with commas."""
    return ', '.join(sorted(map(str, names)))


def check_variables(variables, required, what, known=VARIABLES):
    """Refuse a non-mapping, names outside ``known``, and missing names of ``required``."""
    if not isinstance(variables, Mapping):
        raise KeaConfigError(f'{what} takes a mapping of role variable names to values, got {variables!r}')
    unknown = [name for name in variables if name not in known]
    if unknown:
        hint = ''
        if any(name in PEER_VARIABLES for name in unknown):
            hint = ' (the HA peer settings come in as ha_peers and this_server_name)'
        raise KeaConfigError(f'{what} got unknown role variable(s) {joined_names(unknown)}{hint}')
    missing = [name for name in required if name not in variables]
    if missing:
        raise KeaConfigError(f'{what} is missing the role variable(s) {joined_names(missing)}')


def only(variables, names):
    """The variables of ``names`` only."""
    return {name: variables[name] for name in names}


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
