# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import errno
import hashlib
import http.client
import os
import ssl
import urllib.error

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._files import fetch
from ansible_collections.netboot.pxe.plugins.module_utils._files.checksums import BootAssetError
from ansible_collections.netboot.pxe.plugins.module_utils._files.fetch import (
    ChecksumMismatchError,
    SizeLimitError,
    TransientError,
    check_redirect,
    default_checksum_name,
    dest_kind,
    download,
    ensure_work_dir,
    fetch_verified,
    install_file,
    is_supported_source,
    part_path,
    read_bytes,
)

H64 = '0123456789abcdef' * 4
G64 = 'a' * 64


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


def test_read_bytes_local_and_size_limit(tmp_path):
    path = tmp_path / 'SHA256SUMS'
    path.write_text(f'{H64}  vmlinuz\n')
    assert read_bytes(str(path)) == f'{H64}  vmlinuz\n'.encode()
    assert read_bytes(path.as_uri()) == f'{H64}  vmlinuz\n'.encode()
    with pytest.raises(BootAssetError, match='not a checksum list'):
        read_bytes(str(path), max_size=10)
    with pytest.raises(BootAssetError, match='cannot read'):
        read_bytes(str(tmp_path / 'missing'), retries=0)


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
    error = fetch._network_error(url, exc)
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
        assert fetch._retrying('http://m/x', retries, attempt, slept.append) == 'done'
    else:
        with pytest.raises(BootAssetError, match=f'giving up on http://m/x after {retries + 1} attempts: .*503'):
            fetch._retrying('http://m/x', retries, attempt, slept.append)
    assert len(seen) == calls
    assert slept == sleeps


def test_retrying_does_not_retry_permanent_errors():
    seen = []

    def attempt():
        seen.append(1)
        raise BootAssetError('http://m/x: HTTP 404 Not Found')

    with pytest.raises(BootAssetError, match='404'):
        fetch._retrying('http://m/x', 3, attempt, lambda s: None)
    assert len(seen) == 1


@pytest.mark.parametrize('value, start', [
    ('bytes 100-199/200', 100), ('bytes 0-0/*', 0), ('bytes */200', None), (None, None), ('items 1-2/3', None),
])
def test_content_range_start(value, start):
    assert fetch._content_range_start(value) == start


@pytest.mark.parametrize('old, new, message', [
    ('https://m/x', 'http://m/x', 'refusing the redirect from https://m/x to http://m/x: it goes from https to plain http'),
    ('HTTPS://m/x', 'HTTP://other/x', 'from https to plain http'),
    ('http://m/x', 'ftp://m/x', 'refusing the redirect from http://m/x to ftp://m/x: only http:// and https://'),
    ('https://m/x', 'file:///etc/shadow', 'only http:// and https://'),
    ('http://m/x', 'http://other/x', None),
    ('http://m/x', 'https://m/x', None),
    ('https://m/x', 'https://other/x', None),
])
def test_check_redirect(old, new, message):
    if message is None:
        assert check_redirect(old, new) is None
    else:
        with pytest.raises(BootAssetError, match=message):
            check_redirect(old, new)


def test_dest_kind(tmp_path):
    (tmp_path / 'file').write_bytes(b'x')
    (tmp_path / 'dir').mkdir()
    (tmp_path / 'link').symlink_to(tmp_path / 'dir')
    os.mkfifo(tmp_path / 'fifo')
    kinds = {name: dest_kind(str(tmp_path / name)) for name in ('file', 'dir', 'link', 'fifo', 'missing')}
    assert kinds == {'file': 'file', 'dir': 'directory', 'link': 'link', 'fifo': 'other', 'missing': 'absent'}


def test_work_dir_is_created_private_and_tightened(tmp_path):
    path = tmp_path / 'cache' / 'boot-asset'
    assert ensure_work_dir(str(path)) == str(path)
    assert oct(path.stat().st_mode & 0o777) == '0o700'
    path.chmod(0o755)
    ensure_work_dir(str(path))
    assert oct(path.stat().st_mode & 0o777) == '0o700'


