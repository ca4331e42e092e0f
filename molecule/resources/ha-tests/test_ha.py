"""Kea High Availability: two netboot servers, one lease database.

The first server of the group is the primary and answers; the standby holds every lease the
primary gives. When the primary stops, the standby answers within 10 s, with its own boot
file server and iPXE script URL, and hands out no address twice.
"""

import ipaddress
import json
import re
import time

import pytest

from netboot_checks import run_site

BIOS, UEFI_X64 = 0, 7
PAIR_CHANNEL_PORT = 8000


def expected_pool(peer):
    """The pool the client's leases come from: its relayed subnet's, or the served network's."""
    relayed = peer.vars.get('netboot_relayed_subnets')
    first, last = (relayed[0]['pool'] if relayed else peer.vars['netboot_pool']).split('-')
    return ipaddress.IPv4Address(first.strip()), ipaddress.IPv4Address(last.strip())


def in_pool(peer, address):
    first, last = expected_pool(peer)
    return first <= ipaddress.IPv4Address(address) <= last


def assert_served_by(answer, peer, boot_file):
    ack = answer['ack']
    assert ack['options']['server_id'] == peer.address, f'answered by {ack["options"]["server_id"]}, not {peer.name}'
    assert ack['siaddr'] == peer.address
    assert ack['file'] == boot_file


def test_the_peers_take_their_roles_from_the_inventory_order(peers):
    assert len(peers) == 2
    for peer, role in zip(peers, ['primary', 'standby']):
        peer.wait_for_state('hot-standby')
        local = peer.kea('status-get')['arguments']['high-availability'][0]['ha-servers']['local']
        assert local['role'] == role, peer.name


def channel_request(host, address):
    """From ``host``, send ha-heartbeat to a peer's HA channel; the exit code and output."""
    request = json.dumps({'command': 'ha-heartbeat', 'service': ['dhcp4']})
    script = ('import sys, urllib.request\n'
              'req = urllib.request.Request(sys.argv[1], sys.argv[2].encode(), {"Content-Type": "application/json"})\n'
              'print(urllib.request.urlopen(req, timeout=4).read().decode())')
    return host.run('python3 -c %s %s %s', script, f'http://{address}:{PAIR_CHANNEL_PORT}/', request)


def test_only_the_peers_reach_the_ha_channel(peers, client):
    for peer, other in (peers, reversed(peers)):
        assert peer.host.socket(f'tcp://{peer.address}:{PAIR_CHANNEL_PORT}').is_listening
        from_peer = channel_request(other.host, peer.address)
        assert from_peer.rc == 0, from_peer.stderr
        answer = json.loads(from_peer.stdout)
        assert (answer[0] if isinstance(answer, list) else answer)['result'] == 0, answer
        from_client = channel_request(client, peer.address)
        assert from_client.rc != 0 and 'timed out' in from_client.stderr, from_client.stdout


@pytest.mark.parametrize('arch, boot_file', [(BIOS, 'undionly.kpxe'), (UEFI_X64, 'snponly.efi')])
def test_the_primary_answers_with_its_own_boot_server(peers, dhcp, arch, boot_file):
    primary = peers[0]
    mac = f'52:54:00:41:00:{arch:02x}'
    firmware = dhcp(arch=arch, mac=mac)
    assert_served_by(firmware, primary, boot_file)
    assert in_pool(primary, firmware['ack']['yiaddr'])
    ipxe = dhcp(arch=arch, user_class='iPXE', mac=mac)
    assert_served_by(ipxe, primary, f'http://{primary.address}/boot.ipxe')
    assert ipxe['ack']['yiaddr'] == firmware['ack']['yiaddr']


def test_the_standby_holds_the_leases_the_primary_gives(peers, dhcp):
    mac = '52:54:00:41:01:01'
    address = dhcp(mac=mac)['ack']['yiaddr']
    lease = peers[1].lease(address)
    assert lease is not None, f'the standby has no lease of {address}'
    assert lease['hw-address'] == mac


def test_both_peers_serve_the_same_boot_files(peers, client):
    client.check_output('rm -rf /var/tmp/ha-tftp && mkdir -p /var/tmp/ha-tftp')
    sums = {}
    for peer in peers:
        for name in ('undionly.kpxe', 'snponly.efi'):
            client.check_output(f'cd /var/tmp/ha-tftp && tftp -m binary {peer.address} -c get {name} {peer.name}-{name}')
            sums.setdefault(name, set()).add(client.file(f'/var/tmp/ha-tftp/{peer.name}-{name}').sha256sum)
        script = client.check_output(f'curl -fsS http://{peer.address}/boot.ipxe')
        assert f'http://{peer.address}/' in script, f'{peer.name} boot.ipxe points elsewhere'
    assert all(len(found) == 1 for found in sums.values()), sums


