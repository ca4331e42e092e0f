# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Kea's databases: the checks of kea_dhcp4_hosts_database and kea_dhcp4_lease_database, the
host reservations as rows of Kea's ``hosts`` table with the statements that keep that table equal
to them, and the schema versions ``kea-admin`` reports and Kea's upgrade scripts reach.

Private module: its API may change without notice.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping

from ansible_collections.netboot.pxe.plugins.module_utils._validate import (
    DNS_NAME,
    FILE_PATH,
    HEX_IDENTIFIER,
    QUOTED_IDENTIFIER,
    SQL_NAME,
    is_ipv4,
    normalize_mac,
    single_line,
)

# Kea's top-level key -> the role variable that sets it.
DATABASE_VARIABLES = {'hosts-database': 'kea_dhcp4_hosts_database', 'lease-database': 'kea_dhcp4_lease_database'}
MEMFILE_KEYS = ('type', 'persist', 'name', 'lfc-interval', 'max-row-errors')
POSTGRESQL_KEYS = ('type', 'name', 'host', 'port', 'user', 'password', 'connect-timeout', 'max-reconnect-tries',
                   'reconnect-wait-time', 'on-fail')
# Unless set: a lost connection is retried every second for a minute (Kea's default is none).
RECONNECT = {'max-reconnect-tries': 60, 'reconnect-wait-time': 1000}
ON_FAIL = ('stop-retry-exit', 'serve-retry-exit', 'serve-retry-continue')
_COUNTS = ('connect-timeout', 'max-reconnect-tries', 'reconnect-wait-time', 'lfc-interval', 'max-row-errors')
# PostgreSQL identifiers the role creates and kea-admin takes as arguments.

# Kea's host identifier types (table host_identifier_type).
IDENTIFIER_TYPES = {'hw-address': 0, 'duid': 1, 'circuit-id': 2, 'client-id': 3, 'flex-id': 4}
# Reservation fields a row of Kea's hosts table holds besides the identifier, the subnet and the address.
_ROW_TEXT = {'hostname': 'hostname', 'client-classes': 'client_classes', 'server-hostname': 'server_hostname',
             'boot-file-name': 'boot_file_name'}
ROW_COLUMNS = ('identifier', 'identifier_type', 'subnet_id', 'ipv4_address', 'hostname', 'client_classes',
               'next_server', 'server_hostname', 'boot_file_name', 'user_context')

_WANTED = """WITH wanted AS (
  SELECT decode(given.identifier, 'hex') AS identifier, given.identifier_type, given.subnet_id, given.ipv4_address,
         given.hostname, given.client_classes, given.next_server, given.server_hostname, given.boot_file_name,
         given.user_context
  FROM json_to_recordset(%s::json) AS given(identifier text, identifier_type smallint, subnet_id bigint,
       ipv4_address bigint, hostname text, client_classes text, next_server bigint, server_hostname text,
       boot_file_name text, user_context text))
"""
_SAME_HOST = ('host.dhcp_identifier = wanted.identifier AND host.dhcp_identifier_type = wanted.identifier_type '
              'AND host.dhcp4_subnet_id = wanted.subnet_id')
# The statements that make Kea's DHCPv4 reservations equal to the rows (one JSON argument, the
# same for both, in one transaction): rows that differ or are gone are deleted, missing ones added.
SYNC_QUERIES = (
    _WANTED + 'DELETE FROM hosts AS host WHERE host.dhcp4_subnet_id IS NOT NULL AND NOT EXISTS ('
    f'SELECT 1 FROM wanted WHERE {_SAME_HOST}'
    ' AND wanted.ipv4_address IS NOT DISTINCT FROM host.ipv4_address'
    ' AND wanted.hostname IS NOT DISTINCT FROM host.hostname'
    ' AND wanted.client_classes IS NOT DISTINCT FROM host.dhcp4_client_classes'
    ' AND wanted.next_server IS NOT DISTINCT FROM host.dhcp4_next_server'
    ' AND wanted.server_hostname IS NOT DISTINCT FROM host.dhcp4_server_hostname'
    ' AND wanted.boot_file_name IS NOT DISTINCT FROM host.dhcp4_boot_file_name'
    ' AND wanted.user_context IS NOT DISTINCT FROM host.user_context)',
    _WANTED + 'INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, ipv4_address, hostname, '
    'dhcp4_client_classes, dhcp4_next_server, dhcp4_server_hostname, dhcp4_boot_file_name, user_context) '
    'SELECT identifier, identifier_type, subnet_id, ipv4_address, hostname, client_classes, next_server, '
    'server_hostname, boot_file_name, user_context FROM wanted '
    f'WHERE NOT EXISTS (SELECT 1 FROM hosts AS host WHERE {_SAME_HOST})',
)

_VERSION = re.compile(r'([0-9]+)\.([0-9]+)')
_UPGRADE_SCRIPT = re.compile(r'upgrade_[0-9.]+_to_([0-9]+)(?:\.([0-9]+))?\.sh')


class KeaDatabaseError(ValueError):
    """Database settings or reservations that Kea's database cannot take."""


