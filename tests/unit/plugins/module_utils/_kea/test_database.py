# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._kea.apply import KeaApplyError, render
from ansible_collections.netboot.pxe.plugins.module_utils._kea.config import dhcp4_config
from ansible_collections.netboot.pxe.plugins.module_utils._kea.database import (
    ROW_COLUMNS,
    SYNC_QUERIES,
    KeaDatabaseError,
    database_problems,
    databases,
    host_rows,
    rows_json,
    schema_action,
    schema_version,
    scripts_version,
)
from ansible_collections.netboot.pxe.plugins.module_utils._kea.variables import KeaConfigError

from test_config import LISTENER as PLATFORM, PXE

PG = {'type': 'postgresql', 'name': 'kea', 'host': '10.0.0.5', 'user': 'kea', 'password': 's3cret pass'}
LEASES = {'type': 'postgresql', 'name': 'kea_leases_a', 'host': 'db.lab.example', 'port': 5433, 'user': 'kea',
          'password': 'other'}
MEMFILE = {'type': 'memfile', 'persist': True, 'name': '/var/lib/kea/kea-leases4.csv', 'lfc-interval': 3600}


@pytest.mark.parametrize('database, memfile', [
    (PG, False),
    (PG, True),
    (LEASES, True),
    ({}, False),
    (MEMFILE, True),
    (dict(PG, port=1, **{'connect-timeout': 5, 'max-reconnect-tries': 60, 'reconnect-wait-time': 1000,
                         'on-fail': 'stop-retry-exit'}), True),
])
def test_good_database_settings(database, memfile):
    assert database_problems(database, 'kea_dhcp4_x', memfile) == []


@pytest.mark.parametrize('database, memfile, message', [
    ({}, True, "kea_dhcp4_x.type must be memfile or postgresql, got None"),
    (MEMFILE, False, "kea_dhcp4_x.type must be postgresql (or {} for reservations in the configuration file), got 'memfile'"),
    (dict(PG, type='mysql'), False, "kea_dhcp4_x.type must be postgresql"),
    ('postgresql', False, "kea_dhcp4_x must be a mapping of Kea database settings, got 'postgresql'"),
    (dict(PG, readonly=True), False, 'kea_dhcp4_x has unknown key(s) readonly; type postgresql takes type, name'),
    (dict(MEMFILE, host='x'), True, 'kea_dhcp4_x has unknown key(s) host; type memfile takes'),
    (dict(PG, name='Kea'), False, "kea_dhcp4_x.name must be a PostgreSQL name ([a-z_][a-z0-9_]*, up to 63), got 'Kea'"),
    (dict(PG, name='kea; DROP TABLE hosts'), False, "kea_dhcp4_x.name must be a PostgreSQL name"),
    (dict(PG, user='kea\n'), False, "kea_dhcp4_x.user must be a PostgreSQL name ([a-z_][a-z0-9_]*, up to 63), got 'kea\\n'"),
    ({k: v for k, v in PG.items() if k != 'user'}, False, 'kea_dhcp4_x.user must be a PostgreSQL name'),
    (dict(PG, host='10.0.0.5 -c x'), False, "kea_dhcp4_x.host must be the database server's IPv4 address or host name, got '10.0.0.5 -c x'"),
    (dict(PG, host='-h'), False, "kea_dhcp4_x.host must be"),
    (dict(PG, port=0), False, 'kea_dhcp4_x.port must be a port number from 1 to 65535, got 0'),
    (dict(PG, port='5432'), False, "kea_dhcp4_x.port must be a port number from 1 to 65535, got '5432'"),
    (dict(PG, **{'max-reconnect-tries': -1}), False, 'kea_dhcp4_x.max-reconnect-tries must be a whole number from 0, got -1'),
    (dict(PG, **{'on-fail': 'ignore'}), False, "kea_dhcp4_x.on-fail must be one of stop-retry-exit, serve-retry-exit, serve-retry-continue, got 'ignore'"),
    (dict(MEMFILE, name='leases.csv'), True, "kea_dhcp4_x.name must be an absolute path of letters, digits and ._/-, got 'leases.csv'"),
    (dict(MEMFILE, persist='yes'), True, "kea_dhcp4_x.persist must be true or false, got 'yes'"),
])
def test_bad_database_settings(database, memfile, message):
    problems = database_problems(database, 'kea_dhcp4_x', memfile)
    assert any(problem.startswith(message) for problem in problems), problems


