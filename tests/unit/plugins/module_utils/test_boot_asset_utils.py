# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import hashlib
import http.client
import ssl
import urllib.error

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils import _boot_asset
from ansible_collections.netboot.pxe.plugins.module_utils._boot_asset import (
    BootAssetError,
    ChecksumEntry,
    ChecksumMismatchError,
    TransientError,
    default_checksum_name,
    download,
    fetch_verified,
    file_digest,
    find_checksum,
    is_supported_source,
    parse_checksum,
    parse_checksum_list,
    read_text,
)

H64 = '0123456789abcdef' * 4
H128 = 'fedcba9876543210' * 8
G64 = 'a' * 64


@pytest.mark.parametrize('text, expected', [
    # GNU coreutils, text and binary mode
    (f'{H64}  vmlinuz\n', [('vmlinuz', 'sha256', H64)]),
    (f'{H64} *initrd.img\n', [('initrd.img', 'sha256', H64)]),
    (f'{H128}  debian.iso\n', [('debian.iso', 'sha512', H128)]),
    (f'{H64}  ./netboot/debian-installer/amd64/linux\n', [('netboot/debian-installer/amd64/linux', 'sha256', H64)]),
    (f'{H64} *./mini.iso\r\n', [('mini.iso', 'sha256', H64)]),
    (f'{H64}  name with spaces.iso\n', [('name with spaces.iso', 'sha256', H64)]),
    (f'\\{H64}  back\\\\slash\n', [('back\\slash', 'sha256', H64)]),
    # uppercase hex is lowercased
    (f'{H64.upper()}  vmlinuz\n', [('vmlinuz', 'sha256', H64)]),
    # BSD tag (coreutils --tag, Fedora CHECKSUM, openssl dgst)
    (f'SHA256 (Fedora-Server-netinst-x86_64-40.iso) = {H64}\n', [('Fedora-Server-netinst-x86_64-40.iso', 'sha256', H64)]),
    (f'SHA512 (./alpine.iso) = {H128.upper()}\n', [('alpine.iso', 'sha512', H128)]),
    (f'SHA2-256(vmlinuz)= {H64}\n', [('vmlinuz', 'sha256', H64)]),
    (f'sha256 (x (1).iso) = {H64}\n', [('x (1).iso', 'sha256', H64)]),
    # .treeinfo [checksums]
    (f'[checksums]\nimages/pxeboot/vmlinuz = sha256:{H64}\nimages/install.img = SHA512:{H128}\n',
     [('images/pxeboot/vmlinuz', 'sha256', H64), ('images/install.img', 'sha512', H128)]),
    # malformed or foreign lines are ignored
    ('', []),
    ('# comment\n\n[general]\nname = Fedora 40\nkernel = images/pxeboot/vmlinuz\n', []),
    (f'{H64[:-1]}  short\n', []),
    (f'{H64}0  long\n', []),
    (f'{H64}\n', []),
    (f'{"g" * 64}  nothex\n', []),
    (f'SHA256 (vmlinuz) = {H128}\n', []),
    (f'SHA1 (vmlinuz) = {"a" * 40}\n', []),
    (f'MD5 (vmlinuz) = {"a" * 32}\n', []),
    (f'images/pxeboot/vmlinuz = sha256:{H128}\n', []),
    (f'images/pxeboot/vmlinuz = md5:{"a" * 32}\n', []),
    # a clearsigned CHECKSUM file keeps its entries
    ('-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n# Fedora-Server-40 x86_64 CHECKSUM\n'
     f'SHA256 (Fedora-Server-netinst-x86_64-40.iso) = {H64}\n-----BEGIN PGP SIGNATURE-----\n\niQIzBAEBCAAdFiEE\n=abcd\n'
     '-----END PGP SIGNATURE-----\n',
     [('Fedora-Server-netinst-x86_64-40.iso', 'sha256', H64)]),
])
def test_parse_checksum_list(text, expected):
    assert parse_checksum_list(text) == [ChecksumEntry(*e) for e in expected]


def test_parse_checksum_list_mixed_formats():
    text = (f'{H64}  ./a.iso\nSHA512 (b.iso) = {H128}\ngarbage line\n'
            f'[checksums]\nimages/c = sha256:{G64}\n')
    assert [e.name for e in parse_checksum_list(text)] == ['a.iso', 'b.iso', 'images/c']


