# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import grp
import json
import os
import shutil
import stat
import subprocess

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.netboot.pxe.plugins.module_utils._boot.builds import marker_content
from ansible_collections.netboot.pxe.plugins.modules import build_state

GROUP = grp.getgrgid(os.getgid()).gr_name
KEY = '52-54-00-00-00-0a'


def run(capsys, tmp_path, hosts, check=False, group=GROUP, renew=None):
    module_args = {'path': str(tmp_path / 'http'), 'hosts': hosts, 'state_file': str(tmp_path / 'state/builds.json'),
                   'group': group, 'renew': renew or [], '_ansible_check_mode': check, '_ansible_diff': True,
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


def test_a_failure_names_the_machine_but_not_its_token(capsys, root):
    token = '0123456789abcdef0123456789abcdef'
    (root / 'state').mkdir()
    (root / 'state/builds.json').write_text(json.dumps({KEY: {'build': 1, 'token': token, 'state': 'done', 'since': 'x'}}))
    result = run(capsys, root, {KEY: 1})
    assert result['failed'] and KEY in result['msg'] and '0123…' in result['msg']
    assert token not in json.dumps(result)


@pytest.mark.parametrize('check, failed', [(True, False), (False, True)])
def test_a_missing_group_is_a_prediction_in_check_mode_and_a_failure_otherwise(capsys, root, check, failed):
    result = run(capsys, root, {KEY: 1}, check=check, group='no-such-group-here')
    assert bool(result.get('failed')) is failed
    if check:
        assert result['changed'] and result['builds'][KEY]['state'] == 'pending'
    else:
        assert result['msg'] == "group 'no-such-group-here' does not exist on this host"
    assert not (root / 'http' / 'builds').exists() and not (root / 'state').exists()


@pytest.mark.skipif(not shutil.which('grub-editenv'), reason='needs grub-editenv (grub-common)')
def test_the_marker_is_a_grub_environment_block_that_names_the_token(capsys, root):
    token = run(capsys, root, {KEY: 1})['builds'][KEY]['token']
    marker = root / 'http/builds' / token
    assert marker.read_bytes() == marker_content(token) and stat.S_IMODE(marker.stat().st_mode) == 0o640
    # GRUB's own tool reads it as GRUB's load_env does.
    listed = subprocess.run(['grub-editenv', str(marker), 'list'], capture_output=True, text=True, check=True).stdout
    assert listed == f'netboot_pending={token}\n'


def test_a_marker_with_other_content_is_rewritten(capsys, root):
    token = run(capsys, root, {KEY: 1})['builds'][KEY]['token']
    marker = root / 'http/builds' / token
    marker.write_bytes(b'')  # as the markers of 0.4 were
    result = run(capsys, root, {KEY: 1})
    assert result['changed'] and result['builds'][KEY] == {**result['builds'][KEY], 'token': token, 'state': 'pending'}
    assert marker.read_bytes() == marker_content(token)
    assert not run(capsys, root, {KEY: 1})['changed']


def test_renew_gives_a_new_token_and_keeps_the_number(capsys, root):
    token = run(capsys, root, {KEY: 1})['builds'][KEY]['token']
    (root / 'http/builds' / token).unlink()
    assert run(capsys, root, {KEY: 1})['builds'][KEY]['state'] == 'installed'

    renewed = run(capsys, root, {KEY: 1}, renew=[KEY])
    new = renewed['builds'][KEY]
    assert renewed['changed'] and new['state'] == 'pending' and new['build'] == 1 and new['token'] != token
    assert renewed['events'] == [f'{KEY}: build 1 pending again under a new token (was installed)']
    assert os.listdir(root / 'http/builds') == [new['token']]
    assert not run(capsys, root, {KEY: 1})['changed']


def test_renew_of_a_machine_not_listed_fails(capsys, root):
    result = run(capsys, root, {KEY: 1}, renew=['52-54-00-00-00-0b'])
    assert result['failed'] and result['msg'] == 'renew: 52-54-00-00-00-0b is not among the machines that install (hosts)'