@pytest.mark.parametrize('make, message', [
    (lambda p: p.symlink_to(p.parent), 'is not a directory (a symbolic link is refused)'),
    (lambda p: p.write_bytes(b''), 'cannot create it'),
])
def test_work_dir_refused(tmp_path, make, message):
    path = tmp_path / 'work'
    make(path)
    with pytest.raises(BootAssetError, match=f'work_dir {path}'):
        ensure_work_dir(str(path))
    with pytest.raises(BootAssetError, match=message.replace('(', r'\(').replace(')', r'\)')):
        ensure_work_dir(str(path))


def test_part_path_is_stable_per_url_and_dest():
    a = part_path('/w', 'http://m/linux', '/srv/http/os/debian-13/linux')
    assert a == part_path('/w', 'http://m/linux', '/srv/http/os/debian-13/linux')
    assert os.path.dirname(a) == '/w' and a.endswith('-linux.part')
    assert a != part_path('/w', 'http://m/linux', '/srv/http/os/debian-12/linux')
    assert a != part_path('/w', 'http://other/linux', '/srv/http/os/debian-13/linux')
    assert os.path.basename(part_path('/w', 'http://m/x', '/d/a b\nc')).endswith('-a_b_c.part')


def test_part_symlink_is_removed_not_followed(tmp_path):
    data = b'kernel' * 1000
    src = tmp_path / 'src'
    src.write_bytes(data)
    victim = tmp_path / 'victim'
    victim.write_bytes(b'do not touch')
    part = tmp_path / 'dest.part'
    part.symlink_to(victim)
    result = fetch_verified(str(src), str(part), 'sha256', hashlib.sha256(data).hexdigest())
    assert result.size == len(data)
    assert victim.read_bytes() == b'do not touch'
    assert not part.is_symlink() and part.read_bytes() == data
    assert oct(part.stat().st_mode & 0o777) == '0o600'


@pytest.mark.parametrize('size, max_size, ok', [(1000, 1000, True), (1001, 1000, False), (5 * 4096, 4096, False)])
def test_local_size_cap(tmp_path, size, max_size, ok):
    src = tmp_path / 'src'
    src.write_bytes(b'x' * size)
    part = tmp_path / 'dest.part'
    if ok:
        assert download(str(src), str(part), 'sha256', max_size=max_size, chunk_size=1024).size == size
    else:
        with pytest.raises(SizeLimitError, match=f'{src} is larger than max_size {max_size} bytes'):
            download(str(src), str(part), 'sha256', max_size=max_size, chunk_size=1024)
        assert not part.exists()


@pytest.mark.parametrize('cross_device', [False, True])
def test_install_file_prepares_before_the_name(tmp_path, monkeypatch, cross_device):
    data = b'initrd' * 1000
    digest = hashlib.sha256(data).hexdigest()
    part = tmp_path / 'work' / 'x.part'
    part.parent.mkdir()
    part.write_bytes(data)
    dest_dir = tmp_path / 'srv'
    dest_dir.mkdir()
    victim = tmp_path / 'victim'
    victim.write_bytes(b'do not touch')
    dest = dest_dir / 'initrd.img'
    dest.symlink_to(victim)   # a link at dest is replaced, never written through
    prepared = []

    def prepare(path):
        assert not os.path.exists(dest) or os.path.islink(dest)   # dest has not got its new file yet
        prepared.append((os.path.dirname(path) == str(dest_dir), oct(os.stat(path).st_mode & 0o777)))
        os.chmod(path, 0o644)

    if cross_device:
        real_rename = os.rename

        def rename(src, dst):
            if str(src) == str(part):
                raise OSError(errno.EXDEV, 'Invalid cross-device link')
            return real_rename(src, dst)
        monkeypatch.setattr(os, 'rename', rename)
    install_file(str(part), str(dest), 'sha256', digest, prepare)
    assert not dest.is_symlink() and dest.read_bytes() == data
    assert oct(dest.stat().st_mode & 0o777) == '0o644'
    assert victim.read_bytes() == b'do not touch'
    assert not part.exists()
    assert sorted(os.listdir(dest_dir)) == ['initrd.img']
    if cross_device:   # the part was prepared, then the exclusive copy next to dest (mode 0600)
        assert prepared[1] == (True, '0o600')
    assert len(prepared) == (2 if cross_device else 1)
