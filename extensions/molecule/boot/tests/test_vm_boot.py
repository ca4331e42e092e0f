"""Real firmware boots from the netboot server: OVMF (UEFI) and SeaBIOS machines under QEMU.

Each machine has a fixed address (a Kea reservation without boot file), boots with no
keyboard input, and must print the guest's marker on its serial console.  Kea's, tftpd's
and nginx's logs must show the DHCP classes and the files that machine fetched.
"""

import json
import os
import re
import sys
import time

import pytest
import testinfra
from testinfra.utils.ansible_runner import AnsibleRunner

TOP = os.environ['MOLECULE_PROJECT_DIRECTORY']
sys.path.insert(0, os.path.join(TOP, 'tests', 'boot'))
sys.path.insert(0, os.path.join(TOP, 'extensions', 'molecule', 'utils', 'lib'))

from netboot_checks import builds, run_site  # noqa: E402  pylint: disable=wrong-import-position
from vm import Machine  # noqa: E402  pylint: disable=wrong-import-position

NETWORK = 'netboot-test-boot'
MARKER = 'NETBOOT-PXE-GUEST-UP'
RESULTS = os.path.join(TOP, '.cache', 'results')
PHASES = os.path.join(RESULTS, 'boot-phases.json')
# Serial console text that marks each phase (the first line that contains it).
PHASE_TEXT = {
    'dhcp': ['Start PXE over IPv4', 'Start HTTP Boot over IPv4', 'DHCP', 'Configuring (net0'],
    'tftp': ['Downloading NBP file', 'tftp://', 'undionly.kpxe'],
    'ipxe_start': ['iPXE initialising devices'],
    'http': ['boot.ipxe'],
    'kernel_start': ['Linux version', 'EFI stub'],
    'marker': [MARKER],
}

MACHINES = {
    # name: (firmware, MAC, address, DHCP classes Kea must assign, file fetched over TFTP)
    'uefi': ('uefi', '52:54:00:77:20:11', '10.77.20.11', ['pxe-efi-x64', 'ipxe'], 'snponly.efi'),
    'bios': ('bios', '52:54:00:77:20:12', '10.77.20.12', ['ipxe'], None),
    'biospxe': ('bios-plain-pxe', '52:54:00:77:20:13', '10.77.20.13', ['pxe-bios', 'ipxe'], 'undionly.kpxe'),
    # UEFI HTTP boot, OVMF's PXE off: the iPXE binary over HTTP, timed against the PXE machine above.
    'uefi-http': ('uefi', '52:54:00:77:20:18', '10.77.20.18', ['pxe-http-x64', 'ipxe'], None),
}
HTTP_BOOT = {'uefi-http': '/ipxe/ipxe.efi'}


@pytest.fixture(scope='module')
def server():
    inventory = os.environ['MOLECULE_INVENTORY_FILE']
    name = AnsibleRunner(inventory).get_hosts('netboot_servers')[0]
    return testinfra.get_host(f'docker://{name}')


@pytest.fixture(scope='module')
def phases():
    found = {}
    yield found
    os.makedirs(RESULTS, exist_ok=True)
    with open(PHASES, 'w', encoding='utf-8') as handle:
        json.dump(found, handle, indent=2, sort_keys=True)


def phase_times(machine):
    """Seconds from power-on to each phase; the whole console with times goes to boot-timeline-<name>.txt."""
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, f'boot-timeline-{machine.name}.txt'), 'w', encoding='utf-8') as handle:
        handle.writelines(f'{seconds:6.1f} {line}\n' for seconds, line in list(machine.lines))
    times = {}
    for phase, texts in PHASE_TEXT.items():
        seen = [machine.first(text) for text in texts]
        seen = [seconds for seconds in seen if seconds is not None]
        times[phase] = round(min(seen), 1) if seen else None
    return times


def assigned_classes(server, mac):
    """Classes Kea logged for packets from ``mac`` (DHCP4_CLASSES_ASSIGNED, debug level 40)."""
    journal = server.check_output('journalctl -u kea-dhcp4-server --no-pager -o cat')
    classes = set()
    for line in journal.splitlines():
        if 'DHCP4_CLASSES_ASSIGNED ' in line and f'hwtype=1 {mac}]' in line:
            classes.update(name.strip() for name in line.split('following classes:', 1)[1].split(','))
    return classes


