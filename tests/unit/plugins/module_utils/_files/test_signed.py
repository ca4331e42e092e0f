# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Clearsigned files checked with a real gpgv and throwaway keys; Release files parsed."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import posixpath
import re
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.netboot.pxe.plugins.module_utils._files.checksums import parse_checksum_list
from ansible_collections.netboot.pxe.plugins.module_utils._files.signed import (
    OlderReleaseError,
    SignatureError,
    check_against_release,
    check_release_name,
    clearsigned_text,
    parse_release,
    parse_release_dates,
    read_release_dates,
    release_date,
    release_dates_json,
    release_name,
    release_path,
    verify_clearsigned,
    write_release_dates,
)

H64 = 'ab' * 32
SUMS = f'{H64}  ./netboot/debian-installer/amd64/linux\n'
LIST = f'# Fedora-Server-44 CHECKSUM\nSHA256 (Fedora-Server-netinst-x86_64-44.iso) = {H64}\n'
REAL_INRELEASE = '/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease'
DEBIAN_KEYRINGS = '/usr/share/keyrings'


def run_gpgv(argv):
    """gpgv as the module runs it (its run_command, no shell, LC_ALL=C): (rc, stdout, stderr) as bytes."""
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, check=False,
                          env=dict(os.environ, LC_ALL='C'))
    return proc.returncode, proc.stdout, proc.stderr


UTC = datetime.timezone.utc
DATE = 'Sat, 09 Aug 2025 09:15:57 UTC'
LAST = datetime.datetime(2025, 8, 9, 9, 15, 57, tzinfo=UTC)


def release(sums_by_path, extra='', suite='testing', codename='trixie', date=DATE):
    """A Release text; a field given as None is left out."""
    lines = ''.join(f' {hashlib.sha256(data).hexdigest()} {len(data):8d} {path}\n' for path, data in sums_by_path.items())
    head = ''.join(f'{name}: {value}\n' for name, value in (('Suite', suite), ('Codename', codename), ('Date', date))
                   if value is not None)
    return f'Origin: Test\n{head}{extra}SHA256:\n{lines}'


def test_good_clearsigned_list_gives_the_signed_text(openpgp):
    signed = openpgp['signer'].clearsign(LIST)
    text = verify_clearsigned(signed, openpgp['signer'].keyring, 'CHECKSUM', run_gpgv)
    assert text == LIST.rstrip('\n')
    assert [e.name for e in parse_checksum_list(text)] == ['Fedora-Server-netinst-x86_64-44.iso']


def test_dash_escaped_and_trailing_blanks(openpgp):
    text = '- starts with a dash\nkeep\ttabs inside\ntrailing blanks   \n'
    signed = openpgp['signer'].clearsign(text)
    assert verify_clearsigned(signed, openpgp['signer'].keyring, 'x', run_gpgv) == '- starts with a dash\nkeep\ttabs inside\ntrailing blanks'


def _tamper_text(signed):
    return signed.replace(H64.encode(), ('cd' * 32).encode(), 1)


def _append_unsigned(signed):
    return signed + f'{"ef" * 32}  evil.iso\n'.encode()


def _prepend_unsigned(signed):
    return f'{"ef" * 32}  evil.iso\n'.encode() + signed


def _two_messages(signed):
    return signed + signed


def _armor_only(signed):
    return signed[signed.index(b'-----BEGIN PGP SIGNATURE-----'):]


def _plain(signed):
    return LIST.encode()


@pytest.mark.parametrize('tamper, keyring, message', [
    (_tamper_text, 'signer', 'no good signature from a key of'),
    (None, 'stranger', 'no key of the keyring made it'),
    (_append_unsigned, 'signer', 'not one clearsigned OpenPGP message'),
    (_prepend_unsigned, 'signer', 'not one clearsigned OpenPGP message'),
    (_two_messages, 'signer', 'not one clearsigned OpenPGP message'),
    (_armor_only, 'signer', 'not one clearsigned OpenPGP message'),
    (_plain, 'signer', 'not one clearsigned OpenPGP message'),
])
def test_refused_clearsigned_lists(openpgp, tamper, keyring, message):
    signed = openpgp['signer'].clearsign(LIST)
    if tamper:
        signed = tamper(signed)
    with pytest.raises(SignatureError, match=message):
        verify_clearsigned(signed, openpgp[keyring].keyring, 'checksum_url http://m/CHECKSUM', run_gpgv)


