"""Kea's host reservations and leases in PostgreSQL (scenario ha): the pair reads one hosts
database and keeps its leases in a database each. Runs before test_ha.py, which changes the pair."""

import ipaddress
import json
import time

import pytest
import testinfra
from testinfra.utils.ansible_runner import AnsibleRunner

from conftest import INVENTORY
from netboot_checks import run_site

RUNNER = AnsibleRunner(INVENTORY)
RESERVED = ('52:54:00:40:00:50', '10.77.40.50')
ADDED = ('52:54:00:40:00:51', '10.77.40.51')
POOL = (ipaddress.IPv4Address('10.77.40.100'), ipaddress.IPv4Address('10.77.40.199'))


@pytest.fixture(scope='module')
def database():
    """The PostgreSQL server of the scenario; the module is skipped in scenarios without one."""
    names = RUNNER.get_hosts('netboot_databases')
    if not names:
        pytest.skip('this scenario keeps reservations and leases in files')
    return testinfra.get_host(f'docker://{names[0]}')


def sql(database, name, query):
    """Rows of ``query`` in database ``name``, as lists of strings."""
    output = database.check_output('runuser -u postgres -- psql -X -A -t -F "|" -d %s -c %s', name, query)
    return [line.split('|') for line in output.splitlines() if line]


def leases(database, name):
    """{MAC: address} of the leases in database ``name``."""
    rows = sql(database, name, "SELECT encode(hwaddr, 'hex'), address FROM lease4")
    return {':'.join(mac[i:i + 2] for i in range(0, 12, 2)): str(ipaddress.IPv4Address(int(address))) for mac, address in rows}


def reservations(database):
    rows = sql(database, 'kea', "SELECT encode(dhcp_identifier, 'hex'), ipv4_address FROM hosts WHERE dhcp4_subnet_id IS NOT NULL")
    return {mac: str(ipaddress.IPv4Address(int(address))) for mac, address in rows}


def kea_mark(peer):
    """Kea's process and the time, to tell later whether it reloaded."""
    return peer.host.check_output('systemctl show -p MainPID --value kea-dhcp4-server'), peer.host.check_output('date "+%Y-%m-%d %H:%M:%S"')


def reloads_since(peer, mark):
    """Kea's log lines of a (re)configuration since ``mark``, and whether it is the same process."""
    pid, since = mark
    log = peer.host.check_output('journalctl -u kea-dhcp4-server --since %s --no-pager -o cat', since)
    return [line for line in log.splitlines() if 'DHCP4_DYNAMIC_RECONFIGURATION' in line or 'DHCP4_CONFIG_COMPLETE' in line], \
        pid == peer.host.check_output('systemctl show -p MainPID --value kea-dhcp4-server')


def test_the_reservations_are_rows_of_the_shared_database(peers, database, dhcp):
    assert reservations(database) == {RESERVED[0].replace(':', ''): RESERVED[1]}
    for peer in peers:
        config = peer.host.file('/etc/kea/kea-dhcp4.conf')
        assert (config.user, config.group, config.mode) == ('root', '_kea', 0o640)
        document = json.loads(config.content_string.split('\n', 1)[1])  # after the header comment
        assert document['Dhcp4']['hosts-database']['name'] == 'kea'
        assert all('reservations' not in subnet for subnet in document['Dhcp4']['subnet4'])
    ack = dhcp(mac=RESERVED[0])['ack']
    assert (ack['yiaddr'], ack['file']) == (RESERVED[1], 'snponly.efi')
    assert leases(database, 'kea_leases_ha1').get(RESERVED[0]) == RESERVED[1]


def test_the_pair_keeps_its_leases_in_a_database_each(peers, database, dhcp):
    mac = '52:54:00:40:00:61'
    address = dhcp(mac=mac)['ack']['yiaddr']
    assert POOL[0] <= ipaddress.IPv4Address(address) <= POOL[1]
    deadline = time.monotonic() + 10
    while leases(database, 'kea_leases_ha2').get(mac) != address and time.monotonic() < deadline:
        time.sleep(0.5)
    assert leases(database, 'kea_leases_ha1').get(mac) == address
    assert leases(database, 'kea_leases_ha2').get(mac) == address, 'the standby did not store the lease the primary gave'