def http_fetches(server, address):
    log = server.check_output('cat /var/log/nginx/netboot.access.log')
    return [match.group(2) for match in re.finditer(r'^(\S+) .*?"GET (\S+) HTTP/[^"]*" 200 ', log, re.MULTILINE)
            if match.group(1) == address]


def masked(path):
    """``path`` as nginx's access log writes it: a build token shows as TOKEN."""
    return re.sub(r'[0-9a-f]{32}', 'TOKEN', path)


def tftp_fetches(server, address):
    journal = server.check_output('journalctl -t in.tftpd --no-pager -o cat')
    return re.findall(rf'RRQ from {re.escape(address)} filename (\S+)', journal)


@pytest.mark.parametrize('name', list(MACHINES))
def test_machine_boots_the_default_item(server, phases, name):
    firmware, mac, address, classes, tftp_file = MACHINES[name]
    with Machine(name, NETWORK, firmware, mac, http_boot=name in HTTP_BOOT) as machine:
        reached = machine.wait_for(MARKER, timeout=300)
        phases[name] = phase_times(machine)
        assert reached is not None, f'{name}: no marker; serial log in {machine.serial_log}'
        if name in HTTP_BOOT:
            assert machine.first('Start HTTP Boot over IPv4') is not None
            assert machine.first('Start PXE over IPv4') is None
    assert set(classes) <= assigned_classes(server, mac)
    if tftp_file:
        # The firmware fetches the boot file; a newer iPXE then looks for its autoexec.ipxe.
        fetches = tftp_fetches(server, address)
        assert fetches and fetches[0] == tftp_file, fetches
        assert set(fetches) <= {tftp_file, 'autoexec.ipxe'}, fetches
    fetched = http_fetches(server, address)
    for path in [HTTP_BOOT.get(name, '/boot.ipxe'), '/boot.ipxe', '/menu.ipxe', '/boot-test/vmlinuz', '/boot-test/initrd.img']:
        assert path in fetched, f'{name} did not fetch {path}: {fetched}'


# The unattended install of the catalog's debian-12 on the machine 52:54:00:77:20:14.
INSTALLER = ('52:54:00:77:20:14', '10.77.20.14')
SERVER = '10.77.20.2'


def installer_build(server):
    """The installer machine's build: its token and state."""
    return builds(server)['52-54-00-77-20-14']


def fetches_until(server, machine, address, preseed):
    """What ``machine`` fetched over HTTP once its installer fetched ``preseed`` (or it stopped)."""
    fetched = []
    for _second in range(600):
        fetched = http_fetches(server, address)
        if preseed in fetched or machine.process.poll() is not None:
            break
        # "[!!]" titles a question the installer asks: it would wait for ever.
        assert machine.first('[!!]') is None, f'the installer asks a question; see {machine.serial_log}'
        time.sleep(1)
    return fetched


def test_debian_installer_fetches_its_preseed(server, phases):
    mac, address = INSTALLER
    token = installer_build(server)["token"]
    preseed = f'/answers/{token}/preseed.cfg'
    with Machine('installer', NETWORK, 'uefi', mac, memory=1024) as machine:
        fetched = fetches_until(server, machine, address, masked(preseed))
        phases['installer'] = phase_times(machine)
    assert '/hosts/52-54-00-77-20-14.ipxe' in fetched
    assert '/menu.ipxe' not in fetched
    assert fetched.index('/os/debian-12/initrd.gz') < fetched.index(masked(preseed)), fetched
    # Its files are its own (its reserved address), and the log names no token.
    assert token not in server.check_output('cat /var/log/nginx/netboot.access.log')
    text = server.file('/srv/netboot' + preseed).content_string
    assert 'd-i netcfg/get_hostname string lab-installer' in text
    assert f'DELETE /builds/{installer_build(server)["token"]} HTTP/1.0' in text


