"""A client behind a DHCP relay (Debian's isc-dhcp-relay, in a container between two internal
test networks) gets a lease from its own subnet, the right boot file for its architecture,
and reaches the boot files through the relay's routing.

These tests run before test_ha.py (file order), which ends by turning HA off."""

import ipaddress

import pytest

BOOT_FILES = [(0, 'undionly.kpxe'), (7, 'snponly.efi')]


@pytest.fixture(scope='module')
def relayed(peers):
    subnets = peers[0].vars.get('netboot_relayed_subnets')
    if not subnets:
        pytest.skip('this scenario has no relayed subnet')
    return subnets[0]


def answering_peer(peers, answer):
    server = answer['ack']['options']['server_id']
    found = [peer for peer in peers if peer.address == server]
    assert found, f'answered by {server}, which is no netboot server'
    return found[0]


@pytest.mark.parametrize('arch, boot_file', BOOT_FILES)
def test_a_relayed_client_gets_a_lease_of_its_own_subnet(peers, dhcp, relayed, arch, boot_file):
    mac = f'52:54:00:51:00:{arch:02x}'
    answer = dhcp(arch=arch, mac=mac)
    ack = answer['ack']
    first, last = (ipaddress.IPv4Address(part.strip()) for part in relayed['pool'].split('-'))
    assert first <= ipaddress.IPv4Address(ack['yiaddr']) <= last, ack['yiaddr']
    assert ack['options']['router'] == relayed['routers'][0]
    peer = answering_peer(peers, answer)
    assert ack['siaddr'] == peer.address
    assert ack['file'] == boot_file
    lease = peer.lease(ack['yiaddr'])
    assert lease['hw-address'] == mac
    assert lease['subnet-id'] == 2


def test_a_fixed_address_behind_the_relay_is_reserved_in_its_subnet(peers, dhcp, relayed):
    reservation = peers[0].vars['netboot_reservations'][0]
    answer = dhcp(mac=reservation['hw-address'])
    assert answer['ack']['yiaddr'] == reservation['ip-address']
    assert answer['ack']['options']['router'] == relayed['routers'][0]
    assert answer['ack']['file'] == 'snponly.efi'


def test_ipxe_behind_the_relay_gets_the_script_url(peers, dhcp, relayed):
    answer = dhcp(user_class='iPXE', mac='52:54:00:51:01:01')
    peer = answering_peer(peers, answer)
    assert answer['ack']['file'] == f'http://{peer.address}/boot.ipxe'


def test_the_boot_files_are_reachable_through_the_relay(peers, client, dhcp, relayed):
    peer = answering_peer(peers, dhcp(mac='52:54:00:51:02:01'))
    client.check_output('mkdir -p /var/tmp/relay')
    for _arch, name in BOOT_FILES:
        client.check_output(f'cd /var/tmp/relay && tftp -m binary {peer.address} -c get {name}')
        assert client.file(f'/var/tmp/relay/{name}').sha256sum == peer.host.file(f'/srv/tftp/{name}').sha256sum
    script = client.check_output(f'curl -fsS http://{peer.address}/boot.ipxe')
    assert script.startswith('#!ipxe')


def test_secure_boot_is_chosen_per_subnet(relayed, peers, dhcp, dhcp_from_relay):
    """The served network is in netboot_secure_boot_subnets, the relayed one is not: Kea evaluates
    the shim's class only for the subnet it chose. Probed from the relay's side of the served network.
    (Scenarios without a relayed subnet skip it through the relayed fixture.)"""
    chosen = peers[0].vars.get('netboot_secure_boot_subnets')
    assert chosen and relayed['subnet'] not in chosen, chosen
    assert dhcp(arch=7, mac='52:54:00:51:03:07')['ack']['file'] == 'snponly.efi'
    for arch, user_class, boot_file in [(7, '', 'shimx64.efi'), (9, '', 'shimx64.efi'), (0, '', 'undionly.kpxe'),
                                        (7, 'iPXE', None)]:
        answer = dhcp_from_relay(chosen[0], arch=arch, user_class=user_class, mac=f'52:54:00:50:03:{arch:02x}')
        assert ipaddress.IPv4Address(answer['ack']['yiaddr']) in ipaddress.IPv4Network(chosen[0])
        peer = answering_peer(peers, answer)
        assert answer['ack']['file'] == (boot_file or f'http://{peer.address}/boot.ipxe'), (arch, user_class, answer['ack'])
        if boot_file:
            assert peer.host.file(f'/srv/tftp/{boot_file}').exists
