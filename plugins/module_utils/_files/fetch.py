# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fetch a boot file (kernel, initrd, ISO) over HTTP(S) or from a local path, verify it against a
checksum and give it its name.

Downloads go into a private partial file (created exclusively, never through a symbolic link)
that resume with an HTTP range request and retry transient network errors, with a size cap and a
redirect policy; the verified file takes its name atomically.

Private module: its API may change without notice.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import os
import re
import ssl
import stat
import time
import urllib.error
from collections import namedtuple
from urllib.parse import unquote, urlparse

from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import open_url
from ansible_collections.netboot.pxe.plugins.module_utils._files.atomic import replacing
from ansible_collections.netboot.pxe.plugins.module_utils._files.checksums import (
    CHUNK_SIZE,
    BootAssetError,
    format_checksum,
)

# A checksum list larger than this is not a checksum list.
MAX_LIST_SIZE = 16 * 1024 * 1024
# First retry after RETRY_DELAY seconds, then twice as long each time.
RETRY_DELAY = 1.0
# HTTP answers that say "try again later".
TRANSIENT_HTTP = frozenset((408, 425, 429, 500, 502, 503, 504))
HTTP_AGENT = 'ansible-httpget'

Download = namedtuple('Download', 'path digest size resumed')


class TransientError(BootAssetError):
    """A network failure worth retrying."""


class ChecksumMismatchError(BootAssetError):
    """The downloaded file does not have the expected digest."""

    def __init__(self, url, expected, actual):
        self.url = url
        self.expected = expected
        self.actual = actual
        super().__init__(f'checksum mismatch for {url}: expected {expected}, got {actual}')


def default_checksum_name(url):
    """The file name that ``url`` (a URL or a local path) points to."""
    return os.path.basename(unquote(urlparse(url).path)) if url_scheme(url) else os.path.basename(url)


def url_scheme(url):
    """The scheme of ``url`` in lower case; '' for a local path."""
    return urlparse(url).scheme.lower() if '://' in url else ''


def is_supported_source(url):
    """True for http://, https:// and file:// URLs and absolute local paths."""
    scheme = url_scheme(url)
    return scheme in ('http', 'https', 'file') or (not scheme and os.path.isabs(url))


def local_path(url):
    """The path of a local file named by a path or a file:// URL."""
    return unquote(urlparse(url).path) if url_scheme(url) == 'file' else url


