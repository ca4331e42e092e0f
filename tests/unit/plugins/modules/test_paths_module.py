# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import grp
import json
import os
import pwd

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.netboot.pxe.plugins.modules import paths

USER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def run(capsys, tmp_path, check=False, diff=False, **args):
    module_args = {'owner': USER, 'group': GROUP, '_ansible_check_mode': check, '_ansible_diff': diff,
                   '_ansible_remote_tmp': str(tmp_path), '_ansible_tmpdir': str(tmp_path)}
    module_args.update(args)
    with patch_module_args(module_args), pytest.raises(SystemExit):
        paths.main()
    return json.loads(capsys.readouterr().out)


def test_check_mode_reports_and_changes_nothing(capsys, tmp_path):
    (tmp_path / 'shimx64.efi').write_text('shim')
    result = run(capsys, tmp_path, check=True, diff=True, directories=[str(tmp_path / 'ipxe')],
                 copies={str(tmp_path / 'ipxe/ipxe.efi'): '/usr/lib/ipxe/not-installed-yet.efi'},
                 absent=[str(tmp_path / 'shimx64.efi')])
    assert result['changed'] and result['created'] == [str(tmp_path / 'ipxe'), str(tmp_path / 'ipxe/ipxe.efi')]
    assert result['removed'] == [str(tmp_path / 'shimx64.efi')] and len(result['diff']) == 3
    assert sorted(os.listdir(tmp_path)) == ['shimx64.efi']


def test_runs_converge_then_change_nothing(capsys, tmp_path):
    (tmp_path / 'source').write_bytes(b'binary')
    args = {'directories': [str(tmp_path / 'tftp')], 'copies': {str(tmp_path / 'tftp/snponly.efi'): str(tmp_path / 'source')},
            'file_mode': '0640'}
    first = run(capsys, tmp_path, **args)
    assert first['changed'] and (tmp_path / 'tftp/snponly.efi').stat().st_mode & 0o777 == 0o640
    second = run(capsys, tmp_path, diff=True, **args)
    assert not second['changed'] and second['diff'] == []


@pytest.mark.parametrize('args, message', [
    ({'owner': 'no-such-user-here'}, "owner 'no-such-user-here' does not exist on this host"),
    ({'file_mode': 'u+rw'}, "file_mode must be an octal mode such as 0755, got 'u+rw'"),
    ({'directories': ['relative']}, "directories[0] must be an absolute path of names of letters, digits and ._+- "
                                    "(no \"..\", no name starting with \".\"), got 'relative'"),
])
def test_bad_input_fails_naming_it(capsys, tmp_path, args, message):
    result = run(capsys, tmp_path, **args)
    assert result['failed'] and result['msg'] == message
