# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.netboot.pxe.plugins.modules import boot_info

DEPLOYED = 'a' * 32
FAILED = 'b' * 32
HOSTILE = 'c' * 32
BUILDS = {'52-54-00-00-00-0a': {'build': 1, 'token': DEPLOYED, 'state': 'installed', 'since': '2026-11-30T10:00:00+00:00'},
          '52-54-00-00-00-0b': {'build': 2, 'token': FAILED, 'state': 'pending', 'since': '2026-11-30T10:01:00+00:00'},
          '52-54-00-00-00-0c': {'build': 1, 'token': HOSTILE, 'state': 'pending', 'since': '2026-11-30T10:02:00+00:00'},
          '52-54-00-00-00-0d': {'build': 1, 'token': 'd' * 32, 'state': 'pending', 'since': '2026-11-30T10:03:00+00:00'}}


def run(capsys, tmp_path, **args):
    module_args = dict({'kea_socket': '', 'leases_file': str(tmp_path / 'leases.csv'), 'nginx_log': str(tmp_path / 'access.log'),
                        'builds_file': str(tmp_path / 'builds.json'), 'reports_dir': str(tmp_path / 'reports'),
                        'journal': False, '_ansible_remote_tmp': str(tmp_path), '_ansible_tmpdir': str(tmp_path)}, **args)
    with patch_module_args(module_args), pytest.raises(SystemExit):
        boot_info.main()
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def server(tmp_path):
    (tmp_path / 'builds.json').write_text(json.dumps(BUILDS))
    reports = tmp_path / 'reports'
    reports.mkdir()
    (reports / f'{DEPLOYED}.json').write_text(json.dumps({'status': 'deployed', 'step': '', 'reason': '', 'log': []}))
    (reports / f'{FAILED}.json').write_text(json.dumps({'status': 'failed', 'step': 'choose disk',
                                                        'reason': f'no disk matched; see /reports/{FAILED}.json', 'log': []}))
    (reports / f'{HOSTILE}.json').write_text(json.dumps({'status': 'deployed', 'log': ['\x1b[2J\nroot# ']}))
    return tmp_path


def test_each_machine_shows_its_agent_report(capsys, server):
    result = run(capsys, server)
    machines = result['machines']
    assert machines['52:54:00:00:00:0a']['agent']['status'] == 'deployed'
    assert machines['52:54:00:00:00:0b']['agent'] == {'status': 'failed', 'step': 'choose disk',
                                                      'reason': 'no disk matched; see /reports/bbbb….json', 'log': [],
                                                      'facts': None}
    assert machines['52:54:00:00:00:0c']['agent'] == {
        'status': 'refused', 'step': '', 'reason': 'report refused: log[0] is not a text of at most 300 printable characters '
        'on one line', 'log': [], 'facts': None}
    assert machines['52:54:00:00:00:0d']['agent'] is None
    rows = {line.split()[0]: line for line in result['table'][1:]}
    assert rows['52:54:00:00:00:0a'].endswith('1 installed since 2026-11-30T10:00:00+00:00; deployed')
    assert rows['52:54:00:00:00:0b'].endswith('2 pending since 2026-11-30T10:01:00+00:00; failed at choose disk: no disk matched; '
                                              'see /reports/bbbb….json')
    assert rows['52:54:00:00:00:0c'].endswith('; report refused: log[0] is not a text of at most 300 printable characters on one line')
    # No token in what the module returns.
    shown = json.dumps(result)
    assert not any(token in shown for token in (DEPLOYED, FAILED, HOSTILE, 'd' * 32))
    assert not result['changed']


def test_no_reports_dir_reads_none(capsys, server):
    machines = run(capsys, server, reports_dir='')['machines']
    assert all(machine['agent'] is None for machine in machines.values())
