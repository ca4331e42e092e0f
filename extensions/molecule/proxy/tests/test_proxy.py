"""Beside a DHCP server that is not ours: the netboot server answers as a proxyDHCP server only.

The foreign server (plain dnsmasq, no boot options) hands out the addresses; the netboot server
adds the boot file of each architecture and the script URL for iPXE, and no address. Real
firmware boots through both to the menu's test kernel. Then site.yml switches the running
server to Kea and back.
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

from netboot_checks import dhcp_exchange, dhcp_offers, run_site  # noqa: E402  pylint: disable=wrong-import-position
from vm import Machine  # noqa: E402  pylint: disable=wrong-import-position

RUNNER = AnsibleRunner(os.environ['MOLECULE_INVENTORY_FILE'])
NETWORK = 'netboot-test-proxy'
SERVER, FOREIGN = '10.77.40.2', '10.77.40.3'
SCRIPT_URL = f'http://{SERVER}/boot.ipxe'
MARKER = 'NETBOOT-PXE-GUEST-UP'


def host(group):
    return testinfra.get_host(f'docker://{RUNNER.get_hosts(group)[0]}')


@pytest.fixture(scope='module')
def server():
    return host('netboot_servers')


@pytest.fixture(scope='module')
def foreign():
    return host('foreign_dhcp_servers')


@pytest.fixture(scope='module')
def client():
    return host('netboot_clients')


@pytest.fixture(scope='module')
def iface(client):
    for line in client.check_output('ip -o -4 addr show').splitlines():
        if ' 10.77.40.' in line:
            return line.split()[1]
    raise AssertionError('the client has no address on the test network')


def in_pool(address):
    return re.fullmatch(r'10\.77\.40\.(\d+)', address) and 100 <= int(address.rsplit('.', 1)[1]) <= 150


def test_dnsmasq_answers_dhcp_only_and_kea_does_not_run(server):
    assert server.service('dnsmasq').is_running and server.service('dnsmasq').is_enabled
    kea = server.service('kea-dhcp4-server')
    assert not kea.is_running
    listening = server.check_output('ss -H -lnup')
    assert re.search(r':67\s', listening) and re.search(r':4011\s', listening)
    # No DNS: dnsmasq is no name server here.
    assert not re.search(r':53\s', listening + server.check_output('ss -H -lntp'))
    config = server.file('/etc/dnsmasq.d/netboot-pxe.conf').content_string
    assert 'dhcp-range=10.77.40.0,proxy,255.255.255.0' in config and 'port=0' in config


# (option 93, the boot file the proxy offer must carry); iPXE (user class) gets the script.
@pytest.mark.parametrize('arch, user_class, boot_file', [
    (0, '', 'undionly.kpxe'),
    (7, '', 'snponly.efi'),
    (9, '', 'snponly.efi'),
    (11, '', 'ipxe-arm64.efi'),
    (0, 'iPXE', SCRIPT_URL),
    (7, 'iPXE', SCRIPT_URL),
])
def test_the_proxy_offer_carries_the_boot_file_and_the_address_comes_from_the_foreign_server(
        client, iface, arch, user_class, boot_file):
    offers = dhcp_offers(client, iface, arch=arch, user_class=user_class)
    assert set(offers) == {SERVER, FOREIGN}, offers
    proxy, foreign = offers[SERVER], offers[FOREIGN]
    assert (proxy['yiaddr'], proxy['siaddr'], proxy['file']) == ('0.0.0.0', SERVER, boot_file)
    assert bytes.fromhex(proxy['options']['vendor_class_id']) == b'PXEClient'
    assert in_pool(foreign['yiaddr']) and foreign['file'] == ''


def test_uefi_http_boot_gets_no_proxy_answer(client, iface):
    # dnsmasq answers PXEClient only; an HTTPClient gets its address, and no boot file from us.
    offers = dhcp_offers(client, iface, arch=16)
    assert set(offers) == {FOREIGN}, offers


def test_the_boot_file_is_served_over_tftp(client):
    client.check_output(f'mkdir -p /tmp/tftp && cd /tmp/tftp && tftp -m binary {SERVER} -c get snponly.efi')
    assert client.file('/tmp/tftp/snponly.efi').size > 10000


@pytest.mark.parametrize('name, firmware, mac, marker_args', [
    ('puefi', 'uefi', '52:54:00:77:40:20', 'panic=-1'),
    # Its own script (ipxe_hosts): the same guest, with host=bios on its command line.
    ('pbios', 'bios', '52:54:00:77:40:21', 'host=bios'),
])
def test_machines_boot_through_the_proxy_to_the_menu_kernel(server, foreign, name, firmware, mac, marker_args):
    with Machine(name, NETWORK, firmware, mac) as machine:
        reached = machine.wait_for(MARKER, timeout=300)
        line = next((text for _seconds, text in machine.lines if MARKER in text), '')
        assert reached is not None, f'{name}: no marker; serial log in {machine.serial_log}'
    assert marker_args in line, line
    leases = foreign.check_output('cat /var/lib/misc/foreign-dhcp.leases')
    assert mac in leases, leases
    answers = server.check_output('journalctl -u dnsmasq --no-pager -o cat')
    assert f'{mac} proxy' in answers, answers[-2000:]


# Secure Boot beside the foreign server: the proxy offer hands the machine of the secure_boot
# entry the shim (dnsmasq tags it by MAC); the other UEFI x64 machines keep iPXE.
SECURE = '52:54:00:77:40:16'


@pytest.mark.parametrize('mac, arch, boot_file', [(SECURE, 7, 'shimx64.efi'), (SECURE, 9, 'shimx64.efi'),
                                                  (SECURE, 0, 'undionly.kpxe'), ('52:54:00:77:40:99', 7, 'snponly.efi')])
def test_the_proxy_hands_the_secure_boot_machine_the_shim(client, iface, mac, arch, boot_file):
    offer = dhcp_offers(client, iface, arch=arch, mac=mac).get(SERVER)
    assert offer is not None and offer['file'] == boot_file, offer


def test_a_secure_boot_machine_boots_through_the_proxy_shim_and_grub(server):
    with Machine('psecure', NETWORK, 'uefi-secure-boot', SECURE, memory=1024) as machine:
        reached = machine.wait_for(MARKER, timeout=300)
        assert reached is not None, f'no marker; serial log in {machine.serial_log}'
        assert machine.first('secureboot: Secure boot enabled') is not None
    answers = server.check_output('journalctl -u dnsmasq --no-pager -o cat')
    assert f'{SECURE} proxy' in answers and 'shimx64.efi' in answers, answers[-2000:]
    journal = server.check_output('journalctl -t in.tftpd --no-pager -o cat')
    assert re.search(r'RRQ from 10\.77\.40\.\d+ filename /?grub/grub\.cfg', journal), journal[-2000:]


def wait_for_offers(client, iface, expected, tries=10):
    offers = {}
    for _attempt in range(tries):
        offers = dhcp_offers(client, iface, arch=7)
        if set(offers) == expected:
            return offers
        time.sleep(2)
    return offers


def server_mode():
    """The scenario's inventory as the network's DHCP server: the Secure Boot machine with a fixed address."""
    hosts = RUNNER.get_variables(RUNNER.get_hosts('netboot_servers')[0])['ipxe_hosts']
    hosts = [dict(entry, ip='10.77.40.16') if entry.get('secure_boot') else entry for entry in hosts]
    return ('-e', json.dumps({'netboot_dhcp_mode': 'server', 'netboot_ipv6_router_advertisements': False, 'ipxe_hosts': hosts}))


SERVER_MODE = server_mode()


def test_site_switches_the_running_server_to_kea_and_back(server, foreign, client, iface):
    foreign.check_output('systemctl stop dnsmasq')
    try:
        # The same run turns the router advertisements off: radvd stops.
        # As the network's DHCP server, Kea hands the Secure Boot machine the shim in its reservation.
        result = run_site(*SERVER_MODE)
        assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
        assert not server.service('radvd').is_running and not server.file('/etc/radvd.conf').exists
        assert server.service('kea-dhcp4-server').is_running
        assert not server.service('dnsmasq').is_running and not server.service('dnsmasq').is_enabled
        assert not server.file('/etc/dnsmasq.d/netboot-pxe.conf').exists
        answer = dhcp_exchange(client, iface, arch=7)
        assert answer['offer']['options']['server_id'] == SERVER
        assert answer['ack']['file'] == 'snponly.efi' and answer['ack']['yiaddr'].startswith('10.77.40.')
        assert dhcp_exchange(client, iface, arch=7, mac=SECURE)['ack']['file'] == 'shimx64.efi'
        again = run_site(*SERVER_MODE)
        assert again.returncode == 0 and re.search(r'changed=0\s', again.stdout), again.stdout[-3000:]
    finally:
        foreign.check_output('systemctl start dnsmasq')
        result = run_site()
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert not server.service('kea-dhcp4-server').is_running and not server.service('kea-dhcp4-server').is_enabled
    assert server.service('dnsmasq').is_running and server.service('radvd').is_running
    offers = wait_for_offers(client, iface, {SERVER, FOREIGN})
    assert set(offers) == {SERVER, FOREIGN}, offers
    assert offers[SERVER]['file'] == 'snponly.efi' and in_pool(offers[FOREIGN]['yiaddr'])
    # changed=0 in proxy mode is the scenario's idempotence step, and a switch's completeness the
    # second run in server mode above: neither is repeated here.