def test_check_mode_shows_an_ha_change_without_making_it(peers):
    files = '/etc/kea/kea-dhcp4.conf /etc/kea/ha-firewall.nft'
    before = [(peer.host.check_output(f'sha256sum {files}'), peer.host.check_output('pidof kea-dhcp4')) for peer in peers]
    result = run_site('--check', '--diff', '-e', json.dumps({'kea_dhcp4_ha_heartbeat_delay': 2000}))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert len(re.findall(r'^\+\s+"heartbeat-delay": 2000,?$', result.stdout, re.MULTILINE)) == len(peers)
    assert [(peer.host.check_output(f'sha256sum {files}'), peer.host.check_output('pidof kea-dhcp4')) for peer in peers] == before
    for peer in peers:
        assert peer.ha_state() == 'hot-standby'


def test_peers_with_different_pools_are_refused_before_any_change(peers, tmp_path):
    first, last = peers[1].vars['netboot_pool'].split('-')
    other_pool = f'{first.strip().rsplit(".", 1)[0]}.150 - {last.strip()}'
    extra_inventory = tmp_path / 'other-pool.yml'
    extra_inventory.write_text(json.dumps({'all': {'hosts': {peers[1].name: {'netboot_pool': other_pool}}}}))
    before = [peer.host.check_output('sha256sum /etc/kea/kea-dhcp4.conf') for peer in peers]
    result = run_site('-i', str(extra_inventory))
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    failed = '\n'.join(line for line in output.splitlines() if line.startswith(('fatal:', '[ERROR]')))
    for text in ('kea_dhcp4_subnets', peers[0].vars['netboot_pool'], other_pool):
        assert text in failed, f'{text!r} not in: {failed[-2000:]}'
    assert [peer.host.check_output('sha256sum /etc/kea/kea-dhcp4.conf') for peer in peers] == before


def stop(peer):
    peer.host.check_output('systemctl stop kea-dhcp4-server')


def test_the_standby_takes_over_within_10_seconds_and_reuses_no_address(peers, dhcp, client):
    primary, standby = peers
    before = {mac: dhcp(mac=mac)['ack']['yiaddr'] for mac in ('52:54:00:41:02:01', '52:54:00:41:02:02')}
    stop(primary)
    started = time.monotonic()
    newcomer = dhcp(mac='52:54:00:41:02:03', timeout=10)
    took = time.monotonic() - started
    print(f'standby answered {took:.1f} s after the primary stopped')
    assert took < 10, f'the standby answered {took:.1f} s after the primary stopped'
    assert_served_by(newcomer, standby, 'snponly.efi')
    assert_served_by(dhcp(user_class='iPXE', mac='52:54:00:41:02:03'), standby, f'http://{standby.address}/boot.ipxe')
    client.check_output(f'cd /var/tmp && tftp -m binary {standby.address} -c get snponly.efi failover.efi')

    # Machines the primary served keep their addresses; the newcomer gets another one.
    for mac, address in before.items():
        assert dhcp(mac=mac)['ack']['yiaddr'] == address, mac
    assert newcomer['ack']['yiaddr'] not in before.values()
    leases = standby.kea('lease4-get-all')['arguments']['leases']
    addresses = [lease['ip-address'] for lease in leases]
    assert len(addresses) == len(set(addresses)), addresses

    # The primary comes back, takes the standby's leases, and serves again.
    primary.host.check_output('systemctl start kea-dhcp4-server')
    primary.wait_for_state('hot-standby')
    standby.wait_for_state('hot-standby')
    back = primary.lease(newcomer['ack']['yiaddr'])
    assert back is not None and back['hw-address'] == '52:54:00:41:02:03'
    assert_served_by(dhcp(mac='52:54:00:41:02:04'), primary, 'snponly.efi')


def test_load_balancing_splits_the_clients_between_the_peers(peers, dhcp):
    if not peers[0].vars.get('netboot_test_load_balancing'):
        pytest.skip('load balancing is switched to in the ha scenario only')
    result = run_site('-e', 'kea_dhcp4_ha_mode=load-balancing')
    assert result.returncode == 0, result.stdout[-3000:]
    for peer in peers:
        peer.wait_for_state('load-balancing')
    answered = {}
    for number in range(16):
        mac = f'52:54:00:41:03:{number:02x}'
        answer = dhcp(mac=mac)
        server = answer['ack']['options']['server_id']
        peer = next(peer for peer in peers if peer.address == server)
        assert_served_by(answer, peer, 'snponly.efi')
        answered.setdefault(server, []).append(answer['ack']['yiaddr'])
    assert sorted(answered) == sorted(peer.address for peer in peers), answered
    addresses = [address for found in answered.values() for address in found]
    assert len(addresses) == len(set(addresses)), answered


def test_a_server_that_leaves_ha_takes_its_channel_down(peers, dhcp):
    result = run_site('-e', json.dumps({'kea_dhcp4_ha_enabled': False}))
    assert result.returncode == 0, result.stdout[-3000:]
    for peer in peers:
        assert not peer.host.socket(f'tcp://{peer.address}:{PAIR_CHANNEL_PORT}').is_listening, peer.name
        assert not peer.host.file('/etc/kea/ha-firewall.nft').exists
        assert 'netboot_kea_ha' not in peer.host.check_output('nft list tables')
        assert 'high-availability' not in peer.kea('status-get')['arguments']
    answer = dhcp(mac='52:54:00:41:04:01')
    assert any(answer['ack']['options']['server_id'] == peer.address for peer in peers)
    assert in_pool(peers[0], answer['ack']['yiaddr'])
