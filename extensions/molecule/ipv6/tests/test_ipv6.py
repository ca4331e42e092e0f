"""IPv6 only: the server's test network has no IPv4 at all.

Kea DHCPv6 hands each client architecture its boot file URL (option 59) and iPXE its script;
radvd sends the machines to DHCPv6; tftpd-hpa and nginx answer on the server's IPv6 address.
Real firmware (OVMF) boots to the test kernel through UEFI PXE over IPv6 (IPv4 off), UEFI HTTP
boot over IPv6, and with Secure Boot through the shim and GRUB, every file fetched over IPv6. Bad
IPv6 input fails before any change.
"""

import ipaddress
import json
import os
import re
import sys

import pytest
import testinfra
from testinfra.utils.ansible_runner import AnsibleRunner

TOP = os.environ['MOLECULE_PROJECT_DIRECTORY']
sys.path.insert(0, os.path.join(TOP, 'tests', 'boot'))
sys.path.insert(0, os.path.join(TOP, 'extensions', 'molecule', 'utils', 'lib'))

from netboot_checks import dhcp6_exchange, run_site  # noqa: E402  pylint: disable=wrong-import-position
from vm import Machine  # noqa: E402  pylint: disable=wrong-import-position

RUNNER = AnsibleRunner(os.environ['MOLECULE_INVENTORY_FILE'])
NETWORK = 'netboot-test-ipv6'
SERVER = 'fd77:60::2'
HTTP = f'http://[{SERVER}]'
POOL = (ipaddress.IPv6Address('fd77:60::1000'), ipaddress.IPv6Address('fd77:60::1fff'))
MARKER = 'NETBOOT-PXE-GUEST-UP'
# The UEFI PXE machine: its system UUID; its address is reserved for iPXE's DUID (00:04 and that UUID),
# and it has a script of its own. Another machine's address is reserved by its MAC.
PXE_MAC, PXE_UUID, PXE_ADDRESS = '52:54:00:77:60:11', '6e657462-6f6f-7436-8000-000000000011', 'fd77:60::11'
MAC_RESERVED, MAC_RESERVED_ADDRESS = '52:54:00:77:60:31', 'fd77:60::31'
HTTP_MAC = '52:54:00:77:60:12'
# The Secure Boot machine: reserved by its MAC (its firmware's DUID holds it), handed the shim.
SECURE_MAC = '52:54:00:77:60:41'
MANAGED = ['/etc/kea/kea-dhcp6.conf', '/etc/default/tftpd-hpa', '/etc/nginx/sites-available/netboot.conf', '/etc/radvd.conf',
           '/srv/netboot/boot.ipxe', '/srv/netboot/menu.ipxe']


def host(group):
    return testinfra.get_host(f'docker://{RUNNER.get_hosts(group)[0]}')


@pytest.fixture(scope='module')
def server():
    return host('netboot_servers')


@pytest.fixture(scope='module')
def client():
    return host('netboot_clients')


@pytest.fixture(scope='module')
def iface(client):
    for line in client.check_output('ip -o -6 addr show').splitlines():
        if ' fd77:60::' in line:
            return line.split()[1]
    raise AssertionError('the client has no address on the test network')


def in_pool(address):
    return POOL[0] <= ipaddress.IPv6Address(address) <= POOL[1]


def test_the_network_is_ipv6_only_and_only_ipv6_services_answer(server):
    interface = server.check_output("ip -o -6 addr show to fd77:60::/64 | awk '{print $2}'")
    assert server.check_output(f'ip -o -4 addr show dev {interface}') == ''
    assert server.service('kea-dhcp6-server').is_running and server.service('kea-dhcp6-server').is_enabled
    assert not server.service('kea-dhcp4-server').is_running
    assert server.socket(f'udp://{SERVER}:69').is_listening
    assert server.socket(f'tcp://{SERVER}:80').is_listening
    assert not server.socket('tcp://0.0.0.0:80').is_listening
    radvd = server.file('/etc/radvd.conf').content_string
    for line in ('AdvManagedFlag on;', 'AdvOtherConfigFlag on;', 'prefix fd77:60::/64 {', 'AdvAutonomous off;'):
        assert line in radvd, radvd
    # Every URL the machines are given is on the server's IPv6 address, in brackets.
    assert f'{HTTP}/menu.ipxe' in server.file('/srv/netboot/boot.ipxe').content_string
    assert f'{HTTP}/boot-test/vmlinuz' in server.file('/srv/netboot/menu.ipxe').content_string
    assert server.run('kea-dhcp6 -t /etc/kea/kea-dhcp6.conf').rc == 0


