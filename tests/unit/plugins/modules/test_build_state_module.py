# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import grp
import json
import os
import stat

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.netboot.pxe.plugins.modules import build_state

GROUP = grp.getgrgid(os.getgid()).gr_name
KEY = '52-54-00-00-00-0a'


def run(capsys, tmp_path, hosts, check=False, group=GROUP):
    module_args = {'path': str(tmp_path / 'http'), 'hosts': hosts, 'state_file': str(tmp_path / 'state/builds.json'),
                   'group': group, '_ansible_check_mode': check, '_ansible_diff': True,
                   '_ansible_remote_tmp': str(tmp_path), '_ansible_tmpdir': str(tmp_path)}
    with patch_module_args(module_args), pytest.raises(SystemExit):
        build_state.main()
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def root(tmp_path):
    (tmp_path / 'http').mkdir()
    return tmp_path


def test_lifecycle(capsys, root):
    assert run(capsys, root, {KEY: 1}, check=True)['changed']
    assert not (root / 'http/builds').exists() and not (root / 'state').exists()

    first = run(capsys, root, {KEY: 1})
    token = first['builds'][KEY]['token']
    assert first['changed'] and first['builds'][KEY]['state'] == 'pending' and len(token) == 32
    assert token not in first['diff']['after']
    marker = root / 'http/builds' / token
    assert marker.exists() and stat.S_IMODE((root / 'http/builds').stat().st_mode) == 0o730
    assert stat.S_IMODE((root / 'state/builds.json').stat().st_mode) == 0o600

    again = run(capsys, root, {KEY: 1})
    assert not again['changed'] and again['builds'][KEY]['token'] == token

    marker.unlink()  # what the installer's DELETE does
    done = run(capsys, root, {KEY: 1})
    assert done['changed'] and done['builds'][KEY]['state'] == 'installed'
    assert not run(capsys, root, {KEY: 1})['changed']

    rebuild = run(capsys, root, {KEY: 2})
    assert rebuild['builds'][KEY]['state'] == 'pending' and rebuild['builds'][KEY]['token'] != token
    assert os.listdir(root / 'http/builds') == [rebuild['builds'][KEY]['token']]

    gone = run(capsys, root, {})
    assert gone['changed'] and gone['builds'] == {} and os.listdir(root / 'http/builds') == []


def test_a_broken_state_file_fails_naming_it(capsys, root):
    (root / 'state').mkdir()
    (root / 'state/builds.json').write_text('{"x": 1}')
    result = run(capsys, root, {KEY: 1})
    assert result['failed'] and 'builds.json' in result['msg']


@pytest.mark.parametrize('check, failed', [(True, False), (False, True)])
def test_a_missing_group_is_a_prediction_in_check_mode_and_a_failure_otherwise(capsys, root, check, failed):
    result = run(capsys, root, {KEY: 1}, check=check, group='no-such-group-here')
    assert bool(result.get('failed')) is failed
    if check:
        assert result['changed'] and result['builds'][KEY]['state'] == 'pending'
    else:
        assert result['msg'] == "group 'no-such-group-here' does not exist on this host"
    assert not (root / 'http' / 'builds').exists() and not (root / 'state').exists()