@pytest.mark.parametrize('keyring, message', [
    ('relative/keyring.gpg', 'keyring must be an absolute path'),
    ('/nonexistent/keyring.gpg', 'keyring /nonexistent/keyring.gpg does not exist'),
])
def test_keyring_must_exist(openpgp, keyring, message):
    with pytest.raises(SignatureError, match=message):
        verify_clearsigned(openpgp['signer'].clearsign(LIST), keyring, 'x', run_gpgv)


def test_status_lines_decide_not_the_exit_code(openpgp):
    signed = openpgp['signer'].clearsign(LIST)

    def lying_gpgv(argv):
        return 0, LIST.encode(), b'[GNUPG:] BADSIG 0123456789ABCDEF someone\n'

    with pytest.raises(SignatureError, match='bad signature'):
        verify_clearsigned(signed, openpgp['signer'].keyring, 'x', run=lying_gpgv)


def test_output_must_be_the_text_between_the_armor_lines(openpgp):
    signed = openpgp['signer'].clearsign(LIST)
    fpr = 'A' * 40

    def other_text(argv):
        return 0, b'something else\n', f'[GNUPG:] GOODSIG 0123 x\n[GNUPG:] VALIDSIG {fpr} 2026-01-01 0 0 4 0 22 8 01 {fpr}\n'.encode()

    with pytest.raises(SignatureError, match='differs from the text between the armor lines'):
        verify_clearsigned(signed, openpgp['signer'].keyring, 'x', run=other_text)


# A line outside the signed block, or a changed signed line, is never accepted.
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.sampled_from(['before', 'after', 'in-text', 'in-armor', 'after-header']),
       line=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=60))
def test_an_unsigned_line_never_reaches_the_parser(openpgp, where, line):
    base = openpgp['signer'].clearsign(LIST).decode()
    evil = f'{"ef" * 32}  {line.strip() or "x"}'
    lines = base.split('\n')
    at = {'before': 0, 'after': len(lines), 'in-text': 4, 'after-header': 1,
          'in-armor': lines.index('-----BEGIN PGP SIGNATURE-----') + 2}[where]
    tampered = '\n'.join(lines[:at] + [evil] + lines[at:])
    try:
        text = verify_clearsigned(tampered.encode(), openpgp['signer'].keyring, 'x', run_gpgv)
    except SignatureError:
        return
    assert parse_checksum_list(text) == parse_checksum_list(LIST)


@pytest.mark.parametrize('text, message', [
    ('-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\nNotDashEscaped: yes\n\nx\n-----BEGIN PGP SIGNATURE-----\n\nabc\n'
     '-----END PGP SIGNATURE-----\n', 'not one clearsigned'),
    ('-----BEGIN PGP SIGNED MESSAGE-----\n\nx\n-----BEGIN PGP SIGNED MESSAGE-----\n\ny\n-----BEGIN PGP SIGNATURE-----\n\nabc\n'
     '-----END PGP SIGNATURE-----\n', 'not one clearsigned'),
    (b'\xff\xfe', 'not UTF-8'),
])
def test_clearsigned_structure(text, message):
    with pytest.raises(SignatureError, match=message):
        clearsigned_text(text, 'x')


@pytest.mark.parametrize('text, expected', [
    (release({'main/installer-amd64/current/images/SHA256SUMS': SUMS.encode()}),
     {'main/installer-amd64/current/images/SHA256SUMS': (hashlib.sha256(SUMS.encode()).hexdigest(), len(SUMS))}),
    # MD5Sum and other fields are ignored; field names are case-insensitive; only the first paragraph
    (f'MD5Sum:\n {"0" * 32} 1 a\nsha256:\n {H64.upper()} 10 a/b\n\nSHA256:\n {"cd" * 32} 1 other\n', {'a/b': (H64, 10)}),
    (release({}, extra=f'Valid-Until: {(datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)):%a, %d %b %Y %H:%M:%S} UTC\n'), {}),
])
def test_parse_release(text, expected):
    assert parse_release(text) == expected


