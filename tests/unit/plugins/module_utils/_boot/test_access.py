# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import subprocess

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._boot.access import (
    HostAccessError,
    machine_locations,
    render_nginx_access,
)

from role_data import free_port, nginx_command

TOKEN = '0123456789abcdef0123456789abcdef'
KEY = '52-54-00-12-34-56'


def test_locations_of_a_machine():
    assert machine_locations('10.0.0.50', KEY, script=True, grub_config=True, token=TOKEN) == {
        'address': '10.0.0.50',
        'locations': [(f'/hosts/{KEY}.ipxe', 'file'), (f'/grub/hosts/{KEY}.cfg', 'file'),
                      (f'/answers/{TOKEN}/', 'directory'), (f'/builds/{TOKEN}', 'marker')]}
    assert machine_locations('10.0.0.50', KEY)['locations'] == []


@pytest.mark.parametrize('args, message', [
    (('10.0.0.5 ', KEY), 'a reserved address must be an IPv4 or IPv6 address'),
    (('10.0.0.5;', KEY), 'a reserved address must be an IPv4 or IPv6 address'),
    (('fe80::5', KEY), 'a reserved address must be an IPv4 or IPv6 address'),
    (('fd00:10::5%eth1', KEY), 'a reserved address must be an IPv4 or IPv6 address'),
    ((['10.0.0.5', 'fd00:10::5;'], KEY), 'a reserved address must be an IPv4 or IPv6 address'),
    (('10.0.0.5', '52:54:00:12:34:56'), 'a machine is named by its MAC'),
    (('10.0.0.5', KEY + ';'), 'a machine is named by its MAC'),
])
def test_refused(args, message):
    with pytest.raises(HostAccessError) as error:
        machine_locations(*args)
    assert str(error.value).startswith(message)


def test_a_token_is_32_hexadecimal_digits():
    with pytest.raises(HostAccessError, match='a build token is 32 hexadecimal digits'):
        machine_locations('10.0.0.5', KEY, token=TOKEN + '/x')


def test_a_path_given_to_two_machines_is_refused():
    with pytest.raises(HostAccessError, match='given to two machines'):
        render_nginx_access([machine_locations('10.0.0.5', KEY, script=True),
                             machine_locations('10.0.0.6', KEY, script=True)])


def test_the_directories_of_tokens_are_never_listed():
    text = render_nginx_access([])
    for directory in ('/hosts/', '/answers/', '/grub/hosts/'):
        block = text.split(f'location {directory} {{\n', 1)[1].split('\n}\n', 1)[0]
        assert '    autoindex off;' in block.split('\n')


