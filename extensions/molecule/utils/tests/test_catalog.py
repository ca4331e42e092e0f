"""OS catalog: the enabled entries are in the menu, their files on the server verified against
the mirror's checksum lists; a mismatch keeps the old file; per-host installs get their
script, their answer file and their fixed address."""

import json

import pytest

from ansible_collections.netboot.pxe.tests.lib.ipxe_lint import lint_script
from netboot_checks import builds, run_report, run_site

MIRROR = '/srv/mirror'
DEBIAN_IMAGES = f'{MIRROR}/debian/dists/trixie/main/installer-amd64/current/images'
FEDORA_TREE = f'{MIRROR}/fedora/releases/44/Everything/x86_64/os'
# Server file -> the same file on the fixture mirror.
ASSETS = {
    '/srv/netboot/os/debian-13/linux': f'{DEBIAN_IMAGES}/netboot/debian-installer/amd64/linux',
    '/srv/netboot/os/debian-13/initrd.gz': f'{DEBIAN_IMAGES}/netboot/debian-installer/amd64/initrd.gz',
    '/srv/netboot/os/fedora-44/vmlinuz': f'{FEDORA_TREE}/images/pxeboot/vmlinuz',
    '/srv/netboot/os/fedora-44/initrd.img': f'{FEDORA_TREE}/images/pxeboot/initrd.img',
}


def machine_address(lab, last):
    """The reserved address of the machine ``last`` of ipxe_hosts (its last octet)."""
    return lab['netboot_server_address'].rsplit('.', 1)[0] + '.' + last


@pytest.fixture
def as_machine(client, lab):
    """as_machine(last): give the client the reserved address of that machine too, so that it can ask as that
    machine (curl --interface); the addresses go again after the test."""
    device = client.check_output(f"ip -4 -o addr show | awk '$4 ~ /^{lab['netboot_server_address'].rsplit('.', 1)[0]}\\./"
                                 " {print $2; exit}'").strip()
    added = []

    def add(last):
        address = machine_address(lab, last)
        client.check_output(f'ip addr replace {address}/32 dev {device}')
        added.append(address)
        return address
    yield add
    for address in added:
        client.run(f'ip addr del {address}/32 dev {device}')


def fetch(client, lab, path, source=None):
    """The file at ``path``, asked from the client's address or from ``source``."""
    interface = f'--interface {source} ' if source else ''
    return client.check_output(f'curl -fsS {interface}http://{lab["netboot_server_address"]}/{path}')


def host_key(lab, last):
    prefix = lab['netboot_server_address'].split('.')[2]
    return f'52-54-00-{prefix}-00-{last}'


def status(client, lab, path, method='GET', source=None):
    """The HTTP status nginx answers the client (from its address or from ``source``) for ``path``."""
    interface = f'--interface {source} ' if source else ''
    return client.check_output(f'curl -sS -o /dev/null -X {method} -w "%{{http_code}}" {interface}'
                               f'http://{lab["netboot_server_address"]}/{path}')


def sha256(host, path):
    return host.check_output(f'sha256sum {path}').split()[0]


def test_menu_lists_the_enabled_entries_and_lints_clean(client, lab):
    menu = fetch(client, lab, 'menu.ipxe')
    assert lint_script(menu) == []
    for key in ['debian-13', 'fedora-44', 'ubuntu-24.04', 'memtest86plus', 'netboot.xyz', 'rescue']:
        assert f'\n:{key}\n' in menu, key
    for absent in ['debian-12', 'archlinux', 'rocky-10']:
        assert f':{absent}\n' not in menu
    assert 'item --gap -- Install an operating system' in menu


@pytest.mark.parametrize('dest, source', ASSETS.items())
def test_assets_on_disk_match_the_mirror(server, client, lab, dest, source):
    assert sha256(server, dest) == sha256(client, source)
    served = client.check_output(
        f'curl -fsS http://{lab["netboot_server_address"]}/{dest.removeprefix("/srv/netboot/")} | sha256sum')
    assert served.split()[0] == sha256(client, source)