@pytest.mark.parametrize('text, message', [
    ('Origin: Test\n', 'has no SHA256 field'),
    (f'SHA256: {H64} 1 a\n', 'must follow the field name'),
    (f'SHA256:\n {H64} a\n', 'not a SHA256 line'),
    (f'SHA256:\n {H64[:-1]} 1 a\n', 'not a SHA256 line'),
    (f'SHA256:\n {H64} 1 a b\n', 'not a SHA256 line'),
    (f'SHA256:\n {H64} 1 a\n {"cd" * 32} 1 a\n', 'listed twice with different sums'),
    (f'SHA256:\nSHA256:\n {H64} 1 a\n', 'given twice'),
    (f' {H64} 1 a\nSHA256:\n', 'continuation line before any field'),
    ('this is no field\n', 'not a field'),
    ('Valid-Until: Sat, 01 Jan 2000 00:00:00 UTC\nSHA256:\n', 'expired on Sat, 01 Jan 2000'),
    ('Valid-Until: someday\nSHA256:\n', 'is not a date'),
])
def test_parse_release_refuses(text, message):
    with pytest.raises(SignatureError, match=message):
        parse_release(text, 'release_url http://m/InRelease')


@pytest.mark.parametrize('release_url, list_url, expected', [
    ('http://m/debian/dists/trixie/InRelease', 'http://m/debian/dists/trixie/main/installer-amd64/current/images/SHA256SUMS',
     'main/installer-amd64/current/images/SHA256SUMS'),
    ('HTTP://M/debian/dists/trixie/InRelease', 'http://m/debian/dists/trixie/main/x', 'main/x'),
    ('file:///srv/mirror/dists/bookworm/InRelease', '/srv/mirror/dists/bookworm/main/SHA256SUMS', 'main/SHA256SUMS'),
    ('/srv/mirror/dists/bookworm/InRelease', 'file:///srv/mirror/dists/bookworm/a%2Bb', 'a+b'),
])
def test_release_path(release_url, list_url, expected):
    assert release_path(release_url, list_url) == expected


@pytest.mark.parametrize('release_url, list_url', [
    ('http://m/debian/dists/trixie/InRelease', 'https://m/debian/dists/trixie/main/SHA256SUMS'),
    ('http://m/debian/dists/trixie/InRelease', 'http://other/debian/dists/trixie/main/SHA256SUMS'),
    ('http://m/debian/dists/trixie/InRelease', 'http://m/debian/dists/trixie-updates/main/SHA256SUMS'),
    ('http://m/debian/dists/trixie/InRelease', 'http://m/debian/dists/trixie/../bookworm/main/SHA256SUMS'),
    ('http://m/debian/dists/trixie/InRelease', 'http://m/debian/dists/trixie/./SHA256SUMS'),
    ('/srv/dists/trixie/InRelease', 'http://m/srv/dists/trixie/SHA256SUMS'),
])
def test_release_path_refuses(release_url, list_url):
    with pytest.raises(SignatureError, match=f'checksum_url {list_url} is not below the directory of release_url'):
        release_path(release_url, list_url)


@pytest.mark.parametrize('data, message', [
    (SUMS.encode(), None),
    (SUMS.encode() + b'\n', 'does not match release_url'),
    (SUMS.replace('ab', 'cd', 1).encode(), 'does not match release_url'),
])
def test_check_against_release(data, message):
    url = 'http://m/dists/trixie/main/installer-amd64/current/images/SHA256SUMS'
    text = release({'main/installer-amd64/current/images/SHA256SUMS': SUMS.encode()})
    if message is None:
        assert check_against_release(data, text, 'http://m/dists/trixie/InRelease', url) == \
            ('main/installer-amd64/current/images/SHA256SUMS', LAST)
    else:
        with pytest.raises(SignatureError, match=message):
            check_against_release(data, text, 'http://m/dists/trixie/InRelease', url)


def test_check_against_release_unlisted_path():
    with pytest.raises(SignatureError, match='lists no SHA256 for main/other/SHA256SUMS'):
        check_against_release(b'', release({}), 'http://m/dists/trixie/InRelease', 'http://m/dists/trixie/main/other/SHA256SUMS')