def test_nginx_reads_the_locations(tmp_path):
    text = render_nginx_access([machine_locations('10.0.0.50', KEY, script=True, grub_config=True, token=TOKEN),
                                machine_locations('10.0.0.51', '52-54-00-12-34-57', script=True)])
    (tmp_path / 'access.conf').write_text(text)
    command = nginx_command(tmp_path, f'server {{\nlisten 127.0.0.1:1;\nroot {tmp_path};\ninclude {tmp_path}/access.conf;\n}}')
    result = subprocess.run(command + ['-t', '-q'], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


@pytest.fixture
def served(tmp_path):
    """nginx on loopback serving a root with the files of two machines: one at 127.0.0.1 (this test), one elsewhere."""
    port = free_port()
    root = tmp_path / 'root'
    for path in (f'hosts/{KEY}.ipxe', 'hosts/52-54-00-12-34-57.ipxe', 'hosts/52-54-00-12-34-58.ipxe',
                 f'grub/hosts/{KEY}.cfg', 'grub/menu.cfg', f'answers/{TOKEN}/preseed.cfg', f'builds/{TOKEN}'):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(path)
    access = render_nginx_access([machine_locations('127.0.0.1', KEY, script=True, grub_config=True, token=TOKEN),
                                  machine_locations('10.0.0.51', '52-54-00-12-34-57', script=True)])
    (tmp_path / 'access.conf').write_text(access)
    command = nginx_command(tmp_path, f'server {{\nlisten 127.0.0.1:{port};\nroot {root};\nautoindex on;\n'
                                      f'include {tmp_path}/access.conf;\n}}')
    subprocess.run(command, check=True)
    try:
        yield f'http://127.0.0.1:{port}', root
    finally:
        subprocess.run(command + ['-s', 'stop'], check=False)


def request(url, method='GET'):
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ''


def test_nginx_serves_each_machine_its_own_files_only(served):
    base, root = served
    # This client is the machine at 127.0.0.1: its files, by its MAC and its token.
    assert request(f'{base}/hosts/{KEY}.ipxe') == (200, f'hosts/{KEY}.ipxe')
    assert request(f'{base}/answers/{TOKEN}/preseed.cfg') == (200, f'answers/{TOKEN}/preseed.cfg')
    assert request(f'{base}/builds/{TOKEN}')[0] == 200
    # GRUB asks by the MAC with colons; a machine without a configuration of its own gets the menu.
    assert request(f'{base}/grub/hosts/52:54:00:12:34:56.cfg') == (200, f'grub/hosts/{KEY}.cfg')
    assert request(f'{base}/grub/hosts/52:54:00:12:34:59.cfg') == (200, 'grub/menu.cfg')
    # Another machine's file is refused here, a machine without an address has public files.
    assert request(f'{base}/hosts/52-54-00-12-34-57.ipxe')[0] == 403
    assert request(f'{base}/hosts/52-54-00-12-34-58.ipxe')[0] == 200
    # Nothing that holds tokens is listed, even with autoindex on in the site.
    for directory in ('hosts/', 'answers/', f'answers/{TOKEN}/'):
        assert request(f'{base}/{directory}')[0] == 403, directory
    assert request(f'{base}/grub/hosts/') == (200, 'grub/menu.cfg')
    # Only reads, except the marker, which its machine deletes.
    assert request(f'{base}/answers/{TOKEN}/preseed.cfg', method='DELETE')[0] == 403
    assert request(f'{base}/builds/{TOKEN}', method='DELETE')[0] == 204
    assert not (root / 'builds' / TOKEN).exists()


# --- The agent's report: PUT by its machine only, read by nobody over HTTP

OTHER_TOKEN = 'fedcba9876543210fedcba9876543210'


def test_an_image_deploy_may_write_its_report():
    assert machine_locations('10.0.0.50', KEY, script=True, token=TOKEN, report=True)['locations'] == [
        (f'/hosts/{KEY}.ipxe', 'file'), (f'/answers/{TOKEN}/', 'directory'), (f'/builds/{TOKEN}', 'marker'),
        (f'/reports/{TOKEN}.json', 'report')]
    # Without a pending build there is nothing to report to.
    assert machine_locations('10.0.0.50', KEY, script=True, report=True)['locations'] == [(f'/hosts/{KEY}.ipxe', 'file')]


def test_the_report_location_takes_a_put_from_its_machine_only():
    text = render_nginx_access([machine_locations('10.0.0.50', KEY, token=TOKEN, report=True)])
    block = text.split(f'location = /reports/{TOKEN}.json {{\n', 1)[1].split('\n}\n', 1)[0]
    assert block.split('\n') == ['    allow 10.0.0.50;', '    deny all;', '    dav_methods PUT;', '    client_max_body_size 64k;',
                                 '    limit_except PUT {', '        deny all;', '    }']
    assert 'location /reports/ {\n    deny all;\n}\n' in text


@pytest.fixture
def reporting(tmp_path):
    """nginx on loopback with the reports of two image deploys: one of the machine at 127.0.0.1 (this test), one elsewhere."""
    port = free_port()
    root = tmp_path / 'root'
    (root / 'reports').mkdir(parents=True)
    access = render_nginx_access([machine_locations('127.0.0.1', KEY, script=True, token=TOKEN, report=True),
                                  machine_locations('10.0.0.51', '52-54-00-12-34-57', script=True, token=OTHER_TOKEN,
                                                    report=True)])
    (tmp_path / 'access.conf').write_text(access)
    command = nginx_command(tmp_path, f'server {{\nlisten 127.0.0.1:{port};\nroot {root};\nautoindex on;\n'
                                      f'include {tmp_path}/access.conf;\n}}')
    subprocess.run(command, check=True)
    try:
        yield f'http://127.0.0.1:{port}', root / 'reports'
    finally:
        subprocess.run(command + ['-s', 'stop'], check=False)


def send(url, method, body=None):
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, method=method), timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_nginx_takes_a_machine_report_and_serves_it_to_nobody(reporting):
    base, reports = reporting
    report = b'{"status": "deployed", "step": "", "reason": "", "log": []}'
    # The machine at 127.0.0.1 writes its report, and may write it again (a retried deploy).
    assert send(f'{base}/reports/{TOKEN}.json', 'PUT', report) == 201
    assert (reports / f'{TOKEN}.json').read_bytes() == report
    assert send(f'{base}/reports/{TOKEN}.json', 'PUT', b'{}') == 204
    assert (reports / f'{TOKEN}.json').read_bytes() == b'{}'
    # Nobody reads or deletes it over HTTP, not even its machine.
    for method in ('GET', 'HEAD', 'DELETE', 'POST'):
        assert send(f'{base}/reports/{TOKEN}.json', method, b'' if method == 'POST' else None) == 403, method
    # Another machine's report, any other name, and the directory are refused.
    assert send(f'{base}/reports/{OTHER_TOKEN}.json', 'PUT', report) == 403
    assert send(f'{base}/reports/{TOKEN}.json.tmp', 'PUT', report) == 403
    assert send(f'{base}/reports/{TOKEN}', 'PUT', report) == 403
    assert send(f'{base}/reports/', 'GET') == 403
    assert sorted(path.name for path in reports.iterdir()) == [f'{TOKEN}.json']