def is_sql(database):
    """Whether the Kea database settings name an SQL backend (the role's only one: PostgreSQL)."""
    return isinstance(database, Mapping) and database.get('type') == 'postgresql'


def database_problems(database, variable, memfile):
    """Problems of one database setting. ``memfile``: the lease file is allowed (leases); otherwise
    an empty mapping means none (the host reservations stay in the configuration file). The
    password is never part of a message."""
    if not isinstance(database, Mapping):
        return [f'{variable} must be a mapping of Kea database settings, got {database!r}']
    if not database and not memfile:
        return []
    kind = database.get('type')
    allowed = {'postgresql': POSTGRESQL_KEYS, 'memfile': MEMFILE_KEYS if memfile else None}.get(kind)
    if allowed is None:
        types = 'memfile or postgresql' if memfile else 'postgresql (or {} for reservations in the configuration file)'
        return [f'{variable}.type must be {types}, got {kind!r}']
    problems = []
    unknown = sorted(str(key) for key in database if key not in allowed)
    if unknown:
        problems.append(f'{variable} has unknown key(s) {", ".join(unknown)}; type {kind} takes {", ".join(allowed)}')
    for key in _COUNTS:
        value = database.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.append(f'{variable}.{key} must be a whole number from 0, got {value!r}')
    if kind == 'memfile':
        if 'name' in database and not (isinstance(database['name'], str) and FILE_PATH.fullmatch(database['name'])):
            problems.append(f'{variable}.name must be an absolute path of letters, digits and ._/-, got {database["name"]!r}')
        if not isinstance(database.get('persist', True), bool):
            problems.append(f'{variable}.persist must be true or false, got {database["persist"]!r}')
        return problems
    for key in ('name', 'user'):
        if not (isinstance(database.get(key), str) and SQL_NAME.fullmatch(database[key])):
            problems.append(f'{variable}.{key} must be a PostgreSQL name ([a-z_][a-z0-9_]*, up to 63), got {database.get(key)!r}')
    host = database.get('host')
    if not (is_ipv4(host) or (isinstance(host, str) and DNS_NAME.fullmatch(host))):
        problems.append(f'{variable}.host must be the database server\'s IPv4 address or host name, got {host!r}')
    port = database.get('port', 5432)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        problems.append(f'{variable}.port must be a port number from 1 to 65535, got {port!r}')
    password = database.get('password')
    if not (isinstance(password, str) and password and single_line(password) and '"' not in password and '\\' not in password):
        problems.append(f'{variable}.password must be a non-empty line without quotes, backslashes or control '
                        'characters (value not shown)')
    if database.get('on-fail', ON_FAIL[0]) not in ON_FAIL:
        problems.append(f'{variable}.on-fail must be one of {", ".join(ON_FAIL)}, got {database["on-fail"]!r}')
    return problems


def without_password(database):
    """The settings as Kea's configuration carries them until written: the password goes to the
    file only (kea_config's secrets), never into facts or the output of a task. An SQL database
    gets RECONNECT where not set."""
    settings = {key: value for key, value in database.items() if key != 'password'}
    return {**RECONNECT, **settings} if is_sql(database) else settings


def connections(databases):
    """The SQL databases of ``{kea key: settings}``, once each (the same database may hold the
    hosts and the leases): ``[{id, host, port, name, user}]``, without the passwords (``passwords``
    has them by id), so that a loop's items never carry one."""
    seen = []
    for database in databases.values():
        if is_sql(database):
            access = {'id': _connection_id(database), 'host': str(database['host']), 'port': int(database.get('port', 5432)),
                      'name': str(database['name']), 'user': str(database['user'])}
            if access not in seen:
                seen.append(access)
    return seen


def _connection_id(database):
    return f'{database["user"]}@{database["host"]}:{database.get("port", 5432)}/{database["name"]}'


def _identifier(host, where, problems):
    keys = [key for key in IDENTIFIER_TYPES if key in host]
    if len(keys) != 1:
        problems.append(f'{where} needs exactly one of {", ".join(IDENTIFIER_TYPES)}, got {sorted(keys)}')
        return None, None
    key = keys[0]
    value = host[key]
    if key == 'hw-address':
        mac = normalize_mac(value)
        return (mac.replace(':', ''), 0) if mac else _bad(problems, f'{where}.hw-address must be a MAC address, got {value!r}')
    if isinstance(value, str) and HEX_IDENTIFIER.fullmatch(value):
        return value.replace(':', '').lower(), IDENTIFIER_TYPES[key]
    quoted = QUOTED_IDENTIFIER.fullmatch(value) if isinstance(value, str) else None
    if quoted and single_line(quoted.group(1)):
        return quoted.group(1).encode().hex(), IDENTIFIER_TYPES[key]
    return _bad(problems, f"{where}.{key} must be hex bytes (01:02:03 or 010203) or 'text' in single quotes, got {value!r}")


def _bad(problems, message):
    problems.append(message)
    return None, None


def _address(host, key, where, problems):
    if key not in host:
        return None
    if not is_ipv4(host[key]):
        problems.append(f'{where}.{key} must be an IPv4 address, got {host[key]!r}')
        return None
    return int(ipaddress.IPv4Address(host[key]))