LIST = [
    ChecksumEntry('vmlinuz', 'sha256', H64),
    ChecksumEntry('images/pxeboot/vmlinuz', 'sha256', G64),
    ChecksumEntry('images/pxeboot/initrd.img', 'sha256', H64),
    ChecksumEntry('netboot/debian-installer/amd64/linux', 'sha256', G64),
    ChecksumEntry('netboot/gtk/debian-installer/amd64/linux', 'sha256', H64),
    ChecksumEntry('both.iso', 'sha256', H64),
    ChecksumEntry('both.iso', 'sha512', H128),
    ChecksumEntry('twice.iso', 'sha256', G64),
    ChecksumEntry('twice.iso', 'sha256', G64),
]


@pytest.mark.parametrize('name, expected', [
    ('vmlinuz', ('sha256', H64)),                       # exact beats the suffix match
    ('./vmlinuz', ('sha256', H64)),
    ('images/pxeboot/vmlinuz', ('sha256', G64)),
    ('pxeboot/vmlinuz', ('sha256', G64)),               # suffix
    ('initrd.img', ('sha256', H64)),                    # unique suffix
    ('netboot/debian-installer/amd64/linux', ('sha256', G64)),
    ('gtk/debian-installer/amd64/linux', ('sha256', H64)),
    ('both.iso', ('sha512', H128)),                     # both algorithms listed: sha512
    ('twice.iso', ('sha256', G64)),                     # duplicate lines agree
])
def test_find_checksum(name, expected):
    assert find_checksum(LIST, name) == expected


@pytest.mark.parametrize('name, message', [
    ('missing.iso', "no checksum for 'missing.iso' in http://mirror/SHA256SUMS"),
    ('linux', "2 entries match 'linux' in http://mirror/SHA256SUMS: netboot/debian-installer/amd64/linux, "
              "netboot/gtk/debian-installer/amd64/linux"),
    ('debian-installer/amd64/linux', '2 entries match'),
    ('mlinuz', "no checksum for 'mlinuz'"),            # a suffix match is on whole path components
    ('conflict.iso', "listed with 2 different sha256 digests"),
])
def test_find_checksum_refuses(name, message):
    entries = LIST + [ChecksumEntry('conflict.iso', 'sha256', H64), ChecksumEntry('conflict.iso', 'sha256', G64)]
    with pytest.raises(BootAssetError) as exc:
        find_checksum(entries, name, 'http://mirror/SHA256SUMS')
    assert message in str(exc.value)


@pytest.mark.parametrize('value, expected', [
    (f'sha256:{H64}', ('sha256', H64)),
    (f'SHA256:{H64.upper()}', ('sha256', H64)),
    (f'sha512:{H128}', ('sha512', H128)),
])
def test_parse_checksum(value, expected):
    assert parse_checksum(value) == expected


@pytest.mark.parametrize('value', [H64, f'sha256:{H128}', f'sha512:{H64}', f'md5:{"a" * 32}', 'sha256:', f'sha256:{"z" * 64}'])
def test_parse_checksum_refuses(value):
    with pytest.raises(BootAssetError, match='sha256:<64 hex digits>'):
        parse_checksum(value)


@pytest.mark.parametrize('url, name', [
    ('https://mirror/debian/dists/bookworm/main/installer-amd64/current/images/netboot/mini.iso', 'mini.iso'),
    ('http://mirror/a%2Bb.iso?x=1', 'a+b.iso'),
    ('file:///srv/iso/alpine.iso', 'alpine.iso'),
    ('/srv/iso/alpine.iso', 'alpine.iso'),
])
def test_default_checksum_name(url, name):
    assert default_checksum_name(url) == name


@pytest.mark.parametrize('url, supported', [
    ('http://mirror/x', True), ('HTTPS://mirror/x', True), ('file:///x', True), ('/srv/x', True),
    ('ftp://mirror/x', False), ('relative/x', False), ('mirror/x', False), ('', False),
])
def test_is_supported_source(url, supported):
    assert is_supported_source(url) is supported


@pytest.mark.parametrize('algorithm', ['sha256', 'sha512'])
def test_file_digest_in_chunks(tmp_path, algorithm):
    data = bytes(range(256)) * 1000
    path = tmp_path / 'f'
    path.write_bytes(data)
    assert file_digest(str(path), algorithm, chunk_size=4096) == hashlib.new(algorithm, data).hexdigest()


def test_file_digest_missing(tmp_path):
    with pytest.raises(BootAssetError, match='cannot read'):
        file_digest(str(tmp_path / 'nope'), 'sha256')