@pytest.mark.parametrize('password', ['', None, 'two\nlines', 'a"quote', 'back\\slash', 'nul\x00'])
def test_a_bad_password_is_refused_without_being_shown(password):
    problems = database_problems(dict(PG, password=password), 'kea_dhcp4_x', False)
    assert problems == ['kea_dhcp4_x.password must be a non-empty line without quotes, backslashes or control '
                        'characters (value not shown)']


def test_databases_once_each_with_their_secrets():
    result = databases({'kea_dhcp4_hosts_database': PG, 'kea_dhcp4_lease_database': LEASES})
    hosts = {'id': 'kea@10.0.0.5:5432/kea', 'host': '10.0.0.5', 'port': 5432, 'name': 'kea', 'user': 'kea'}
    assert result == {
        'connections': [
            hosts,
            {'id': 'kea@db.lab.example:5433/kea_leases_a', 'host': 'db.lab.example', 'port': 5433, 'name': 'kea_leases_a',
             'user': 'kea'},
        ],
        'secrets': {'hosts-database': 's3cret pass', 'lease-database': 'other'},
        'passwords': {'kea@10.0.0.5:5432/kea': 's3cret pass', 'kea@db.lab.example:5433/kea_leases_a': 'other'},
        'hosts': hosts,
    }
    same = databases({'kea_dhcp4_hosts_database': PG, 'kea_dhcp4_lease_database': PG})
    assert len(same['connections']) == 1 and set(same['secrets']) == {'hosts-database', 'lease-database'}
    assert databases({'kea_dhcp4_hosts_database': {}, 'kea_dhcp4_lease_database': MEMFILE}) == {
        'connections': [], 'secrets': {}, 'passwords': {}, 'hosts': {}}
    assert all('password' not in connection for connection in result['connections'])


def test_databases_refuse_bad_settings_naming_the_variable():
    with pytest.raises(KeaDatabaseError, match=r"^kea_dhcp4_lease_database.type must be memfile or postgresql, got 'x'$"):
        databases({'kea_dhcp4_hosts_database': {}, 'kea_dhcp4_lease_database': {'type': 'x'}})
    with pytest.raises(KeaDatabaseError, match='kea_dhcp4_hosts_database is missing'):
        databases({'kea_dhcp4_lease_database': MEMFILE})


def _row(**columns):
    row = dict.fromkeys(ROW_COLUMNS)
    row.update(columns)
    return row


@pytest.mark.parametrize('reservation, row', [
    ({'hw-address': '52:54:00:00:00:01', 'ip-address': '10.0.0.10'},
     _row(identifier='525400000001', identifier_type=0, subnet_id=7, ipv4_address=167772170)),
    ({'hw-address': '5254.00AB.CDEF', 'hostname': 'node1', 'boot-file-name': 'shimx64.efi'},
     _row(identifier='525400abcdef', identifier_type=0, subnet_id=7, hostname='node1', boot_file_name='shimx64.efi')),
    ({'client-id': '01:52:54:00:00:00:02', 'ip-address': '10.0.0.11', 'client-classes': ['a', 'b']},
     _row(identifier='01525400000002', identifier_type=3, subnet_id=7, ipv4_address=167772171, client_classes='a,b')),
    ({'circuit-id': "'port-7'", 'next-server': '10.0.0.2', 'server-hostname': 'boot'},
     _row(identifier='706f72742d37', identifier_type=2, subnet_id=7, next_server=167772162, server_hostname='boot')),
    ({'duid': '000102', 'comment': 'rack 4', 'user-context': {'owner': 'ops'}},
     _row(identifier='000102', identifier_type=1, subnet_id=7, user_context='{"comment": "rack 4", "owner": "ops"}')),
    ({'flex-id': 'ABCD'}, _row(identifier='abcd', identifier_type=4, subnet_id=7)),
])
def test_a_reservation_becomes_a_row(reservation, row):
    assert host_rows([{'id': 7, 'subnet': '10.0.0.0/24', 'reservations': [reservation]}]) == [row]


