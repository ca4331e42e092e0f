# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fetch a boot file (kernel, initrd, ISO) and verify it against a checksum.

Checksum lists in three formats (GNU coreutils, BSD tag, ``.treeinfo``), digests
computed while streaming, downloads that resume a ``.part`` file with an HTTP
range request and retry transient network errors.

Private module: its API may change without notice.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import ssl
import time
import urllib.error
from collections import namedtuple
from urllib.parse import unquote, urlparse

from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import open_url

# Hex digest length -> algorithm.
HEX_LENGTHS = {64: 'sha256', 128: 'sha512'}
ALGORITHMS = tuple(HEX_LENGTHS.values())
CHUNK_SIZE = 1024 * 1024
# A checksum list larger than this is not a checksum list.
MAX_LIST_SIZE = 16 * 1024 * 1024
# First retry after RETRY_DELAY seconds, then twice as long each time.
RETRY_DELAY = 1.0
# HTTP answers that say "try again later".
TRANSIENT_HTTP = frozenset((408, 425, 429, 500, 502, 503, 504))
HTTP_AGENT = 'ansible-httpget'

ChecksumEntry = namedtuple('ChecksumEntry', 'name algorithm digest')
Download = namedtuple('Download', 'path digest size resumed')

_GNU_RE = re.compile(r'^(?P<digest>[0-9A-Fa-f]{64}|[0-9A-Fa-f]{128})[ \t]+\*?(?P<name>.+)$')
_BSD_RE = re.compile(r'^(?P<tag>SHA-?2?-?(?:256|512))\s*\((?P<name>.+)\)\s*=\s*(?P<digest>[0-9A-Fa-f]+)$', re.IGNORECASE)
_TREEINFO_RE = re.compile(r'^(?P<name>[^=\s][^=]*?)\s*=\s*(?P<algorithm>sha256|sha512):(?P<digest>[0-9A-Fa-f]+)$', re.IGNORECASE)


class BootAssetError(Exception):
    """The asset or its checksum could not be fetched or read."""


class TransientError(BootAssetError):
    """A network failure worth retrying."""


class ChecksumMismatchError(BootAssetError):
    """The downloaded file does not have the expected digest."""

    def __init__(self, url, expected, actual):
        self.url = url
        self.expected = expected
        self.actual = actual
        super().__init__(f'checksum mismatch for {url}: expected {expected}, got {actual}')


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


def default_checksum_name(url):
    """The file name that ``url`` (a URL or a local path) points to."""
    return os.path.basename(unquote(urlparse(url).path)) if _scheme(url) else os.path.basename(url)


def _scheme(url):
    return urlparse(url).scheme.lower() if '://' in url else ''


def is_supported_source(url):
    """True for http://, https:// and file:// URLs and absolute local paths."""
    scheme = _scheme(url)
    return scheme in ('http', 'https', 'file') or (not scheme and os.path.isabs(url))


def file_digest(path, algorithm, chunk_size=CHUNK_SIZE):
    """Hex digest of the file at ``path``, read in chunks."""
    hasher = hashlib.new(algorithm)
    try:
        with open(path, 'rb') as f:
            for chunk in iter(lambda: f.read(chunk_size), b''):
                hasher.update(chunk)
    except OSError as exc:
        raise BootAssetError(f'cannot read {path}: {exc}') from exc
    return hasher.hexdigest()


def _is_http(url):
    return _scheme(url) in ('http', 'https')


def _network_error(url, exc):
    """Map an exception raised while opening or reading ``url`` to a BootAssetError."""
    if isinstance(exc, urllib.error.HTTPError):
        cls = TransientError if exc.code in TRANSIENT_HTTP else BootAssetError
        return cls(f'{url}: HTTP {exc.code} {exc.reason}')
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        if isinstance(reason, ssl.SSLCertVerificationError) or not _is_http(url):
            return BootAssetError(f'{url}: {reason}')
        return TransientError(f'{url}: {reason}')
    if isinstance(exc, (UrlsConnectionError, ValueError)) or not _is_http(url):
        return BootAssetError(f'{url}: {exc}')
    return TransientError(f'{url}: {exc.__class__.__name__}: {exc}')


# What opening or reading a URL may raise, besides programming errors.
_NETWORK_ERRORS = (OSError, http.client.HTTPException, UrlsConnectionError, ValueError)


def _open(url, headers, timeout, validate_certs):
    """Open ``url`` (or a local path) for reading; return (stream, HTTP status or None, headers)."""
    if not _scheme(url):
        try:
            return open(url, 'rb'), None, {}
        except OSError as exc:
            raise BootAssetError(f'cannot read {url}: {exc}') from exc
    try:
        response = open_url(url, headers=headers, timeout=timeout, validate_certs=validate_certs,
                            http_agent=HTTP_AGENT, decompress=False)
    except _NETWORK_ERRORS as exc:
        raise _network_error(url, exc) from exc
    return response, response.getcode(), response.headers


def _retrying(url, retries, attempt_fn, sleep):
    """Call ``attempt_fn()`` up to ``retries + 1`` times while it raises TransientError."""
    last = None
    for attempt in range(retries + 1):
        try:
            return attempt_fn()
        except TransientError as exc:
            last = exc
            if attempt < retries:
                sleep(RETRY_DELAY * 2 ** attempt)
    raise BootAssetError(f'giving up on {url} after {retries + 1} attempts: {last}')


