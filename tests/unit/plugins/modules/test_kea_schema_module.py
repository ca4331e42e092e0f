# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The module kea_schema against a stand-in for kea-admin: a script that keeps the database's
schema version in a file, as kea-admin's db-version, db-init and db-upgrade would change it."""

from __future__ import annotations

import json

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.netboot.pxe.plugins.modules import kea_schema

PASSWORD = 'pw with spaces'
# $STATE holds the version ("" for an empty database); every call is logged with its password.
FAKE_KEA_ADMIN = '''#!/bin/sh
state="{state}"
echo "$* password=$KEA_ADMIN_DB_PASSWORD" >> "{log}"
case "$1" in
  db-version)
    echo "Using the value of KEA_ADMIN_DB_PASSWORD for authentication..."
    if [ -s "$state" ]; then cat "$state"; else echo 'ERROR: relation "schema_version" does not exist' >&2; exit 1; fi ;;
  db-init) [ -s "$state" ] && exit 1; echo 13.0 > "$state" ;;
  db-upgrade) echo 13.0 > "$state" ;;
esac
'''


@pytest.fixture
def kea_admin(tmp_path):
    """(path of the stand-in, state file, call log); the scripts directory reaches schema 13.0."""
    state, log = tmp_path / 'version', tmp_path / 'calls'
    state.write_text('')
    program = tmp_path / 'kea-admin'
    program.write_text(FAKE_KEA_ADMIN.format(state=state, log=log))
    program.chmod(0o755)
    scripts = tmp_path / 'scripts'
    scripts.mkdir()
    for name in ('upgrade_011_to_012.sh', 'upgrade_012_to_013.sh', 'dhcpdb_create.pgsql'):
        (scripts / name).write_text('')
    return program, state, log, scripts


def run(capsys, kea_admin, check_mode=False, scripts=None):
    program, _state, _log, default_scripts = kea_admin
    args = {'host': '10.0.0.5', 'name': 'kea', 'user': 'kea', 'password': PASSWORD, 'kea_admin': str(program),
            'scripts': str(scripts or default_scripts), '_ansible_check_mode': check_mode, '_ansible_diff': True}
    with patch_module_args(args), pytest.raises(SystemExit):
        kea_schema.main()
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize('before, check_mode, action, after, calls', [
    ('', False, 'init', '13.0', ['db-version', 'db-init', 'db-version']),
    ('12.0\n', False, 'upgrade', '13.0', ['db-version', 'db-upgrade', 'db-version']),
    ('13.0\n', False, 'none', '13.0', ['db-version']),
    ('', True, 'init', '13.0', ['db-version']),
    ('12.0\n', True, 'upgrade', '13.0', ['db-version']),
])
def test_init_upgrade_or_nothing(capsys, kea_admin, before, check_mode, action, after, calls):
    _program, state, log, _scripts = kea_admin
    state.write_text(before)
    result = run(capsys, kea_admin, check_mode)
    assert (result['action'], result['after'], result['changed']) == (action, after, action != 'none')
    assert result['diff']['after'] == f'database kea on 10.0.0.5:5432: schema {after}\n'
    lines = log.read_text().splitlines()
    assert [line.split()[0] for line in lines] == calls
    # The password reaches kea-admin in its environment only, never on its command line.
    assert all(line.endswith(f' password={PASSWORD}') and PASSWORD not in line[:-len(PASSWORD)] for line in lines)
    assert all(line.split(' password=')[0].split()[1:] == ['pgsql', '-h', '10.0.0.5', '-P', '5432', '-n', 'kea', '-u', 'kea']
               for line in lines)
    assert PASSWORD not in json.dumps(result)
    assert state.read_text() == (before if check_mode else '13.0\n')


def test_a_newer_schema_is_refused(capsys, kea_admin):
    _program, state, _log, _scripts = kea_admin
    state.write_text('22.2\n')
    result = run(capsys, kea_admin)
    assert result['failed'] and 'has schema 22.2, newer than this Kea\'s 13.0' in result['msg']
    assert state.read_text() == '22.2\n'


def test_an_unreachable_database_fails_with_kea_admins_reason(capsys, kea_admin, tmp_path):
    program = tmp_path / 'kea-admin'
    program.write_text('#!/bin/sh\necho "psql: error: connection to server at 10.0.0.5 failed: Connection refused" >&2\nexit 1\n')
    result = run(capsys, kea_admin)
    assert result['failed'] and 'kea-admin db-version cannot read the database kea on 10.0.0.5:5432: psql: error: connection' in result['msg']


def test_without_kea_admin_check_mode_predicts_the_schema(capsys, kea_admin, tmp_path):
    result = run(capsys, kea_admin, check_mode=True, scripts=tmp_path / 'missing')
    assert (result['changed'], result['action']) == (True, 'init')
    result = run(capsys, kea_admin, scripts=tmp_path / 'missing')
    assert result['failed'] and 'is kea-admin installed?' in result['msg']
