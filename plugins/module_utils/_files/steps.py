# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Run the steps of a build: commands as argument lists (never through a shell), each named, a
failure reported with the step and the last lines the command wrote to its error output; and
the files of a build's private work directory.

Private module: its API may change without notice.
"""

from __future__ import annotations

import json
import os
import shutil
import stat

from ansible_collections.netboot.pxe.plugins.module_utils._files.atomic import read_nofollow, write_file

# How much of a failed command's error output a message carries.
TAIL_LINES = 15
TAIL_CHARS = 3000
ENVIRONMENT = {'LC_ALL': 'C', 'MTOOLS_SKIP_CHECK': '1'}


class StepError(Exception):
    """A step of a build failed; the message names the step."""

    def __init__(self, step, message):
        self.step = step
        super().__init__(f'{step}: {message}')


def tail(text, lines=TAIL_LINES):
    """The last ``lines`` lines of a command's output (at most TAIL_CHARS characters)."""
    if isinstance(text, bytes):
        text = text.decode('utf-8', 'replace')
    return '\n'.join(text.strip().splitlines()[-lines:])[-TAIL_CHARS:]


def failure(argv, returncode, error_text):
    return f'{argv[0]} failed (exit status {returncode}): {tail(error_text) or "no error output"}'


class Runner:
    """Runs a module's commands; tests give a fake one with the same methods."""

    def __init__(self, module):
        self.module = module

    def run(self, step, argv, data=None, cwd=None, env=None):
        """The command's output; StepError when it fails. ``env`` adds to its environment."""
        rc, out, err = self.module.run_command(argv, data=data, cwd=cwd, environ_update=dict(ENVIRONMENT, **(env or {})),
                                               expand_user_and_vars=False, binary_data=True)
        if rc != 0:
            raise StepError(step, failure(argv, rc, err or out))
        return out


def fresh_directory(path, mode=0o700):
    """An empty directory at ``path`` (what was there removed; a symbolic link removed, not followed)."""
    remove(path)
    os.makedirs(path, mode=mode)
    os.chmod(path, mode)
    return path


def mounts_under(path, mountinfo='/proc/self/mountinfo'):
    """The mount points at or below ``path``."""
    prefix = os.path.realpath(path)
    try:
        with open(mountinfo, encoding='utf-8') as handle:
            points = [line.split()[4].encode().decode('unicode_escape') for line in handle if len(line.split()) > 4]
    except OSError:
        return []
    return [point for point in points if point == prefix or point.startswith(prefix.rstrip('/') + '/')]


def remove(path):
    """Remove a file, link or directory tree; nothing if absent. A link is removed, never followed; a
    tree with a file system mounted in it (a build's chroot that was not cleaned up) is refused."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(info.st_mode):
        mounted = mounts_under(path)
        if mounted:
            raise StepError('clean up', f'{path} holds mounted file systems ({", ".join(mounted)}); unmount them first')
        shutil.rmtree(path)
    else:
        os.unlink(path)


def discard(path):
    """Remove a build's work directory, as far as it can be; the next build starts afresh (and reports what
    it cannot remove)."""
    try:
        remove(path)
    except (StepError, OSError):
        pass


def directory(path, mode=0o755):
    """Make ``path`` a directory of mode ``mode`` (parents too); True when anything changed.
    A symbolic link or a file there is refused."""
    changed = False
    if not os.path.lexists(path):
        parent = os.path.dirname(path)
        if parent and parent != path:
            changed = directory(parent, mode) if not os.path.isdir(parent) else False
        os.mkdir(path, mode)
        changed = True
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode):
        raise StepError('directories', f'{path} must be a directory, not a symbolic link or a file')
    if stat.S_IMODE(info.st_mode) != mode:
        os.chmod(path, mode)
        changed = True
    return changed


def read_json(path):
    """The JSON document in the regular file at ``path`` (a link is not followed), else None."""
    found = read_nofollow(path)
    if found is None:
        return None
    try:
        return json.loads(found[0])
    except ValueError:
        return None


def json_bytes(document):
    return (json.dumps(document, indent=2, sort_keys=True) + '\n').encode()


def write_json(path, document, mode):
    write_file(path, json_bytes(document), mode)


def published(directory_path, wanted):
    """What differs in a published directory: (extra entries, files of ``wanted`` missing or not mode
    0644 regular files, whether the directory is not mode 0755). ``wanted`` maps a name to its size
    or None (any size)."""
    try:
        names = sorted(os.listdir(directory_path))
        info = os.lstat(directory_path)
        wrong_directory = not stat.S_ISDIR(info.st_mode) or stat.S_IMODE(info.st_mode) != 0o755
    except (FileNotFoundError, NotADirectoryError):
        return [], sorted(wanted), True
    extra = [name for name in names if name not in wanted]
    wrong = []
    for name, size in sorted(wanted.items()):
        try:
            file_info = os.lstat(os.path.join(directory_path, name))
        except FileNotFoundError:
            wrong.append(name)
            continue
        if (not stat.S_ISREG(file_info.st_mode) or stat.S_IMODE(file_info.st_mode) != 0o644
                or (size is not None and file_info.st_size != size)):
            wrong.append(name)
    return extra, wrong, wrong_directory
