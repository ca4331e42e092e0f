# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""OpenPGP-signed checksum chains: clearsigned files checked with gpgv, Debian InRelease.

Debian: InRelease (clearsigned) -> SHA256 of the installer's SHA256SUMS -> file.
Fedora and EL: the clearsigned CHECKSUM list -> file. Only text that the signature covers is
returned to the caller; anything around the one signed block makes the file refused.

A signed InRelease is pinned to the release its URL names (Codename or Suite of
``dists/<name>/``), must not be older than the one accepted before (its Date, kept in a small
JSON file of release URL -> date) and must not have expired (Valid-Until).

Private module: its API may change without notice.
"""

from __future__ import annotations

import datetime
import email.utils
import hashlib
import json
import os
import posixpath
import re
import shutil
import tempfile
from collections import namedtuple
from urllib.parse import unquote, urlparse

from ansible_collections.netboot.pxe.plugins.module_utils._files.atomic import read_nofollow, write_file

# The whole file is one clearsigned message: the armor header, Hash lines, a blank line,
# the dash-escaped text, the signature block, then only whitespace.
_CLEARSIGNED = re.compile(
    r'-----BEGIN PGP SIGNED MESSAGE-----\r?\n'
    r'(?:Hash: [A-Za-z0-9-]+(?:, ?[A-Za-z0-9-]+)*\r?\n)*'
    r'\r?\n'
    r'(?P<text>(?:(?!-----BEGIN PGP |-----END PGP )[^\n]*\n)*?)'
    r'-----BEGIN PGP SIGNATURE-----\r?\n'
    r'(?P<armor>(?:(?!-----)[^\n]*\n)*)'
    r'-----END PGP SIGNATURE-----[ \t\r\n]*',
)
# Status lines of gpgv (--status-fd) that make a signature count as good or the file bad.
_GOOD = re.compile(r'\[GNUPG:\] VALIDSIG (?P<fpr>[0-9A-F]{40}|[0-9A-F]{64}) .*')
_BAD = ('BADSIG',)
_WHY = {'NO_PUBKEY': 'no key of the keyring made it', 'BADSIG': 'bad signature', 'EXPSIG': 'expired signature',
        'EXPKEYSIG': 'made by an expired key', 'REVKEYSIG': 'made by a revoked key', 'ERRSIG': 'cannot be checked'}
_RELEASE_SUM = re.compile(r'[ \t]+(?P<digest>[0-9a-fA-F]{64})[ \t]+(?P<size>[0-9]+)[ \t]+(?P<path>[^\s]+)[ \t]*')
_FIELD = re.compile(r'(?P<name>[A-Za-z0-9][A-Za-z0-9_-]*):(?P<value>.*)')
# The path of a release file: .../dists/<codename or suite>/<file>.
_DISTS = re.compile(r'(?:.*/)?dists/(?P<name>[^/]+)/[^/]+')

ReleaseCheck = namedtuple('ReleaseCheck', 'path date')


class SignatureError(Exception):
    """A signature or a signed list does not vouch for what it should."""


class OlderReleaseError(SignatureError):
    """A signed release older than the one accepted before: replayed or rolled back."""


def _plain_text(data, where):
    if isinstance(data, bytes):
        try:
            data = data.decode('utf-8')
        except UnicodeDecodeError as exc:
            raise SignatureError(f'{where} is not UTF-8 text: {exc}') from exc
    return data


def _canonical(text, dash_escaped):
    """Text with dash-escaping undone, CR LF as LF, no trailing blanks and no final line break.

    Trailing blanks are not covered by a clearsigned signature (RFC 4880, 7.1).
    """
    lines = text.replace('\r\n', '\n').split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    if dash_escaped:
        lines = [line[2:] if line.startswith('- ') else line for line in lines]
    return '\n'.join(line.rstrip(' \t\r') for line in lines)


def clearsigned_text(data, where):
    """The body of a file that is exactly one clearsigned message, else SignatureError."""
    text = _plain_text(data, where).replace('\r\n', '\n')
    match = _CLEARSIGNED.fullmatch(text)
    if not match:
        raise SignatureError(f'{where} is not one clearsigned OpenPGP message with nothing around it')
    body = match.group('text')
    # The line break before the signature belongs to the signature.
    return _canonical(body[:-1] if body.endswith('\n') else body, True)


def verify_clearsigned(data, keyring, where, run, gpgv='gpgv'):
    """Check the clearsigned ``data`` with gpgv against ``keyring``; return the signed text.

    ``run(argv)`` runs gpgv without a shell and with ``LC_ALL=C`` and returns (rc, stdout,
    stderr): the module's ``run_command``, bytes out.

    Accepted when gpgv reports at least one valid signature (VALIDSIG) from a key of
    ``keyring`` and no bad one; signatures by keys not in the keyring are ignored (as apt
    does, for archives signed by several keys). The text returned is gpgv's own output,
    which must equal the text between the armor lines; nothing outside the signed block is.
    """
    expected = clearsigned_text(data, where)
    if not isinstance(keyring, str) or not os.path.isabs(keyring):
        raise SignatureError(f'keyring must be an absolute path, got {keyring!r}')
    if not os.path.isfile(keyring):
        raise SignatureError(f'keyring {keyring} does not exist or is not a file')
    raw = data if isinstance(data, bytes) else data.encode('utf-8')
    home = tempfile.mkdtemp(prefix='netboot-gpgv-')
    try:
        signed = os.path.join(home, 'signed')
        with open(signed, 'wb') as f:
            f.write(raw)
        rc, out, err = run([gpgv, '--homedir', home, '--keyring', keyring, '--status-fd', '2',
                            '--output', '-', signed])
    finally:
        shutil.rmtree(home, ignore_errors=True)
    out = out if isinstance(out, bytes) else out.encode('utf-8', 'surrogateescape')
    err = err.decode('utf-8', 'replace') if isinstance(err, bytes) else err
    status = [line for line in err.splitlines() if line.startswith('[GNUPG:] ')]
    words = [line.split()[1] for line in status if len(line.split()) > 1]
    good = [m.group('fpr') for m in map(_GOOD.fullmatch, status) if m]
    if any(word in _BAD for word in words) or not good or 'GOODSIG' not in words:
        reasons = sorted(set(_WHY[word] for word in words if word in _WHY)) or [f'gpgv exit status {rc}']
        raise SignatureError(f'{where}: no good signature from a key of {keyring} ({", ".join(reasons)})')
    try:
        text = out.decode('utf-8')
    except UnicodeDecodeError as exc:
        raise SignatureError(f'{where}: the signed text is not UTF-8: {exc}') from exc
    if _canonical(text, False) != expected:
        raise SignatureError(f'{where}: the text gpgv checked differs from the text between the armor lines')
    return expected


def _deb822_fields(text, where):
    """Field name (lowercase) -> list of lines (the first line's value, then continuation lines)."""
    fields = {}
    current = None
    for line in text.split('\n'):
        if not line.strip():
            if fields:
                break   # only the first paragraph
            continue
        if line[0] in ' \t':
            if current is None:
                raise SignatureError(f'{where}: continuation line before any field: {line!r}')
            fields[current].append(line)
            continue
        match = _FIELD.fullmatch(line)
        if not match:
            raise SignatureError(f'{where}: not a field: {line!r}')
        current = match.group('name').lower()
        if current in fields:
            raise SignatureError(f'{where}: field {match.group("name")} is given twice')
        fields[current] = [match.group('value').strip()]
    return fields


def _date_field(fields, name, where):
    """The RFC 2822 date of field ``name`` (UTC when it has no zone), or None when it is absent."""
    if name.lower() not in fields:
        return None
    value = ' '.join(line.strip() for line in fields[name.lower()]).strip()
    try:
        date = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError) as exc:
        raise SignatureError(f'{where}: {name} {value!r} is not a date') from exc
    if date is None:
        raise SignatureError(f'{where}: {name} {value!r} is not a date')
    return date if date.tzinfo is not None else date.replace(tzinfo=datetime.timezone.utc)


