# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Checksums of boot files: ``algorithm:digest`` values, checksum lists in three formats (GNU
coreutils, BSD tag, ``.treeinfo``) and digests computed while reading a file in chunks.

Private module: its API may change without notice.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections import namedtuple

# Hex digest length -> algorithm.
HEX_LENGTHS = {64: 'sha256', 128: 'sha512'}
ALGORITHMS = tuple(HEX_LENGTHS.values())
CHUNK_SIZE = 1024 * 1024

ChecksumEntry = namedtuple('ChecksumEntry', 'name algorithm digest')

_GNU_RE = re.compile(r'^(?P<digest>[0-9A-Fa-f]{64}|[0-9A-Fa-f]{128})[ \t]+\*?(?P<name>.+)$')
_BSD_RE = re.compile(r'^(?P<tag>SHA-?2?-?(?:256|512))\s*\((?P<name>.+)\)\s*=\s*(?P<digest>[0-9A-Fa-f]+)$', re.IGNORECASE)
_TREEINFO_RE = re.compile(r'^(?P<name>[^=\s][^=]*?)\s*=\s*(?P<algorithm>sha256|sha512):(?P<digest>[0-9A-Fa-f]+)$', re.IGNORECASE)


class BootAssetError(Exception):
    """A boot file or its checksum could not be fetched or read."""


def _strip_dot_slash(name):
    while name.startswith('./'):
        name = name[2:]
    return name


def _hex_ok(algorithm, digest):
    return HEX_LENGTHS.get(len(digest)) == algorithm and re.fullmatch(r'[0-9a-fA-F]+', digest) is not None


def format_checksum(algorithm, digest):
    """Return ``algorithm:digest``."""
    return f'{algorithm}:{digest}'


def parse_checksum(value):
    """Split ``sha256:<64 hex>`` or ``sha512:<128 hex>`` into (algorithm, lowercase hex digest)."""
    algorithm, sep, digest = value.strip().partition(':')
    algorithm = algorithm.lower()
    if not sep or algorithm not in ALGORITHMS or not _hex_ok(algorithm, digest):
        raise BootAssetError(f'checksum must be sha256:<64 hex digits> or sha512:<128 hex digits>, got {value!r}')
    return algorithm, digest.lower()


def _gnu_unescape(name):
    return re.sub(r'\\(.)', lambda m: '\n' if m.group(1) == 'n' else m.group(1), name)


def parse_checksum_list(text):
    """Return the ChecksumEntry items of a checksum list; lines in no known format are ignored.

    Formats: GNU coreutils (``<hex>  name``, ``<hex> *name``), BSD tag (``SHA256 (name) = <hex>``)
    and ``.treeinfo`` ``[checksums]`` lines (``images/pxeboot/vmlinuz = sha256:<hex>``).
    Names lose a leading ``./``; digests are lowercased.
    """
    entries = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(('#', ';', '[')):
            continue
        match = _BSD_RE.match(line)
        if match:
            algorithm = 'sha' + match.group('tag')[-3:]
        else:
            match = _TREEINFO_RE.match(line)
            if match:
                algorithm = match.group('algorithm').lower()
            else:
                escaped = line.startswith('\\')
                match = _GNU_RE.match(line[1:] if escaped else line)
                if not match:
                    continue
                algorithm = HEX_LENGTHS[len(match.group('digest'))]
        digest = match.group('digest')
        if not _hex_ok(algorithm, digest):
            continue
        name = match.group('name')
        if match.re is _GNU_RE and escaped:
            name = _gnu_unescape(name)
        name = _strip_dot_slash(name)
        if name:
            entries.append(ChecksumEntry(name, algorithm, digest.lower()))
    return entries


def find_checksum(entries, name, source='the checksum list'):
    """Return (algorithm, digest) of ``name`` in ``entries``.

    An exact name (after stripping ``./``) wins; otherwise the one entry whose path ends with
    ``/name``. No match, several different files, or one file listed with different digests
    of the same algorithm raise BootAssetError naming ``source`` and ``name``.
    When a file is listed with both algorithms, sha512 is used.
    """
    wanted = _strip_dot_slash(name)
    matches = [e for e in entries if e.name == wanted]
    if not matches:
        matches = [e for e in entries if e.name.endswith('/' + wanted)]
    names = sorted(set(e.name for e in matches))
    if not names:
        raise BootAssetError(f'no checksum for {name!r} in {source}')
    if len(names) > 1:
        raise BootAssetError(f'{len(names)} entries match {name!r} in {source}: {", ".join(names)};'
                             ' set checksum_name to one of them')
    for algorithm in ('sha512', 'sha256'):
        digests = sorted(set(e.digest for e in matches if e.algorithm == algorithm))
        if len(digests) > 1:
            raise BootAssetError(f'{names[0]!r} is listed with {len(digests)} different {algorithm} digests in {source}')
        if digests:
            return algorithm, digests[0]
    raise BootAssetError(f'no checksum for {name!r} in {source}')  # pragma: no cover - entries always have an algorithm


def file_digest(path, algorithm, chunk_size=CHUNK_SIZE, nofollow=False):
    """Hex digest of the file at ``path``, read in chunks.

    With ``nofollow`` a symbolic link (or anything but a regular file) at ``path`` is refused
    rather than read through.
    """
    hasher = hashlib.new(algorithm)
    flags = os.O_RDONLY | (os.O_NOFOLLOW | os.O_NONBLOCK if nofollow else 0)
    try:
        fd = os.open(path, flags)
        with os.fdopen(fd, 'rb') as f:
            if nofollow and not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise BootAssetError(f'{path} is not a regular file')
            for chunk in iter(lambda: f.read(chunk_size), b''):
                hasher.update(chunk)
    except OSError as exc:
        raise BootAssetError(f'cannot read {path}: {exc}') from exc
    return hasher.hexdigest()
