# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._files.paths import PathsError, apply, changes, diff, wanted_paths

UID, GID = os.getuid(), os.getgid()


@pytest.mark.parametrize('directories, copies, absent, message', [
    (['srv/tftp'], {}, [], "directories[0] must be an absolute path"),
    (['/srv/../etc'], {}, [], "directories[0] must be an absolute path"),
    (['/srv/tftp/'], {}, [], "directories[0] must be an absolute path"),
    ([], {'/srv/tftp/a': 'a'}, [], "copies['/srv/tftp/a'] must be an absolute path"),
    ([], {'/srv/.hidden': '/usr/lib/a'}, [], "copies key '/srv/.hidden' must be an absolute path"),
    ([], {}, ['/srv/tftp\n'], "absent[0] must be an absolute path"),
    (['/srv/tftp'], {}, ['/srv/tftp'], '/srv/tftp is both in directories and in absent'),
    (['/srv/tftp'], {'/srv/tftp': '/usr/lib/a'}, [], '/srv/tftp is both in directories and in copies'),
    (['/srv/tftp/grub'], {}, ['/srv/tftp'], '/srv/tftp/grub (in directories) is inside /srv/tftp, which is in absent'),
])
def test_refused_before_anything_is_looked_at(directories, copies, absent, message):
    with pytest.raises(PathsError, match='^' + message.replace('[', r'\[').replace(']', r'\]').replace('(', r'\(')
                       .replace(')', r'\)')):
        wanted_paths(directories, copies, absent)


def converge(tmp_path, directories=(), copies=None, absent=(), predict=False):
    pairs = wanted_paths(list(directories), copies or {}, list(absent))
    todo = changes(list(directories), pairs, list(absent), UID, GID, predict=predict)
    apply(todo, pairs, UID, GID)
    return todo


@pytest.fixture
def source(tmp_path):
    (tmp_path / 'lib').mkdir()
    (tmp_path / 'lib/undionly.kpxe').write_bytes(b'\x55\xaa binary')
    return str(tmp_path / 'lib/undionly.kpxe')


def test_first_run_makes_everything_second_changes_nothing(tmp_path, source):
    root = str(tmp_path / 'srv/tftp')
    directories = [root, root + '/ipxe']
    copies = {root + '/undionly.kpxe': source, root + '/ipxe/undionly.kpxe': source}
    first = converge(tmp_path, directories, copies)
    assert [(kind, reason) for kind, _path, reason in first] == [('directory', 'created')] * 2 + [('copy', 'created')] * 2
    assert (tmp_path / 'srv/tftp/ipxe/undionly.kpxe').read_bytes() == b'\x55\xaa binary'
    assert oct(os.stat(root + '/undionly.kpxe').st_mode & 0o777) == '0o644'
    assert oct(os.stat(root).st_mode & 0o777) == '0o755'
    assert converge(tmp_path, directories, copies) == []


@pytest.mark.parametrize('before, reason', [
    (lambda path: path.write_bytes(b'old'), 'updated'),
    (lambda path: (path.write_bytes(b'\x55\xaa binary'), path.chmod(0o600)), 'attributes'),
    (lambda path: path.symlink_to('/etc/hostname'), 'updated'),
])
def test_a_copy_that_differs_is_rewritten_without_following_links(tmp_path, source, before, reason):
    (tmp_path / 'srv').mkdir()
    dest = tmp_path / 'srv/undionly.kpxe'
    before(dest)
    todo = converge(tmp_path, copies={str(dest): source})
    assert todo == [('copy', str(dest), reason)]
    assert not dest.is_symlink() and dest.read_bytes() == b'\x55\xaa binary' and dest.stat().st_mode & 0o777 == 0o644


def test_absent_removes_files_links_and_whole_directories(tmp_path):
    (tmp_path / 'grub/fonts').mkdir(parents=True)
    (tmp_path / 'grub/fonts/unicode.pf2').write_text('font')
    (tmp_path / 'shimx64.efi').write_text('shim')
    (tmp_path / 'link').symlink_to(tmp_path / 'grub')
    absent = [str(tmp_path / name) for name in ('grub', 'shimx64.efi', 'link', 'never-there')]
    todo = converge(tmp_path, absent=absent)
    assert [path for _kind, path, _reason in todo] == absent[:3]
    assert os.listdir(tmp_path) == []


def test_a_missing_source_fails_before_anything_changes(tmp_path):
    with pytest.raises(PathsError, match='^copies source .*/lib/none does not exist$'):
        converge(tmp_path, [str(tmp_path / 'made')], {str(tmp_path / 'x'): str(tmp_path / 'lib/none')})
    assert os.listdir(tmp_path) == []


def test_check_mode_predicts_the_copy_of_a_source_not_installed_yet(tmp_path):
    pairs = wanted_paths([], {str(tmp_path / 'x'): str(tmp_path / 'lib/none')}, [])
    assert changes([], pairs, [], UID, GID, predict=True) == [('copy', str(tmp_path / 'x'), 'created')]


@pytest.mark.parametrize('make', [lambda path: path.write_text('file'), lambda path: path.symlink_to('/tmp')])
def test_a_file_or_link_where_a_directory_must_be_fails(tmp_path, make):
    make(tmp_path / 'tftp')
    with pytest.raises(PathsError, match='must be a directory, not a symbolic link or a file$'):
        changes([str(tmp_path / 'tftp')], [], [], UID, GID)


def test_a_directory_where_a_copy_must_be_fails(tmp_path, source):
    (tmp_path / 'dest').mkdir()
    with pytest.raises(PathsError, match='is a directory; it cannot become a copy of'):
        changes([], [(str(tmp_path / 'dest'), source)], [], UID, GID)


def test_diff_names_each_change(tmp_path, source):
    (tmp_path / 'gone').write_text('x')
    pairs = [(str(tmp_path / 'copy'), source)]
    todo = changes([str(tmp_path / 'dir')], pairs, [str(tmp_path / 'gone')], UID, GID)
    assert [(entry['before_header'], entry['before'], entry['after']) for entry in diff(todo, pairs)] == [
        (str(tmp_path / 'gone'), '(present)\n', '(removed)\n'),
        (str(tmp_path / 'dir'), '', '(directory)\n'),
        (str(tmp_path / 'copy'), '', f'(copy of {source})\n'),
    ]