# (option 61, user class, vendor class) -> the boot file URL (option 59); BIOS has no IPv6 PXE.
@pytest.mark.parametrize('arch, user_class, vendor_class, url', [
    (7, '', '', f'tftp://[{SERVER}]/snponly.efi'),
    (9, '', '', f'tftp://[{SERVER}]/snponly.efi'),
    (16, '', 'HTTPClient:Arch:00016:UNDI:003001', f'{HTTP}/ipxe/ipxe.efi'),
    (7, 'iPXE', '', f'{HTTP}/boot.ipxe'),
    (16, 'iPXE', '', f'{HTTP}/boot.ipxe'),
    (0, '', '', None),
    (11, '', '', None),
], ids=['efi-x64', 'efi-x64-0009', 'http-x64', 'ipxe', 'ipxe-on-http', 'bios', 'arm64-not-offered'])
def test_each_architecture_gets_its_boot_file_url(client, iface, arch, user_class, vendor_class, url):
    answer = dhcp6_exchange(client, iface, arch=arch, user_class=user_class, vendor_class=vendor_class)
    for message in ('advertise', 'reply'):
        assert answer[message]['status'] == 0 and answer[message]['bootfile_url'] == url, answer
        assert [in_pool(address) for address in answer[message]['addresses']] == [True], answer
    # UEFI HTTP boot takes an offer only with the HTTPClient vendor class.
    assert answer['reply']['vendor_class'] == (['HTTPClient'] if arch == 16 and not user_class else []), answer


def test_a_machine_gets_the_address_reserved_for_its_mac(client, iface):
    answer = dhcp6_exchange(client, iface, mac=MAC_RESERVED)
    assert answer['reply']['addresses'] == [MAC_RESERVED_ADDRESS], answer


def http_fetches(server):
    """(client address, path) of every request nginx answered 200."""
    log = server.check_output('cat /var/log/nginx/netboot.access.log')
    return [(match.group(1), match.group(2)) for match in re.finditer(r'^(\S+) .*?"GET (\S+) HTTP/[^"]*" 200 ', log, re.MULTILINE)]


def tftp_clients(server, filename):
    """The addresses that fetched ``filename`` over TFTP."""
    journal = server.check_output('journalctl -t in.tftpd --no-pager -o cat')
    return re.findall(rf'RRQ from (\S+) filename {re.escape(filename)}\b', journal)


def test_uefi_pxe_over_ipv6_boots_the_machines_own_script(server):
    with Machine('uefi6', NETWORK, 'uefi', PXE_MAC, ipv6_only=True, smbios={'uuid': PXE_UUID}) as machine:
        reached = machine.wait_for(MARKER, timeout=300)
        lines = [text for _seconds, text in machine.lines]
        assert reached is not None, f'no marker; serial log in {machine.serial_log}'
    assert any('Start PXE over IPv6' in line for line in lines) and not any('IPv4' in line for line in lines)
    assert any('NBP filename is snponly.efi' in line for line in lines)
    # Its own script's item: the guest with host=uefi6 on its command line.
    assert any('Command line:' in line and 'host=uefi6' in line for line in lines), lines[-40:]
    # The firmware fetched iPXE over TFTP from a pool address (its DUID is not iPXE's); iPXE, with
    # the address reserved for its DUID, fetched its own script, the kernel and the initrd.
    clients = tftp_clients(server, 'snponly.efi')
    assert clients and all(in_pool(address) for address in clients), clients
    fetched = [path for address, path in http_fetches(server) if address == PXE_ADDRESS]
    for path in ('/boot.ipxe', '/hosts/52-54-00-77-60-11.ipxe', '/boot-test/vmlinuz', '/boot-test/initrd.img'):
        assert path in fetched, fetched


def test_uefi_http_boot_over_ipv6_boots_the_test_kernel(server):
    """OVMF's HTTP boot client (IPv4 on: Debian 12's OVMF with IPv4 off never sends its DHCPv6 Solicit)
    finds no DHCPv4 server, then boots over IPv6: the HTTP boot offer (option 59 with the HTTPClient
    vendor class) gives it iPXE over HTTP, and iPXE goes on over IPv6 to the test kernel."""
    before = len(http_fetches(server))
    with Machine('uefi6-http', NETWORK, 'uefi', HTTP_MAC, http_boot=True) as machine:
        reached = machine.wait_for(MARKER, timeout=420)
        lines = [text for _seconds, text in machine.lines]
        assert reached is not None, f'no marker; serial log in {machine.serial_log}'
    assert any('Start HTTP Boot over IPv6' in line for line in lines)
    assert any(f'URI: {HTTP}/ipxe/ipxe.efi' in line for line in lines), lines[-60:]
    assert any(line.startswith(f'Filename: {HTTP}/boot.ipxe') for line in lines), lines[-60:]
    # Every file came over IPv6, to pool addresses (the machine has no reservation).
    fetched = http_fetches(server)[before:]
    for path in ('/ipxe/ipxe.efi', '/boot.ipxe', '/menu.ipxe', '/boot-test/vmlinuz', '/boot-test/initrd.img'):
        clients = [address for address, fetched_path in fetched if fetched_path == path]
        assert clients and all(in_pool(address) for address in clients), (path, fetched)


