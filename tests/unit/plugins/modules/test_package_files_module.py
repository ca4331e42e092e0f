# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The module package_files with stand-ins for apt-get and apt-cache (a package archive of real
.deb files built by dpkg-deb, the version apt offers in a file), unpacking with the real dpkg-deb."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.netboot.pxe.plugins.module_utils._files.packages import (
    PackageFilesError,
    candidate_version,
    member,
)
from ansible_collections.netboot.pxe.plugins.modules import package_files

pytestmark = pytest.mark.skipif(not shutil.which('dpkg-deb'), reason='needs dpkg-deb')

SHIM = {'package': 'shim-signed', 'path': 'usr/lib/shim/shimx64.efi.signed', 'name': 'shimx64.efi'}
GRUB = {'package': 'grub-efi-amd64-signed', 'path': 'usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed',
        'name': 'grubx64.efi'}
# apt-cache show offers the version in <archive>/<package>.version; apt-get download copies
# <archive>/<package>_<version>.deb; both log their arguments.
APT_CACHE = '''#!/bin/sh
echo "apt-cache $*" >> "{log}"
for last; do :; done
[ -f "{archive}/$last.version" ] || {{ echo "E: No packages found" >&2; exit 100; }}
printf 'Package: %s\\nVersion: %s\\n' "$last" "$(cat "{archive}/$last.version")"
'''
APT_GET = '''#!/bin/sh
echo "apt-get $*" >> "{log}"
for last; do :; done
case "$*" in
  *" update") [ -f "{archive}/unreachable" ] || exit 0
             echo "Err:1 https://mirror.lab/debian trixie InRelease"
             echo "W: Failed to fetch https://mirror.lab/debian/dists/trixie/InRelease  Certificate verification failed" >&2
             exit 0 ;;
  *" download "*) cp "{archive}/$(echo "$last" | tr = _).deb" . ;;
esac
'''


def build_deb(archive, package, version, path, content):
    root = archive / f'build-{package}-{version}'
    (root / 'DEBIAN').mkdir(parents=True)
    (root / 'DEBIAN' / 'control').write_text(f'Package: {package}\nVersion: {version}\nArchitecture: all\n'
                                             f'Maintainer: test <test@example.org>\nDescription: test\n')
    (root / path).parent.mkdir(parents=True)
    (root / path).write_bytes(content)
    subprocess.run(['dpkg-deb', '--root-owner-group', '-b', str(root), str(archive / f'{package}_{version}.deb')],
                   check=True, capture_output=True)
    (archive / f'{package}.version').write_text(version)


@pytest.fixture
def apt(tmp_path, monkeypatch):
    """The archive directory and the call log; shim 1.0 and GRUB 2.12 in the archive."""
    archive, bin_dir, log = tmp_path / 'archive', tmp_path / 'bin', tmp_path / 'calls'
    archive.mkdir()
    bin_dir.mkdir()
    for name, script in (('apt-cache', APT_CACHE), ('apt-get', APT_GET)):
        (bin_dir / name).write_text(script.format(archive=archive, log=log))
        (bin_dir / name).chmod(0o755)
    monkeypatch.setenv('PATH', f'{bin_dir}:{os.environ["PATH"]}')
    build_deb(archive, 'shim-signed', '1.0', SHIM['path'], b'shim 1.0')
    build_deb(archive, 'grub-efi-amd64-signed', '2.12', GRUB['path'], b'grub 2.12')
    for directory in ('tftp', 'http'):
        (tmp_path / directory).mkdir()
    return archive, log


def run(capsys, tmp_path, check=False, **args):
    module_args = {'files': [SHIM, GRUB], 'dest': [str(tmp_path / 'tftp'), str(tmp_path / 'http')],
                   'cache': str(tmp_path / 'cache'), 'apt_dir': str(tmp_path / 'apt'),
                   '_ansible_check_mode': check, '_ansible_diff': True}
    module_args.update(args)
    with patch_module_args(module_args), pytest.raises(SystemExit):
        package_files.main()
    return json.loads(capsys.readouterr().out)


def calls(log):
    return log.read_text().splitlines() if log.exists() else []


def test_unpacks_once_per_version_and_copies_into_every_directory(capsys, tmp_path, apt):
    archive, log = apt
    first = run(capsys, tmp_path)
    assert first['changed'] and first['versions'] == {'shim-signed': '1.0', 'grub-efi-amd64-signed': '2.12'}
    for directory in ('tftp', 'http'):
        assert (tmp_path / directory / 'shimx64.efi').read_bytes() == b'shim 1.0'
        assert (tmp_path / directory / 'grubx64.efi').read_bytes() == b'grub 2.12'
        assert stat.S_IMODE(os.stat(tmp_path / directory / 'shimx64.efi').st_mode) == 0o644
    assert (tmp_path / 'cache' / 'shim-signed' / '1.0' / 'shimx64.efi').read_bytes() == b'shim 1.0'
    assert len([call for call in calls(log) if ' download ' in call]) == 2
    log.unlink()
    second = run(capsys, tmp_path)
    assert (second['changed'], second['unpacked'], second['copied'], second['diff']) == (False, [], [], [])
    assert all(' download ' not in call and ' update' not in call for call in calls(log))


