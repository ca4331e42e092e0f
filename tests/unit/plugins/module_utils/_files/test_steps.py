# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os
import stat
import subprocess

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._files.steps import (
    Runner,
    StepError,
    directory,
    discard,
    fresh_directory,
    mounts_under,
    published,
    read_json,
    remove,
    tail,
    write_json,
)


class Module:
    """AnsibleModule.run_command, as far as Runner uses it."""

    def __init__(self):
        self.calls = []

    def run_command(self, argv, data=None, cwd=None, environ_update=None, expand_user_and_vars=True, binary_data=False):
        self.calls.append((argv, data, environ_update, binary_data))
        result = subprocess.run(argv, input=data, cwd=cwd, capture_output=True, text=True,
                                env=dict(os.environ, **environ_update), check=False)
        return result.returncode, result.stdout, result.stderr


def test_run_gives_the_output_and_names_the_step_with_the_last_error_lines():
    module = Module()
    runner = Runner(module)
    assert runner.run('echo', ['sh', '-c', 'cat; echo " $LC_ALL $TMPDIR"'], data='table\n', env={'TMPDIR': '/w'}) == 'table\n C /w\n'
    assert module.calls[0][3] is True  # the script reaches the command as given, no newline added
    script = 'for i in $(seq 1 40); do echo "I: line $i" >&2; done; echo "E: mirror unreachable" >&2; exit 25'
    with pytest.raises(StepError) as raised:
        runner.run('mmdebstrap', ['sh', '-c', script])
    message = str(raised.value)
    assert raised.value.step == 'mmdebstrap'
    assert message.startswith('mmdebstrap: sh failed (exit status 25): I: line 27\n')
    assert message.endswith('I: line 40\nE: mirror unreachable')


def test_tail():
    assert tail(b'a\nb\nc\n', lines=2) == 'b\nc'
    assert tail('') == ''


def test_directories_and_removal(tmp_path):
    target = tmp_path / 'a' / 'b'
    assert directory(str(target)) is True
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o755
    assert directory(str(target)) is False
    os.chmod(target, 0o700)
    assert directory(str(target)) is True
    (tmp_path / 'link').symlink_to(target)
    with pytest.raises(StepError, match='must be a directory, not a symbolic link or a file'):
        directory(str(tmp_path / 'link'))
    (target / 'file').write_text('x')
    fresh_directory(str(target))
    assert os.listdir(target) == [] and stat.S_IMODE(os.stat(target).st_mode) == 0o700
    remove(str(tmp_path / 'link'))
    assert target.is_dir() and not (tmp_path / 'link').exists()
    remove(str(tmp_path / 'a'))
    remove(str(tmp_path / 'absent'))
    assert not (tmp_path / 'a').exists()


def test_a_tree_with_a_mount_inside_is_not_removed(tmp_path, monkeypatch):
    mountinfo = tmp_path / 'mountinfo'
    work = tmp_path / 'work'
    (work / 'root' / 'proc').mkdir(parents=True)
    mountinfo.write_text(f'22 1 0:5 / {work}/root/proc rw - proc proc rw\n30 1 0:6 / {tmp_path}/work2 rw - tmpfs t rw\n')
    assert mounts_under(str(work), str(mountinfo)) == [f'{work}/root/proc']
    assert mounts_under(str(tmp_path / 'wor'), str(mountinfo)) == []
    from ansible_collections.netboot.pxe.plugins.module_utils._files import steps
    monkeypatch.setattr(steps, 'mounts_under', lambda path: mounts_under(path, str(mountinfo)))
    with pytest.raises(StepError, match='holds mounted file systems'):
        remove(str(work))
    discard(str(work))
    assert (work / 'root' / 'proc').is_dir()


def test_json_files(tmp_path):
    path = tmp_path / 'manifest.json'
    write_json(str(path), {'b': 1, 'a': [2]}, 0o600)
    assert path.read_text() == '{\n  "a": [\n    2\n  ],\n  "b": 1\n}\n'
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert read_json(str(path)) == {'a': [2], 'b': 1}
    (tmp_path / 'link.json').symlink_to(path)
    assert read_json(str(tmp_path / 'link.json')) is None
    (tmp_path / 'bad.json').write_text('{')
    assert read_json(str(tmp_path / 'bad.json')) is None


def test_published(tmp_path):
    dest = tmp_path / 'web'
    assert published(str(dest), {'root.tar.zst': 3, 'image.json': None}) == ([], ['image.json', 'root.tar.zst'], True)
    dest.mkdir(mode=0o755)
    os.chmod(dest, 0o755)
    for name, content in (('root.tar.zst', b'abc'), ('image.json', b'{}'), ('.root.tar.zst.x.tmp', b'')):
        (dest / name).write_bytes(content)
        os.chmod(dest / name, 0o644)
    assert published(str(dest), {'root.tar.zst': 3, 'image.json': None}) == (['.root.tar.zst.x.tmp'], [], False)
    os.chmod(dest / 'image.json', 0o600)
    assert published(str(dest), {'root.tar.zst': 4, 'image.json': None})[1] == ['image.json', 'root.tar.zst']
