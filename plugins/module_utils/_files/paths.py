# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Many paths made right in one pass: directories present, files that are copies of files
already on the host, paths absent. What differs is changed (a copy atomically); nothing else
is touched. Symbolic links are never followed where the result goes.

Private module: its API may change without notice.
"""

from __future__ import annotations

import os
import shutil
import stat

from ansible_collections.netboot.pxe.plugins.module_utils._files.atomic import write_file
from ansible_collections.netboot.pxe.plugins.module_utils._validate import ABSOLUTE_PATH

# An absolute path: the names host_files takes, each after a "/" (no "//").


class PathsError(Exception):
    """A set of paths that cannot be made right safely."""


def check_absolute(where, value):
    if not isinstance(value, str) or not ABSOLUTE_PATH.fullmatch(value):
        raise PathsError(f'{where} must be an absolute path of names of letters, digits and ._+- '
                         f'(no "..", no name starting with "."), got {value!r}')
    return value


def wanted_paths(directories, copies, absent):
    """Check the three lists; ``copies`` as [(dest, src)]. A path may be in one of them only."""
    seen = {}
    for name, paths in (('directories', directories), ('absent', absent)):
        for index, path in enumerate(paths):
            check_absolute(f'{name}[{index}]', path)
            if path in seen:
                raise PathsError(f'{path} is both in {seen[path]} and in {name}')
            seen[path] = name
    pairs = []
    for dest, src in sorted(copies.items()):
        check_absolute(f'copies key {dest!r}', dest)
        check_absolute(f'copies[{dest!r}]', src)
        if dest in seen:
            raise PathsError(f'{dest} is both in {seen[dest]} and in copies')
        seen[dest] = 'copies'
        pairs.append((dest, src))
    for path in absent:
        for other, name in seen.items():
            if name != 'absent' and other.startswith(path + '/'):
                raise PathsError(f'{other} (in {name}) is inside {path}, which is in absent')
    return pairs


def _lstat(path):
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def _source(src):
    """The bytes of the regular file ``src`` (links followed: packages install some as links)."""
    try:
        with open(src, 'rb') as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise PathsError(f'copies source {src} is not a regular file')
            return handle.read()
    except FileNotFoundError:
        raise PathsError(f'copies source {src} does not exist') from None


def _differs(info, mode, uid, gid):
    return (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) != (mode, uid, gid)


def changes(directories, copies, absent, uid, gid, directory_mode=0o755, file_mode=0o644, predict=False):
    """What to do, as [(kind, path, reason)]: kind ``absent``, ``directory`` or ``copy``; reason
    ``created``, ``updated``, ``attributes`` or ``removed``. Sources are read here: a missing one
    fails before anything changes, unless ``predict`` (check mode, where the package that brings
    it may not be installed yet): then its copy is reported as a change."""
    todo = [('absent', path, 'removed') for path in absent if _lstat(path) is not None]
    for path in directories:
        info = _lstat(path)
        if info is None:
            todo.append(('directory', path, 'created'))
        elif not stat.S_ISDIR(info.st_mode):
            raise PathsError(f'{path} must be a directory, not a symbolic link or a file')
        elif _differs(info, directory_mode, uid, gid):
            todo.append(('directory', path, 'attributes'))
    for dest, src in copies:
        info = _lstat(dest)
        if predict and not os.path.exists(src):
            todo.append(('copy', dest, 'created' if info is None else 'updated'))
            continue
        content = _source(src)
        if info is None:
            todo.append(('copy', dest, 'created'))
        elif stat.S_ISDIR(info.st_mode):
            raise PathsError(f'{dest} is a directory; it cannot become a copy of {src}')
        elif not stat.S_ISREG(info.st_mode):
            todo.append(('copy', dest, 'updated'))
        else:
            with open(dest, 'rb') as handle:
                same = handle.read() == content
            if not same:
                todo.append(('copy', dest, 'updated'))
            elif _differs(info, file_mode, uid, gid):
                todo.append(('copy', dest, 'attributes'))
    return todo


def apply(todo, copies, uid, gid, directory_mode=0o755, file_mode=0o644):
    """Do ``changes``, in its order: removals, then directories (parents first), then copies."""
    sources = dict(copies)
    for kind, path, _reason in todo:
        if kind == 'absent':
            info = os.lstat(path)
            if stat.S_ISDIR(info.st_mode):
                shutil.rmtree(path)
            else:
                os.unlink(path)
        elif kind == 'directory':
            os.makedirs(path, mode=directory_mode, exist_ok=True)
            os.chown(path, uid, gid, follow_symlinks=False)
            os.chmod(path, directory_mode)
        else:
            directory = os.path.dirname(path)
            if not os.path.isdir(directory):
                raise PathsError(f'{directory}, the directory of {path}, does not exist')
            write_file(path, _source(sources[path]), file_mode, uid, gid)


def diff(todo, copies):
    """Ansible diffs, by name: binaries have no text to show."""
    sources = dict(copies)
    shown = {'absent': ('(present)\n', '(removed)\n'), 'directory': ('', '(directory)\n')}
    result = []
    for kind, path, reason in todo:
        before, after = shown.get(kind, ('', f'(copy of {sources.get(path)})\n'))
        if reason != 'created' and kind != 'absent':
            before = f'({reason})\n'
        result.append({'before_header': path, 'after_header': path, 'before': before, 'after': after})
    return result
