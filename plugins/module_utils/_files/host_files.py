# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Make the directories a role owns hold exactly a set of files: write what differs (content,
mode, owner, group) atomically, remove everything else there. Symbolic links are never
followed: a link where a file should be is replaced, a link elsewhere is removed as a link.
Secret files are shown by name only, and a build token in a name by its first 4 digits.

Private module: its API may change without notice.
"""

from __future__ import annotations

import os
import stat

from ansible_collections.netboot.pxe.plugins.module_utils._boot.builds import mask_tokens
from ansible_collections.netboot.pxe.plugins.module_utils._files.atomic import read_nofollow, write_file
from ansible_collections.netboot.pxe.plugins.module_utils._validate import RELATIVE_PATH

# What a file is: shown and readable by all (plain), or shown by name only and readable by the
# secret group only (secret).
PLAIN, SECRET = 'plain', 'secret'


class HostFilesError(Exception):
    """A file set that cannot be written safely."""


def check_relative(where, value):
    if not isinstance(value, str) or not RELATIVE_PATH.fullmatch(value):
        raise HostFilesError(f'{where} must be a relative path of names of letters, digits and ._+- '
                             f'(no "..", no leading "."), got {value!r}')
    return value


def wanted_files(directories, files, secret_files, owner, group, secret_group):
    """{relative path: (bytes, mode, uid, gid, kind)} of ``files`` (mode 0644, PLAIN) and ``secret_files``
    (mode 0640, group ``secret_group``, SECRET), each inside one of ``directories``."""
    for index, directory in enumerate(directories):
        check_relative(f'directories[{index}]', directory)
    wanted, given = {}, {}
    for kind, mapping, name in ((PLAIN, files, 'files'), (SECRET, secret_files, 'secret_files')):
        for path, content in mapping.items():
            check_relative(f'{name} key', path)
            if not any(path.startswith(directory + '/') for directory in directories):
                raise HostFilesError(f'{name} key {path!r} is not inside one of the directories {directories!r}')
            if path in wanted:
                raise HostFilesError(f'{path!r} is both in {given[path]} and in {name}')
            if not isinstance(content, str):
                raise HostFilesError(f'{name}[{path!r}] must be text, got {type(content).__name__}')
            gid = secret_group if kind == SECRET else group
            wanted[path] = (content.encode(), 0o640 if kind == SECRET else 0o644, owner, gid, kind)
            given[path] = name
    for path in wanted:
        parent = path.rpartition('/')[0]
        while parent:
            if parent in wanted:
                raise HostFilesError(f'{parent!r} is a file and also the directory of {path!r}')
            parent = parent.rpartition('/')[0]
    return wanted


def _check_directory(root, relative):
    """Refuse a symbolic link or a non-directory on the way from ``root`` to ``relative``."""
    path = root
    for name in relative.split('/'):
        path = os.path.join(path, name)
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return
        if not stat.S_ISDIR(info.st_mode):
            raise HostFilesError(f'{path} must be a directory, not a symbolic link or a file')


def changes(root, directories, wanted, predict=False):
    """What to do: ``(writes, removals)``, ``writes`` as [(relative path, reason)], ``removals``
    the relative paths under ``directories`` that are not wanted (deepest first). With ``predict``
    (check mode) a ``root`` that does not exist yet, which an earlier task would make, holds nothing."""
    if predict and not os.path.lexists(root):
        return [(path, 'created') for path in sorted(wanted)], []
    if not os.path.isdir(root) or os.path.islink(root):
        raise HostFilesError(f'path {root} must be an existing directory')
    for directory in directories:
        _check_directory(root, directory)
    writes = []
    for path, (content, mode, uid, gid, _kind) in sorted(wanted.items()):
        _check_directory(root, path.rpartition('/')[0])
        full = os.path.join(root, path)
        if os.path.isdir(full) and not os.path.islink(full):
            raise HostFilesError(f'{full} is a directory; it cannot become the file {path}')
        found = read_nofollow(full)
        if found is None:
            writes.append((path, 'created' if not os.path.lexists(full) else 'replaced'))
        elif found[0] != content:
            writes.append((path, 'updated'))
        elif (stat.S_IMODE(found[1].st_mode), found[1].st_uid, found[1].st_gid) != (mode, uid, gid):
            writes.append((path, 'attributes'))
    keep = set(wanted)
    for path in wanted:
        parent = path.rpartition('/')[0]
        while parent:
            keep.add(parent)
            parent = parent.rpartition('/')[0]
    removals = []
    for directory in directories:
        top = os.path.join(root, directory)
        if not os.path.isdir(top):
            continue
        for current, subdirectories, names in os.walk(top, topdown=False, followlinks=False):
            for name in names + subdirectories:
                relative = os.path.relpath(os.path.join(current, name), root)
                if relative not in keep:
                    removals.append(relative)
    return writes, sorted(removals, key=lambda path: (-path.count('/'), path))


def _make_directories(root, relative):
    path = root
    for name in relative.split('/'):
        path = os.path.join(path, name)
        if not os.path.lexists(path):
            os.mkdir(path, 0o755)
            os.chmod(path, 0o755)
        _check_directory(root, os.path.relpath(path, root))


def apply(root, directories, wanted, writes, removals):
    """Do ``changes``: removals first (a link or a stale file where a directory must go), then writes."""
    for path in removals:
        full = os.path.join(root, path)
        info = os.lstat(full)
        if stat.S_ISDIR(info.st_mode):
            os.rmdir(full)
        else:
            os.unlink(full)
    for directory in directories:
        _make_directories(root, directory)
    for path, _reason in writes:
        content, mode, uid, gid, _kind = wanted[path]
        _make_directories(root, path.rpartition('/')[0])
        write_file(os.path.join(root, path), content, mode, uid, gid)


def diff(root, wanted, writes, removals):
    """Ansible diffs: the content of plain files; secret and removed files by name only.
    Build tokens in names are masked (mask_tokens)."""
    result = []
    for path, reason in writes:
        content, _mode, _uid, _gid, kind = wanted[path]
        shown = kind == PLAIN
        found = read_nofollow(os.path.join(root, path)) if shown else None
        before = '' if reason == 'created' else f'({reason})\n' if shown else '(secret, not shown)\n'
        if found is not None:
            before = found[0].decode(errors='replace')
        after = content.decode() if shown else '(secret, not shown)\n'
        name = mask_tokens(path)
        result.append({'before_header': name, 'after_header': name, 'before': before, 'after': after})
    for path in removals:
        name = mask_tokens(path)
        result.append({'before_header': name, 'after_header': name, 'before': '(present)\n', 'after': '(removed)\n'})
    return result