def read_text(url, timeout=30, validate_certs=True, retries=3, sleep=time.sleep, max_size=MAX_LIST_SIZE):
    """Return the content of a small text file (a checksum list) at ``url`` or a local path."""
    def attempt():
        stream = _open(url, None, timeout, validate_certs)[0]
        try:
            with stream:
                data = stream.read(max_size + 1)
        except _NETWORK_ERRORS as exc:
            raise _network_error(url, exc) from exc
        if len(data) > max_size:
            raise BootAssetError(f'{url} is larger than {max_size} bytes: not a checksum list')
        return data.decode('utf-8', errors='replace')
    return _retrying(url, retries, attempt, sleep)


def _content_range_start(value):
    match = re.fullmatch(r'\s*bytes\s+(\d+)-\d+/(?:\d+|\*)\s*', value or '')
    return int(match.group(1)) if match else None


class _PartialFile:
    """The ``.part`` file being written and the digest of what it holds so far."""

    def __init__(self, path, algorithm):
        self.path = path
        self.algorithm = algorithm
        self.hasher = hashlib.new(algorithm)
        self.size = 0

    def load(self, chunk_size):
        """Hash an existing part file; afterwards a download can continue it."""
        hasher = hashlib.new(self.algorithm)
        size = 0
        with open(self.path, 'rb') as f:
            for chunk in iter(lambda: f.read(chunk_size), b''):
                hasher.update(chunk)
                size += len(chunk)
        self.hasher, self.size = hasher, size

    def reset(self):
        self.hasher = hashlib.new(self.algorithm)
        self.size = 0

    def digest(self):
        return self.hasher.hexdigest()

    def copy_from(self, url, stream, expected_length, chunk_size):
        """Append ``stream`` at the current size, hashing as it goes."""
        received = 0
        mode = 'r+b' if self.size else 'wb'
        try:
            with open(self.path, mode) as out:
                out.seek(self.size)
                out.truncate()
                while True:
                    try:
                        chunk = stream.read(chunk_size)
                    except _NETWORK_ERRORS as exc:
                        raise _network_error(url, exc) from exc
                    if not chunk:
                        break
                    out.write(chunk)
                    self.hasher.update(chunk)
                    self.size += len(chunk)
                    received += len(chunk)
        except OSError as exc:
            raise BootAssetError(f'cannot write {self.path}: {exc}') from exc
        if expected_length is not None and received < expected_length:
            raise TransientError(f'{url}: connection closed after {received} of {expected_length} bytes')


def download(url, part_path, algorithm, timeout=30, validate_certs=True, retries=3, resume=True,
             expected=None, sleep=time.sleep, chunk_size=CHUNK_SIZE):
    """Download ``url`` (or copy a local path) into ``part_path``, hashing while streaming.

    An existing ``part_path`` is continued with an HTTP range request when ``resume`` is true
    and the source is http(s); a server that answers 200 instead of 206 gets a download from
    the start. Transient errors are retried ``retries`` times with a growing delay, resuming
    from what was already written. ``part_path`` is kept on network failure.
    A part that already has the ``expected`` digest is used without a request.
    Returns Download(path, digest, size, resumed); ``resumed`` is true when bytes from an
    earlier attempt were kept.
    """
    part = _PartialFile(part_path, algorithm)
    state = {'resumed': False}
    if resume and _is_http(url) and os.path.isfile(part_path):
        try:
            part.load(chunk_size)
        except OSError:
            part.reset()
        if part.size and part.digest() == expected:
            return Download(part_path, expected, part.size, True)

    def attempt():
        while True:
            headers = {}
            offset = part.size if _is_http(url) else 0
            if offset:
                headers['Range'] = f'bytes={offset}-'
            try:
                stream, status, response_headers = _open(url, headers, timeout, validate_certs)
            except BootAssetError as exc:
                cause = exc.__cause__
                if offset and isinstance(cause, urllib.error.HTTPError) and cause.code == 416:
                    cause.close()
                    part.reset()  # range not satisfiable: the part is no prefix of this file
                    continue
                raise
            with stream:
                if offset and status == 206:
                    if _content_range_start(response_headers.get('Content-Range')) != offset:
                        part.reset()
                        continue
                    state['resumed'] = True
                else:
                    part.reset()  # range ignored (200) or no range asked: start from zero
                    state['resumed'] = False
                length = response_headers.get('Content-Length')
                expected_length = int(length) if length and length.isdigit() else None
                part.copy_from(url, stream, expected_length, chunk_size)
            return

    _retrying(url, retries, attempt, sleep)
    return Download(part_path, part.digest(), part.size, state['resumed'])


def fetch_verified(url, part_path, algorithm, expected, timeout=30, validate_certs=True, retries=3,
                   sleep=time.sleep, chunk_size=CHUNK_SIZE):
    """Download ``url`` into ``part_path`` and check its digest against ``expected``.

    A complete ``part_path`` left by an earlier run is used without a request. When a
    resumed download has the wrong digest (the part may come from an older version of the
    file), the part is dropped and the download restarted once from zero. On mismatch
    ``part_path`` is removed and ChecksumMismatchError raised.
    """
    result = download(url, part_path, algorithm, timeout, validate_certs, retries, True, expected, sleep, chunk_size)
    if result.digest != expected and result.resumed:
        result = download(url, part_path, algorithm, timeout, validate_certs, retries, False, None, sleep, chunk_size)
    if result.digest != expected:
        try:
            os.remove(part_path)
        except OSError:
            pass
        raise ChecksumMismatchError(url, format_checksum(algorithm, expected), format_checksum(algorithm, result.digest))
    return result