def test_local_package_files_and_memdisk_are_staged(server):
    for staged, package_file in [('/srv/netboot/os/memtest86plus/memtest86+x64.bin', '/boot/memtest86+x64.bin'),
                                 ('/srv/netboot/os/memtest86plus/memtest86+x64.efi', '/boot/memtest86+x64.efi'),
                                 ('/srv/netboot/ipxe/memdisk', '/usr/lib/syslinux/memdisk')]:
        assert sha256(server, staged) == sha256(server, package_file)


def test_second_run_downloads_nothing(client):
    client.check_output('journalctl --rotate -q; journalctl --vacuum-time=1s -q; true')
    since = client.check_output('date +%s')
    result = run_site()
    assert result.returncode == 0, result.stdout[-3000:]
    assert 'changed=0' in result.stdout.split('PLAY RECAP')[-1]
    requests = client.check_output(f'journalctl -u netboot-test-mirror --since @{since} --no-pager -o cat')
    fetched = [line for line in requests.splitlines() if '"GET ' in line]
    assert fetched, 'the checksum lists are read on every run'
    assert all('SHA256SUMS' in line or '.treeinfo' in line or 'InRelease' in line for line in fetched), fetched


@pytest.mark.parametrize('resign', [True, False])
def test_checksum_mismatch_fails_and_keeps_the_old_file(server, client, resign):
    kernel = f'{DEBIAN_IMAGES}/netboot/debian-installer/amd64/linux'
    before = sha256(server, '/srv/netboot/os/debian-13/linux')
    client.check_output(f'cp {kernel} /tmp/linux.good && cp {DEBIAN_IMAGES}/SHA256SUMS /tmp/SHA256SUMS.good')
    try:
        # The list announces a new kernel, but the mirror serves other bytes.
        client.check_output(f'head -c 1M /dev/urandom > {kernel}')
        announced = 'a' * 64
        client.check_output(f"sed -i 's|^[0-9a-f]*  ./netboot/debian-installer/amd64/linux$|{announced}  "
                            f"./netboot/debian-installer/amd64/linux|' {DEBIAN_IMAGES}/SHA256SUMS")
        if resign:   # the signed InRelease vouches for the new list: the file itself mismatches
            client.check_output(f'/usr/local/bin/netboot-sign-release {MIRROR}/debian/dists trixie')
        result = run_site()
        output = result.stdout + result.stderr
        assert result.returncode != 0, output[-3000:]
        if resign:
            assert 'checksum' in output and announced in output, output[-3000:]
        else:        # the changed list no longer matches the signed InRelease
            assert 'does not match release_url' in output, output[-3000:]
        assert sha256(server, '/srv/netboot/os/debian-13/linux') == before
        assert server.run('ls /srv/netboot/os/debian-13/linux.part').rc != 0
        assert server.run('ls /srv/netboot/os/debian-13/ | grep -v -x -e linux -e initrd.gz').rc != 0
    finally:
        # Signed anew rather than copied back: the server refuses a release older than one it accepted.
        client.check_output(f'cp /tmp/linux.good {kernel} && cp /tmp/SHA256SUMS.good {DEBIAN_IMAGES}/SHA256SUMS'
                            f' && /usr/local/bin/netboot-sign-release {MIRROR}/debian/dists trixie')


@pytest.mark.parametrize('last, answer, expected', [
    ('50', 'preseed.cfg', 'd-i netcfg/get_hostname string lab-50'),
    ('51', 'user-data', 'hostname: {generated}'),
    ('51', 'meta-data', 'local-hostname: {generated}'),
    ('52', 'ks.cfg', 'network --bootproto=dhcp --hostname={generated}.lab'),
])
def test_per_host_install_gets_its_script_and_answer_file(server, client, lab, as_machine, last, answer, expected):
    key = host_key(lab, last)
    build = builds(server)[key]
    assert build['state'] == 'pending' and len(build['token']) == 32
    reserved = any(host['mac'].replace(':', '-').lower() == key and 'ip' in host for host in lab['ipxe_hosts'])
    # A machine with a reserved address gets its files there and nowhere else: not from this client's
    # address, nor from the server's own (its token is learned only by its machine).
    paths = (f'hosts/{key}.ipxe', f'answers/{build["token"]}/{answer}', f'builds/{build["token"]}')
    if reserved:
        assert [status(client, lab, path) for path in paths] == ['403'] * 3
        assert [status_on_server(server, lab, lab['netboot_server_address'], '/' + path) for path in paths] == ['403'] * 3
    source = as_machine(last) if reserved else None
    script = fetch(client, lab, f'hosts/{key}.ipxe', source)
    assert lint_script(script) == []
    answers = f'http://{lab["netboot_server_address"]}/answers/{build["token"]}/'
    assert answers + ('' if answer in ('user-data', 'meta-data') else answer) in script
    # Without a hostname, a machine is named after its MAC.
    expected = expected.format(generated='host-' + key.replace('-', ''))
    assert expected in fetch(client, lab, f'answers/{build["token"]}/{answer}', source)


