# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._files.host_files import (
    HostFilesError,
    apply,
    changes,
    diff,
    wanted_files,
)

UID, GID = os.getuid(), os.getgid()
DIRECTORIES = ['hosts', 'answers']
FILES = {'hosts/52-54-00-00-00-01.ipxe': '#!ipxe\necho one\n', 'hosts/52-54-00-00-00-02.ipxe': '#!ipxe\necho two\n'}
SECRETS = {'answers/52-54-00-00-00-01/preseed.cfg': 'd-i passwd/root-password-crypted password $6$x\n'}


def wanted(files=None, secrets=None):
    return wanted_files(DIRECTORIES, FILES if files is None else files, SECRETS if secrets is None else secrets,
                        UID, GID, GID)


def converge(root, files=None, secrets=None):
    """One run: what it did, as (writes, removals)."""
    want = wanted(files, secrets)
    writes, removals = changes(str(root), DIRECTORIES, want)
    apply(str(root), DIRECTORIES, want, writes, removals)
    return writes, removals


def tree(root):
    """Every path under root with its kind and mode: what a run left behind."""
    found = {}
    for current, directories, names in os.walk(root):
        for name in directories + names:
            path = os.path.join(current, name)
            info = os.lstat(path)
            found[os.path.relpath(path, root)] = (stat.S_IFMT(info.st_mode), stat.S_IMODE(info.st_mode))
    return found


def test_first_run_writes_everything_and_the_second_nothing(tmp_path):
    writes, removals = converge(tmp_path)
    assert writes == [('answers/52-54-00-00-00-01/preseed.cfg', 'created'), ('hosts/52-54-00-00-00-01.ipxe', 'created'),
                      ('hosts/52-54-00-00-00-02.ipxe', 'created')]
    assert removals == []
    assert (tmp_path / 'hosts/52-54-00-00-00-02.ipxe').read_text() == '#!ipxe\necho two\n'
    assert tree(tmp_path) == {
        'hosts': (stat.S_IFDIR, 0o755), 'answers': (stat.S_IFDIR, 0o755),
        'answers/52-54-00-00-00-01': (stat.S_IFDIR, 0o755),
        'answers/52-54-00-00-00-01/preseed.cfg': (stat.S_IFREG, 0o640),
        'hosts/52-54-00-00-00-01.ipxe': (stat.S_IFREG, 0o644), 'hosts/52-54-00-00-00-02.ipxe': (stat.S_IFREG, 0o644),
    }
    assert changes(str(tmp_path), DIRECTORIES, wanted()) == ([], [])


def test_a_machine_no_longer_listed_loses_its_files(tmp_path):
    converge(tmp_path)
    writes, removals = converge(tmp_path, files={'hosts/52-54-00-00-00-02.ipxe': FILES['hosts/52-54-00-00-00-02.ipxe']},
                                secrets={})
    assert writes == []
    assert removals == ['answers/52-54-00-00-00-01/preseed.cfg', 'answers/52-54-00-00-00-01',
                        'hosts/52-54-00-00-00-01.ipxe']
    assert sorted(tree(tmp_path)) == ['answers', 'hosts', 'hosts/52-54-00-00-00-02.ipxe']


@pytest.mark.parametrize('tamper, reason', [
    (lambda path: path.write_text('#!ipxe\nshell\n'), 'updated'),
    (lambda path: path.chmod(0o666), 'attributes'),
    (lambda path: (path.unlink(), path.symlink_to('/etc/passwd')), 'replaced'),
    (lambda path: path.unlink(), 'created'),
])
def test_drift_is_repaired(tmp_path, tamper, reason):
    converge(tmp_path)
    target = tmp_path / 'hosts/52-54-00-00-00-01.ipxe'
    tamper(target)
    assert converge(tmp_path)[0] == [('hosts/52-54-00-00-00-01.ipxe', reason)]
    assert not target.is_symlink() and target.read_text() == FILES['hosts/52-54-00-00-00-01.ipxe']
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_a_link_is_never_written_through(tmp_path):
    outside = tmp_path / 'outside.txt'
    outside.write_text('keep\n')
    (tmp_path / 'hosts').mkdir()
    (tmp_path / 'hosts/52-54-00-00-00-01.ipxe').symlink_to(outside)
    (tmp_path / 'hosts/stale.ipxe').symlink_to(outside)
    writes, removals = converge(tmp_path)
    assert ('hosts/52-54-00-00-00-01.ipxe', 'replaced') in writes
    assert removals == ['hosts/stale.ipxe']
    assert outside.read_text() == 'keep\n'


def test_a_linked_directory_is_refused(tmp_path):
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    root = tmp_path / 'root'
    root.mkdir()
    (root / 'answers').symlink_to(elsewhere)
    with pytest.raises(HostFilesError, match='answers must be a directory, not a symbolic link'):
        changes(str(root), DIRECTORIES, wanted())
    assert not list(elsewhere.iterdir())