@pytest.mark.parametrize('reservation, message', [
    ({'ip-address': '10.0.0.10'}, 'kea_dhcp4_subnets[0].reservations[0] needs exactly one of hw-address, duid, '
                                  'circuit-id, client-id, flex-id, got []'),
    ({'hw-address': '52:54:00:00:00:01', 'client-id': '01'}, "needs exactly one of hw-address, duid, circuit-id, "
                                                             "client-id, flex-id, got ['client-id', 'hw-address']"),
    ({'hw-address': '52:54:00:00:00'}, "kea_dhcp4_subnets[0].reservations[0].hw-address must be a MAC address, got '52:54:00:00:00'"),
    ({'client-id': 'abc'}, "kea_dhcp4_subnets[0].reservations[0].client-id must be hex bytes (01:02:03 or 010203) or "
                           "'text' in single quotes, got 'abc'"),
    ({'circuit-id': "'a'b'"}, "circuit-id must be hex bytes"),
    ({'hw-address': '52:54:00:00:00:01', 'ip-address': '10.0.0.256'},
     "kea_dhcp4_subnets[0].reservations[0].ip-address must be an IPv4 address, got '10.0.0.256'"),
    ({'hw-address': '52:54:00:00:00:01', 'hostname': 'a\nb'},
     "kea_dhcp4_subnets[0].reservations[0].hostname must be one line of up to 255 characters, got 'a\\nb'"),
    ({'hw-address': '52:54:00:00:00:01', 'option-data': [{'name': 'routers', 'data': '10.0.0.1'}]},
     'kea_dhcp4_subnets[0].reservations[0].option-data cannot go to kea_dhcp4_hosts_database'),
    ({'hw-address': '52:54:00:00:00:01', 'user-context': 'x'},
     "kea_dhcp4_subnets[0].reservations[0].user-context must be a mapping, got 'x'"),
    ('52:54:00:00:00:01', "kea_dhcp4_subnets[0].reservations[0] must be a mapping, got '52:54:00:00:00:01'"),
])
def test_a_reservation_a_row_cannot_hold_is_refused(reservation, message):
    with pytest.raises(KeaDatabaseError) as raised:
        host_rows([{'id': 7, 'subnet': '10.0.0.0/24', 'reservations': [reservation]}])
    assert message in str(raised.value)


def test_reservations_need_a_subnet_id():
    with pytest.raises(KeaDatabaseError, match=r"kea_dhcp4_subnets\[0\].id must be a positive whole number for its "
                                               r"reservations' rows, got None"):
        host_rows([{'subnet': '10.0.0.0/24', 'reservations': [{'hw-address': '52:54:00:00:00:01'}]}])
    assert host_rows([{'subnet': '10.0.1.0/24'}]) == []


def test_rows_json_is_stable_and_carries_every_column():
    rows = host_rows([
        {'id': 2, 'subnet': '10.0.1.0/24', 'reservations': [{'hw-address': '52:54:00:00:00:09'}]},
        {'id': 1, 'subnet': '10.0.0.0/24',
         'reservations': [{'hw-address': '52:54:00:00:00:02'}, {'hw-address': '52:54:00:00:00:01'}]},
    ])
    text = rows_json(rows)
    assert text == rows_json(list(reversed(rows)))
    decoded = json.loads(text)
    assert [(row['subnet_id'], row['identifier']) for row in decoded] == [
        (1, '525400000001'), (1, '525400000002'), (2, '525400000009')]
    assert all(list(row) == list(ROW_COLUMNS) for row in decoded)


def test_the_statements_take_one_argument_and_touch_only_dhcp4_rows():
    delete, insert = SYNC_QUERIES
    assert delete.count('%s') == insert.count('%s') == 1
    assert '%' not in delete.replace('%s', '') + insert.replace('%s', '')
    assert 'DELETE FROM hosts AS host WHERE host.dhcp4_subnet_id IS NOT NULL' in delete
    assert 'INSERT INTO hosts' in insert and insert.endswith('WHERE NOT EXISTS (SELECT 1 FROM hosts AS host WHERE '
                                                             'host.dhcp_identifier = wanted.identifier AND host.dhcp_identifier_type '
                                                             '= wanted.identifier_type AND host.dhcp4_subnet_id = wanted.subnet_id)')