# What the installer's last step sends (the full install is too long for the tests): DELETE of
# its build marker, from the machine's reserved address (the machine is off by then; the server
# borrows its address), after the same request from the server's own address was refused.
DELETE = ('import http.client, sys\n'
          'connection = http.client.HTTPConnection(sys.argv[1], 80, source_address=(sys.argv[3], 0), timeout=5)\n'
          'connection.request("DELETE", sys.argv[2])\n'
          'print(connection.getresponse().status)')


def report_installed(server, token, address):
    """What the installer's last step does: DELETE of its build marker, from its machine's address."""
    assert server.check_output('python3 -c %s %s %s %s', DELETE, SERVER, f'/builds/{token}', SERVER) == '403'
    device = server.check_output(f"ip -4 -o addr show | awk '$4 ~ /^{SERVER}\\// {{print $2; exit}}'").strip()
    server.check_output(f'ip addr add {address}/32 dev {device}')
    try:
        assert server.check_output('python3 -c %s %s %s %s', DELETE, SERVER, f'/builds/{token}', address) == '204'
    finally:
        server.check_output(f'ip addr del {address}/32 dev {device}')


def marker_refused(server, address, token):
    """Whether nginx answered ``address``'s GET of the marker of ``token`` with 404."""
    log = server.check_output('cat /var/log/nginx/netboot.access.log')
    assert token not in log
    return re.search(rf'^{re.escape(address)} .*"GET /builds/TOKEN HTTP/[^"]*" 404 ', log, re.MULTILINE) is not None


def next_run_notes_installed(server, key, token):
    """The next run of site.yml notes the build installed and removes its answers."""
    result = run_site()
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert builds(server)[key]['state'] == 'installed'
    assert server.run(f'test -e /srv/netboot/answers/{token}').rc != 0


def test_an_installed_machine_boots_its_own_disk(server):
    mac, address = INSTALLER
    token = installer_build(server)['token']
    report_installed(server, token, address)
    # At once, before any run of site.yml: the host's script finds its marker gone.
    before = len(http_fetches(server, address))
    with Machine('installed', NETWORK, 'uefi', mac, memory=1024):
        fetched = []
        for _second in range(180):
            fetched = http_fetches(server, address)[before:]
            if '/hosts/52-54-00-77-20-14.ipxe' in fetched:
                break
            time.sleep(1)
        time.sleep(10)  # what the machine would fetch after its script
        fetched = http_fetches(server, address)[before:]
    assert '/hosts/52-54-00-77-20-14.ipxe' in fetched, fetched
    assert not [path for path in fetched if path.startswith(('/os/', '/answers/'))], fetched
    assert marker_refused(server, address, token)
    next_run_notes_installed(server, '52-54-00-77-20-14', token)
    assert 'installed; this machine boots its own disk' in server.file('/srv/netboot/hosts/52-54-00-77-20-14.ipxe').content_string


# Secure Boot: OVMF with Microsoft's keys enrolled and enforcement on; its Kea reservation hands
# it Debian's signed shim, which loads Debian's signed network GRUB and the menu.
SECURE = ('52:54:00:77:20:16', '10.77.20.16')
SECURE_BOOT_LINE = 'secureboot: Secure boot enabled'
GRUB_MENU_PNG = os.path.join(RESULTS, 'grub-menu.png')


def test_a_secure_boot_machine_boots_shim_grub_and_a_signed_kernel(server, phases):
    mac, address = SECURE
    with Machine('secure', NETWORK, 'uefi-secure-boot', mac, memory=1024) as machine:
        # The menu, drawn by GRUB (on the serial console too): a picture of it for the Secure Boot guide.
        if machine.wait_for('Test guest', timeout=300) is not None:
            machine.screendump(GRUB_MENU_PNG)
        reached = machine.wait_for(MARKER, timeout=300)
        phases['secure-boot'] = phase_times(machine)
        assert reached is not None, f'no marker; serial log in {machine.serial_log}'
        assert machine.first(SECURE_BOOT_LINE) is not None, 'the kernel does not say Secure Boot is enabled'
    fetches = [name.lstrip('/') for name in tftp_fetches(server, address)]
    assert fetches[0] == 'shimx64.efi' and 'grubx64.efi' in fetches and 'grub/grub.cfg' in fetches, fetches
    assert 'snponly.efi' not in fetches, fetches
    assert '/boot-test/vmlinuz' in http_fetches(server, address)
    # It has no configuration of its own: asked for one, the server answered the common menu.
    assert f'/grub/hosts/{mac}.cfg' in http_fetches(server, address)
    # The other UEFI machine got iPXE (test_machine_boots_the_default_item): Kea's classes decide per machine.
    assert tftp_fetches(server, MACHINES['uefi'][2])[0] == 'snponly.efi'