# --- the signed release is pinned: its name, its Date, its Valid-Until ----------------------

TRIXIE = 'http://m/debian/dists/trixie/InRelease'
SUMS_PATH = 'main/installer-amd64/current/images/SHA256SUMS'
OLDER = 'Sat, 09 Aug 2025 09:15:56 UTC'
NEWER = 'Sun, 10 Aug 2025 00:00:00 UTC'
EXPIRED = 'Valid-Until: Sat, 01 Jan 2000 00:00:00 UTC\n'


def _future(days=1):
    return f'{datetime.datetime.now(UTC) + datetime.timedelta(days=days):%a, %d %b %Y %H:%M:%S} UTC'


def check_chain(release_url, fields, last_date):
    """check_against_release of the SUMS list below ``release_url``, listed by a Release of ``fields``."""
    list_url = posixpath.dirname(release_url) + '/' + SUMS_PATH
    return check_against_release(SUMS.encode(), release({SUMS_PATH: SUMS.encode()}, **fields), release_url, list_url,
                                 last_date)


@pytest.mark.parametrize('release_url, expected', [
    ('https://deb.debian.org/debian/dists/trixie/InRelease', 'trixie'),
    ('http://m/dists/trixie-updates/InRelease', 'trixie-updates'),
    ('http://m/debian/dists/stable/InRelease', 'stable'),
    ('/srv/mirror/dists/bookworm/InRelease', 'bookworm'),
    ('file:///srv/mirror/dists/sid%2Bx/InRelease', 'sid+x'),
])
def test_release_name(release_url, expected):
    assert release_name(release_url) == expected


@pytest.mark.parametrize('release_url', [
    'http://m/debian/InRelease',
    'http://m/dists/InRelease',
    'http://m/dists/trixie/main/InRelease',
    'http://m/dists//InRelease',
    'http://m/dists/../InRelease',
    'http://m/xdists/trixie/InRelease',
    'http://m/dists/trixie/',
])
def test_release_name_refuses(release_url):
    with pytest.raises(SignatureError, match=f'release_url {release_url} names no release'):
        release_name(release_url)


@pytest.mark.parametrize('release_url, fields, last_date, expected_date', [
    (TRIXIE, {}, None, LAST),
    (TRIXIE, {}, LAST, LAST),                                                    # the same release again
    (TRIXIE, {'date': NEWER}, LAST, datetime.datetime(2025, 8, 10, tzinfo=UTC)),  # a newer one
    (TRIXIE, {'date': 'Sat, 09 Aug 2025 11:15:57 +0200'}, LAST, LAST),           # the same instant elsewhere
    (TRIXIE, {'date': 'Sat, 09 Aug 2025 09:15:57'}, None, LAST),                 # no zone: UTC
    ('http://m/debian/dists/testing/InRelease', {'codename': None}, None, LAST),  # the Suite alone
    (TRIXIE, {'codename': 'trixie ', 'suite': None}, None, LAST),                # field values lose their blanks
    ('http://m/debian/dists/stable/InRelease', {'suite': 'stable'}, None, LAST),
    ('/srv/mirror/dists/trixie/InRelease', {}, None, LAST),
    (TRIXIE, {'extra': f'Valid-Until: {_future()}\n'}, None, LAST),
])
def test_check_against_release_pins_the_release(release_url, fields, last_date, expected_date):
    assert check_chain(release_url, fields, last_date) == (SUMS_PATH, expected_date)


