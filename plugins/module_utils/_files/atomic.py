# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Write a file atomically and read one without following a symbolic link.

A new file is written under a private temporary name in its directory, gets its owner, group and
mode, is synced to disk, then takes its name with one rename: a reader sees the old file or the
new one, never a part, and a symbolic link at the name is replaced, never written through.

Private module: its API may change without notice.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile


@contextlib.contextmanager
def replacing(path):
    """Yield ``(handle, temporary path)`` of a new private file (mode 0600, created exclusively,
    never through a symbolic link) in the directory of ``path``, open for writing bytes.

    When the block ends, the file is synced to disk and renamed over ``path``; when it raises,
    the file is removed.
    """
    directory, name = os.path.split(path)
    descriptor, temporary = tempfile.mkstemp(dir=directory or '.', prefix=f'.{name[:64]}.', suffix='.tmp')
    try:
        with os.fdopen(descriptor, 'wb') as handle:
            yield handle, temporary
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.lexists(temporary):
            os.unlink(temporary)
        raise


def write_file(path, content, mode, uid=None, gid=None):
    """Replace ``path`` atomically with the bytes ``content``, mode ``mode`` and, when given, owner
    ``uid`` and group ``gid``: the file has them before it has the name."""
    with replacing(path) as (handle, _temporary):
        handle.write(content)
        if uid is not None or gid is not None:
            os.fchown(handle.fileno(), -1 if uid is None else uid, -1 if gid is None else gid)
        os.fchmod(handle.fileno(), mode)


def read_nofollow(path):
    """The bytes and stat of a regular file at ``path``, or None for anything else (missing, link, directory)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode):
        os.close(descriptor)
        return None
    with os.fdopen(descriptor, 'rb') as handle:
        return handle.read(), info