def test_a_new_version_is_unpacked_beside_the_old_and_replaces_the_copies(capsys, tmp_path, apt):
    archive, _log = apt
    run(capsys, tmp_path)
    build_deb(archive, 'shim-signed', '1.1', SHIM['path'], b'shim 1.1')
    result = run(capsys, tmp_path)
    assert result['unpacked'] == [str(tmp_path / 'cache' / 'shim-signed' / '1.1' / 'shimx64.efi')]
    assert result['copied'] == [str(tmp_path / 'tftp' / 'shimx64.efi'), str(tmp_path / 'http' / 'shimx64.efi')]
    assert (tmp_path / 'tftp' / 'shimx64.efi').read_bytes() == b'shim 1.1'
    assert (tmp_path / 'cache' / 'shim-signed' / '1.0' / 'shimx64.efi').exists()


def test_a_changed_copy_or_a_link_is_put_back_without_writing_through(capsys, tmp_path, apt):
    run(capsys, tmp_path)
    outside = tmp_path / 'outside'
    outside.write_bytes(b'keep')
    (tmp_path / 'tftp' / 'shimx64.efi').unlink()
    (tmp_path / 'tftp' / 'shimx64.efi').symlink_to(outside)
    (tmp_path / 'http' / 'grubx64.efi').write_bytes(b'changed by hand')
    result = run(capsys, tmp_path)
    assert sorted(result['copied']) == [str(tmp_path / 'http' / 'grubx64.efi'), str(tmp_path / 'tftp' / 'shimx64.efi')]
    assert outside.read_bytes() == b'keep' and not (tmp_path / 'tftp' / 'shimx64.efi').is_symlink()
    assert (tmp_path / 'http' / 'grubx64.efi').read_bytes() == b'grub 2.12'


def test_private_lists_of_another_release(capsys, tmp_path, apt):
    _archive, log = apt
    keyring = tmp_path / 'archive-keyring.gpg'
    keyring.write_bytes(b'keys')
    result = run(capsys, tmp_path, suite='trixie', mirror='http://mirror.lab/debian', keyring=str(keyring))
    apt_dir = tmp_path / 'apt'
    # Only that keyring signs the private source (not any key the host trusts for its own sources).
    assert result['changed'] and (apt_dir / 'sources.list').read_text() == \
        f'deb [signed-by={keyring}] http://mirror.lab/debian trixie main\n'
    assert stat.S_IMODE(os.stat(apt_dir / 'lists' / 'partial').st_mode) == 0o700
    options = f'-o Dir::Etc::SourceList={apt_dir}/sources.list -o Dir::Etc::SourceParts=/nonexistent'
    assert all(options in call for call in calls(log))
    assert any(call.endswith(' update') for call in calls(log))
    log.unlink()
    again = run(capsys, tmp_path, suite='trixie', mirror='http://mirror.lab/debian', keyring=str(keyring))
    # The lists are updated on every run; an update alone is no change.
    assert again['changed'] is False and any(call.endswith(' update') for call in calls(log))


def test_lists_apt_could_not_fetch_fail_naming_the_mirror(capsys, tmp_path, apt):
    archive, _log = apt
    (archive / 'unreachable').write_text('')
    keyring = tmp_path / 'archive-keyring.gpg'
    keyring.write_bytes(b'keys')
    result = run(capsys, tmp_path, suite='trixie', mirror='https://mirror.lab/debian', keyring=str(keyring))
    assert result['failed'] and result['msg'].startswith('apt-get update of the private lists from https://mirror.lab/debian '
                                                         'failed: Err:1 https://mirror.lab/debian trixie InRelease; W: Failed')
    assert 'Certificate verification failed' in result['msg']
    assert os.listdir(tmp_path / 'tftp') == []


def test_a_private_source_without_signed_by_is_rewritten(capsys, tmp_path, apt):
    """A sources.list of an earlier version (any key the host trusts signs it) gets signed-by."""
    keyring = tmp_path / 'archive-keyring.gpg'
    keyring.write_bytes(b'keys')
    args = {'suite': 'trixie', 'mirror': 'https://deb.debian.org/debian', 'keyring': str(keyring)}
    run(capsys, tmp_path, **args)
    sources = tmp_path / 'apt' / 'sources.list'
    sources.write_text('deb https://deb.debian.org/debian trixie main\n')
    result = run(capsys, tmp_path, **args)
    assert result['changed'] and result['copied'] == [] and result['unpacked'] == []
    assert sources.read_text() == f'deb [signed-by={keyring}] https://deb.debian.org/debian trixie main\n'
    assert result['diff'][0]['before'] == 'deb https://deb.debian.org/debian trixie main\n'