@pytest.mark.parametrize('release_url, fields, last_date, error, message', [
    # The review case: bookworm's signed InRelease, which lists the same path, served for trixie.
    (TRIXIE, {'codename': 'bookworm', 'suite': 'oldstable'}, None, SignatureError,
     f"release_url {TRIXIE} is signed for another release: expected Codename or Suite 'trixie', "
     "found Codename 'bookworm', Suite 'oldstable'"),
    (TRIXIE, {'codename': 'trixie-updates'}, None, SignatureError, "found Codename 'trixie-updates', Suite 'testing'"),
    (TRIXIE, {'codename': 'Trixie', 'suite': 'stable'}, None, SignatureError, "found Codename 'Trixie', Suite 'stable'"),
    (TRIXIE, {'codename': None}, None, SignatureError, "found Suite 'testing'"),
    (TRIXIE, {'codename': None, 'suite': None}, None, SignatureError, 'found neither Codename nor Suite'),
    ('http://m/debian/InRelease', {}, None, SignatureError, 'names no release'),
    (TRIXIE, {'date': None}, None, SignatureError, f'release_url {TRIXIE}: has no Date field'),
    (TRIXIE, {'date': 'yesterday'}, None, SignatureError, "Date 'yesterday' is not a date"),
    # A replayed or rolled-back release: older than the one accepted before.
    (TRIXIE, {'date': OLDER}, LAST, OlderReleaseError,
     f'release_url {TRIXIE}: Date 2025-08-09T09:15:56+00:00 is older than 2025-08-09T09:15:57+00:00'),
    (TRIXIE, {'date': 'Sat, 09 Aug 2025 11:15:56 +0200'}, LAST, OlderReleaseError, 'is older than'),
    (TRIXIE, {'date': 'Sat, 12 Jul 2025 10:16:37 UTC'}, LAST, OlderReleaseError, 'is older than'),
    (TRIXIE, {'extra': EXPIRED}, None, SignatureError, f'release_url {TRIXIE}: expired on Sat, 01 Jan 2000'),
    (TRIXIE, {'extra': 'Valid-Until:\n'}, None, SignatureError, "Valid-Until '' is not a date"),
])
def test_check_against_release_refuses_another_release(release_url, fields, last_date, error, message):
    with pytest.raises(error, match=re.escape(message)):
        check_chain(release_url, fields, last_date)


@pytest.mark.parametrize('text, expected', [
    (release({}), LAST),
    (release({}, date='Sat, 09 Aug 2025 11:15:57 +0200'), LAST),
    (release({}, date='Sat, 09 Aug 2025 09:15:57 -0000'), LAST),
])
def test_release_date(text, expected):
    assert release_date(text, 'x') == expected


@pytest.mark.parametrize('text, url, message', [
    (release({}), TRIXIE, None),
    (release({}, codename='bookworm', suite='oldstable'), TRIXIE, "found Codename 'bookworm', Suite 'oldstable'"),
    (release({}, codename='bookworm', suite='oldstable'), 'http://m/dists/oldstable/InRelease', None),
])
def test_check_release_name(text, url, message):
    if message is None:
        assert check_release_name(text, url) == release_name(url)
    else:
        with pytest.raises(SignatureError, match=message):
            check_release_name(text, url)


# The same checks through a real signature: what gpgv vouches for is pinned too.
@pytest.mark.parametrize('fields, last_date, message', [
    ({'codename': 'bookworm', 'suite': 'oldstable'}, None, "expected Codename or Suite 'trixie', found Codename 'bookworm'"),
    ({'date': OLDER}, LAST, 'is older than'),
    ({'extra': EXPIRED}, None, 'expired on'),
    ({}, LAST, None),
    ({'date': NEWER}, LAST, None),
])
def test_a_signed_release_is_pinned(openpgp, fields, last_date, message):
    signed = openpgp['signer'].clearsign(release({SUMS_PATH: SUMS.encode()}, **fields))
    text = verify_clearsigned(signed, openpgp['signer'].keyring, f'release_url {TRIXIE}', run_gpgv)
    list_url = posixpath.dirname(TRIXIE) + '/' + SUMS_PATH
    if message is None:
        assert check_against_release(SUMS.encode(), text, TRIXIE, list_url, last_date).path == SUMS_PATH
    else:
        with pytest.raises(SignatureError, match=message):
            check_against_release(SUMS.encode(), text, TRIXIE, list_url, last_date)


# --- the record of the Dates accepted before --------------------------------------------------

@pytest.mark.parametrize('data, expected', [
    (b'{}', {}),
    (json.dumps({TRIXIE: '2025-08-09T09:15:57+00:00'}).encode(), {TRIXIE: LAST}),
    (json.dumps({TRIXIE: '2025-08-09T11:15:57+02:00'}).encode(), {TRIXIE: LAST}),
])
def test_parse_release_dates(data, expected):
    assert parse_release_dates(data, 'f') == expected