def test_nginx_refuses_a_report_larger_than_64_kib(reporting):
    base, reports = reporting
    assert send(f'{base}/reports/{TOKEN}.json', 'PUT', b' ' * (64 * 1024)) == 201
    assert send(f'{base}/reports/{TOKEN}.json', 'PUT', b'x' * (64 * 1024 + 1)) == 413
    assert (reports / f'{TOKEN}.json').read_bytes() == b' ' * (64 * 1024)


# --- Discovery: each address writes its own record, from the served and relayed networks only

def test_discovery_takes_records_from_its_networks_only():
    text = render_nginx_access([], ['10.0.0.0/24', '10.1.0.0/24'])
    block = text.split('location = /discovery/report {\n', 1)[1].split('\n}\n', 1)[0]
    assert block.split('\n') == ['    allow 10.0.0.0/24;', '    allow 10.1.0.0/24;', '    deny all;', '    dav_methods PUT;',
                                 '    client_max_body_size 64k;', '    limit_except PUT {', '        deny all;', '    }',
                                 '    rewrite ^ /discovered/$remote_addr.json break;']
    assert 'location /discovered/ {\n    deny all;\n}\n' in text
    assert 'discovery' not in render_nginx_access([])


@pytest.fixture(params=[['127.0.0.0/8'], ['10.0.0.0/24']], ids=['served', 'elsewhere'])
def discovering(tmp_path, request):
    """nginx on loopback taking discovery records from ``request.param`` (this test's address or not)."""
    port = free_port()
    root = tmp_path / 'root'
    (root / 'discovered').mkdir(parents=True)
    (tmp_path / 'access.conf').write_text(render_nginx_access([], request.param))
    command = nginx_command(tmp_path, f'server {{\nlisten 127.0.0.1:{port};\nroot {root};\nautoindex on;\n'
                                      f'include {tmp_path}/access.conf;\n}}')
    subprocess.run(command, check=True)
    try:
        yield f'http://127.0.0.1:{port}', root / 'discovered', request.param == ['127.0.0.0/8']
    finally:
        subprocess.run(command + ['-s', 'stop'], check=False)


def test_nginx_keeps_a_record_under_its_sender_s_address(discovering):
    base, records, served = discovering
    record = b'{"mac": "52:54:00:12:34:56"}'
    if not served:
        assert send(f'{base}/discovery/report', 'PUT', record) == 403
        assert list(records.iterdir()) == []
        return
    assert send(f'{base}/discovery/report', 'PUT', record) == 201
    # Whatever the request names, the record is the sender's own.
    assert send(f'{base}/discovery/report?../../hosts/x', 'PUT', b'{}') == 204
    assert sorted(path.name for path in records.iterdir()) == ['127.0.0.1.json']
    assert (records / '127.0.0.1.json').read_bytes() == b'{}'
    for method in ('GET', 'DELETE', 'POST'):
        assert send(f'{base}/discovery/report', method, b'' if method == 'POST' else None) == 403, method
    assert send(f'{base}/discovered/127.0.0.1.json', 'GET') == 403
    assert send(f'{base}/discovered/127.0.0.2.json', 'PUT', record) == 403
    assert send(f'{base}/discovery/report', 'PUT', b'x' * (64 * 1024 + 1)) == 413


def test_a_machine_with_both_addresses_gets_its_files_at_both():
    text = render_nginx_access([machine_locations(['10.0.0.5', 'fd00:10::5'], KEY, script=True)])
    block = text[text.index(f'location = /hosts/{KEY}.ipxe {{'):]
    assert block.splitlines()[1:4] == ['    allow 10.0.0.5;', '    allow fd00:10::5;', '    deny all;']