def _row(host, subnet_id, where, problems):
    if 'option-data' in host:
        problems.append(f'{where}.option-data cannot go to kea_dhcp4_hosts_database (the role writes no option rows); '
                        'give the options to a client class, or keep the reservations in the configuration file')
    identifier, identifier_type = _identifier(host, where, problems)
    row = {'identifier': identifier, 'identifier_type': identifier_type, 'subnet_id': subnet_id,
           'ipv4_address': _address(host, 'ip-address', where, problems),
           'next_server': _address(host, 'next-server', where, problems)}
    for key, column in _ROW_TEXT.items():
        value = host.get(key)
        if key == 'client-classes' and value is not None:
            value = ','.join(value) if isinstance(value, list) and all(isinstance(name, str) for name in value) else value
        if value is not None and not (isinstance(value, str) and single_line(value) and len(value) <= 255):
            problems.append(f'{where}.{key} must be one line of up to 255 characters, got {host[key]!r}')
        row[column] = value
    context = dict(host.get('user-context') or {}) if isinstance(host.get('user-context', {}), Mapping) else None
    if context is None:
        problems.append(f'{where}.user-context must be a mapping, got {host["user-context"]!r}')
    elif 'comment' in host:
        context['comment'] = host['comment']
    row['user_context'] = json.dumps(context, sort_keys=True) if context else None
    return row


def host_rows(subnets, name='kea_dhcp4_subnets'):
    """The reservations of Kea subnets (``subnet4`` entries, each with its ``id``) as rows of Kea's
    ``hosts`` table, in the JSON form SYNC_QUERIES take. Raises KeaDatabaseError naming each
    reservation that a row cannot hold."""
    if not isinstance(subnets, list):
        raise KeaDatabaseError(f'{name} must be a list of subnets, got {subnets!r}')
    rows, problems = [], []
    for index, subnet in enumerate(subnets):
        if not isinstance(subnet, Mapping):
            raise KeaDatabaseError(f'{name}[{index}] must be a mapping, got {subnet!r}')
        subnet_id = subnet.get('id')
        reservations = subnet.get('reservations') or []
        if reservations and (isinstance(subnet_id, bool) or not isinstance(subnet_id, int) or subnet_id <= 0):
            problems.append(f'{name}[{index}].id must be a positive whole number for its reservations\' rows, got {subnet_id!r}')
            continue
        for number, host in enumerate(reservations if isinstance(reservations, list) else []):
            where = f'{name}[{index}].reservations[{number}]'
            if not isinstance(host, Mapping):
                problems.append(f'{where} must be a mapping, got {host!r}')
                continue
            rows.append(_row(host, subnet_id, where, problems))
    if problems:
        raise KeaDatabaseError('; '.join(problems))
    return rows


def rows_json(rows):
    """The rows as the one argument of SYNC_QUERIES (compact JSON, in a stable order)."""
    ordered = sorted(rows, key=lambda row: (row['subnet_id'], row['identifier_type'], row['identifier']))
    return json.dumps([{column: row[column] for column in ROW_COLUMNS} for row in ordered], separators=(',', ':'))


def schema_version(text):
    """The (major, minor) schema version in ``kea-admin db-version`` output, or None."""
    found = [match for match in (_VERSION.fullmatch(line.strip()) for line in str(text).splitlines()) if match]
    return (int(found[-1].group(1)), int(found[-1].group(2))) if found else None


def scripts_version(names):
    """The schema version Kea's upgrade scripts (``upgrade_012_to_013.sh``...) end at, or None."""
    versions = [(int(match.group(1)), int(match.group(2) or 0))
                for match in (_UPGRADE_SCRIPT.fullmatch(name) for name in names) if match]
    return max(versions) if versions else None


def schema_action(current, expected):
    """What the schema needs: 'init' (none yet), 'upgrade', None (current), or 'newer' (made by a
    newer Kea than this server's, which kea-admin cannot downgrade)."""
    if current is None:
        return 'init'
    if expected is None or current == expected:
        return None
    return 'upgrade' if current < expected else 'newer'


def databases(variables):
    """What the role does with its databases, from ``{variable name: settings}`` of the two
    DATABASE_VARIABLES: ``connections`` (each SQL database once, for kea-admin), ``secrets`` (Kea
    key -> password, for kea_config), ``passwords`` (connection id -> password) and ``hosts`` (the
    reservations' database, or {})."""
    settings, problems = {}, []
    for key, variable in DATABASE_VARIABLES.items():
        if variable not in variables:
            raise KeaDatabaseError(f'{variable} is missing from the role variables')
        settings[key] = variables[variable]
        problems += database_problems(settings[key], variable, memfile=key == 'lease-database')
    if problems:
        raise KeaDatabaseError('; '.join(problems))
    sql = {key: database for key, database in settings.items() if is_sql(database)}
    hosts = connections({'hosts-database': settings['hosts-database']})
    return {'connections': connections(sql), 'secrets': {key: str(database['password']) for key, database in sql.items()},
            'passwords': {_connection_id(database): str(database['password']) for database in sql.values()},
            'hosts': hosts[0] if hosts else {}}