def dest_kind(path):
    """What is at ``path``, not following a symbolic link: absent, file, link, directory or other."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return 'absent'
    if stat.S_ISLNK(mode):
        return 'link'
    if stat.S_ISREG(mode):
        return 'file'
    return 'directory' if stat.S_ISDIR(mode) else 'other'


def ensure_work_dir(path):
    """Create the private download directory (mode 0700) or check an existing one.

    It must be a real directory (no symbolic link) owned by this user; a looser mode is
    tightened to 0700.
    """
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        info = os.lstat(path)
    except OSError as exc:
        raise BootAssetError(f'work_dir {path}: cannot create it: {exc}') from exc
    if not stat.S_ISDIR(info.st_mode):
        raise BootAssetError(f'work_dir {path} is not a directory (a symbolic link is refused)')
    if info.st_uid != os.geteuid():
        raise BootAssetError(f'work_dir {path} is owned by uid {info.st_uid}, not by uid {os.geteuid()} who runs this')
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(path, 0o700)
    return path


def part_path(work_dir, url, dest):
    """The partial file of ``url`` -> ``dest`` in ``work_dir``; stable, so a later run resumes it."""
    key = hashlib.sha256(f'{url}\0{dest}'.encode('utf-8', 'surrogateescape')).hexdigest()[:32]
    name = re.sub(r'[^A-Za-z0-9._-]', '_', os.path.basename(dest))[:64]
    return os.path.join(work_dir, f'{key}-{name}.part')


def _is_http(url):
    return url_scheme(url) in ('http', 'https')


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


# URL options as ansible.module_utils.urls takes them; the defaults of the module.
URL_DEFAULTS = {
    'timeout': 30, 'validate_certs': True, 'headers': None, 'url_username': None, 'url_password': None,
    'force_basic_auth': False, 'use_proxy': True, 'client_cert': None, 'client_key': None,
}
MAX_REDIRECTS = 10
# Headers that carry credentials; not sent on after a redirect to another host.
_SECRET_HEADERS = ('authorization', 'proxy-authorization', 'cookie')


def url_options(**options):
    """URL_DEFAULTS updated with ``options`` (unknown names are refused)."""
    unknown = sorted(set(options) - set(URL_DEFAULTS))
    if unknown:
        raise TypeError(f'unknown URL options: {", ".join(unknown)}')
    result = dict(URL_DEFAULTS)
    result.update((key, value) for key, value in options.items() if value is not None or key == 'headers')
    return result


def _origin(url):
    parsed = urlparse(url)
    scheme = parsed.scheme.lower()
    return scheme, (parsed.hostname or '').lower(), parsed.port or {'http': 80, 'https': 443}.get(scheme)


def check_redirect(old, new):
    """Refuse a redirect to anything but http(s), and from https to plain http."""
    scheme = url_scheme(new)
    if scheme not in ('http', 'https'):
        raise BootAssetError(f'refusing the redirect from {old} to {new}: only http:// and https:// are followed')
    if url_scheme(old) == 'https' and scheme == 'http':
        raise BootAssetError(f'refusing the redirect from {old} to {new}: it goes from https to plain http')


def _open(url, headers, options):
    """Open ``url`` (or a local path) for reading; return (stream, HTTP status or None, headers).

    Redirects are followed here, at most MAX_REDIRECTS, each checked by check_redirect;
    on a redirect to another host the credentials are not sent on.
    """
    if not url_scheme(url):
        try:
            return open(url, 'rb'), None, {}
        except OSError as exc:
            raise BootAssetError(f'cannot read {url}: {exc}') from exc
    options = options or URL_DEFAULTS
    sent = dict(options['headers'] or {})
    sent.update(headers or {})
    auth = {key: options[key] for key in ('url_username', 'url_password', 'force_basic_auth')}
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            response = open_url(current, headers=sent, timeout=options['timeout'], validate_certs=options['validate_certs'],
                                use_proxy=options['use_proxy'], client_cert=options['client_cert'],
                                client_key=options['client_key'], http_agent=HTTP_AGENT, decompress=False,
                                follow_redirects='none', **auth)
        except urllib.error.HTTPError as exc:
            if not 300 <= exc.code < 400 or exc.code == 304:
                raise _network_error(current, exc) from exc
            target = exc.geturl()
            exc.close()
            if not target or target == current:
                raise BootAssetError(f'{current}: HTTP {exc.code} redirect without a usable Location') from exc
            check_redirect(current, target)
            if _origin(target) != _origin(current):
                sent = {key: value for key, value in sent.items() if key.lower() not in _SECRET_HEADERS}
                auth = {'url_username': None, 'url_password': None, 'force_basic_auth': False}
            current = target
            continue
        except _NETWORK_ERRORS as exc:
            raise _network_error(current, exc) from exc
        return response, response.getcode(), response.headers
    raise BootAssetError(f'{url}: more than {MAX_REDIRECTS} redirects')


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


def read_bytes(url, options=None, retries=3, sleep=time.sleep, max_size=MAX_LIST_SIZE):
    """Return the content of a small file (a checksum list, a Release file) at ``url`` or a local path."""
    def attempt():
        stream = _open(url, None, options)[0]
        try:
            with stream:
                data = stream.read(max_size + 1)
        except _NETWORK_ERRORS as exc:
            raise _network_error(url, exc) from exc
        if len(data) > max_size:
            raise BootAssetError(f'{url} is larger than {max_size} bytes: not a checksum list')
        return data
    return _retrying(url, retries, attempt, sleep)


def _content_range(value):
    """(start, total or None) of a Content-Range header, or None."""
    match = re.fullmatch(r'\s*bytes\s+(\d+)-\d+/(\d+|\*)\s*', value or '')
    if not match:
        return None
    return int(match.group(1)), None if match.group(2) == '*' else int(match.group(2))


def _content_range_start(value):
    parsed = _content_range(value)
    return parsed[0] if parsed else None


class SizeLimitError(BootAssetError):
    """The file is larger than max_size."""


def _size_check(url, size, max_size, how):
    if max_size is not None and size > max_size:
        raise SizeLimitError(f'{url} is larger than max_size {max_size} bytes ({how} {size})')


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW


def _check_own_file(fd, path):
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
        raise BootAssetError(f'{path} is not a regular file of uid {os.geteuid()}; remove it')


class _PartialFile:
    """The partial file being written and the digest of what it holds so far.

    Opened without following a symbolic link; a new one is created exclusively, mode 0600.
    """

    def __init__(self, path, algorithm):
        self.path = path
        self.algorithm = algorithm
        self.hasher = hashlib.new(algorithm)
        self.size = 0

    def load(self, chunk_size):
        """Hash an existing part file; afterwards a download can continue it."""
        hasher = hashlib.new(self.algorithm)
        size = 0
        fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, 'rb') as f:
            _check_own_file(f.fileno(), self.path)
            for chunk in iter(lambda: f.read(chunk_size), b''):
                hasher.update(chunk)
                size += len(chunk)
        self.hasher, self.size = hasher, size

    def reset(self):
        self.hasher = hashlib.new(self.algorithm)
        self.size = 0

    def remove(self):
        self.reset()
        try:
            os.unlink(self.path)   # a symbolic link is removed, never followed
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise BootAssetError(f'cannot remove {self.path}: {exc}') from exc

    def digest(self):
        return self.hasher.hexdigest()

    def _open_for_writing(self):
        if self.size:
            fd = os.open(self.path, os.O_WRONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            try:
                _check_own_file(fd, self.path)
                os.ftruncate(fd, self.size)
                os.lseek(fd, self.size, os.SEEK_SET)
            except BaseException:
                os.close(fd)
                raise
            return fd
        self.remove()
        return os.open(self.path, _CREATE, 0o600)

    def copy_from(self, url, stream, expected_length, chunk_size, max_size=None):
        """Append ``stream`` at the current size, hashing as it goes."""
        received = 0
        try:
            with os.fdopen(self._open_for_writing(), 'wb') as out:
                while True:
                    try:
                        chunk = stream.read(chunk_size)
                    except _NETWORK_ERRORS as exc:
                        raise _network_error(url, exc) from exc
                    if not chunk:
                        break
                    _size_check(url, self.size + len(chunk), max_size, 'received at least')
                    out.write(chunk)
                    self.hasher.update(chunk)
                    self.size += len(chunk)
                    received += len(chunk)
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            raise BootAssetError(f'cannot write {self.path}: {exc}') from exc
        if expected_length is not None and received < expected_length:
            raise TransientError(f'{url}: connection closed after {received} of {expected_length} bytes')


def download(url, part_path, algorithm, options=None, retries=3, resume=True, expected=None,
             sleep=time.sleep, chunk_size=CHUNK_SIZE, max_size=None):
    """Download ``url`` (or copy a local path) into ``part_path``, hashing while streaming.

    An existing ``part_path`` is continued with an HTTP range request when ``resume`` is true
    and the source is http(s); a server that answers 200 instead of 206 gets a download from
    the start. Transient errors are retried ``retries`` times with a growing delay, resuming
    from what was already written. ``part_path`` is kept on network failure, and removed
    when the file is larger than ``max_size`` bytes (by Content-Length or by the bytes read).
    A part that already has the ``expected`` digest is used without a request.
    ``part_path`` is never followed if it is a symbolic link: such a link is removed.
    Returns Download(path, digest, size, resumed); ``resumed`` is true when bytes from an
    earlier attempt were kept.
    """
    part = _PartialFile(part_path, algorithm)
    state = {'resumed': False}
    if resume and _is_http(url) and os.path.lexists(part_path):
        try:
            part.load(chunk_size)
        except (OSError, BootAssetError):
            part.remove()
        if max_size is not None and part.size > max_size:
            part.remove()
        if part.size and part.digest() == expected:
            return Download(part_path, expected, part.size, True)

    def attempt():
        while True:
            headers = {}
            offset = part.size if _is_http(url) else 0
            if offset:
                headers['Range'] = f'bytes={offset}-'
            try:
                stream, status, response_headers = _open(url, headers, options)
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
                if status is None:
                    _size_check(url, os.fstat(stream.fileno()).st_size, max_size, 'size')
                elif expected_length is not None:
                    _size_check(url, part.size + expected_length, max_size, 'Content-Length says')
                part.copy_from(url, stream, expected_length, chunk_size, max_size)
            return

    try:
        _retrying(url, retries, attempt, sleep)
    except SizeLimitError:
        part.remove()
        raise
    return Download(part_path, part.digest(), part.size, state['resumed'])


def fetch_verified(url, part_path, algorithm, expected, options=None, retries=3, sleep=time.sleep,
                   chunk_size=CHUNK_SIZE, max_size=None):
    """Download ``url`` into ``part_path`` and check its digest against ``expected``.

    A complete ``part_path`` left by an earlier run is used without a request. When a
    resumed download has the wrong digest (the part may come from an older version of the
    file), the part is dropped and the download restarted once from zero. On mismatch
    ``part_path`` is removed and ChecksumMismatchError raised.
    """
    args = (options, retries)
    result = download(url, part_path, algorithm, *args, True, expected, sleep, chunk_size, max_size)
    if result.digest != expected and result.resumed:
        result = download(url, part_path, algorithm, *args, False, None, sleep, chunk_size, max_size)
    if result.digest != expected:
        try:
            os.remove(part_path)
        except OSError:
            pass
        raise ChecksumMismatchError(url, format_checksum(algorithm, expected), format_checksum(algorithm, result.digest))
    return result


def install_file(part_path, dest, algorithm, expected, prepare, chunk_size=CHUNK_SIZE):
    """Give the verified ``part_path`` the name ``dest``, atomically.

    ``prepare(path)`` sets owner, group and mode before the file gets its name. A rename
    replaces whatever is at ``dest`` (a symbolic link included) and never writes through
    it. Across filesystems the file is copied into a new private file in the directory of
    ``dest`` (atomic.replacing), checked again, prepared, then renamed over ``dest``.
    """
    prepare(part_path)
    try:
        os.rename(part_path, dest)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise BootAssetError(f'cannot move {part_path} to {dest}: {exc}') from exc
    hasher = hashlib.new(algorithm)
    try:
        with replacing(dest) as (out, temporary):
            with os.fdopen(os.open(part_path, os.O_RDONLY | os.O_NOFOLLOW), 'rb') as src:
                for chunk in iter(lambda: src.read(chunk_size), b''):
                    hasher.update(chunk)
                    out.write(chunk)
            if hasher.hexdigest() != expected:
                raise BootAssetError(f'{temporary} changed while it was copied from {part_path}')
            out.flush()
            prepare(temporary)
    except OSError as exc:
        raise BootAssetError(f'cannot copy {part_path} to {dest}: {exc}') from exc
    os.unlink(part_path)
