# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Files unpacked from Debian packages without installing them: which version apt offers, the
file out of the package's data, and the private package lists of another release.

Private module: its API may change without notice.
"""

from __future__ import annotations

import io
import re
import tarfile

from ansible_collections.netboot.pxe.plugins.module_utils._validate import (
    CATALOG_NAME,
    FILE_NAME,
    FILE_PATH,
    HTTP_URL,
    PACKAGE_NAME,
    RELATIVE_PATH,
)

FILE_KEYS = ('package', 'path', 'name')
# The private lists' directories with the modes apt gives them itself (partial: 0700), so that
# a second run changes nothing.
APT_DIRECTORIES = (('', 0o755), ('lists', 0o755), ('lists/partial', 0o700), ('cache', 0o755),
                   ('cache/archives', 0o755), ('cache/archives/partial', 0o700))
_VERSION = re.compile(r'(?m)^Version: (\S+)$')


class PackageFilesError(ValueError):
    """Input or a package that cannot give the files asked for."""


def check_files(files):
    """Problems of ``files`` (a list of {package, path, name}), each naming the entry."""
    problems = []
    if not isinstance(files, list) or not files:
        return [f'files must be a non-empty list of {{package, path, name}}, got {files!r}']
    names = set()
    for index, entry in enumerate(files):
        where = f'files[{index}]'
        if not isinstance(entry, dict) or set(entry) != set(FILE_KEYS):
            problems.append(f'{where} must have exactly the keys {", ".join(FILE_KEYS)}, got {entry!r}')
            continue
        for key, pattern, what in (('package', PACKAGE_NAME, 'a Debian package name'),
                                   ('path', RELATIVE_PATH, 'a relative path in the package, like usr/lib/shim/shimx64.efi.signed'),
                                   ('name', FILE_NAME, 'a file name')):
            if not (isinstance(entry[key], str) and pattern.fullmatch(entry[key])):
                problems.append(f'{where}.{key} must be {what}, got {entry[key]!r}')
        if entry['name'] in names:
            problems.append(f'{where}.name {entry["name"]!r} is given twice')
        names.add(entry['name'])
    return problems


def check_source(mirror, suite, keyring):
    """Problems of the private source: none, or a mirror URL, a suite name and a keyring file."""
    if not suite:
        return []
    problems = []
    if not (isinstance(suite, str) and CATALOG_NAME.fullmatch(suite)):
        problems.append(f'suite must be a release name like trixie, got {suite!r}')
    if not (isinstance(mirror, str) and HTTP_URL.fullmatch(mirror)):
        problems.append(f'mirror must be the http(s) URL of a Debian mirror, got {mirror!r}')
    # One path, no space, "]" or ",": nothing else can stand in apt's [signed-by=...] option.
    if not (isinstance(keyring, str) and FILE_PATH.fullmatch(keyring)):
        problems.append(f'keyring must be the absolute path of a keyring file, got {keyring!r}')
    return problems


def sources_list(mirror, suite, keyring):
    """The private sources.list: only ``suite`` of ``mirror``, signed by a key of ``keyring`` only
    (without signed-by, apt would take any key the host trusts for its own sources)."""
    return f'deb [signed-by={keyring}] {mirror} {suite} main\n'


def apt_options(apt_dir, suite):
    """apt's options for the private lists under ``apt_dir`` (none without ``suite``: the
    server's own sources)."""
    if not suite:
        return []
    return ['-o', f'Dir::Etc::SourceList={apt_dir}/sources.list', '-o', 'Dir::Etc::SourceParts=/nonexistent',
            '-o', f'Dir::State::Lists={apt_dir}/lists', '-o', f'Dir::Cache={apt_dir}/cache',
            '-o', 'Acquire::Languages=none']


def candidate_version(show_output, package):
    """The version in ``apt-cache show --no-all-versions`` output."""
    found = _VERSION.findall(show_output or '')
    if len(found) != 1:
        raise PackageFilesError(f'apt knows no version of {package} to download')
    return found[0]


def member(data_tar, path):
    """The content of the regular file ``path`` in a package's data (``dpkg-deb --fsys-tarfile``)."""
    with tarfile.open(fileobj=io.BytesIO(data_tar), mode='r:') as archive:
        for info in archive:
            if (info.name[2:] if info.name.startswith('./') else info.name) == path:
                if not info.isreg():
                    raise PackageFilesError(f'{path} is not a regular file in the package')
                return archive.extractfile(info).read()
    raise PackageFilesError(f'the package has no file {path}')