def release_date(text, where='the Release file'):
    """The Date of a (signed) Release text, timezone-aware; a Release without one is refused."""
    date = _date_field(_deb822_fields(text, where), 'Date', where)
    if date is None:
        raise SignatureError(f'{where}: has no Date field, so an older release cannot be told from a newer one')
    return date


def release_name(release_url):
    """The codename or suite that ``release_url`` names: <name> of .../dists/<name>/InRelease."""
    match = _DISTS.fullmatch(_local_or_url(release_url)[2])
    if not match or match.group('name') in ('.', '..'):
        raise SignatureError(f'release_url {release_url} names no release: its path must end in '
                             'dists/<codename or suite>/InRelease')
    return match.group('name')


def check_release_name(text, release_url):
    """Refuse a Release whose Codename and Suite both differ from the name in ``release_url``; return that name."""
    expected = release_name(release_url)
    fields = _deb822_fields(text, f'release_url {release_url}')
    found = {name: fields[name.lower()][0] for name in ('Codename', 'Suite') if name.lower() in fields}
    if expected not in found.values():
        found_text = ', '.join(f'{name} {value!r}' for name, value in found.items()) or 'neither Codename nor Suite'
        raise SignatureError(f'release_url {release_url} is signed for another release: '
                             f'expected Codename or Suite {expected!r}, found {found_text}')
    return expected


def check_release_date(date, last_date, where):
    """Refuse a release ``date`` older than ``last_date``, the Date of the release accepted before."""
    if last_date is not None and date < last_date:
        raise OlderReleaseError(f'{where}: Date {date.isoformat()} is older than {last_date.isoformat()}, the Date '
                                'of the release accepted before (a replayed or rolled-back release)')


