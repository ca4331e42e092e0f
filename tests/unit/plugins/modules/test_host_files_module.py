# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import stat

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.netboot.pxe.plugins.modules import host_files

USER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name
SECRET = 'd-i passwd/root-password-crypted password $6$salt$hash\n'


def run(capsys, tmp_path, check=False, diff=False, **args):
    module_args = {'path': str(tmp_path), 'directories': ['hosts', 'answers'], 'owner': USER, 'group': GROUP,
                   'secret_group': GROUP, '_ansible_check_mode': check, '_ansible_diff': diff,
                   '_ansible_remote_tmp': str(tmp_path), '_ansible_tmpdir': str(tmp_path)}
    module_args.update(args)
    with patch_module_args(module_args), pytest.raises(SystemExit):
        host_files.main()
    return json.loads(capsys.readouterr().out)


FILES = {'hosts/52-54-00-00-00-01.ipxe': '#!ipxe\necho one\n'}
SECRETS = {'answers/52-54-00-00-00-01/preseed.cfg': SECRET}


def test_check_mode_reports_and_writes_nothing(capsys, tmp_path):
    (tmp_path / 'hosts').mkdir()
    (tmp_path / 'hosts/gone.ipxe').write_text('#!ipxe\n')
    result = run(capsys, tmp_path, check=True, diff=True, files=FILES, secret_files=SECRETS)
    assert result['changed'] and result['created'] == sorted(list(FILES) + list(SECRETS))
    assert result['removed'] == ['hosts/gone.ipxe']
    assert sorted(os.listdir(tmp_path)) == ['hosts'] and os.listdir(tmp_path / 'hosts') == ['gone.ipxe']
    assert '$6$' not in json.dumps(result)


def test_runs_converge_then_change_nothing(capsys, tmp_path):
    first = run(capsys, tmp_path, files=FILES, secret_files=SECRETS)
    assert first['changed'] and (tmp_path / 'answers/52-54-00-00-00-01/preseed.cfg').read_text() == SECRET
    second = run(capsys, tmp_path, diff=True, files=FILES, secret_files=SECRETS)
    assert not second['changed'] and second['diff'] == []


def test_an_unknown_group_fails_before_any_change(capsys, tmp_path):
    result = run(capsys, tmp_path, files=FILES, secret_group='no-such-group-here')
    assert result['failed'] and result['msg'] == "secret_group 'no-such-group-here' does not exist on this host"
    assert os.listdir(tmp_path) == []


def test_check_mode_on_a_fresh_server_reports_every_file_without_the_group(capsys, tmp_path):
    # Before nginx is installed, its group does not exist: check mode predicts, a real run fails.
    result = run(capsys, tmp_path, check=True, files=FILES, secret_files=SECRETS, group='no-such-group-here',
                 secret_group='no-such-group-here')
    assert not result.get('failed') and result['changed']
    assert result['created'] == sorted(list(FILES) + list(SECRETS))
    assert os.listdir(tmp_path) == []


def test_check_mode_predicts_a_root_an_earlier_task_makes(capsys, tmp_path):
    root = tmp_path / 'srv'
    result = run(capsys, tmp_path, check=True, diff=True, path=str(root), files=FILES, secret_files=SECRETS)
    assert not result.get('failed') and result['created'] == sorted(list(FILES) + list(SECRETS)) and result['removed'] == []
    assert '$6$' not in json.dumps(result) and not root.exists()
    # A real run needs the root; so does check mode when a file stands there.
    assert run(capsys, tmp_path, path=str(root), files=FILES)['msg'] == f'path {root} must be an existing directory'
    root.write_text('')
    assert run(capsys, tmp_path, check=True, path=str(root), files=FILES)['msg'] == f'path {root} must be an existing directory'


def test_a_bad_path_fails_naming_it(capsys, tmp_path):
    result = run(capsys, tmp_path, files={'hosts/../../etc/cron.d/x': '* * * * * root id\n'})
    assert result['failed'] and "'hosts/../../etc/cron.d/x'" in result['msg']