def test_no_directory_of_tokens_is_listed_and_the_locations_are_roots_alone(server, client, lab):
    for directory in ('hosts/', 'answers/', 'builds/'):
        assert status(client, lab, directory) == '403', directory
    access = server.file('/etc/nginx/netboot.d/ipxe-hosts.conf')
    assert (access.user, access.group, access.mode) == ('root', 'root', 0o600)
    # Local users may pass through answers/ to a file whose token they know, never list the tokens.
    answers = server.file('/srv/netboot/answers')
    assert (answers.user, answers.group, answers.mode) == ('root', 'root', 0o711)


@pytest.mark.parametrize('last, address', [('50', '.50'), ('52', '.52')])
def test_per_host_install_gets_its_fixed_address_and_the_pxe_chain(dhcp, lab, last, address):
    mac = host_key(lab, last).replace('-', ':')
    firmware = dhcp(0, mac=mac)['ack']
    assert firmware['yiaddr'] == lab['netboot_server_address'].rsplit('.', 1)[0] + address
    assert firmware['file'] == lab['netboot_boot_files']['bios']
    ipxe = dhcp(0, mac=mac, user_class='iPXE')['ack']
    assert ipxe['file'] == f'http://{lab["netboot_server_address"]}/boot.ipxe'


def test_reservations_carry_no_boot_settings_but_the_shim(server, lab):
    config = json.loads(server.check_output("sed -e '/^ *\\/\\//d' /etc/kea/kea-dhcp4.conf"))
    reservations = {host['hw-address']: host for host in config['Dhcp4']['subnet4'][0]['reservations']}
    hosts = {host['mac'].lower().replace('-', ':'): host for host in lab['ipxe_hosts'] if 'ip' in host}
    assert set(reservations) == set(hosts)
    for mac, reservation in reservations.items():
        # A Secure Boot machine's reservation hands it the shim, the one boot setting allowed there.
        shim = {'boot-file-name': 'shimx64.efi'} if hosts[mac].get('secure_boot') else {}
        assert reservation == {'hw-address': mac, 'ip-address': hosts[mac]['ip'], **shim}


@pytest.mark.parametrize('last, answer', [('50', 'preseed.cfg'), ('51', 'user-data'), ('52', 'ks.cfg')])
def test_answer_files_are_for_the_web_server_only(server, lab, last, answer):
    answers = server.file(f'/srv/netboot/answers/{builds(server)[host_key(lab, last)]["token"]}/{answer}')
    assert (answers.user, answers.group, answers.mode) == ('root', 'www-data', 0o640)


def test_a_machine_removed_from_ipxe_hosts_loses_its_script_and_answers(server, client, lab):
    gone = host_key(lab, '50')
    token = builds(server)[gone]['token']
    kept = [host for host in lab['ipxe_hosts'] if host['mac'].replace(':', '-').lower() != gone]
    assert len(kept) == len(lab['ipxe_hosts']) - 1
    try:
        result = run_site('-e', json.dumps({'ipxe_hosts': kept}))
        assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
        assert not server.file(f'/srv/netboot/hosts/{gone}.ipxe').exists
        assert not server.file(f'/srv/netboot/answers/{token}').exists
        assert status(client, lab, f'answers/{token}/preseed.cfg') == '404'
        assert gone not in builds(server)
        assert server.file(f'/srv/netboot/hosts/{host_key(lab, "52")}.ipxe').exists
    finally:
        result = run_site()
        assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert server.file(f'/srv/netboot/answers/{builds(server)[gone]["token"]}/preseed.cfg').exists