def test_read_text_local_and_size_limit(tmp_path):
    path = tmp_path / 'SHA256SUMS'
    path.write_text(f'{H64}  vmlinuz\n')
    assert read_text(str(path)) == f'{H64}  vmlinuz\n'
    assert read_text(path.as_uri()) == f'{H64}  vmlinuz\n'
    with pytest.raises(BootAssetError, match='not a checksum list'):
        read_text(str(path), max_size=10)
    with pytest.raises(BootAssetError, match='cannot read'):
        read_text(str(tmp_path / 'missing'), retries=0)


@pytest.mark.parametrize('source', ['path', 'uri'])
def test_download_and_verify_local(tmp_path, source):
    data = b'kernel' * 10000
    src = tmp_path / 'src'
    src.write_bytes(data)
    part = tmp_path / 'dest.part'
    part.write_bytes(b'stale bytes of an older run')   # never resumed for local sources
    url = str(src) if source == 'path' else src.as_uri()
    digest = hashlib.sha256(data).hexdigest()
    result = fetch_verified(url, str(part), 'sha256', digest, chunk_size=1000)
    assert result == (str(part), digest, len(data), False)
    assert part.read_bytes() == data
    with pytest.raises(ChecksumMismatchError) as exc:
        fetch_verified(url, str(part), 'sha256', G64)
    assert exc.value.expected == f'sha256:{G64}' and exc.value.actual == f'sha256:{digest}'
    assert url in str(exc.value)
    assert not part.exists()


def test_download_unwritable_part(tmp_path):
    src = tmp_path / 'src'
    src.write_bytes(b'x')
    with pytest.raises(BootAssetError, match='cannot write'):
        download(str(src), str(tmp_path / 'missing-dir' / 'dest.part'), 'sha256')


def http_error(code):
    return urllib.error.HTTPError('http://m/x', code, 'Reason', {}, None)


@pytest.mark.parametrize('url, exc, transient', [
    ('http://m/x', http_error(503), True),
    ('http://m/x', http_error(429), True),
    ('http://m/x', http_error(404), False),
    ('http://m/x', http_error(403), False),
    ('http://m/x', urllib.error.URLError(ConnectionRefusedError(111, 'Connection refused')), True),
    ('https://m/x', urllib.error.URLError(ssl.SSLCertVerificationError('certificate verify failed')), False),
    ('file:///x', urllib.error.URLError(FileNotFoundError(2, 'No such file')), False),
    ('http://m/x', TimeoutError('timed out'), True),
    ('http://m/x', ConnectionResetError(104, 'reset'), True),
    ('http://m/x', http.client.IncompleteRead(b'', 10), True),
    ('http://m/x', ValueError('unknown url type'), False),
])
def test_network_error_classification(url, exc, transient):
    error = _boot_asset._network_error(url, exc)
    assert isinstance(error, BootAssetError)
    assert isinstance(error, TransientError) is transient
    assert url in str(error)


@pytest.mark.parametrize('failures, retries, calls, sleeps, ok', [
    (0, 3, 1, [], True),
    (2, 3, 3, [1.0, 2.0], True),
    (3, 3, 4, [1.0, 2.0, 4.0], True),
    (4, 3, 4, [1.0, 2.0, 4.0], False),
    (1, 0, 1, [], False),
])
def test_retrying(failures, retries, calls, sleeps, ok):
    seen, slept = [], []

    def attempt():
        seen.append(1)
        if len(seen) <= failures:
            raise TransientError('http://m/x: HTTP 503 Service Unavailable')
        return 'done'

    if ok:
        assert _boot_asset._retrying('http://m/x', retries, attempt, slept.append) == 'done'
    else:
        with pytest.raises(BootAssetError, match=f'giving up on http://m/x after {retries + 1} attempts: .*503'):
            _boot_asset._retrying('http://m/x', retries, attempt, slept.append)
    assert len(seen) == calls
    assert slept == sleeps


def test_retrying_does_not_retry_permanent_errors():
    seen = []

    def attempt():
        seen.append(1)
        raise BootAssetError('http://m/x: HTTP 404 Not Found')

    with pytest.raises(BootAssetError, match='404'):
        _boot_asset._retrying('http://m/x', 3, attempt, lambda s: None)
    assert len(seen) == 1


@pytest.mark.parametrize('value, start', [
    ('bytes 100-199/200', 100), ('bytes 0-0/*', 0), ('bytes */200', None), (None, None), ('items 1-2/3', None),
])
def test_content_range_start(value, start):
    assert _boot_asset._content_range_start(value) == start
