# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The OS images machines are provisioned from (``netboot_images``): their entries checked, the
file each one is published as, and the description (``image.json``) the agent reads beside it.

An entry is built on the server from Debian packages (``build``) or fetched from a URL with its
checksum (``url``, ``checksum``); it is a root file-system archive or a raw disk image (``form``).

Private module: its API may change without notice.
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import unquote, urlsplit

from ansible_collections.netboot.pxe.plugins.module_utils._validate import (
    ABSOLUTE_PATH,
    CHECKSUM,
    FILE_NAME,
    HTTP_URL,
    IMAGE_NAME,
    MIRROR_URL,
    PACKAGE_NAME,
)

FORMS = ('archive', 'raw')
SUITES = ('trixie', 'bookworm')
ENTRY_KEYS = ('name', 'form', 'build', 'url', 'checksum')
BUILD_KEYS = ('suite', 'mirror', 'packages')
DEFAULT_MIRROR = 'https://deb.debian.org/debian'
# What the server builds, by form; a qcow2 image is converted into the raw one.
BUILT_FILES = {'archive': 'root.tar.zst', 'raw': 'disk.raw.zst'}
CONVERTED_FILE = BUILT_FILES['raw']
# The description beside the image; no image may take its name.
DESCRIPTION = 'image.json'
# Compression by the end of a file's name; the agent decompresses these while it streams.
COMPRESSIONS = (('.zst', 'zst'), ('.xz', 'xz'), ('.gz', 'gz'))
# Endings the agent cannot read: refused rather than written to a disk as they are.
UNSUPPORTED = ('.bz2', '.lz4', '.lzma', '.lz', '.zip', '.7z', '.tgz', '.txz', '.tzst', '.iso', '.vmdk', '.vhd',
               '.vhdx', '.ova')
ARCHIVE_ENDINGS = ('.tar', '.tar.zst', '.tar.xz', '.tar.gz')
# A URL image in the server's own file system.
_FILE_URL = re.compile(rf'file://{ABSOLUTE_PATH.pattern}')


class ImageError(ValueError):
    """An entry that cannot be built, fetched or published; the message names the field and the value."""


def _field(where, key):
    return f'{where}.{key}' if where else key


def compression(file_name):
    """zst, xz, gz or none, from the end of ``file_name``."""
    for ending, kind in COMPRESSIONS:
        if file_name.endswith(ending):
            return kind
    return 'none'


def url_file_name(url):
    """The last name of a URL's path, unquoted."""
    return posixpath.basename(unquote(urlsplit(url).path))


def _check_url(where, entry):
    url = entry['url']
    field = _field(where, 'url')
    if not isinstance(url, str) or not (HTTP_URL.fullmatch(url) or _FILE_URL.fullmatch(url)):
        raise ImageError(f'{field} must be an http(s):// URL or a file:// URL of an absolute path, without query, '
                         f'got {url!r}')
    name = url_file_name(url)
    if not FILE_NAME.fullmatch(name) or name == DESCRIPTION:
        raise ImageError(f'{field} must end in a file name of letters, digits and ._+~- (not {DESCRIPTION}), got {url!r}')
    lowered = name.lower()
    if lowered.endswith(UNSUPPORTED):
        raise ImageError(f'{field} must be compressed with zstd, xz or gzip (.zst, .xz, .gz) or not at all, got {url!r}')
    if '.qcow2.' in lowered:
        raise ImageError(f'{field} must be a plain .qcow2 file (it is converted on the server), got {url!r}')
    if entry['form'] == 'raw' and re.search(r'\.tar(\.|$)', lowered):
        raise ImageError(f'{field} is a tar archive: its form must be archive, got {entry["form"]!r}')
    if lowered.endswith('.qcow2') and entry['form'] != 'raw':
        raise ImageError(f'{field} is a qcow2 disk image: its form must be raw, got {entry["form"]!r}')
    if entry['form'] == 'archive' and not lowered.endswith(ARCHIVE_ENDINGS):
        raise ImageError(f'{field} of an archive must name a tar archive ({", ".join(ARCHIVE_ENDINGS)}), got {url!r}')
    checksum = entry.get('checksum')
    if not isinstance(checksum, str) or not CHECKSUM.fullmatch(checksum):
        raise ImageError(f'{_field(where, "checksum")} must be sha256:<64 hex> or sha512:<128 hex>, got {checksum!r}')