@pytest.mark.parametrize('text, version', [
    ('13.0\n', (13, 0)),
    ('Using the value of KEA_ADMIN_DB_PASSWORD for authentication...\n22.2\n', (22, 2)),
    ('', None),
    ('psql: error: relation "schema_version" does not exist\n', None),
    ('version 13.0 of 2.2\n', None),
])
def test_schema_version(text, version):
    assert schema_version(text) == version


@pytest.mark.parametrize('names, version', [
    (['upgrade_001.0_to_001.1.sh', 'upgrade_011_to_012.sh', 'upgrade_012_to_013.sh', 'dhcpdb_create.pgsql'], (13, 0)),
    (['upgrade_021_to_022.sh', 'upgrade_022.0_to_022.1.sh', 'upgrade_022.1_to_022.2.sh', 'wipe_data.sh'], (22, 2)),
    (['dhcpdb_create.pgsql'], None),
])
def test_scripts_version(names, version):
    assert scripts_version(names) == version


@pytest.mark.parametrize('current, expected, action', [
    (None, (13, 0), 'init'),
    ((12, 0), (13, 0), 'upgrade'),
    ((13, 0), (13, 0), None),
    ((22, 2), (13, 0), 'newer'),
    ((22, 1), (22, 2), 'upgrade'),
    ((13, 0), None, None),
])
def test_schema_action(current, expected, action):
    assert schema_action(current, expected) == action


def test_with_a_hosts_database_the_reservations_leave_the_file():
    document = dhcp4_config(dict(PXE, kea_dhcp4_hosts_database=PG, kea_dhcp4_lease_database=LEASES), PLATFORM)['Dhcp4']
    assert document['hosts-database'] == {'max-reconnect-tries': 60, 'reconnect-wait-time': 1000,
                                          **{key: value for key, value in PG.items() if key != 'password'}}
    own = dhcp4_config(dict(PXE, kea_dhcp4_hosts_database=dict(PG, **{'max-reconnect-tries': 5})), PLATFORM)['Dhcp4']
    assert own['hosts-database']['max-reconnect-tries'] == 5
    assert 'password' not in document['lease-database'] and document['lease-database']['name'] == 'kea_leases_a'
    assert all('reservations' not in subnet for subnet in document['subnet4'])
    assert 'reservations' in PXE['kea_dhcp4_subnets'][0], 'the input was changed'
    plain_file = dhcp4_config(PXE, PLATFORM)['Dhcp4']
    assert 'hosts-database' not in plain_file and plain_file['subnet4'][0]['reservations']


def test_the_document_refuses_what_the_rows_cannot_hold():
    subnets = [dict(PXE['kea_dhcp4_subnets'][0], reservations=[
        {'hw-address': '52:54:00:00:00:01', 'ip-address': '10.0.0.10', 'option-data': [{'name': 'domain-name', 'data': 'x'}]}])]
    with pytest.raises(KeaConfigError, match=r'reservations\[0\].option-data cannot go to kea_dhcp4_hosts_database'):
        dhcp4_config(dict(PXE, kea_dhcp4_subnets=subnets, kea_dhcp4_hosts_database=PG), PLATFORM)
    with pytest.raises(KeaConfigError, match=r'kea_dhcp4_hosts_database.type must be postgresql'):
        dhcp4_config(dict(PXE, kea_dhcp4_hosts_database={'type': 'memfile'}), PLATFORM)


def test_the_password_is_in_the_file_but_not_in_the_fingerprint():
    document = dhcp4_config(dict(PXE, kea_dhcp4_hosts_database=PG), PLATFORM)
    text, digest = render(document, {'hosts-database': 's3cret pass'})
    bare_text, bare_digest = render(document)
    assert '"password": "s3cret pass"' in text and 's3cret' not in bare_text
    assert digest == bare_digest
    assert 'password' not in document['Dhcp4']['hosts-database'], 'the document was changed'
    with pytest.raises(KeaApplyError, match='secrets: lease-database is not a mapping of the configuration'):
        render({'Dhcp4': {'lease-database': 'x'}}, {'lease-database': 'pw'})
