# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Run the boot_asset module against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.netboot.pxe.plugins.module_utils import _boot_asset
from ansible_collections.netboot.pxe.plugins.modules import boot_asset


def pseudo_random(seed, size):
    blocks = (hashlib.sha256(f'{seed}-{i}'.encode()).digest() for i in range(size // 32 + 1))
    return b''.join(blocks)[:size]


KERNEL = pseudo_random('kernel', 300 * 1024)
INITRD = pseudo_random('initrd', 2 * 1024 * 1024 + 123)   # more than one CHUNK_SIZE
OLD = b'an older kernel'


def sha(data, algorithm='sha256'):
    return f'{algorithm}:{hashlib.new(algorithm, data).hexdigest()}'


class AssetServer:
    """Serve ``root`` over HTTP; count requests and misbehave on demand."""

    def __init__(self, root):
        self.root = root
        self.requests = []        # (path, Range header)
        self.fail_first = 0       # answer 503 to this many requests
        self.truncate_first = 0   # send only half of the body, then hang up, this many times
        self.honor_range = True
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append((self.path, self.headers.get('Range')))
                if server.fail_first > 0:
                    server.fail_first -= 1
                    self.send_error(503)
                    return
                path = os.path.join(server.root, self.path.lstrip('/'))
                if not os.path.isfile(path):
                    self.send_error(404)
                    return
                with open(path, 'rb') as f:
                    data = f.read()
                start = 0
                match = re.match(r'^bytes=(\d+)-$', self.headers.get('Range') or '')
                if match and server.honor_range:
                    start = int(match.group(1))
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header('Content-Range', f'bytes */{len(data)}')
                        self.send_header('Content-Length', '0')
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header('Content-Range', f'bytes {start}-{len(data) - 1}/{len(data)}')
                else:
                    self.send_response(200)
                self.send_header('Content-Length', str(len(data) - start))
                self.send_header('Accept-Ranges', 'bytes')
                self.end_headers()
                body = data[start:]
                if server.truncate_first > 0:
                    server.truncate_first -= 1
                    body = body[:len(body) // 2]
                    self.close_connection = True
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, name):
        return f'http://127.0.0.1:{self.httpd.server_address[1]}/{name}'

    def asset_requests(self, name):
        return [r for r in self.requests if r[0] == '/' + name]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def www(tmp_path):
    root = tmp_path / 'www'
    (root / 'images' / 'pxeboot').mkdir(parents=True)
    (root / 'vmlinuz').write_bytes(KERNEL)
    (root / 'initrd.img').write_bytes(INITRD)
    (root / 'images' / 'pxeboot' / 'vmlinuz').write_bytes(KERNEL)
    (root / 'SHA256SUMS').write_text(
        f'{hashlib.sha256(KERNEL).hexdigest()}  ./vmlinuz\n'
        f'{hashlib.sha256(INITRD).hexdigest().upper()} *./initrd.img\n'
        'not a checksum line\n')
    (root / 'SHA512SUMS').write_text(
        f'SHA512 (vmlinuz) = {hashlib.sha512(KERNEL).hexdigest()}\n'
        f'SHA512 (initrd.img) = {hashlib.sha512(INITRD).hexdigest()}\n')
    (root / '.treeinfo').write_text(
        '[general]\nname = Fedora\n[images-x86_64]\nkernel = images/pxeboot/vmlinuz\n'
        f'[checksums]\nimages/pxeboot/vmlinuz = sha256:{hashlib.sha256(KERNEL).hexdigest()}\n')
    return root


@pytest.fixture
def server(www, monkeypatch):
    for var in ('http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY'):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv('no_proxy', '*')
    monkeypatch.setattr(_boot_asset, 'RETRY_DELAY', 0.01)
    srv = AssetServer(str(www))
    yield srv
    srv.close()


@pytest.fixture
def dest_dir(tmp_path):
    path = tmp_path / 'srv' / 'http'
    path.mkdir(parents=True)
    return path


@pytest.fixture(autouse=True)
def work_dir(tmp_path, monkeypatch):
    """The private download directory of every run (never the default under /var/cache)."""
    path = tmp_path / 'cache' / 'boot-asset'
    monkeypatch.setattr(sys.modules[__name__], 'WORK_DIR', str(path))
    return path


WORK_DIR = None


def part_of(url, dest):
    """The partial file the module uses for ``url`` -> ``dest``."""
    return pathlib.Path(_boot_asset.part_path(WORK_DIR, url, str(dest)))


def run(capsys, **args):
    """Run the module; return its result."""
    args.setdefault('work_dir', WORK_DIR)
    with patch_module_args(args), pytest.raises(SystemExit):
        boot_asset.main()
    return json.loads(capsys.readouterr().out)


def test_download_then_nothing_to_do(server, dest_dir, capsys):
    dest = dest_dir / 'vmlinuz'
    args = {'url': server.url('vmlinuz'), 'dest': str(dest), 'checksum': sha(KERNEL), 'mode': '0644'}
    result = run(capsys, **args)
    assert result['changed'] is True and result.get('failed') is None
    assert result['downloaded'] is True and result['resumed'] is False
    assert result['checksum'] == sha(KERNEL) and result['size'] == len(KERNEL)
    assert result['dest'] == str(dest) and result['url'] == server.url('vmlinuz')
    assert dest.read_bytes() == KERNEL
    assert oct(dest.stat().st_mode & 0o777) == '0o644'
    assert not part_of(args['url'], dest).exists()
    assert os.listdir(dest_dir) == ['vmlinuz']
    assert server.requests == [('/vmlinuz', None)]

    again = run(capsys, **args)
    assert again['changed'] is False and again['downloaded'] is False
    assert again['checksum'] == sha(KERNEL) and again['size'] == len(KERNEL)
    assert len(server.requests) == 1


def test_only_attributes_changed(server, dest_dir, capsys):
    dest = dest_dir / 'vmlinuz'
    dest.write_bytes(KERNEL)
    dest.chmod(0o600)
    result = run(capsys, url=server.url('vmlinuz'), dest=str(dest), checksum=sha(KERNEL), mode='0644')
    assert result['changed'] is True and result['downloaded'] is False
    assert result['diff']['before'] == {'checksum': sha(KERNEL), 'mode': '0600'}
    assert result['diff']['after'] == {'checksum': sha(KERNEL), 'mode': '0644'}
    assert oct(dest.stat().st_mode & 0o777) == '0o644'
    assert server.requests == []


def test_checksum_mismatch_leaves_dest_alone(server, dest_dir, capsys):
    dest = dest_dir / 'vmlinuz'
    dest.write_bytes(OLD)
    wrong = sha(b'something else')
    result = run(capsys, url=server.url('vmlinuz'), dest=str(dest), checksum=wrong)
    assert result['failed'] is True and result['changed'] is False
    assert server.url('vmlinuz') in result['msg']
    assert wrong in result['msg'] and sha(KERNEL) in result['msg']
    assert result['expected'] == wrong and result['actual'] == sha(KERNEL)
    assert dest.read_bytes() == OLD
    assert sorted(os.listdir(dest_dir)) == ['vmlinuz']


@pytest.mark.parametrize('listing, name, algorithm, data', [
    ('SHA256SUMS', 'vmlinuz', 'sha256', KERNEL),
    ('SHA256SUMS', 'initrd.img', 'sha256', INITRD),      # uppercase hex, '*./' prefix
    ('SHA512SUMS', 'vmlinuz', 'sha512', KERNEL),
    ('SHA512SUMS', 'initrd.img', 'sha512', INITRD),
    ('.treeinfo', 'images/pxeboot/vmlinuz', 'sha256', KERNEL),
])
def test_checksum_from_a_list(server, dest_dir, capsys, listing, name, algorithm, data):
    dest = dest_dir / os.path.basename(name)
    result = run(capsys, url=server.url(name), dest=str(dest), checksum_url=server.url(listing))
    assert result['changed'] is True and result['downloaded'] is True
    assert result['checksum'] == sha(data, algorithm)
    assert dest.read_bytes() == data
    assert [r[0] for r in server.requests] == ['/' + listing, '/' + name]

    again = run(capsys, url=server.url(name), dest=str(dest), checksum_url=server.url(listing))
    assert again['changed'] is False
    assert [r[0] for r in server.requests[2:]] == ['/' + listing]


def test_checksum_name_and_missing_entry(server, dest_dir, capsys, www):
    (www / 'kernel-6.1').write_bytes(KERNEL)
    dest = dest_dir / 'linux'
    result = run(capsys, url=server.url('kernel-6.1'), dest=str(dest), checksum_url=server.url('SHA256SUMS'))
    assert result['failed'] is True
    assert "'kernel-6.1'" in result['msg'] and server.url('SHA256SUMS') in result['msg']
    assert not dest.exists() and server.asset_requests('kernel-6.1') == []

    result = run(capsys, url=server.url('kernel-6.1'), dest=str(dest), checksum_url=server.url('SHA256SUMS'),
                 checksum_name='./vmlinuz')
    assert result['changed'] is True and dest.read_bytes() == KERNEL


def test_checksum_list_not_found(server, dest_dir, capsys):
    result = run(capsys, url=server.url('vmlinuz'), dest=str(dest_dir / 'vmlinuz'), checksum_url=server.url('MD5SUMS'))
    assert result['failed'] is True and 'HTTP 404' in result['msg'] and server.url('MD5SUMS') in result['msg']
    assert len(server.requests) == 1   # a 404 is not retried


def test_resume_part_with_range(server, dest_dir, capsys):
    dest = dest_dir / 'initrd.img'
    part_of(server.url('initrd.img'), dest).parent.mkdir(parents=True)
    part_of(server.url('initrd.img'), dest).write_bytes(INITRD[:1234567])
    result = run(capsys, url=server.url('initrd.img'), dest=str(dest), checksum=sha(INITRD, 'sha512'))
    assert result['changed'] is True and result['downloaded'] is True and result['resumed'] is True
    assert server.requests == [('/initrd.img', 'bytes=1234567-')]
    assert dest.read_bytes() == INITRD
    assert not part_of(server.url('initrd.img'), dest).exists()


def test_server_ignoring_range_restarts(server, dest_dir, capsys):
    server.honor_range = False
    dest = dest_dir / 'initrd.img'
    part_of(server.url('initrd.img'), dest).parent.mkdir(parents=True)
    part_of(server.url('initrd.img'), dest).write_bytes(INITRD[:1000])
    result = run(capsys, url=server.url('initrd.img'), dest=str(dest), checksum=sha(INITRD))
    assert result['changed'] is True and result['resumed'] is False
    assert server.requests == [('/initrd.img', 'bytes=1000-')]
    assert dest.read_bytes() == INITRD


def test_stale_part_is_dropped_and_downloaded_again(server, dest_dir, capsys):
    dest = dest_dir / 'vmlinuz'
    part_of(server.url('vmlinuz'), dest).parent.mkdir(parents=True)
    part_of(server.url('vmlinuz'), dest).write_bytes(b'x' * 1000)   # from another version of the file
    result = run(capsys, url=server.url('vmlinuz'), dest=str(dest), checksum=sha(KERNEL))
    assert result['changed'] is True and result['resumed'] is False
    assert server.requests == [('/vmlinuz', 'bytes=1000-'), ('/vmlinuz', None)]
    assert dest.read_bytes() == KERNEL


@pytest.mark.parametrize('size', [len(KERNEL), len(KERNEL) + 10])
def test_complete_or_too_long_part(server, dest_dir, capsys, size):
    dest = dest_dir / 'vmlinuz'
    part_of(server.url('vmlinuz'), dest).parent.mkdir(parents=True)
    part_of(server.url('vmlinuz'), dest).write_bytes((KERNEL + b'0123456789')[:size])
    result = run(capsys, url=server.url('vmlinuz'), dest=str(dest), checksum=sha(KERNEL))
    assert result['changed'] is True and dest.read_bytes() == KERNEL
    if size == len(KERNEL):   # an earlier run finished the download but did not move it into place
        assert server.requests == [] and result['resumed'] is True
    else:                     # 416 range not satisfiable: start again
        assert server.requests == [('/vmlinuz', f'bytes={size}-'), ('/vmlinuz', None)]


def test_retry_after_transient_errors(server, dest_dir, capsys):
    server.fail_first = 2
    dest = dest_dir / 'vmlinuz'
    result = run(capsys, url=server.url('vmlinuz'), dest=str(dest), checksum=sha(KERNEL))
    assert result['changed'] is True and dest.read_bytes() == KERNEL
    assert len(server.requests) == 3


def test_retries_exhausted(server, dest_dir, capsys):
    server.fail_first = 3
    dest = dest_dir / 'vmlinuz'
    result = run(capsys, url=server.url('vmlinuz'), dest=str(dest), checksum=sha(KERNEL), retries=2)
    assert result['failed'] is True and 'after 3 attempts' in result['msg'] and '503' in result['msg']
    assert len(server.requests) == 3 and not dest.exists()


def test_connection_closed_early_resumes(server, dest_dir, capsys):
    server.truncate_first = 1
    dest = dest_dir / 'initrd.img'
    result = run(capsys, url=server.url('initrd.img'), dest=str(dest), checksum=sha(INITRD))
    assert result['changed'] is True and result['resumed'] is True
    half = len(INITRD) // 2
    assert server.requests == [('/initrd.img', None), ('/initrd.img', f'bytes={half}-')]
    assert dest.read_bytes() == INITRD


def test_network_failure_keeps_part_for_next_run(server, dest_dir, capsys):
    server.truncate_first = 1
    dest = dest_dir / 'initrd.img'
    result = run(capsys, url=server.url('initrd.img'), dest=str(dest), checksum=sha(INITRD), retries=0)
    assert result['failed'] is True and 'connection closed after' in result['msg']
    assert not dest.exists()
    assert part_of(server.url('initrd.img'), dest).read_bytes() == INITRD[:len(INITRD) // 2]
    assert os.listdir(dest_dir) == []

    result = run(capsys, url=server.url('initrd.img'), dest=str(dest), checksum=sha(INITRD), retries=0)
    assert result['changed'] is True and result['resumed'] is True
    assert server.requests[-1] == ('/initrd.img', f'bytes={len(INITRD) // 2}-')
    assert dest.read_bytes() == INITRD


@pytest.mark.parametrize('existing, changed', [(None, True), (OLD, True), (KERNEL, False)])
def test_check_mode_writes_nothing(server, dest_dir, capsys, existing, changed):
    dest = dest_dir / 'vmlinuz'
    if existing is not None:
        dest.write_bytes(existing)
    result = run(capsys, url=server.url('vmlinuz'), dest=str(dest), checksum_url=server.url('SHA256SUMS'),
                 _ansible_check_mode=True, _ansible_diff=True)
    assert result['changed'] is changed and result['downloaded'] is False
    assert result['checksum'] == sha(KERNEL)
    assert result['diff']['before'] == {'checksum': sha(existing) if existing else None}
    assert result['diff']['after'] == {'checksum': sha(KERNEL)}
    assert server.asset_requests('vmlinuz') == []
    assert os.listdir(dest_dir) == ([] if existing is None else ['vmlinuz'])
    assert not os.path.exists(WORK_DIR)
    if existing is not None:
        assert dest.read_bytes() == existing


def test_diff(server, dest_dir, capsys):
    dest = dest_dir / 'vmlinuz'
    dest.write_bytes(OLD)
    result = run(capsys, url=server.url('vmlinuz'), dest=str(dest), checksum=sha(KERNEL), _ansible_diff=True)
    assert result['diff'] == {
        'before': {'checksum': sha(OLD, 'sha256')}, 'after': {'checksum': sha(KERNEL)},
        'before_header': str(dest), 'after_header': str(dest),
    }
    assert dest.read_bytes() == KERNEL


@pytest.mark.parametrize('form', ['file', 'path'])
def test_local_sources(www, dest_dir, capsys, form):
    src = www / 'initrd.img'
    url = src.as_uri() if form == 'file' else str(src)
    listing = (www / 'SHA512SUMS').as_uri() if form == 'file' else str(www / 'SHA512SUMS')
    dest = dest_dir / 'initrd.img'
    result = run(capsys, url=url, dest=str(dest), checksum_url=listing)
    assert result['changed'] is True and result['downloaded'] is True
    assert result['checksum'] == sha(INITRD, 'sha512') and dest.read_bytes() == INITRD
    again = run(capsys, url=url, dest=str(dest), checksum_url=listing)
    assert again['changed'] is False


@pytest.mark.parametrize('args, message', [
    ({'url': 'ftp://mirror/vmlinuz'}, 'url must be'),
    ({'url': 'vmlinuz'}, 'url must be'),
    ({'checksum': 'md5:abc'}, 'sha256:<64 hex digits>'),
    ({'checksum_url': 'http://127.0.0.1:9/SHA256SUMS'}, 'mutually exclusive'),
    ({'checksum': None}, 'one of the following is required'),
    ({'dest': '/nonexistent/dir/vmlinuz'}, 'directory /nonexistent/dir of dest does not exist'),
    ({'retries': -1}, 'retries must not be negative, got -1'),
    ({'timeout': 0}, 'timeout must be positive, got 0'),
    ({'max_size': 0}, 'max_size must be a positive number of bytes, got 0'),
    ({'work_dir': 'cache'}, "work_dir must be an absolute path, got 'cache'"),
    ({'checksum': 'dpkg'}, "checksum dpkg is for a local file from a Debian package, got url 'http://127.0.0.1:9/vmlinuz'"),
    ({'keyring': '/k.gpg'}, 'mutually exclusive: checksum|keyring'),
    ({'checksum': None, 'checksum_url': 'http://127.0.0.1:9/S', 'release_url': 'http://127.0.0.1:9/InRelease'}, 'missing parameter(s) required by \'release_url\': keyring'),
    ({'url': '/etc/hostname', 'checksum': None}, 'one of the following is required: checksum, checksum_url'),
    ({'url': '/nonexistent/vmlinuz'}, 'cannot read /nonexistent/vmlinuz'),
])
def test_invalid_arguments(dest_dir, capsys, args, message):
    full = {'url': 'http://127.0.0.1:9/vmlinuz', 'dest': str(dest_dir / 'vmlinuz'), 'checksum': sha(KERNEL)}
    full.update(args)
    full = {k: v for k, v in full.items() if v is not None}
    result = run(capsys, **full)
    assert result['failed'] is True
    assert message in result['msg']
    assert os.listdir(dest_dir) == []


def test_dest_is_a_directory(dest_dir, capsys):
    result = run(capsys, url='http://127.0.0.1:9/x', dest=str(dest_dir), checksum=sha(KERNEL))
    assert result['failed'] is True and 'is a directory' in result['msg']
