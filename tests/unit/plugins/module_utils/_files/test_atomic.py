# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._files.atomic import read_nofollow, replacing, write_file


def test_write_file_gives_content_mode_and_owner(tmp_path):
    path = tmp_path / 'file'
    write_file(str(path), b'content\n', 0o640, os.geteuid(), os.getegid())
    info = path.stat()
    assert path.read_bytes() == b'content\n'
    assert (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) == (0o640, os.geteuid(), os.getegid())
    assert os.listdir(tmp_path) == ['file']


def test_write_file_without_owner_keeps_the_writers(tmp_path):
    path = tmp_path / 'file'
    write_file(str(path), b'x', 0o600)
    assert (stat.S_IMODE(path.stat().st_mode), path.stat().st_uid) == (0o600, os.geteuid())


def test_write_file_replaces_a_link_never_writes_through_it(tmp_path):
    victim = tmp_path / 'victim'
    victim.write_bytes(b'do not touch')
    path = tmp_path / 'file'
    path.symlink_to(victim)
    write_file(str(path), b'new', 0o644)
    assert not path.is_symlink() and path.read_bytes() == b'new'
    assert victim.read_bytes() == b'do not touch'


def test_replacing_hands_a_private_file_next_to_the_name(tmp_path):
    path = tmp_path / 'file'
    path.write_bytes(b'old')
    with replacing(str(path)) as (handle, temporary):
        assert os.path.dirname(temporary) == str(tmp_path)
        assert stat.S_IMODE(os.stat(temporary).st_mode) == 0o600
        handle.write(b'new')
        assert path.read_bytes() == b'old'   # the name changes only at the end
    assert path.read_bytes() == b'new'
    assert os.listdir(tmp_path) == ['file']


def test_replacing_leaves_the_old_file_when_the_block_fails(tmp_path):
    path = tmp_path / 'file'
    path.write_bytes(b'old')
    with pytest.raises(RuntimeError):
        with replacing(str(path)) as (handle, _temporary):
            handle.write(b'half')
            raise RuntimeError('stop')
    assert path.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['file']


def test_read_nofollow(tmp_path):
    (tmp_path / 'file').write_bytes(b'data')
    (tmp_path / 'link').symlink_to(tmp_path / 'file')
    os.mkfifo(tmp_path / 'fifo')
    content, info = read_nofollow(str(tmp_path / 'file'))
    assert content == b'data' and stat.S_ISREG(info.st_mode)
    assert [read_nofollow(str(tmp_path / name)) for name in ('link', 'fifo', 'missing', '.')] == [None, None, None, None]