def _check_build(where, build, mirror):
    field = _field(where, 'build')
    if not isinstance(build, dict):
        raise ImageError(f'{field} must be a mapping with suite, mirror and packages, got {build!r}')
    unknown = sorted(map(str, set(build) - set(BUILD_KEYS)))
    if unknown:
        raise ImageError(f'{field} has unknown key(s) {", ".join(unknown)}; known: {", ".join(BUILD_KEYS)}')
    suite = build.get('suite')
    if suite not in SUITES:
        raise ImageError(f'{field}.suite must be one of {", ".join(SUITES)}, got {suite!r}')
    chosen = build.get('mirror')
    chosen = mirror if chosen is None else chosen
    if not isinstance(chosen, str) or not MIRROR_URL.fullmatch(chosen):
        raise ImageError(f'{field}.mirror must be the http(s) URL of a Debian mirror, got {chosen!r}')
    packages = build.get('packages')
    packages = [] if packages is None else packages
    check_packages(packages, f'{field}.packages')
    return {'suite': suite, 'mirror': chosen, 'packages': list(packages)}


def check_packages(packages, name):
    """Refuse anything but a list of Debian package names."""
    if not isinstance(packages, list):
        raise ImageError(f'{name} must be a list of Debian package names, got {packages!r}')
    for index, package in enumerate(packages):
        if not isinstance(package, str) or not PACKAGE_NAME.fullmatch(package):
            raise ImageError(f'{name}[{index}] must be a Debian package name, got {package!r}')
    return packages


def check_entry(entry, where='', mirror=DEFAULT_MIRROR):
    """The entry with its build's mirror and packages filled in and the checksum in lower case;
    raises ImageError naming ``<where>.<field>`` and the value."""
    if not isinstance(entry, dict):
        raise ImageError(f'{where or "the entry"} must be a mapping with name, form and build or url, got {entry!r}')
    unknown = sorted(map(str, set(entry) - set(ENTRY_KEYS)))
    if unknown:
        raise ImageError(f'{where or "the entry"} has unknown key(s) {", ".join(unknown)}; known: {", ".join(ENTRY_KEYS)}')
    name = entry.get('name')
    if not isinstance(name, str) or not IMAGE_NAME.fullmatch(name):
        raise ImageError(f'{_field(where, "name")} must be 1-63 lower-case letters, digits and "-", starting with a '
                         f'letter or digit, got {name!r}')
    if entry.get('form') not in FORMS:
        raise ImageError(f'{_field(where, "form")} must be one of {", ".join(FORMS)}, got {entry.get("form")!r}')
    has_build, has_url = entry.get('build') is not None, entry.get('url') is not None
    if has_build == has_url:
        raise ImageError(f'{where or "the entry"} ({name}) must have either build or url (with checksum), '
                         f'{"not both" if has_build else "got neither"}')
    result = {'name': name, 'form': entry['form']}
    if has_build:
        if entry.get('checksum') is not None:
            raise ImageError(f'{_field(where, "checksum")} is for a url; a built image has none, got {entry["checksum"]!r}')
        result['build'] = _check_build(where, entry['build'], mirror)
    else:
        _check_url(where, entry)
        result.update(url=entry['url'], checksum=entry['checksum'].lower())
    return result


def check_entries(entries, name='netboot_images', mirror=DEFAULT_MIRROR):
    """Every entry checked (check_entry), names unique; the entries as check_entry returns them."""
    if not isinstance(entries, list):
        raise ImageError(f'{name} must be a list of images, got {entries!r}')
    checked, seen = [], {}
    for index, entry in enumerate(entries):
        where = f'{name}[{index}]'
        result = check_entry(entry, where, mirror)
        if result['name'] in seen:
            raise ImageError(f'{where}.name {result["name"]!r} is given twice (also {name}[{seen[result["name"]]}])')
        seen[result['name']] = index
        checked.append(result)
    return checked


def published_file(entry):
    """(file name, compression) of an entry checked by check_entry, as it is published."""
    if 'build' in entry:
        return BUILT_FILES[entry['form']], 'zst'
    file_name = url_file_name(entry['url'])
    if file_name.lower().endswith('.qcow2'):
        return CONVERTED_FILE, 'zst'
    return file_name, compression(file_name)


def image_files(entries, name='netboot_images'):
    """{image name: {file, form, compression, source}} of ``entries``, checked: source is build or url."""
    files = {}
    for entry in check_entries(entries, name):
        file_name, kind = published_file(entry)
        files[entry['name']] = {'file': file_name, 'form': entry['form'], 'compression': kind,
                                'source': 'build' if 'build' in entry else 'url'}
    return files


def planned_images(entries, mirror=DEFAULT_MIRROR, name='images_entries'):
    """The images role's list: each entry as check_entry returns it, with its ``file`` and ``compression``."""
    return [dict(entry, **dict(zip(('file', 'compression'), published_file(entry))))
            for entry in check_entries(entries, name, mirror)]


def image_description(file_name, checksum, form, kind, size):
    """The content of ``image.json``: what the agent fetches, how to verify and unpack it, the disk size it needs."""
    return {'file': file_name, 'checksum': checksum, 'form': form, 'compression': kind, 'size': size}
