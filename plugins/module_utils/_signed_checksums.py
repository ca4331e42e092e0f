# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""OpenPGP-signed checksum chains: clearsigned files checked with gpgv, Debian InRelease.

Debian: InRelease (clearsigned) -> SHA256 of the installer's SHA256SUMS -> file.
Fedora and EL: the clearsigned CHECKSUM list -> file. Only text that the signature covers is
returned to the caller; anything around the one signed block makes the file refused.

Private module: its API may change without notice.
"""

from __future__ import annotations

import datetime
import email.utils
import hashlib
import os
import posixpath
import re
import shutil
import subprocess
import tempfile
from urllib.parse import unquote, urlparse

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


class SignatureError(Exception):
    """A signature or a signed list does not vouch for what it should."""


def run_argv(argv):
    """Run ``argv`` without a shell; return (rc, stdout bytes, stderr bytes)."""
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, check=False,
                          env=dict(os.environ, LC_ALL='C'))
    return proc.returncode, proc.stdout, proc.stderr


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


def verify_clearsigned(data, keyring, where, run=None, gpgv='gpgv'):
    """Check the clearsigned ``data`` with gpgv against ``keyring``; return the signed text.

    Accepted when gpgv reports at least one valid signature (VALIDSIG) from a key of
    ``keyring`` and no bad one; signatures by keys not in the keyring are ignored (as apt
    does, for archives signed by several keys). The text returned is gpgv's own output,
    which must equal the text between the armor lines; nothing outside the signed block is.
    """
    run = run or run_argv
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


def parse_release(text, where='the Release file', now=None):
    """The SHA256 section of a (signed) Release text: path -> (sha256 hex, size).

    A Valid-Until date in the past is refused.
    """
    fields = _deb822_fields(text, where)
    valid_until = fields.get('valid-until', [''])[0]
    if valid_until:
        try:
            until = email.utils.parsedate_to_datetime(valid_until)
        except (TypeError, ValueError) as exc:
            raise SignatureError(f'{where}: Valid-Until {valid_until!r} is not a date') from exc
        if until.tzinfo is None:
            until = until.replace(tzinfo=datetime.timezone.utc)
        now = now or datetime.datetime.now(datetime.timezone.utc)
        if until < now:
            raise SignatureError(f'{where}: expired on {valid_until} (Valid-Until)')
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


def check_against_release(list_data, release_text, release_url, list_url):
    """Check the bytes of the checksum list at ``list_url`` against the signed Release text."""
    sums = parse_release(release_text, release_url)
    path = release_path(release_url, list_url)
    if path not in sums:
        raise SignatureError(f'release_url {release_url} lists no SHA256 for {path} (checksum_url {list_url})')
    digest, size = sums[path]
    actual = hashlib.sha256(list_data).hexdigest()
    if (actual, len(list_data)) != (digest, size):
        raise SignatureError(f'checksum_url {list_url} does not match release_url {release_url}: '
                             f'expected sha256:{digest} ({size} bytes), got sha256:{actual} ({len(list_data)} bytes)')
    return path