def test_nothing_outside_the_owned_directories_is_touched(tmp_path):
    (tmp_path / 'menu.ipxe').write_text('menu\n')
    (tmp_path / 'os').mkdir()
    (tmp_path / 'os/linux').write_text('kernel\n')
    converge(tmp_path, files={}, secrets={})
    assert (tmp_path / 'menu.ipxe').read_text() == 'menu\n' and (tmp_path / 'os/linux').exists()


def test_diff_shows_plain_content_but_no_secret(tmp_path):
    converge(tmp_path)
    secrets = {'answers/52-54-00-00-00-01/preseed.cfg': 'd-i passwd/root-password-crypted password $6$NEW\n'}
    files = dict(FILES, **{'hosts/52-54-00-00-00-01.ipxe': '#!ipxe\necho new\n'})
    want = wanted(files, secrets)
    writes, removals = changes(str(tmp_path), DIRECTORIES, want)
    shown = diff(str(tmp_path), want, writes, removals)
    assert {'before_header': 'hosts/52-54-00-00-00-01.ipxe', 'after_header': 'hosts/52-54-00-00-00-01.ipxe',
            'before': '#!ipxe\necho one\n', 'after': '#!ipxe\necho new\n'} in shown
    assert '$6$' not in repr(shown)


TOKEN, NEW_TOKEN = '0123456789abcdef0123456789abcdef', 'fedcba9876543210fedcba9876543210'


def test_diff_shows_secret_scripts_by_name_only_and_tokens_masked(tmp_path):
    # Per-host scripts carry the build's URLs: secret files, like the answer files.
    script = f'#!ipxe\nchain http://10.0.0.2/answers/{TOKEN}/ || exit\n'
    converge(tmp_path, secrets={f'answers/{TOKEN}/preseed.cfg': 'd-i x\n'})
    secrets = {'hosts/52-54-00-00-00-03.ipxe': script, 'hosts/52-54-00-00-00-01.ipxe': script,
               f'answers/{NEW_TOKEN}/preseed.cfg': 'd-i y\n'}
    want = wanted_files(DIRECTORIES, {}, secrets, UID, GID, GID + 1)
    assert want['hosts/52-54-00-00-00-03.ipxe'][1:4] == (0o640, UID, GID + 1)
    writes, removals = changes(str(tmp_path), DIRECTORIES, want)
    shown = diff(str(tmp_path), want, writes, removals)
    assert {'before_header': 'hosts/52-54-00-00-00-03.ipxe', 'after_header': 'hosts/52-54-00-00-00-03.ipxe',
            'before': '', 'after': '(secret, not shown)\n'} in shown
    assert {'before_header': 'hosts/52-54-00-00-00-01.ipxe', 'after_header': 'hosts/52-54-00-00-00-01.ipxe',
            'before': '(secret, not shown)\n', 'after': '(secret, not shown)\n'} in shown
    assert [entry['before_header'] for entry in shown if entry['after'] == '(removed)\n'] == [
        'answers/0123…/preseed.cfg', 'answers/0123…', 'hosts/52-54-00-00-00-02.ipxe']
    assert 'answers/fedc…/preseed.cfg' in [entry['after_header'] for entry in shown]
    assert TOKEN not in repr(shown) and NEW_TOKEN not in repr(shown) and 'echo one' not in repr(shown)


@pytest.mark.parametrize('files, message', [
    ({'../etc/passwd': 'x'}, "files key must be a relative path of names of letters, digits and ._+- (no \"..\", no leading \".\"), got '../etc/passwd'"),
    ({'/etc/passwd': 'x'}, "got '/etc/passwd'"),
    ({'hosts/../x': 'x'}, 'must be a relative path'),
    ({'hosts/.hidden': 'x'}, 'must be a relative path'),
    ({'hosts/a b.ipxe': 'x'}, 'must be a relative path'),
    ({'hosts/a.ipxe\n': 'x'}, 'must be a relative path'),
    ({'hosts': 'x'}, "files key 'hosts' is not inside one of the directories"),
    ({'menu.ipxe': 'x'}, "files key 'menu.ipxe' is not inside one of the directories"),
    ({'hosts/a.ipxe': b'x'}, "files['hosts/a.ipxe'] must be text, got bytes"),
    ({'hosts/a': 'x', 'hosts/a/b': 'y'}, "'hosts/a' is a file and also the directory of 'hosts/a/b'"),
    ({'answers/52-54-00-00-00-01/preseed.cfg': 'x'}, 'is both in files and in secret_files'),
])
def test_refused_file_sets(files, message):
    with pytest.raises(HostFilesError) as error:
        wanted(files)
    assert message in str(error.value)


def test_a_path_given_twice_is_refused():
    with pytest.raises(HostFilesError, match="'hosts/52-54-00-00-00-01.ipxe' is both in files and in secret_files"):
        wanted_files(DIRECTORIES, FILES, {'hosts/52-54-00-00-00-01.ipxe': 'x'}, UID, GID, GID)


def test_a_directory_where_a_file_must_go_is_refused(tmp_path):
    (tmp_path / 'hosts/52-54-00-00-00-01.ipxe').mkdir(parents=True)
    with pytest.raises(HostFilesError, match='is a directory; it cannot become the file'):
        changes(str(tmp_path), DIRECTORIES, wanted())