def test_a_reservation_is_added_and_removed_without_a_reload(peers, database, dhcp):
    base = peers[0].vars['netboot_reservations']
    added = base + [{'hw-address': ADDED[0], 'ip-address': ADDED[1]}]
    marks = [kea_mark(peer) for peer in peers]
    time.sleep(1)
    result = run_site('-v', '--diff', '-e', json.dumps({'netboot_reservations': added}))
    assert result.returncode == 0, result.stdout[-3000:]
    assert peers[0].vars['netboot_test_database_password'] not in result.stdout + result.stderr
    assert reservations(database).get(ADDED[0].replace(':', '')) == ADDED[1]
    assert dhcp(mac=ADDED[0])['ack']['yiaddr'] == ADDED[1]
    for peer, mark in zip(peers, marks):
        assert reloads_since(peer, mark) == ([], True), f'{peer.name} reloaded or restarted for a new reservation'

    result = run_site('-e', json.dumps({'netboot_reservations': base}))
    assert result.returncode == 0, result.stdout[-3000:]
    assert ADDED[0].replace(':', '') not in reservations(database)
    address = ipaddress.IPv4Address(dhcp(mac=ADDED[0])['ack']['yiaddr'])
    assert POOL[0] <= address <= POOL[1], f'{ADDED[0]} still got {address} after its reservation was removed'
    for peer, mark in zip(peers, marks):
        assert reloads_since(peer, mark) == ([], True), f'{peer.name} reloaded or restarted for a removed reservation'


def test_no_lease_is_lost_when_the_database_restarts_under_load(peers, database, client, client_iface):
    macs = [f'52:54:00:40:01:{index:02x}' for index in range(24)]
    probe = f'python3 /usr/local/lib/netboot-dhcp-probe.py --iface {client_iface} --arch 7 --timeout 40'
    # A client that gets a NAK (Kea cannot store the lease while the database is away) starts over,
    # as DHCP clients do; the NAKs are counted.
    loop = '; '.join(f'for try in 1 2 3 4 5; do {probe} --mac {mac} > /tmp/load-{mac.replace(":", "")}.json 2>&1; '
                     f'grep -q \'"message-type": "5"\' /tmp/load-{mac.replace(":", "")}.json && break; '
                     'echo nak >> /tmp/load.naks; done' for mac in macs)
    client.check_output('rm -f /tmp/load-*.json /tmp/load.done /tmp/load.naks; nohup sh -c %s > /dev/null 2>&1 &', f'{loop}; touch /tmp/load.done')
    deadline = time.monotonic() + 60
    while len(client.check_output('ls /tmp/load-*.json 2>/dev/null || true').split()) < 6 and time.monotonic() < deadline:
        time.sleep(0.5)
    since = peers[0].host.check_output('date "+%Y-%m-%d %H:%M:%S"')
    database.check_output('systemctl restart postgresql')
    deadline = time.monotonic() + 300
    while not client.file('/tmp/load.done').exists and time.monotonic() < deadline:
        time.sleep(1)
    assert client.file('/tmp/load.done').exists, 'the clients did not finish within 300 s'

    acked = {}
    for mac in macs:
        output = client.file(f'/tmp/load-{mac.replace(":", "")}.json').content_string
        answer = json.loads(output) if output.startswith('{') else {}
        if (answer.get('ack') or {}).get('options', {}).get('message-type') == '5':
            acked[mac] = answer['ack']['yiaddr']
    log = peers[0].host.check_output('journalctl -u kea-dhcp4-server --since %s --no-pager -o cat', since)
    assert 'DHCP4_DB_RECONNECT_LOST_CONNECTION' in log and 'DHCP4_DB_RECONNECT_SUCCEEDED' in log, \
        'Kea did not see the database go and come back: the restart was not under load'
    assert len(acked) == len(macs), f'only {len(acked)} of {len(macs)} clients got a lease: {sorted(set(macs) - set(acked))}'
    for name in ('kea_leases_ha1', 'kea_leases_ha2'):
        stored = leases(database, name)
        lost = {mac: address for mac, address in acked.items() if stored.get(mac) != address}
        assert not lost, f'{name} lacks leases the clients were given: {lost}'


def test_only_the_kea_servers_may_log_in(database):
    listening = {socket.split('://')[1] for socket in (database.socket.get_listening_sockets())
                 if socket.startswith('tcp://') and socket.endswith(':5432')}
    assert listening == {'127.0.0.1:5432', '10.77.40.5:5432'}
    rules = sql(database, 'postgres', "SELECT type, array_to_string(database, ','), address, netmask, auth_method "
                                      "FROM pg_hba_file_rules WHERE 'kea' = ANY(user_name)")
    assert sorted(rules) == sorted([['host', name, address, '255.255.255.255', 'scram-sha-256']
                                    for name in ('kea', 'kea_leases_ha1', 'kea_leases_ha2') for address in ('10.77.40.2', '10.77.40.3')])
    assert sql(database, 'postgres', "SELECT rolsuper, rolcreatedb, rolcreaterole, left(rolpassword, 14) FROM pg_authid "
                                     "WHERE rolname = 'kea'") == [['f', 'f', 'f', 'SCRAM-SHA-256$']]