GRUB = {'grub/hosts/52-54-00-00-00-01.cfg': 'exit\n', 'grub/hosts/52-54-00-00-00-02.cfg': 'if true; then\nexit\n'}


@pytest.mark.skipif(not shutil.which('grub-script-check'), reason='needs grub-script-check (grub-common)')
def test_a_file_its_checker_refuses_changes_nothing(capsys, tmp_path):
    (tmp_path / 'grub/hosts').mkdir(parents=True)
    (tmp_path / 'grub/hosts/gone.cfg').write_text('exit\n')
    result = run(capsys, tmp_path, directories=['grub/hosts'], files=GRUB, validate='grub-script-check %s')
    assert result['failed'] and result['msg'].startswith("grub/hosts/52-54-00-00-00-02.cfg: refused by 'grub-script-check %s'")
    assert os.listdir(tmp_path / 'grub/hosts') == ['gone.cfg']
    good = {path: 'exit\n' for path in GRUB}
    result = run(capsys, tmp_path, directories=['grub/hosts'], files=good, validate='grub-script-check %s')
    assert result['changed'] and sorted(os.listdir(tmp_path / 'grub/hosts')) == ['52-54-00-00-00-01.cfg', '52-54-00-00-00-02.cfg']


def test_validate_needs_the_path(capsys, tmp_path):
    result = run(capsys, tmp_path, files=FILES, validate='true')
    assert result['failed'] and result['msg'] == "validate must contain %s (the path of the file to check), got 'true'"
    assert os.listdir(tmp_path) == []


TOKEN = '0123456789abcdef0123456789abcdef'


def test_secret_files_and_tokens_are_never_in_the_output(capsys, tmp_path):
    script = {'hosts/52-54-00-00-00-02.ipxe': f'#!ipxe\nchain http://10.0.0.2/builds/{TOKEN}\n'}
    secrets = dict(script, **{f'answers/{TOKEN}/preseed.cfg': SECRET})
    for check in (True, False):
        result = run(capsys, tmp_path, check=check, diff=True, files=FILES, secret_files=secrets)
        assert result['changed'] and result['created'] == ['answers/0123…/preseed.cfg', 'hosts/52-54-00-00-00-01.ipxe',
                                                           'hosts/52-54-00-00-00-02.ipxe']
        # Not in the result, the diff or the module's arguments it reports (invocation).
        assert TOKEN not in json.dumps(result) and '$6$' not in json.dumps(result), result
    written = tmp_path / 'hosts/52-54-00-00-00-02.ipxe'
    assert written.read_text() == script['hosts/52-54-00-00-00-02.ipxe'] and stat.S_IMODE(written.stat().st_mode) == 0o640
    gone = run(capsys, tmp_path, diff=True, files=FILES)
    assert gone['removed'] == ['answers/0123…/preseed.cfg', 'answers/0123…', 'hosts/52-54-00-00-00-02.ipxe']
    assert TOKEN not in json.dumps(gone)


def test_a_failure_names_no_token(capsys, tmp_path):
    (tmp_path / f'answers/{TOKEN}/preseed.cfg').mkdir(parents=True)
    result = run(capsys, tmp_path, secret_files={f'answers/{TOKEN}/preseed.cfg': SECRET})
    assert result['failed'] and 'answers/0123…/preseed.cfg is a directory' in result['msg']
    assert TOKEN not in json.dumps(result)


@pytest.mark.skipif(not shutil.which('grub-script-check'), reason='needs grub-script-check (grub-common)')
def test_secret_files_are_checked_too(capsys, tmp_path):
    result = run(capsys, tmp_path, directories=['grub/hosts'], secret_files=GRUB, validate='grub-script-check %s')
    assert result['failed'] and result['msg'].startswith("grub/hosts/52-54-00-00-00-02.cfg: refused by 'grub-script-check %s'")
    assert 'if true' not in json.dumps(result) and os.listdir(tmp_path) == []
