"""Kea's host reservations (and, where the scenario puts them there, leases) in PostgreSQL: the HA
pair reads one hosts database; in `ha` each peer keeps its leases in a database of its own.
Runs before test_ha.py, which changes the pair."""

import ipaddress
import json
import time

import pytest
import testinfra
from testinfra.utils.ansible_runner import AnsibleRunner

from conftest import INVENTORY
from netboot_checks import run_site

RUNNER = AnsibleRunner(INVENTORY)


@pytest.fixture(scope='module')
def database():
    """The PostgreSQL server of the scenario; the module is skipped in scenarios without one."""
    names = RUNNER.get_hosts('netboot_databases')
    if not names:
        pytest.skip('this scenario keeps reservations and leases in files')
    host = testinfra.get_host(f'docker://{names[0]}')
    host.vars = RUNNER.get_variables(names[0])
    return host


@pytest.fixture(scope='module')
def reserved(peers):
    """The scenario's first reservation (MAC, address), and a free address after it for one more."""
    first = peers[0].vars['netboot_reservations'][0]
    address = ipaddress.IPv4Address(first['ip-address'])
    return (first['hw-address'], str(address)), ('52:54:00:40:00:51', str(address + 1))


@pytest.fixture(scope='module')
def lease_databases(peers, database):
    """Each peer's lease database; skipped where the leases are in files."""
    names = [peer.vars.get('kea_dhcp4_lease_database', {}).get('name') for peer in peers
             if peer.vars.get('kea_dhcp4_lease_database', {}).get('type') == 'postgresql']
    if len(names) != len(peers):
        pytest.skip('the leases are in files in this scenario')
    return names


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


def test_the_reservations_are_rows_of_the_shared_database(peers, database, dhcp, reserved):
    (mac, address), _added = reserved
    assert reservations(database) == {host['hw-address'].replace(':', ''): host['ip-address']
                                      for host in peers[0].vars['netboot_reservations']}
    for peer in peers:
        config = peer.host.file('/etc/kea/kea-dhcp4.conf')
        assert (config.user, config.group, config.mode) == ('root', '_kea', 0o640)
        document = json.loads(config.content_string.split('\n', 1)[1])  # after the header comment
        assert document['Dhcp4']['hosts-database']['name'] == 'kea'
        assert all('reservations' not in subnet for subnet in document['Dhcp4']['subnet4'])
    ack = dhcp(mac=mac)['ack']
    assert (ack['yiaddr'], ack['file']) == (address, 'snponly.efi')


def test_the_pair_keeps_its_leases_in_a_database_each(database, dhcp, reserved, lease_databases):
    primary, standby = lease_databases
    (mac, address), _added = reserved
    assert leases(database, primary).get(mac) == address, 'the reserved machine\'s lease is not in the primary\'s database'
    mac = '52:54:00:40:00:61'
    address = dhcp(mac=mac)['ack']['yiaddr']
    deadline = time.monotonic() + 10
    while leases(database, standby).get(mac) != address and time.monotonic() < deadline:
        time.sleep(0.5)
    assert leases(database, primary).get(mac) == address
    assert leases(database, standby).get(mac) == address, 'the standby did not store the lease the primary gave'


def test_a_reservation_is_added_and_removed_without_a_reload(peers, database, dhcp, reserved):
    _first, (mac, wanted) = reserved
    base = peers[0].vars['netboot_reservations']
    added = base + [{'hw-address': mac, 'ip-address': wanted}]
    marks = [kea_mark(peer) for peer in peers]
    time.sleep(1)
    result = run_site('-v', '--diff', '-e', json.dumps({'netboot_reservations': added}))
    assert result.returncode == 0, result.stdout[-3000:]
    assert peers[0].vars['netboot_test_database_password'] not in result.stdout + result.stderr
    assert reservations(database).get(mac.replace(':', '')) == wanted
    assert dhcp(mac=mac)['ack']['yiaddr'] == wanted
    for peer, mark in zip(peers, marks):
        assert reloads_since(peer, mark) == ([], True), f'{peer.name} reloaded or restarted for a new reservation'

    result = run_site('-e', json.dumps({'netboot_reservations': base}))
    assert result.returncode == 0, result.stdout[-3000:]
    assert mac.replace(':', '') not in reservations(database)
    address = dhcp(mac=mac)['ack']['yiaddr']
    assert address != wanted, f'{mac} still got {address} after its reservation was removed'
    for peer, mark in zip(peers, marks):
        assert reloads_since(peer, mark) == ([], True), f'{peer.name} reloaded or restarted for a removed reservation'


def test_no_lease_is_lost_when_the_database_restarts_under_load(peers, database, client, client_iface, lease_databases):
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
    for name in lease_databases:
        stored = leases(database, name)
        lost = {mac: address for mac, address in acked.items() if stored.get(mac) != address}
        assert not lost, f'{name} lacks leases the clients were given: {lost}'


def test_only_the_kea_servers_may_log_in(database):
    port = ':5432'
    listening = {socket.split('://')[1] for socket in database.socket.get_listening_sockets()
                 if socket.startswith('tcp://') and socket.endswith(port)}
    assert listening == {f'{address}{port}' for address in ['127.0.0.1'] + database.vars['kea_database_listen_addresses']}
    rules = sql(database, 'postgres', "SELECT type, array_to_string(database, ','), address, netmask, auth_method "
                                      "FROM pg_hba_file_rules WHERE 'kea' = ANY(user_name)")
    # TLS only: hostssl lines, no host line that would take the password in clear text.
    assert sorted(rules) == sorted([['hostssl', name, address, '255.255.255.255', 'scram-sha-256']
                                    for name in database.vars['kea_database_names']
                                    for address in database.vars['kea_database_clients']])
    assert sql(database, 'postgres', "SELECT rolsuper, rolcreatedb, rolcreaterole, left(rolpassword, 14) FROM pg_authid "
                                     "WHERE rolname = 'kea'") == [['f', 'f', 'f', 'SCRAM-SHA-256$']]


def test_the_kea_servers_log_in_over_tls_only(peers, database):
    """PostgreSQL runs with TLS; Kea's own connections use it (libpq's default sslmode=prefer), and a
    login without TLS from a Kea server is refused even with the right password."""
    assert sql(database, 'postgres', 'SHOW ssl') == [['on']]
    addresses = {peer.address for peer in peers}
    query = ("SELECT DISTINCT host(a.client_addr), s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) "
             "WHERE a.usename = 'kea'")
    # Kea keeps its connections open; after the restart of the previous test it reconnects.
    deadline = time.monotonic() + 60
    while {row[0] for row in sql(database, 'postgres', query)} != addresses and time.monotonic() < deadline:
        time.sleep(1)
    assert sorted(sql(database, 'postgres', query)) == sorted([address, 't'] for address in addresses)

    password = peers[0].vars['netboot_test_database_password']
    target = (f"host={database.vars['kea_database_listen_addresses'][0]} port=5432 "
              f"dbname={database.vars['kea_database_names'][0]} user=kea")

    def login(sslmode):
        return peers[0].host.run('PGPASSWORD=%s psql -X -A -t -c %s %s', password,
                                 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()', f'{target} sslmode={sslmode}')

    plain = login('disable')
    assert plain.rc != 0 and 'no pg_hba.conf entry' in plain.stderr, plain.stderr
    encrypted = login('require')
    assert (encrypted.rc, encrypted.stdout.strip()) == (0, 't'), encrypted.stderr
