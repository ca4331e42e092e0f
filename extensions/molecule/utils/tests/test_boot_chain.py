"""Real packets from the client container: DHCP per architecture, TFTP of each binary, HTTP scripts."""

import pytest

# Client system architecture (option 93) -> architecture name used by netboot_boot_files.
PXE_CLIENTS = [
    (0, 'bios'),
    (7, 'efi-x64'),
    (9, 'efi-x64'),
    (11, 'efi-arm64'),
    (16, 'http-x64'),
]


@pytest.mark.parametrize('arch, name', PXE_CLIENTS)
def test_firmware_gets_boot_file_of_its_architecture(dhcp, lab, arch, name):
    answer = dhcp(arch)
    server = lab['netboot_server_address']
    expected = lab['netboot_boot_files'][name]
    if name.startswith('http-'):
        expected = f'http://{server}/ipxe/{expected}'
    for reply in (answer['offer'], answer['ack']):
        assert reply['file'] == expected
        assert reply['siaddr'] == server
    if name.startswith('http-'):
        assert bytes.fromhex(answer['ack']['options']['vendor_class_id']) == b'HTTPClient'
    else:
        assert 'vendor_class_id' not in answer['ack']['options']


@pytest.mark.parametrize('arch', [0, 7, 11])
def test_ipxe_gets_the_boot_script_url(dhcp, lab, arch):
    answer = dhcp(arch, user_class='iPXE')
    server = lab['netboot_server_address']
    assert answer['ack']['file'] == f'http://{server}/boot.ipxe'
    assert answer['ack']['siaddr'] == server
    # Option 175, sub-option 176 (no-pxedhcp) = 1: iPXE skips the ProxyDHCP wait.
    assert answer['ack']['options']['175'] == 'b00101'


def test_every_staged_binary_downloads_byte_identical_over_tftp(server, client, lab):
    names = server.check_output("find /srv/tftp -maxdepth 1 -type f -printf '%f\\n'").split()
    assert set(lab['netboot_boot_files'].values()) <= set(names)
    client.check_output('rm -rf /tmp/tftp && mkdir /tmp/tftp')
    for name in names:
        client.check_output(f'cd /tmp/tftp && tftp -m binary {lab["netboot_server_address"]} -c get {name}')
        fetched = client.file(f'/tmp/tftp/{name}').sha256sum
        assert fetched == server.file(f'/srv/tftp/{name}').sha256sum, name
        # iPXE from its package or a fixture; Secure Boot's shim and GRUB from their unpacked packages.
        sources = [f'/usr/lib/ipxe/{name}', f'/var/tmp/netboot-fixtures/{name}']
        sources += server.check_output(f'find /var/cache/netboot-pxe/signed -name {name} -type f 2>/dev/null || true').split()
        source = next(path for path in sources if server.file(path).exists)
        assert fetched == server.file(source).sha256sum, f'{name} differs from {source}'


def test_tftp_refuses_paths_outside_its_root(client, lab):
    result = client.run(f'cd /tmp && tftp -m binary {lab["netboot_server_address"]} -c get ../etc/passwd passwd')
    assert client.run('test -s /tmp/passwd').rc != 0, result.stdout


def test_boot_script_chains_host_script_then_menu(client, lab):
    base = f'http://{lab["netboot_server_address"]}'
    script = client.check_output(f'curl -fsS {base}/boot.ipxe')
    assert script.startswith('#!ipxe\n')
    # The machine's own script runs as an image of its own, so that its failure status (its own disk, on
    # UEFI) makes iPXE leave; every other machine gets the menu (no discovery without images).
    assert f'\nimgfetch --name host {base}/hosts/${{mac:hexhyp}}.ipxe || chain --autofree {base}/menu.ipxe\n' \
           'imgexec --autofree host || exit 1' in script
    assert 'discovery' not in script


def test_menu_is_an_ipxe_menu_with_a_default(client, lab):
    menu = client.check_output(f'curl -fsS http://{lab["netboot_server_address"]}/menu.ipxe')
    assert menu.startswith('#!ipxe\n')
    assert '\nmenu ' in menu
    assert '\nchoose --default ' in menu


def test_ipxe_binaries_served_over_http_for_http_boot(server, client, lab):
    name = lab['netboot_boot_files']['http-x64']
    fetched = client.check_output(f'curl -fsS http://{lab["netboot_server_address"]}/ipxe/{name} | sha256sum').split()[0]
    assert fetched == server.file(f'/srv/tftp/{name}').sha256sum


def http_status(client, lab, path):
    return client.check_output(
        f'curl -s -o /dev/null -w "%{{http_code}}" --path-as-is http://{lab["netboot_server_address"]}{path}')


@pytest.mark.parametrize('path', ['/', '/ipxe/', '/hosts/', '/../../etc/passwd', '/ipxe/../../../etc/passwd'])
def test_http_serves_no_listing_or_traversal(client, lab, path):
    assert http_status(client, lab, path) in ('400', '403', '404'), path


def test_http_hides_dotfiles(server, client, lab):
    server.check_output('echo secret > /srv/netboot/.htpasswd && mkdir -p /srv/netboot/.git && echo x > /srv/netboot/.git/config')
    try:
        assert http_status(client, lab, '/.htpasswd') == '404'
        assert http_status(client, lab, '/.git/config') == '404'
        assert http_status(client, lab, '/boot.ipxe') == '200'
    finally:
        server.check_output('rm -rf /srv/netboot/.htpasswd /srv/netboot/.git')
