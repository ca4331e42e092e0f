# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import errno
import hashlib
import http.client
import os
import shutil
import ssl
import subprocess
import urllib.error

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils import _boot_asset
from ansible_collections.netboot.pxe.plugins.module_utils._boot_asset import (
    BootAssetError,
    ChecksumEntry,
    ChecksumMismatchError,
    SizeLimitError,
    TransientError,
    check_redirect,
    default_checksum_name,
    dest_kind,
    download,
    dpkg_checksum,
    ensure_work_dir,
    fetch_verified,
    file_digest,
    install_file,
    part_path,
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


def test_file_digest_nofollow_refuses_links_and_fifos(tmp_path):
    target = tmp_path / 'target'
    target.write_bytes(b'secret')
    (tmp_path / 'link').symlink_to(target)
    os.mkfifo(tmp_path / 'fifo')
    assert file_digest(str(tmp_path / 'link'), 'sha256') == hashlib.sha256(b'secret').hexdigest()
    with pytest.raises(BootAssetError, match='cannot read .*link'):
        file_digest(str(tmp_path / 'link'), 'sha256', nofollow=True)
    with pytest.raises(BootAssetError, match='fifo is not a regular file'):
        file_digest(str(tmp_path / 'fifo'), 'sha256', nofollow=True)


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


def installed_file():
    """A file of an installed package with its MD5 from the package's md5sums."""
    for path, package in [('/usr/share/doc/coreutils/copyright', 'coreutils'), ('/bin/ls', 'coreutils')]:
        sums = subprocess.run(['dpkg-query', '--control-path', package, 'md5sums'], capture_output=True, text=True, check=False).stdout.strip()
        if os.path.isfile(path) and sums:
            with open(sums) as f:
                for line in f:
                    digest, _sep, name = line.rstrip('\n').partition('  ')
                    if name == path.lstrip('/'):
                        return path, digest
    pytest.fail('no file of coreutils with an MD5 in its md5sums: is this a Debian system?')


def run_dpkg_query(argv):
    """dpkg-query as the module runs it (its run_command, no shell, LC_ALL=C): (rc, stdout, stderr) as text."""
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, errors='replace',
                          check=False, env=dict(os.environ, LC_ALL='C'))
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.skipif(not shutil.which('dpkg-query'), reason='needs dpkg')
@pytest.mark.parametrize('form', ['path', 'uri'])
def test_dpkg_checksum_of_an_installed_file(form):
    path, digest = installed_file()
    url = path if form == 'path' else 'file://' + path
    assert dpkg_checksum(url, run_dpkg_query) == ('md5', digest)
    assert file_digest(path, 'md5') == digest


@pytest.mark.skipif(not shutil.which('dpkg-query'), reason='needs dpkg')
def test_dpkg_checksum_refuses_a_tampered_file(tmp_path):
    path, digest = installed_file()
    copy = tmp_path / 'tampered'
    copy.write_bytes(open(path, 'rb').read() + b'tampered')

    def run_as_if_installed(argv):
        # dpkg-query really runs; the tampered copy stands in for the package's file,
        # in the answers and in a copy of the package's real md5sums.
        argv = [path if arg == str(copy) else arg for arg in argv]
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
        out = proc.stdout.replace(path, str(copy))
        if '--control-path' in argv:
            sums = tmp_path / 'md5sums'
            with open(proc.stdout.strip()) as f:
                sums.write_text(f.read().replace(f'  {path.lstrip("/")}\n', f'  {str(copy).lstrip("/")}\n'))
            out = str(sums)
        return proc.returncode, out, proc.stderr

    algorithm, expected = dpkg_checksum(str(copy), run_as_if_installed)
    assert (algorithm, expected) == ('md5', digest)
    with pytest.raises(ChecksumMismatchError, match=f'expected md5:{digest}'):
        fetch_verified(str(copy), str(tmp_path / 'x.part'), algorithm, expected)


@pytest.mark.skipif(not shutil.which('dpkg-query'), reason='needs dpkg')
@pytest.mark.parametrize('url, message', [
    ('/nonexistent/netboot-file', 'belongs to no installed package; give checksum or checksum_url'),
    ('/usr/share/doc/*/copyright', 'needs an absolute local path without whitespace'),
    ('http://m/linux', "needs an absolute local path without whitespace or \\*\\?\\[\\]\\\\, got url 'http://m/linux'"),
    ('relative/file', 'needs an absolute local path'),
])
def test_dpkg_checksum_refuses(url, message):
    with pytest.raises(BootAssetError, match=message):
        dpkg_checksum(url, run_dpkg_query)
