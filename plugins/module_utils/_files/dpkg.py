# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The checksum of a local file as the Debian package that installed it records it (dpkg's md5sums).

Private module: its API may change without notice.
"""

from __future__ import annotations

import os
import re

from ansible_collections.netboot.pxe.plugins.module_utils._files.checksums import BootAssetError
from ansible_collections.netboot.pxe.plugins.module_utils._files.fetch import local_path, url_scheme

_DPKG_PATH = re.compile(r'/[^\s*?\[\]\\]*')


def _dpkg_owners(path, run):
    rc, out, err = run(['dpkg-query', '--search', '--', path])
    owners = []
    for line in out.splitlines():
        if line.startswith('diversion by '):
            continue
        packages, sep, owned = line.rpartition(': ')
        if sep and owned == path:
            owners.extend(p.strip() for p in packages.split(','))
    return owners


def dpkg_checksum(url, run):
    """('md5', digest) of a local file as recorded by the package that installed it.

    The file is looked up with ``dpkg-query --search`` (its path, then the path with symbolic
    links resolved) and its MD5 read from the package's md5sums, whose path
    ``dpkg-query --control-path`` gives. apt checked the package's signature when it was
    installed. ``run(argv)`` runs a command without a shell and returns (rc, stdout, stderr) as
    text: the module's ``run_command``.
    """
    path = local_path(url)
    if url_scheme(url) not in ('', 'file') or not _DPKG_PATH.fullmatch(path):
        raise BootAssetError(f'checksum dpkg needs an absolute local path without whitespace or *?[]\\, got url {url!r}')
    candidates = [path] + ([os.path.realpath(path)] if os.path.realpath(path) != path else [])
    for candidate in candidates:
        owners = _dpkg_owners(candidate, run)
        if owners:
            break
    else:
        raise BootAssetError(f'checksum dpkg: {path} belongs to no installed package; give checksum or checksum_url')
    digests = set()
    for package in owners:
        rc, out, err = run(['dpkg-query', '--control-path', package, 'md5sums'])
        sums = out.strip()
        if rc != 0 or not sums:
            continue
        try:
            with open(sums, encoding='utf-8', errors='surrogateescape') as f:
                for line in f:
                    digest, sep, name = line.rstrip('\n').partition('  ')
                    if sep and name == candidate.lstrip('/') and re.fullmatch(r'[0-9a-f]{32}', digest):
                        digests.add(digest)
        except OSError as exc:
            raise BootAssetError(f'checksum dpkg: cannot read {sums}: {exc}') from exc
    if not digests:
        raise BootAssetError(f'checksum dpkg: no MD5 of {candidate} in the md5sums of {", ".join(owners)}')
    if len(digests) > 1:
        raise BootAssetError(f'checksum dpkg: the packages {", ".join(owners)} list different MD5s for {candidate}')
    return 'md5', digests.pop()
