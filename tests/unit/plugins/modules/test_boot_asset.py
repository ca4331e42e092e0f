# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Run the boot_asset module against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import base64
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
from ansible_collections.netboot.pxe.plugins.module_utils._files import fetch
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

    def __init__(self, root, ssl_context=None):
        self.root = root
        self.requests = []        # (path, Range header)
        self.headers = []         # the request headers, one dict per request
        self.redirects = {}       # path -> Location of a 302
        self.auth = None          # "user:password" that Basic auth must give
        self.send_length = True   # send Content-Length (else the body ends when the connection closes)
        self.halfway = None       # called once half of a body is sent
        self.fail_first = 0       # answer 503 to this many requests
        self.truncate_first = 0   # send only half of the body, then hang up, this many times
        self.honor_range = True
        self.claimed_length = None  # Content-Length to send instead of the real one
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append((self.path, self.headers.get('Range')))
                server.headers.append(dict(self.headers))
                if self.path in server.redirects:
                    self.send_response(302)
                    self.send_header('Location', server.redirects[self.path])
                    self.send_header('Content-Length', '0')
                    self.end_headers()
                    return
                if server.auth and self.headers.get('Authorization') != 'Basic ' + base64.b64encode(server.auth.encode()).decode():
                    self.send_response(401)
                    self.send_header('WWW-Authenticate', 'Basic realm="mirror"')
                    self.send_header('Content-Length', '0')
                    self.end_headers()
                    return
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
                if server.send_length:
                    self.send_header('Content-Length', str(server.claimed_length or len(data) - start))
                else:
                    self.close_connection = True
                self.send_header('Accept-Ranges', 'bytes')
                self.end_headers()
                body = data[start:]
                if server.truncate_first > 0:
                    server.truncate_first -= 1
                    body = body[:len(body) // 2]
                    self.close_connection = True
                if server.halfway:
                    self.wfile.write(body[:len(body) // 2])
                    self.wfile.flush()
                    server.halfway()
                    server.halfway = None
                    body = body[len(body) // 2:]
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        if ssl_context:
            self.httpd.socket = ssl_context.wrap_socket(self.httpd.socket, server_side=True)
        self.scheme = 'https' if ssl_context else 'http'
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, name):
        return f'{self.scheme}://127.0.0.1:{self.httpd.server_address[1]}/{name}'

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
    monkeypatch.setattr(fetch, 'RETRY_DELAY', 0.01)
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


@pytest.fixture(autouse=True)
def release_dates(tmp_path, monkeypatch):
    """The release dates file of every run (never the default under /var/lib)."""
    path = tmp_path / 'state' / 'release-dates.json'
    monkeypatch.setattr(sys.modules[__name__], 'RELEASE_DATES', str(path))
    return path


RELEASE_DATES = None


def part_of(url, dest):
    """The partial file the module uses for ``url`` -> ``dest``."""
    return pathlib.Path(fetch.part_path(WORK_DIR, url, str(dest)))


def run(capsys, **args):
    """Run the module; return its result."""
    args.setdefault('work_dir', WORK_DIR)
    args.setdefault('release_dates_file', RELEASE_DATES)
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


def test_check_mode_predicts_a_file_in_a_directory_not_made_yet(server, dest_dir, capsys):
    """On a fresh server an earlier task makes the directory; check mode predicts the file, writes nothing."""
    dest = dest_dir / 'os' / 'vmlinuz'
    result = run(capsys, url=server.url('vmlinuz'), dest=str(dest), checksum_url=server.url('SHA256SUMS'),
                 _ansible_check_mode=True)
    assert result['changed'] is True and result['checksum'] == sha(KERNEL)
    assert os.listdir(dest_dir) == []
    # Not in check mode, and not when something other than a directory is in the way.
    assert 'of dest does not exist' in run(capsys, url=server.url('vmlinuz'), dest=str(dest), checksum=sha(KERNEL))['msg']
    (dest_dir / 'os').write_bytes(b'')
    result = run(capsys, url=server.url('vmlinuz'), dest=str(dest), checksum=sha(KERNEL), _ansible_check_mode=True)
    assert result['failed'] is True and 'of dest does not exist' in result['msg']


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
    ({'release_dates_file': 'dates.json'}, "release_dates_file must be an absolute path, got 'dates.json'"),
    ({'checksum': 'dpkg'}, "checksum dpkg is for a local file from a Debian package, got url 'http://127.0.0.1:9/vmlinuz'"),
    ({'keyring': '/k.gpg'}, 'mutually exclusive: checksum|keyring'),
    ({'checksum': None, 'checksum_url': 'http://127.0.0.1:9/S', 'release_url': 'http://127.0.0.1:9/InRelease'},
     "missing parameter(s) required by 'release_url': keyring"),
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


# --- hardening: partial files, links, redirects, size cap, URL options ----------------------

def self_signed_context(tmp_path):
    """A TLS server context with a throwaway self-signed certificate for 127.0.0.1."""
    import datetime
    import ipaddress
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, '127.0.0.1')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / 'cert.pem', tmp_path / 'key.pem'
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


@pytest.fixture
def tls_server(www, server, tmp_path):
    """An https server of the same files (beside the plain ``server``)."""
    srv = AssetServer(str(www), self_signed_context(tmp_path))
    yield srv
    srv.close()


def test_symlink_at_dest_is_replaced_never_written_through(server, dest_dir, tmp_path, capsys):
    victim = tmp_path / 'victim'
    victim.write_bytes(KERNEL)   # same content: still not trusted through a link
    victim.chmod(0o600)
    mode = oct(victim.stat().st_mode & 0o777)
    dest = dest_dir / 'vmlinuz'
    dest.symlink_to(victim)
    result = run(capsys, url=server.url('vmlinuz'), dest=str(dest), checksum=sha(KERNEL), mode='0644')
    assert result['changed'] is True and result['downloaded'] is True
    assert result['diff']['before'] == {'checksum': None, 'state': 'link'}
    assert result['diff']['after'] == {'checksum': sha(KERNEL), 'state': 'file'}
    assert not dest.is_symlink() and dest.read_bytes() == KERNEL
    assert victim.read_bytes() == KERNEL and oct(victim.stat().st_mode & 0o777) == mode
    assert server.requests == [('/vmlinuz', None)]


def test_symlink_planted_at_the_partial_path(server, dest_dir, tmp_path, capsys):
    victim = tmp_path / 'victim'
    victim.write_bytes(b'do not touch')
    dest = dest_dir / 'initrd.img'
    part = part_of(server.url('initrd.img'), dest)
    part.parent.mkdir(parents=True)
    part.symlink_to(victim)
    result = run(capsys, url=server.url('initrd.img'), dest=str(dest), checksum=sha(INITRD))
    assert result['changed'] is True and result['resumed'] is False
    assert victim.read_bytes() == b'do not touch'
    assert dest.read_bytes() == INITRD and not part.exists()
    assert server.requests == [('/initrd.img', None)]


def test_partial_file_never_appears_in_the_served_directory(server, dest_dir, work_dir, capsys):
    seen = {}

    def look():
        seen['dest_dir'] = sorted(os.listdir(dest_dir))
        seen['work_dir'] = sorted(os.listdir(work_dir))
        seen['mode'] = oct(os.stat(work_dir).st_mode & 0o777)
        seen['part_mode'] = oct(os.stat(work_dir / seen['work_dir'][0]).st_mode & 0o777)

    server.halfway = look
    dest = dest_dir / 'initrd.img'
    result = run(capsys, url=server.url('initrd.img'), dest=str(dest), checksum=sha(INITRD), mode='0644')
    assert result['changed'] is True
    assert seen == {'dest_dir': [], 'work_dir': [part_of(server.url('initrd.img'), dest).name],
                    'mode': '0o700', 'part_mode': '0o600'}
    assert os.listdir(dest_dir) == ['initrd.img'] and os.listdir(work_dir) == []


@pytest.mark.parametrize('send_length, message', [
    (True, 'Content-Length says'),
    (False, 'received at least'),
])
def test_size_cap(server, dest_dir, capsys, send_length, message):
    server.send_length = send_length
    dest = dest_dir / 'initrd.img'
    cap = 1024 * 1024
    result = run(capsys, url=server.url('initrd.img'), dest=str(dest), checksum=sha(INITRD), max_size=cap)
    assert result['failed'] is True and result['changed'] is False
    assert f'{server.url("initrd.img")} is larger than max_size {cap} bytes ({message}' in result['msg']
    assert not dest.exists() and not part_of(server.url('initrd.img'), dest).exists()
    assert len(server.requests) == 1   # not retried


def test_size_cap_by_default(server, dest_dir, capsys):
    server.claimed_length = 5 * 1024 ** 3
    dest = dest_dir / 'vmlinuz'
    result = run(capsys, url=server.url('vmlinuz'), dest=str(dest), checksum=sha(KERNEL))
    assert result['failed'] is True
    assert f'{server.url("vmlinuz")} is larger than max_size 4294967296 bytes (Content-Length says {5 * 1024 ** 3})' \
        in result['msg']
    assert not dest.exists() and not part_of(server.url('vmlinuz'), dest).exists()


def test_size_cap_allows_the_exact_size(server, dest_dir, capsys):
    dest = dest_dir / 'vmlinuz'
    result = run(capsys, url=server.url('vmlinuz'), dest=str(dest), checksum=sha(KERNEL), max_size=len(KERNEL))
    assert result['changed'] is True and dest.read_bytes() == KERNEL


def test_https_to_http_redirect_is_refused(server, tls_server, dest_dir, capsys):
    tls_server.redirects['/vmlinuz'] = server.url('vmlinuz')
    dest = dest_dir / 'vmlinuz'
    result = run(capsys, url=tls_server.url('vmlinuz'), dest=str(dest), checksum=sha(KERNEL), validate_certs=False)
    assert result['failed'] is True
    assert result['msg'] == (f'refusing the redirect from {tls_server.url("vmlinuz")} to {server.url("vmlinuz")}: '
                             'it goes from https to plain http')
    assert server.requests == [] and not dest.exists()


@pytest.mark.parametrize('location', ['ftp://127.0.0.1/vmlinuz', 'file:///etc/hostname'])
def test_redirect_to_another_scheme_is_refused(server, dest_dir, capsys, location):
    server.redirects['/vmlinuz'] = location
    result = run(capsys, url=server.url('vmlinuz'), dest=str(dest_dir / 'vmlinuz'), checksum=sha(KERNEL))
    assert result['failed'] is True
    assert f'refusing the redirect from {server.url("vmlinuz")} to {location}' in result['msg']
    assert os.listdir(dest_dir) == []


def test_redirect_to_https_and_on_keeps_the_range(server, tls_server, dest_dir, capsys):
    server.redirects['/old/initrd.img'] = tls_server.url('initrd.img')
    dest = dest_dir / 'initrd.img'
    url = server.url('old/initrd.img')
    part_of(url, dest).parent.mkdir(parents=True)
    part_of(url, dest).write_bytes(INITRD[:5000])
    result = run(capsys, url=url, dest=str(dest), checksum=sha(INITRD), validate_certs=False)
    assert result['changed'] is True and result['resumed'] is True
    assert server.requests == [('/old/initrd.img', 'bytes=5000-')]
    assert tls_server.requests == [('/initrd.img', 'bytes=5000-')]
    assert dest.read_bytes() == INITRD


def test_self_signed_certificate_is_refused_by_default(tls_server, dest_dir, capsys):
    result = run(capsys, url=tls_server.url('vmlinuz'), dest=str(dest_dir / 'vmlinuz'), checksum=sha(KERNEL))
    assert result['failed'] is True and tls_server.url('vmlinuz') in result['msg']
    assert 'CERTIFICATE_VERIFY_FAILED' in result['msg'] or 'certificate verify failed' in result['msg']
    assert tls_server.requests == []


@pytest.mark.parametrize('force', [True, False])
def test_headers_and_basic_auth_reach_the_server(server, dest_dir, capsys, force):
    server.auth = 'mirror-user:pw-s3cret'
    dest = dest_dir / 'vmlinuz'
    with patch_module_args({'url': server.url('vmlinuz'), 'dest': str(dest), 'checksum': sha(KERNEL), 'work_dir': WORK_DIR,
                            'headers': {'X-Lab-Token': 'lab-42'}, 'url_username': 'mirror-user',
                            'url_password': 'pw-s3cret', 'force_basic_auth': force}), pytest.raises(SystemExit):
        boot_asset.main()
    out = capsys.readouterr().out
    result = json.loads(out)
    assert result['changed'] is True and dest.read_bytes() == KERNEL
    assert 'pw-s3cret' not in out
    assert all(h.get('X-Lab-Token') == 'lab-42' for h in server.headers)
    expected = 'Basic ' + base64.b64encode(b'mirror-user:pw-s3cret').decode()
    if force:
        assert [h.get('Authorization') for h in server.headers] == [expected]
    else:   # the credentials answer the server's challenge
        assert [h.get('Authorization') for h in server.headers] == [None, expected]


def test_credentials_are_not_sent_on_to_another_host(server, www, dest_dir, capsys):
    other = AssetServer(str(www))
    try:
        port = other.httpd.server_address[1]
        server.redirects['/vmlinuz'] = f'http://localhost:{port}/vmlinuz'
        result = run(capsys, url=server.url('vmlinuz'), dest=str(dest_dir / 'vmlinuz'), checksum=sha(KERNEL),
                     headers={'Authorization': 'Bearer lab-token', 'X-Lab': 'kept'},
                     url_username='u', url_password='p', force_basic_auth=True)
        assert result['changed'] is True
        assert server.headers[0]['Authorization'].startswith('Basic ')   # force_basic_auth wins over the header
        assert 'Authorization' not in other.headers[0] and other.headers[0]['X-Lab'] == 'kept'
    finally:
        other.close()


def test_local_path_with_dpkg_rule(dest_dir, capsys):
    path = '/usr/share/doc/coreutils/copyright'
    if not os.path.isfile(path):
        pytest.fail(f'{path} (package coreutils) is needed')
    dest = dest_dir / 'copyright'
    result = run(capsys, url=path, dest=str(dest), checksum='dpkg', mode='0644')
    assert result['changed'] is True and result['authenticity'] == 'dpkg'
    with open(path, 'rb') as f:
        assert result['checksum'] == sha(f.read(), 'md5')
    assert dest.read_bytes() == open(path, 'rb').read()
    again = run(capsys, url=path, dest=str(dest), checksum='dpkg', mode='0644')
    assert again['changed'] is False and again['authenticity'] == 'dpkg'


def test_local_file_of_no_package_with_dpkg_rule_is_refused(www, dest_dir, capsys):
    result = run(capsys, url=str(www / 'vmlinuz'), dest=str(dest_dir / 'vmlinuz'), checksum='dpkg')
    assert result['failed'] is True
    assert f'{www / "vmlinuz"} belongs to no installed package; give checksum or checksum_url' in result['msg']
    assert os.listdir(dest_dir) == []
    # In check mode too: the file is there, so its package must be.
    result = run(capsys, url=str(www / 'vmlinuz'), dest=str(dest_dir / 'vmlinuz'), checksum='dpkg', _ansible_check_mode=True)
    assert result['failed'] is True and 'belongs to no installed package' in result['msg']


def test_check_mode_predicts_a_file_whose_package_is_not_installed_yet(www, dest_dir, capsys, module_warnings):
    missing = www / 'memtest86+x64.bin'
    result = run(capsys, url=str(missing), dest=str(dest_dir / 'memtest86+x64.bin'), checksum='dpkg', _ansible_check_mode=True)
    assert result['changed'] is True and result.get('failed') is None
    assert 'is not there yet' in ' '.join(module_warnings)
    assert os.listdir(dest_dir) == []
    result = run(capsys, url=str(missing), dest=str(dest_dir / 'memtest86+x64.bin'), checksum='dpkg')
    assert result['failed'] is True and 'belongs to no installed package' in result['msg']


# --- authenticity: signed Release -> SHA256SUMS -> file, and clearsigned CHECKSUM lists ------

IMAGES = 'dists/trixie/main/installer-amd64/current/images'


RELEASE_DATE = 'Sat, 09 Aug 2025 09:15:57 UTC'


def write_release(www, signer, sums_bytes, codename='trixie', date=RELEASE_DATE, extra=''):
    lines = f' {hashlib.sha256(sums_bytes).hexdigest()} {len(sums_bytes)} main/installer-amd64/current/images/SHA256SUMS\n'
    date_line = f'Date: {date}\n' if date else ''
    text = f'Origin: Test\nCodename: {codename}\n{date_line}{extra}MD5Sum:\n {"0" * 32} 1 x\nSHA256:\n{lines}'
    (www / 'dists' / 'trixie' / 'InRelease').write_bytes(signer.clearsign(text))


@pytest.fixture
def signed_mirror(www, openpgp):
    images = www / IMAGES
    (images / 'netboot').mkdir(parents=True)
    (images / 'netboot' / 'linux').write_bytes(KERNEL)
    sums = f'{hashlib.sha256(KERNEL).hexdigest()}  ./netboot/linux\n'.encode()
    (images / 'SHA256SUMS').write_bytes(sums)
    write_release(www, openpgp['signer'], sums)
    (www / 'CHECKSUM').write_bytes(openpgp['signer'].clearsign(f'SHA256 (vmlinuz) = {hashlib.sha256(KERNEL).hexdigest()}\n'))
    return www


def release_args(server, dest_dir, keyring):
    return {'url': server.url(f'{IMAGES}/netboot/linux'), 'dest': str(dest_dir / 'linux'),
            'checksum_url': server.url(f'{IMAGES}/SHA256SUMS'), 'checksum_name': './netboot/linux',
            'release_url': server.url('dists/trixie/InRelease'), 'keyring': keyring}


def test_signed_release_chain(server, signed_mirror, openpgp, dest_dir, capsys):
    args = release_args(server, dest_dir, openpgp['signer'].keyring)
    result = run(capsys, **args)
    assert result['changed'] is True and result['authenticity'] == 'signed-release'
    assert (dest_dir / 'linux').read_bytes() == KERNEL
    again = run(capsys, **args, _ansible_check_mode=True)
    assert again['changed'] is False and again['authenticity'] == 'signed-release'


def serve_release(www, openpgp, data, **release):
    """The mirror serves ``data`` as the kernel, listed by a new release of ``release`` fields."""
    sums = f'{hashlib.sha256(data).hexdigest()}  ./netboot/linux\n'.encode()
    (www / IMAGES / 'netboot' / 'linux').write_bytes(data)
    (www / IMAGES / 'SHA256SUMS').write_bytes(sums)
    write_release(www, openpgp['signer'], sums, **release)


def recorded(path):
    return json.loads(path.read_text()) if path.exists() else None


# The review case: bookworm's signed InRelease, which lists the same path, under trixie's URL.
@pytest.mark.parametrize('release, message', [
    ({'codename': 'bookworm'}, "is signed for another release: expected Codename or Suite 'trixie', found Codename 'bookworm'"),
    ({'codename': 'trixie-updates'}, "found Codename 'trixie-updates'"),
    ({'date': None}, 'has no Date field'),
    ({'extra': 'Valid-Until: Sat, 01 Jan 2000 00:00:00 UTC\n'}, 'expired on Sat, 01 Jan 2000'),
])
def test_another_release_is_refused(server, signed_mirror, openpgp, dest_dir, capsys, release_dates, release, message):
    serve_release(signed_mirror, openpgp, OLD, **release)
    args = release_args(server, dest_dir, openpgp['signer'].keyring)
    result = run(capsys, **args)
    assert result['failed'] is True and result['changed'] is False
    assert f'release_url {args["release_url"]}' in result['msg'] and message in result['msg']
    assert os.listdir(dest_dir) == [] and server.asset_requests(f'{IMAGES}/netboot/linux') == []
    assert recorded(release_dates) is None


def test_an_older_release_is_refused_after_a_newer_one(server, signed_mirror, openpgp, dest_dir, capsys, release_dates):
    args = release_args(server, dest_dir, openpgp['signer'].keyring)
    assert run(capsys, **args)['changed'] is True
    assert recorded(release_dates) == {args['release_url']: '2025-08-09T09:15:57+00:00'}
    assert oct(release_dates.stat().st_mode & 0o777) == '0o644'
    # The same release again is accepted.
    assert run(capsys, **args)['changed'] is False
    # An older, correctly signed release (a replay, or an older point release) is refused.
    serve_release(signed_mirror, openpgp, OLD, date='Fri, 08 Aug 2025 09:15:57 UTC')
    for check_mode in (True, False):
        result = run(capsys, **args, _ansible_check_mode=check_mode)
        assert result['failed'] is True and result['changed'] is False
        assert ('Date 2025-08-08T09:15:57+00:00 is older than 2025-08-09T09:15:57+00:00' in result['msg']
                and str(release_dates) in result['msg'])
    assert (dest_dir / 'linux').read_bytes() == KERNEL
    assert recorded(release_dates) == {args['release_url']: '2025-08-09T09:15:57+00:00'}
    # A newer one is accepted and recorded.
    serve_release(signed_mirror, openpgp, KERNEL, date='Sun, 10 Aug 2025 12:00:00 +0200')
    result = run(capsys, **args)
    assert result['changed'] is False and result['authenticity'] == 'signed-release'
    assert recorded(release_dates) == {args['release_url']: '2025-08-10T10:00:00+00:00'}


def test_check_mode_records_no_release_date(server, signed_mirror, openpgp, dest_dir, capsys, release_dates):
    result = run(capsys, **release_args(server, dest_dir, openpgp['signer'].keyring), _ansible_check_mode=True)
    assert result['changed'] is True and result['authenticity'] == 'signed-release'
    assert not release_dates.parent.exists()


@pytest.mark.parametrize('content, message', [
    ('not json', 'is not JSON'),
    ('["x"]', 'must be a JSON object of release URLs and dates, got list'),
])
def test_a_broken_release_dates_file_is_refused(server, signed_mirror, openpgp, dest_dir, capsys, release_dates,
                                                content, message):
    release_dates.parent.mkdir()
    release_dates.write_text(content)
    result = run(capsys, **release_args(server, dest_dir, openpgp['signer'].keyring))
    assert result['failed'] is True and f'release dates file {release_dates}' in result['msg'] and message in result['msg']
    assert os.listdir(dest_dir) == [] and release_dates.read_text() == content


def test_check_mode_on_a_server_without_gpgv_yet(server, signed_mirror, openpgp, dest_dir, capsys, monkeypatch, tmp_path,
                                                 module_warnings):
    """The role installs gpgv first: check mode on a fresh server predicts from the lists, with a
    warning; a real run without gpgv still fails rather than trust an unchecked list."""
    monkeypatch.setenv('PATH', str(tmp_path))
    args = release_args(server, dest_dir, openpgp['signer'].keyring)
    result = run(capsys, **args, _ansible_check_mode=True)
    assert result['changed'] is True and result['checksum'] == sha(KERNEL)
    assert 'signatures are not checked' in ' '.join(module_warnings)
    assert os.listdir(dest_dir) == []
    result = run(capsys, **args)
    assert result['failed'] is True and os.listdir(dest_dir) == []


def _tamper_sums(www, openpgp):
    (www / IMAGES / 'SHA256SUMS').write_bytes(f'{hashlib.sha256(OLD).hexdigest()}  ./netboot/linux\n'.encode())
    (www / IMAGES / 'netboot' / 'linux').write_bytes(OLD)


def _tamper_release(www, openpgp):
    path = www / 'dists' / 'trixie' / 'InRelease'
    forged = f'{hashlib.sha256(OLD).hexdigest()}  ./netboot/linux\n'.encode()
    (www / IMAGES / 'SHA256SUMS').write_bytes(forged)
    text = path.read_text()
    old_line = [line for line in text.splitlines() if line.endswith('images/SHA256SUMS')][0]
    new_line = f' {hashlib.sha256(forged).hexdigest()} {len(forged)} main/installer-amd64/current/images/SHA256SUMS'
    path.write_text(text.replace(old_line, new_line))


def _unsigned_release(www, openpgp):
    path = www / 'dists' / 'trixie' / 'InRelease'
    text = path.read_text()
    path.write_text(text[text.index('Origin:'):text.index('-----BEGIN PGP SIGNATURE')])


@pytest.mark.parametrize('tamper, keyring, message', [
    (_tamper_sums, 'signer', 'does not match release_url'),
    (_tamper_release, 'signer', 'no good signature from a key of'),
    (_unsigned_release, 'signer', 'is not one clearsigned OpenPGP message'),
    (None, 'stranger', 'no good signature from a key of'),
])
def test_signed_release_chain_refuses(server, signed_mirror, openpgp, dest_dir, capsys, tamper, keyring, message):
    if tamper:
        tamper(signed_mirror, openpgp)
    result = run(capsys, **release_args(server, dest_dir, openpgp[keyring].keyring))
    assert result['failed'] is True and result['changed'] is False
    assert message in result['msg'] and 'InRelease' in result['msg'] + 'SHA256SUMS'
    assert os.listdir(dest_dir) == []
    assert server.asset_requests(f'{IMAGES}/netboot/linux') == []


def test_release_url_must_be_above_the_checksum_list(server, signed_mirror, openpgp, dest_dir, capsys):
    args = release_args(server, dest_dir, openpgp['signer'].keyring)
    args['release_url'] = server.url('dists/bookworm/InRelease')
    (signed_mirror / 'dists' / 'bookworm').mkdir()
    (signed_mirror / 'dists' / 'bookworm' / 'InRelease').write_bytes((signed_mirror / 'dists' / 'trixie' / 'InRelease').read_bytes())
    result = run(capsys, **args)
    assert result['failed'] is True
    assert f'checksum_url {args["checksum_url"]} is not below the directory of release_url {args["release_url"]}' == result['msg']


@pytest.mark.parametrize('listing, keyring, message', [
    ('CHECKSUM', 'signer', None),
    ('CHECKSUM', 'stranger', 'no good signature from a key of'),
    ('SHA256SUMS', 'signer', 'is not one clearsigned OpenPGP message'),   # an unsigned list with a keyring
    ('TAMPERED', 'signer', 'no good signature from a key of'),
])
def test_clearsigned_checksum_list(server, signed_mirror, openpgp, dest_dir, capsys, listing, keyring, message):
    signed = (signed_mirror / 'CHECKSUM').read_bytes()
    (signed_mirror / 'TAMPERED').write_bytes(signed.replace(hashlib.sha256(KERNEL).hexdigest().encode(),
                                                            hashlib.sha256(OLD).hexdigest().encode()))
    dest = dest_dir / 'vmlinuz'
    result = run(capsys, url=server.url('vmlinuz'), dest=str(dest), checksum_url=server.url(listing),
                 keyring=openpgp[keyring].keyring)
    if message is None:
        assert result['changed'] is True and result['authenticity'] == 'signed-checksums'
        assert dest.read_bytes() == KERNEL
    else:
        assert result['failed'] is True and message in result['msg'] and server.url(listing) in result['msg']
        assert os.listdir(dest_dir) == [] and server.asset_requests('vmlinuz') == []


@pytest.mark.parametrize('args, authenticity', [
    ({'checksum': sha(KERNEL)}, 'checksum'),
    ({'checksum_url': 'SHA256SUMS'}, 'unsigned-checksums'),
])
def test_authenticity_without_a_signature(server, dest_dir, capsys, args, authenticity):
    args = {key: server.url(value) if key == 'checksum_url' else value for key, value in args.items()}
    result = run(capsys, url=server.url('vmlinuz'), dest=str(dest_dir / 'vmlinuz'), **args)
    assert result['changed'] is True and result['authenticity'] == authenticity