def test_a_secure_boot_machines_reservation_hands_its_firmware_the_shim_over_ipv6(server):
    """Secure Boot enforced, IPv4 off: the reservation of its MAC hands the firmware the signed shim
    over TFTP (the class hands the others snponly.efi), the shim GRUB, and GRUB boots the signed kernel
    from the menu over HTTP on the server's IPv6 address. OVMF asks DHCPv6 twice (its IPv6 stack
    first, then PXE, each with an IA of its own): the reserved address goes to the first, so PXE and
    GRUB use a pool address (docs: how_it_boots, Secure Boot over IPv6)."""
    before = len(http_fetches(server))
    with Machine('secure6', NETWORK, 'uefi-secure-boot', SECURE_MAC, memory=1024, ipv6_only=True) as machine:
        reached = machine.wait_for(MARKER, timeout=300)
        lines = [text for _seconds, text in machine.lines]
        assert reached is not None, f'no marker; serial log in {machine.serial_log}'
    assert any('Start PXE over IPv6' in line for line in lines) and any('NBP filename is shimx64.efi' in line for line in lines)
    assert any('secureboot: Secure boot enabled' in line for line in lines)
    assert any(line.startswith(f'[    0.000000] Command line: BOOT_IMAGE=(http,[{SERVER}])/boot-test/vmlinuz') for line in lines), lines[-60:]
    clients = tftp_clients(server, '/grubx64.efi')
    assert clients and all(in_pool(address) for address in clients), clients
    fetched = [path for address, path in http_fetches(server)[before:] if address in clients]
    assert '/boot-test/vmlinuz' in fetched and '/boot-test/initrd.img' in fetched, fetched


def checksums(server):
    return server.check_output('sha256sum ' + ' '.join(MANAGED))


@pytest.mark.parametrize('extra, message', [
    ({'netboot_ipv6_address': 'fe80::2'}, "netboot_ipv6_address 'fe80::2' is link-local"),
    ({'netboot_ipv6_subnet': 'fd77:99::/64'}, "netboot_ipv6_subnet 'fd77:99::/64' is not on"),
    ({'ipxe_hosts': [{'mac': PXE_MAC, 'ipv6': 'fd77:99::11', 'items': [{'key': 'local', 'label': 'Local', 'type': 'exit'}]}]},
     "ipxe_hosts (the entries with an ipv6)[0].ip-addresses 'fd77:99::11' is outside the subnet fd77:60::/64"),
], ids=['link-local-server-address', 'prefix-not-on-the-interface', 'reservation-outside-the-prefix'])
def test_bad_ipv6_input_fails_before_any_change(server, tmp_path, extra, message):
    before = checksums(server)
    extra_file = tmp_path / 'extra.json'
    extra_file.write_text(json.dumps(extra))
    result = run_site('-e', f'@{extra_file}')
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert message in ' '.join(output.split()), output[-3000:]
    assert checksums(server) == before
    assert server.service('kea-dhcp6-server').is_running


# Last: the same server made dual-stack (an IPv4 address on its interface), then IPv6-only again.
DUAL_MAC, DUAL_SERVER = '52:54:00:77:60:21', '10.77.60.2'


def test_a_dual_stack_network_boots_a_dual_stack_machine_over_ipv4_first(server):
    interface = server.check_output("ip -o -6 addr show to fd77:60::/64 | awk '{print $2}'")
    server.check_output(f'ip addr add {DUAL_SERVER}/24 dev {interface}')
    try:
        result = run_site()
        assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
        assert server.service('kea-dhcp4-server').is_running and server.service('kea-dhcp6-server').is_running
        # tftpd-hpa binds one address or all: all, both families; nginx both of the lab's addresses.
        assert server.socket('udp://0.0.0.0:69').is_listening and server.socket('udp://:::69').is_listening
        assert server.socket(f'tcp://{DUAL_SERVER}:80').is_listening and server.socket(f'tcp://{SERVER}:80').is_listening
        before = len(http_fetches(server))
        with Machine('dual', NETWORK, 'uefi', DUAL_MAC) as machine:
            reached = machine.wait_for(MARKER, timeout=300)
            lines = [text for _seconds, text in machine.lines]
            assert reached is not None, f'no marker; serial log in {machine.serial_log}'
        # OVMF tries PXE over IPv4 first; iPXE configures both families and takes the DHCPv4 script URL;
        # the scripts' URLs are IPv4 ones (README: Over IPv6, Dual-stack).
        assert any('Start PXE over IPv4' in line for line in lines)
        assert not any('Start PXE over IPv6' in line or 'Start HTTP Boot' in line for line in lines)
        assert any(line.startswith('net0: fd77:60::') for line in lines), lines[:40]
        assert any(line.startswith(f'Filename: http://{DUAL_SERVER}/boot.ipxe') for line in lines), lines[:40]
        assert [address for address in tftp_clients(server, 'snponly.efi') if address.startswith('10.77.60.')]
        fetched = http_fetches(server)[before:]
        assert [address for address, path in fetched if path == '/boot-test/vmlinuz'][0].startswith('10.77.60.'), fetched
    finally:
        server.run(f'ip addr del {DUAL_SERVER}/24 dev {interface}')
        back = run_site()
    assert back.returncode == 0, (back.stdout + back.stderr)[-3000:]
    assert not server.service('kea-dhcp4-server').is_running and server.service('kea-dhcp6-server').is_running
    assert server.socket(f'udp://{SERVER}:69').is_listening and not server.socket('udp://0.0.0.0:69').is_listening
