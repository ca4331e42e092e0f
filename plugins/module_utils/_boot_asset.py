# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fetch a boot file (kernel, initrd, ISO) and verify it against a checksum.

Checksum lists in three formats (GNU coreutils, BSD tag, ``.treeinfo``), digests
computed while streaming, downloads into a private partial file (created
exclusively, never through a symbolic link) that resume with an HTTP range
request and retry transient network errors, a size cap, a redirect policy,
and the dpkg md5sums of local package files.

Private module: its API may change without notice.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import os
import re
import secrets
import ssl
import stat
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
    scheme = _scheme(new)
    if scheme not in ('http', 'https'):
        raise BootAssetError(f'refusing the redirect from {old} to {new}: only http:// and https:// are followed')
    if _scheme(old) == 'https' and scheme == 'http':
        raise BootAssetError(f'refusing the redirect from {old} to {new}: it goes from https to plain http')


def _open(url, headers, options):
    """Open ``url`` (or a local path) for reading; return (stream, HTTP status or None, headers).

    Redirects are followed here, at most MAX_REDIRECTS, each checked by check_redirect;
    on a redirect to another host the credentials are not sent on.
    """
    if not _scheme(url):
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


def read_text(url, options=None, retries=3, sleep=time.sleep, max_size=MAX_LIST_SIZE):
    """read_bytes, decoded as UTF-8 (invalid bytes replaced)."""
    return read_bytes(url, options, retries, sleep, max_size).decode('utf-8', errors='replace')


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
    it. Across filesystems the file is copied into a new file in the directory of ``dest``,
    created exclusively with mode 0600, checked again, prepared, then renamed over ``dest``.
    """
    prepare(part_path)
    try:
        os.rename(part_path, dest)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise BootAssetError(f'cannot move {part_path} to {dest}: {exc}') from exc
    directory, name = os.path.split(dest)
    temp = os.path.join(directory or '.', f'.{name}.{secrets.token_hex(8)}.tmp')
    hasher = hashlib.new(algorithm)
    try:
        source = os.open(part_path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(source, 'rb') as src, os.fdopen(os.open(temp, _CREATE, 0o600), 'wb') as out:
            for chunk in iter(lambda: src.read(chunk_size), b''):
                hasher.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if hasher.hexdigest() != expected:
            raise BootAssetError(f'{temp} changed while it was copied from {part_path}')
        prepare(temp)
        os.replace(temp, dest)
    except BaseException as exc:
        if os.path.lexists(temp):
            os.unlink(temp)
        if isinstance(exc, OSError):
            raise BootAssetError(f'cannot copy {part_path} to {dest}: {exc}') from exc
        raise
    os.unlink(part_path)


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


def local_path(url):
    """The path of a local file named by a path or a file:// URL."""
    return unquote(urlparse(url).path) if _scheme(url) == 'file' else url


def dpkg_checksum(url, run):
    """('md5', digest) of a local file as recorded by the package that installed it.

    The file is looked up with ``dpkg-query --search`` (its path, then the path with symbolic
    links resolved) and its MD5 read from the package's md5sums, whose path
    ``dpkg-query --control-path`` gives. apt checked the package's signature when it was
    installed. ``run(argv)`` runs a command without a shell and returns (rc, stdout, stderr) as
    text: the module's ``run_command``.
    """
    path = local_path(url)
    if _scheme(url) not in ('', 'file') or not _DPKG_PATH.fullmatch(path):
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