def test_secure_boot_refuses_a_kernel_without_its_signature(server):
    mac, _address = SECURE
    kernel = '/srv/netboot/boot-test/vmlinuz'
    server.check_output(f'cp -p {kernel} {kernel}.signed && cp {kernel}-unsigned {kernel}')
    try:
        with Machine('unsigned', NETWORK, 'uefi-secure-boot', mac, memory=1024) as machine:
            refused = machine.wait_for('bad shim signature', timeout=300)
            time.sleep(5)
            assert refused is not None, f'GRUB did not refuse the unsigned kernel; serial log in {machine.serial_log}'
            assert machine.first(MARKER) is None and machine.first('Linux version') is None
    finally:
        server.check_output(f'mv {kernel}.signed {kernel}')


# The Secure Boot machine that installs itself: GRUB's common menu hands it its own configuration,
# which boots the installer only while the build's marker is there.
SECURE_INSTALLER = ('52:54:00:77:20:17', '10.77.20.17')
SECURE_KEY = '52-54-00-77-20-17'


def test_a_secure_boot_machine_installs_through_its_own_grub_configuration(server):
    mac, address = SECURE_INSTALLER
    preseed = '/answers/TOKEN/preseed.cfg'
    with Machine('secure-installer', NETWORK, 'uefi-secure-boot', mac, memory=1024) as machine:
        fetched = fetches_until(server, machine, address, preseed)
        assert machine.first(SECURE_BOOT_LINE) is not None, f'no Secure Boot line; serial log in {machine.serial_log}'
    # Its configuration (which names its token) comes over HTTP, to its address only; TFTP holds none.
    assert f'/grub/hosts/{mac}.cfg' in fetched, fetched
    assert not [name for name in tftp_fetches(server, address) if 'grub/hosts' in name]
    assert server.run('ls /srv/tftp/grub/hosts').rc != 0
    assert fetched.index('/builds/TOKEN') < fetched.index('/os/debian-12/linux') < fetched.index(preseed), fetched
    assert '/menu.ipxe' not in fetched and not [path for path in fetched if path.startswith('/hosts/')], fetched


def test_an_installed_secure_boot_machine_boots_its_own_disk(server):
    mac, address = SECURE_INSTALLER
    token = builds(server)[SECURE_KEY]['token']
    report_installed(server, token, address)
    before = len(http_fetches(server, address))
    with Machine('secure-installed', NETWORK, 'uefi-secure-boot', mac, memory=1024) as machine:
        for _second in range(180):
            if marker_refused(server, address, token):
                break
            time.sleep(1)
        time.sleep(10)  # what the machine would fetch after its configuration
        fetched = http_fetches(server, address)[before:]
        assert machine.first('Linux version') is None, f'a kernel started; serial log in {machine.serial_log}'
    assert marker_refused(server, address, token)
    assert not [path for path in fetched if path.startswith(('/os/', '/answers/'))], fetched
    next_run_notes_installed(server, SECURE_KEY, token)
    config = server.file(f'/srv/netboot/grub/hosts/{SECURE_KEY}.cfg').content_string
    assert 'installed; this machine boots its own disk' in config and config.splitlines()[-1] == 'exit 1'


def test_router_advertisements_are_sent(server):
    assert server.service('radvd').is_running
    assert 'AdvDefaultLifetime 0;' in server.file('/etc/radvd.conf').content_string
