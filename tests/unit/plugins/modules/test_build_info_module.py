# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json
import os
import time

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.netboot.pxe.plugins.module_utils._boot.report import build_progress
from ansible_collections.netboot.pxe.plugins.modules import build_info

A = '52-54-00-00-00-0a'
B = '52-54-00-00-00-0b'
C = '52-54-00-00-00-0c'
TA = 'a' * 32
TB = 'b' * 32
THEN = '2026-12-07T05:00:00+00:00'
NOW = '2026-12-07T05:10:00+00:00'
FAILED = {'status': 'failed', 'step': 'choose disk', 'reason': 'no disk matched', 'log': [], 'facts': None}


def record(token, state='pending', build=1):
    return {'build': build, 'token': token, 'state': state, 'since': THEN}


@pytest.mark.parametrize('records, markers, agents, expected', [
    pytest.param({A: record(TA)}, {TA}, {}, {'build': 1, 'state': 'pending', 'since': THEN, 'result': ''}, id='pending'),
    pytest.param({A: record(TA)}, set(), {}, {'build': 1, 'state': 'installed', 'since': NOW, 'result': ''},
                 id='marker-gone'),
    pytest.param({A: record(TA, 'installed', 2)}, set(), {}, {'build': 2, 'state': 'installed', 'since': THEN, 'result': ''},
                 id='recorded'),
    pytest.param({A: record(TA)}, {TA}, {A: (FAILED, '2026-12-07T05:04:00+00:00')},
                 {'build': 1, 'state': 'failed', 'since': '2026-12-07T05:04:00+00:00',
                  'result': 'failed at choose disk: no disk matched'}, id='agent-failed'),
    pytest.param({A: record(TA)}, {TA}, {A: (dict(FAILED, status='deployed'), THEN)},
                 {'build': 1, 'state': 'pending', 'since': THEN, 'result': ''}, id='deployed-marker-still-there'),
    pytest.param({A: record(TA)}, {TA}, {A: ({'status': 'refused', 'step': '', 'reason': 'report refused: it is not JSON',
                                              'log': [], 'facts': None}, THEN)},
                 {'build': 1, 'state': 'pending', 'since': THEN, 'result': ''}, id='refused-report-ignored'),
    pytest.param({}, set(), {}, {'build': 0, 'state': 'missing', 'since': '', 'result': 'no build'}, id='missing'),
])
def test_build_progress(records, markers, agents, expected):
    assert build_progress(records, [A], markers, agents, NOW) == {A: expected}


def run(capsys, root, machines, **options):
    module_args = {'path': str(root / 'http'), 'state_file': str(root / 'builds.json'), 'machines': machines,
                   '_ansible_remote_tmp': str(root), '_ansible_tmpdir': str(root)}
    module_args.update(options)
    with patch_module_args(module_args), pytest.raises(SystemExit):
        build_info.main()
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def root(tmp_path):
    (tmp_path / 'http/builds').mkdir(parents=True)
    (tmp_path / 'http/reports').mkdir()
    (tmp_path / 'builds.json').write_text(json.dumps({A: record(TA), B: record(TB)}))
    for token in (TA, TB):
        (tmp_path / 'http/builds' / token).write_text('marker')
    return tmp_path


def test_reads_the_builds_without_tokens(capsys, root):
    (root / 'http/builds' / TA).unlink()
    (root / 'http/reports' / f'{TB}.json').write_text(json.dumps(FAILED))
    result = run(capsys, root, [A, B, C])
    assert not result['changed']
    assert {key: build['state'] for key, build in result['builds'].items()} == {A: 'installed', B: 'failed', C: 'missing'}
    assert result['builds'][B]['result'] == 'failed at choose disk: no disk matched'
    assert result['new'] == [A, B, C]
    assert TA not in json.dumps(result) and TB not in json.dumps(result)


def test_known_machines_are_not_new(capsys, root):
    (root / 'http/builds' / TA).unlink()
    result = run(capsys, root, [A, B], known=[A])
    assert result['new'] == [] and result['builds'][B]['state'] == 'pending'


class Clock:
    """The module's clock: a sleep moves it on at once, and does what the test planned for that moment."""

    def __init__(self, planned=None):
        self.now = 0.0
        self.slept = []
        self.planned = dict(planned or {})

    def monotonic(self):
        return self.now

    @staticmethod
    def time():
        return time.time()

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds
        for moment in sorted(self.planned):
            if moment <= self.now:
                self.planned.pop(moment)()


def test_waits_until_another_machine_finishes(capsys, root, monkeypatch):
    (root / 'http/builds' / TA).unlink()
    clock = Clock({1.5: lambda: os.unlink(root / 'http/builds' / TB)})
    monkeypatch.setattr(build_info, 'time', clock)
    result = run(capsys, root, [A, B], known=[A], wait=30, interval=1)
    # A read each second until B's marker went (at 1.5 s), not the 30 s.
    assert clock.slept == [1, 1]
    assert result['new'] == [B] and result['builds'][B]['state'] == 'installed'


def test_a_wait_ends_at_its_time(capsys, root, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(build_info, 'time', clock)
    result = run(capsys, root, [A], wait=3, interval=2)
    # Its last sleep is what was left of the wait.
    assert clock.slept == [2, 1]
    assert result['new'] == [] and result['builds'][A]['state'] == 'pending'


@pytest.mark.parametrize('options, message', [
    ({'machines': ['52:54:00:00:00:0a']}, "machines: '52:54:00:00:00:0a' is not a MAC with hyphens like 52-54-00-12-34-56"),
    ({'machines': [A], 'known': ['x' * 80]}, "known: '" + 'x' * 40 + "' is not a MAC with hyphens"),
    ({'machines': [A], 'wait': -1}, 'wait must be >= 0 and interval >= 1, got -1 and 5'),
])
def test_refuses(capsys, root, options, message):
    machines = options.pop('machines')
    result = run(capsys, root, machines, **options)
    assert result['failed'] and result['msg'].startswith(message)


def test_a_broken_state_file_names_no_token(capsys, root):
    (root / 'builds.json').write_text(json.dumps({A: {'token': TA}}))
    result = run(capsys, root, [A])
    assert result['failed'] and TA not in result['msg'] and 'aaaa\u2026' in result['msg']