def test_the_private_source_takes_debians_archive_keyring_by_default(capsys, tmp_path, apt):
    # Check mode: the file is only predicted (its diff), whether or not this host has the keyring.
    result = run(capsys, tmp_path, check=True, suite='trixie')
    assert [entry['after'] for entry in result['diff'] if entry['after_header'].endswith('/sources.list')] == \
        ['deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] https://deb.debian.org/debian trixie main\n']


def test_a_missing_keyring_fails_before_any_change(capsys, tmp_path, apt):
    _archive, log = apt
    missing = tmp_path / 'no-keyring.gpg'
    result = run(capsys, tmp_path, suite='trixie', keyring=str(missing))
    assert result['failed'] and f'keyring {missing} must be an existing keyring file' in result['msg']
    assert 'debian-archive-keyring' in result['msg']
    assert calls(log) == [] and not (tmp_path / 'apt').exists()


def test_check_mode_on_a_fresh_host_predicts_and_writes_nothing(capsys, tmp_path, apt, module_warnings):
    _archive, log = apt
    shutil.rmtree(tmp_path / 'http')
    result = run(capsys, tmp_path, check=True)
    assert result['changed'] and len(result['unpacked']) == 2 and len(result['copied']) == 4
    assert not (tmp_path / 'cache').exists() and os.listdir(tmp_path / 'tftp') == []
    assert all(' download ' not in call for call in calls(log))
    # With private lists not made yet apt cannot tell the versions: a warning, still a prediction.
    result = run(capsys, tmp_path, check=True, suite='trixie', files=[dict(SHIM, package='not-in-lists')])
    assert result['changed'] and 'cannot tell the version of not-in-lists' in ' '.join(module_warnings)
    assert not (tmp_path / 'apt').exists()
    assert all(not call.endswith(' update') for call in calls(log))


def test_a_real_run_fails_on_what_check_mode_only_predicts(capsys, tmp_path, apt):
    result = run(capsys, tmp_path, files=[dict(SHIM, package='not-in-lists')])
    assert result['failed'] and 'apt-cache' in result['msg'] and os.listdir(tmp_path / 'tftp') == []
    result = run(capsys, tmp_path, dest=[str(tmp_path / 'missing')])
    assert result['failed'] and f'dest {tmp_path / "missing"} must be an existing directory' in result['msg']


@pytest.mark.parametrize('args, message', [
    ({'files': []}, 'files must be a non-empty list'),
    ({'files': [dict(SHIM, package='Shim Signed')]}, "files[0].package must be a Debian package name, got 'Shim Signed'"),
    ({'files': [dict(SHIM, path='/usr/lib/shim/shimx64.efi.signed')]}, 'files[0].path must be a relative path'),
    ({'files': [dict(SHIM, path='usr/../etc/shadow')]}, 'files[0].path must be a relative path'),
    ({'files': [dict(SHIM, name='../shimx64.efi')]}, "files[0].name must be a file name, got '../shimx64.efi'"),
    ({'files': [SHIM, dict(GRUB, name='shimx64.efi')]}, "files[1].name 'shimx64.efi' is given twice"),
    ({'suite': 'trixie\nmain'}, 'suite must be a release name like trixie'),
    ({'suite': 'trixie', 'mirror': 'http://mirror.lab/debian main\ndeb http://evil/'}, 'mirror must be the http(s) URL'),
    ({'dest': ['/srv/../etc']}, "dest[0] must be an absolute path of plain names, got '/srv/../etc'"),
    ({'suite': 'trixie', 'keyring': '/k.gpg] http://evil/debian trixie main\ndeb [trusted=yes'},
     "keyring must be the absolute path of a keyring file, got '/k.gpg] http://evil/"),
    ({'suite': 'trixie', 'keyring': '/k.gpg,/etc/apt/trusted.gpg'}, 'keyring must be the absolute path of a keyring file'),
    ({'suite': 'trixie', 'keyring': 'keyrings/debian.gpg'}, "keyring must be the absolute path of a keyring file, got 'keyrings/debian.gpg'"),
])
def test_bad_input_fails_naming_it_before_any_change(capsys, tmp_path, apt, args, message):
    _archive, log = apt
    result = run(capsys, tmp_path, **args)
    assert result['failed'] and message in result['msg']
    assert calls(log) == [] and not (tmp_path / 'cache').exists()


def test_member_and_version_parsing(tmp_path, apt):
    archive, _log = apt
    data = subprocess.run(['dpkg-deb', '--fsys-tarfile', str(archive / 'shim-signed_1.0.deb')], check=True,
                          capture_output=True).stdout
    assert member(data, SHIM['path']) == b'shim 1.0'
    with pytest.raises(PackageFilesError, match='has no file usr/lib/shim/other'):
        member(data, 'usr/lib/shim/other')
    with pytest.raises(PackageFilesError, match='is not a regular file'):
        member(data, 'usr/lib/shim')
    assert candidate_version('Package: shim-signed\nVersion: 1.47+15.8-1\n', 'shim-signed') == '1.47+15.8-1'
    with pytest.raises(PackageFilesError, match='apt knows no version of shim-signed'):
        candidate_version('', 'shim-signed')
