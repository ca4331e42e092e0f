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


# Sends a command to a peer's HA channel over HTTPS, as a peer does: with this host's certificate
# of the pair's CA and the pair's password, unless told not to ('no'). Prints the answer.
CHANNEL_CLIENT = """
import base64, os, ssl, sys, urllib.request
url, body, certificate, password = sys.argv[1:5]
tls = '/etc/kea/tls/'
if os.path.exists(tls + 'ca.crt'):
    context = ssl.create_default_context(cafile=tls + 'ca.crt')
else:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
if certificate == 'yes' and os.path.exists(tls + 'peer.crt'):
    context.load_cert_chain(tls + 'peer.crt', tls + 'peer.key')
headers = {'Content-Type': 'application/json'}
if password == 'yes' and os.path.exists(tls + 'ha-password'):
    secret = open(tls + 'ha-password', 'rb').read()
    headers['Authorization'] = 'Basic ' + base64.b64encode(b'netboot-pxe-ha:' + secret).decode()
request = urllib.request.Request(url, body.encode(), headers)
print(urllib.request.urlopen(request, context=context, timeout=4).read().decode())
"""


def channel_request(host, address, command='ha-heartbeat', certificate=True, password=True):
    """From ``host``, send ``command`` to a peer's HA channel; the exit code and output."""
    request = json.dumps({'command': command, 'service': ['dhcp4']})
    return host.run('python3 -c %s %s %s %s %s', CHANNEL_CLIENT, f'https://{address}:{PAIR_CHANNEL_PORT}/', request,
                    'yes' if certificate else 'no', 'yes' if password else 'no')


def channel_answer(result):
    assert result.rc == 0, result.stderr
    answer = json.loads(result.stdout)
    return answer[0] if isinstance(answer, list) else answer


def test_only_the_peers_reach_the_ha_channel(peers, client):
    for peer, other in (peers, reversed(peers)):
        assert peer.host.socket(f'tcp://{peer.address}:{PAIR_CHANNEL_PORT}').is_listening
        answer = channel_answer(channel_request(other.host, peer.address))
        assert answer['result'] == 0, answer
        from_client = channel_request(client, peer.address)
        assert from_client.rc != 0 and 'timed out' in from_client.stderr, from_client.stdout


# TLS 1.3: the server's alert may arrive after the client sent its request, which then fails
# on a closed connection instead.
NO_CERTIFICATE = ('CERTIFICATE_REQUIRED', 'Broken pipe', 'Connection reset', 'EOF occurred')


def test_the_ha_channel_refuses_a_peer_without_its_certificate(peers):
    for peer, other in (peers, reversed(peers)):
        refused = channel_request(other.host, peer.address, certificate=False)
        assert refused.rc != 0 and not refused.stdout, (refused.stdout, refused.stderr)
        assert 'HTTP Error' not in refused.stderr and any(sign in refused.stderr for sign in NO_CERTIFICATE), refused.stderr


def test_the_ha_channel_refuses_what_a_peer_may_not_send(peers):
    """The control agent (Kea 2.2) asks for the pair's password; Kea's own listener (Kea 2.6),
    which has no HTTP authentication, takes only the commands the peers send each other."""
    for peer, other in (peers, reversed(peers)):
        if peer.host.service('kea-ctrl-agent').is_running:
            refused = channel_request(other.host, peer.address, password=False)
            assert refused.rc != 0 and 'HTTP Error 401' in refused.stderr, (refused.stdout, refused.stderr)
        else:
            refused = channel_request(other.host, peer.address, command='config-get')
            assert refused.rc != 0 and 'HTTP Error 403' in refused.stderr, (refused.stdout, refused.stderr)


def test_the_ha_channels_secrets_are_private(peers):
    for peer in peers:
        tls = peer.host.file('/etc/kea/tls')
        assert (tls.user, tls.group, tls.mode) == ('root', '_kea', 0o750), peer.name
        assert peer.host.file('/etc/kea/tls/peer.key').mode == 0o640, peer.name
        assert peer.host.file('/run/kea').mode == 0o750, peer.name
        password = peer.host.file('/etc/kea/tls/ha-password')
        assert not password.exists or password.mode == 0o640, peer.name
    keeper = peers[0].host.file('/etc/kea/tls/ca.key')
    assert (keeper.user, keeper.mode) == ('root', 0o600)
    assert not peers[1].host.file('/etc/kea/tls/ca.key').exists


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
        assert not peer.host.file('/etc/kea/tls').exists
        assert 'netboot_kea_ha' not in peer.host.check_output('nft list tables')
        assert 'high-availability' not in peer.kea('status-get')['arguments']
    answer = dhcp(mac='52:54:00:41:04:01')
    assert any(answer['ack']['options']['server_id'] == peer.address for peer in peers)
    assert in_pool(peers[0], answer['ack']['yiaddr'])