def test_an_install_reports_completion_then_boots_its_own_disk(server, client, lab, as_machine):
    key = host_key(lab, '52')
    token = builds(server)[key]['token']
    machine = as_machine('52')
    assert status(client, lab, f'answers/{token}/ks.cfg', source=machine) == '200'
    # The marker: its machine may fetch it (its script does) or delete it (its installer does);
    # no other address may, even knowing the token; no one may list the markers.
    assert status(client, lab, f'builds/{token}', source=machine) == '200'
    assert status(client, lab, f'builds/{token}', method='DELETE') == '403'
    assert status(client, lab, 'builds/', source=machine) == '403'
    assert status(client, lab, f'answers/{token}/ks.cfg', method='DELETE', source=machine) == '403'
    assert status(client, lab, f'builds/{token}', method='PUT', source=machine) == '403'
    script = fetch(client, lab, f'hosts/{key}.ipxe', machine)
    assert f'imgfetch --name only-while http://{lab["netboot_server_address"]}/builds/{token} || goto own-disk' in script
    assert status(client, lab, f'builds/{token}', method='DELETE', source=machine) == '204'
    # From this moment the host's script boots its own disk: its marker is gone.
    assert status(client, lab, f'builds/{token}', source=machine) == '404'
    try:
        result = run_site()
        assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
        assert builds(server)[key]['state'] == 'installed'
        script = fetch(client, lab, f'hosts/{key}.ipxe', machine)
        assert 'sanboot --no-describe --drive 0x80' in script and 'kernel' not in script
        assert status(client, lab, f'answers/{token}/ks.cfg', source=machine) == '404'
        # A reinstall is asked for with a new build number, and gets a new token.
        hosts = [dict(host, build=2) if host['mac'].replace(':', '-').lower() == key else host for host in lab['ipxe_hosts']]
        result = run_site('-e', json.dumps({'ipxe_hosts': hosts}))
        assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
        build = builds(server)[key]
        assert (build['build'], build['state']) == (2, 'pending') and build['token'] != token
        assert status(client, lab, f'answers/{build["token"]}/ks.cfg', source=machine) == '200'
        assert status(client, lab, f'answers/{token}/ks.cfg', source=machine) == '404'
    finally:
        result = run_site()
        assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert builds(server)[key]['state'] == 'pending'


def status_on_server(server, lab, source, path):
    """The HTTP status nginx answers the server itself, asking from its address ``source``, for ``path``."""
    script = ('import http.client, sys\n'
              'connection = http.client.HTTPConnection(sys.argv[1], 80, source_address=(sys.argv[2], 0), timeout=5)\n'
              'connection.request("GET", sys.argv[3])\n'
              'print(connection.getresponse().status)')
    return server.check_output('python3 -c %s %s %s %s', script, lab['netboot_server_address'], source, path)


def test_answer_files_are_refused_outside_the_served_subnets(server, lab):
    """From the server's address on Docker's default bridge, which is not a served subnet."""
    token = builds(server)[host_key(lab, '50')]['token']
    outside = server.check_output("ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1")
    assert status_on_server(server, lab, outside, f'/answers/{token}/preseed.cfg') == '403'


def test_the_report_shows_leases_and_builds(server, lab, dhcp, tmp_path):
    mac = '52:54:00:13:99:01'
    address = dhcp(7, mac=mac)['ack']['yiaddr']
    result = run_report('-e', f'netboot_report_json={tmp_path}/report.json')
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert 'MAC' in result.stdout and mac in result.stdout
    (machines,) = json.loads((tmp_path / 'report.json').read_text()).values()
    assert machines[mac]['address'] == address
    for last in ('50', '51', '52'):
        build = machines[host_key(lab, last).replace('-', ':')]['build']
        assert build['state'] == 'pending' and build['build'] == 1