def parse_release(text, where='the Release file', now=None):
    """The SHA256 section of a (signed) Release text: path -> (sha256 hex, size).

    A Valid-Until date in the past is refused.
    """
    fields = _deb822_fields(text, where)
    until = _date_field(fields, 'Valid-Until', where)
    if until is not None and until < (now or datetime.datetime.now(datetime.timezone.utc)):
        raise SignatureError(f'{where}: expired on {fields["valid-until"][0]} (Valid-Until)')
    if 'sha256' not in fields:
        raise SignatureError(f'{where}: has no SHA256 field')
    first, rest = fields['sha256'][0], fields['sha256'][1:]
    if first:
        raise SignatureError(f'{where}: SHA256 lines must follow the field name, got {first!r}')
    sums = {}
    for line in rest:
        match = _RELEASE_SUM.fullmatch(line)
        if not match:
            raise SignatureError(f'{where}: not a SHA256 line: {line!r}')
        path = match.group('path')
        entry = (match.group('digest').lower(), int(match.group('size')))
        if sums.get(path, entry) != entry:
            raise SignatureError(f'{where}: {path} is listed twice with different sums')
        sums[path] = entry
    return sums


def _local_or_url(url):
    """(scheme, host, path) of a URL, or ('', '', path) of a local path or file:// URL."""
    if '://' not in url:
        return '', '', url
    parsed = urlparse(url)
    scheme = parsed.scheme.lower()
    if scheme == 'file':
        return '', '', unquote(parsed.path)
    return scheme, parsed.netloc.lower(), unquote(parsed.path)


def release_path(release_url, list_url):
    """The path of ``list_url`` relative to the directory of ``release_url``, as Release lists it."""
    r_scheme, r_host, r_path = _local_or_url(release_url)
    l_scheme, l_host, l_path = _local_or_url(list_url)
    base = posixpath.dirname(r_path) + '/'
    parts = l_path.split('/')
    if (r_scheme, r_host) != (l_scheme, l_host) or not l_path.startswith(base) or '..' in parts or '.' in parts:
        raise SignatureError(f'checksum_url {list_url} is not below the directory of release_url {release_url}')
    return l_path[len(base):]


def check_against_release(list_data, release_text, release_url, list_url, last_date=None, now=None):
    """Check the bytes of the checksum list at ``list_url`` against the signed Release text.

    The Release must be the one ``release_url`` names (check_release_name), have a Date not
    older than ``last_date`` and no Valid-Until before ``now``. Returns ReleaseCheck(path of
    the list in the Release, Date of the Release).
    """
    where = f'release_url {release_url}'
    path = release_path(release_url, list_url)
    check_release_name(release_text, release_url)
    date = release_date(release_text, where)
    check_release_date(date, last_date, where)
    sums = parse_release(release_text, where, now)
    if path not in sums:
        raise SignatureError(f'release_url {release_url} lists no SHA256 for {path} (checksum_url {list_url})')
    digest, size = sums[path]
    actual = hashlib.sha256(list_data).hexdigest()
    if (actual, len(list_data)) != (digest, size):
        raise SignatureError(f'checksum_url {list_url} does not match release_url {release_url}: '
                             f'expected sha256:{digest} ({size} bytes), got sha256:{actual} ({len(list_data)} bytes)')
    return ReleaseCheck(path, date)


def parse_release_dates(data, where):
    """{release URL: aware datetime} of the JSON bytes of a release dates file."""
    try:
        dates = json.loads(data.decode('utf-8'))
    except (UnicodeDecodeError, ValueError) as exc:
        raise SignatureError(f'{where} is not JSON: {exc}; remove it to start the record afresh') from exc
    if not isinstance(dates, dict):
        raise SignatureError(f'{where} must be a JSON object of release URLs and dates, got {type(dates).__name__}')
    result = {}
    for url, value in dates.items():
        try:
            date = datetime.datetime.fromisoformat(value)
        except (TypeError, ValueError):
            date = None
        if date is None or date.tzinfo is None:
            raise SignatureError(f'{where}: the date of {url} is not an ISO 8601 date with a time zone, got {value!r}')
        result[url] = date
    return result


def release_dates_json(dates):
    """The bytes of a release dates file: {release URL: ISO 8601 date in UTC}."""
    utc = {url: date.astimezone(datetime.timezone.utc).isoformat() for url, date in dates.items()}
    return (json.dumps(utc, indent=2, sort_keys=True) + '\n').encode()


def read_release_dates(path):
    """The release dates file at ``path``; {} when there is none. A symbolic link is refused."""
    if not os.path.lexists(path):
        return {}
    found = read_nofollow(path)
    if found is None:
        raise SignatureError(f'release dates file {path} is not a regular file (a symbolic link is refused)')
    return parse_release_dates(found[0], f'release dates file {path}')


def write_release_dates(path, dates):
    """Write the release dates file atomically (mode 0644, a link at ``path`` replaced); make its directory."""
    try:
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        write_file(path, release_dates_json(dates), 0o644, os.geteuid(), os.getegid())
    except OSError as exc:
        raise SignatureError(f'cannot write the release dates file {path}: {exc}') from exc