@pytest.mark.parametrize('data, message', [
    (b'', 'f is not JSON'),
    (b'\xff', 'f is not JSON'),
    (b'[]', 'f must be a JSON object of release URLs and dates, got list'),
    (json.dumps({TRIXIE: 1}).encode(), f"f: the date of {TRIXIE} is not an ISO 8601 date with a time zone, got 1"),
    (json.dumps({TRIXIE: 'soon'}).encode(), "got 'soon'"),
    (json.dumps({TRIXIE: '2025-08-09T09:15:57'}).encode(), "got '2025-08-09T09:15:57'"),
])
def test_parse_release_dates_refuses(data, message):
    with pytest.raises(SignatureError, match=message):
        parse_release_dates(data, 'f')


def test_release_dates_round_trip(tmp_path):
    path = tmp_path / 'state' / 'release-dates.json'
    assert read_release_dates(str(path)) == {}
    dates = {TRIXIE: LAST, 'http://m/dists/bookworm/InRelease': datetime.datetime(2026, 7, 11, tzinfo=UTC)}
    write_release_dates(str(path), dates)
    assert read_release_dates(str(path)) == dates
    assert json.loads(path.read_text()) == {TRIXIE: '2025-08-09T09:15:57+00:00',
                                            'http://m/dists/bookworm/InRelease': '2026-07-11T00:00:00+00:00'}
    assert path.read_bytes() == release_dates_json(dates)
    assert oct(path.stat().st_mode & 0o777) == '0o644'
    assert os.listdir(path.parent) == ['release-dates.json']   # no temporary file left


def test_release_dates_are_never_read_or_written_through_a_link(tmp_path):
    target = tmp_path / 'elsewhere.json'
    target.write_text('{}')
    path = tmp_path / 'release-dates.json'
    path.symlink_to(target)
    with pytest.raises(SignatureError, match=f'{path} is not a regular file'):
        read_release_dates(str(path))
    write_release_dates(str(path), {TRIXIE: LAST})
    assert not path.is_symlink() and target.read_text() == '{}'
    assert read_release_dates(str(path)) == {TRIXIE: LAST}


@pytest.mark.skipif(not os.path.isfile(REAL_INRELEASE), reason='no bookworm InRelease in the apt lists of this machine')
@pytest.mark.parametrize('keyring, good', [
    ('debian-archive-keyring.gpg', True),
    ('debian-archive-bookworm-automatic.gpg', True),    # one of the archive's three signatures is enough
    ('debian-archive-bullseye-automatic.gpg', False),   # none of its keys signed it
])
def test_the_real_debian_inrelease(keyring, good):
    with open(REAL_INRELEASE, 'rb') as f:
        data = f.read()
    path = os.path.join(DEBIAN_KEYRINGS, keyring)
    if good:
        sums = parse_release(verify_clearsigned(data, path, 'InRelease', run_gpgv))
        assert 'main/installer-amd64/current/images/SHA256SUMS' in sums
    else:
        with pytest.raises(SignatureError, match='no good signature'):
            verify_clearsigned(data, path, 'InRelease', run_gpgv)


@pytest.mark.skipif(not os.path.isfile(REAL_INRELEASE), reason='no bookworm InRelease in the apt lists of this machine')
@pytest.mark.parametrize('release_url, message', [
    ('http://deb.debian.org/debian/dists/bookworm/InRelease', None),
    ('http://deb.debian.org/debian/dists/oldstable/InRelease', None),
    ('http://deb.debian.org/debian/dists/trixie/InRelease', "found Codename 'bookworm', Suite 'oldstable'"),
])
def test_the_real_debian_inrelease_is_pinned(release_url, message):
    with open(REAL_INRELEASE, 'rb') as f:
        text = verify_clearsigned(f.read(), os.path.join(DEBIAN_KEYRINGS, 'debian-archive-keyring.gpg'), 'InRelease', run_gpgv)
    if message is None:
        assert check_release_name(text, release_url) == release_name(release_url)
        assert release_date(text, 'InRelease').tzinfo is not None
    else:
        with pytest.raises(SignatureError, match=message):
            check_release_name(text, release_url)
