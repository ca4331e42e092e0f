"""A configuration Kea refuses never replaces the running one, and reloads and restarts keep
every lease."""

import json
import os
import time

import pytest

from conftest import managed_files
from netboot_checks import run_site

pytestmark = pytest.mark.skipif(os.environ.get('MOLECULE_SCENARIO_NAME') != 'default',
                                reason='runs in the default scenario')

KEA_CONFIG = '/etc/kea/kea-dhcp4.conf'
LEASE_MACS = [f'02:00:00:13:00:{index:02x}' for index in range(1, 6)]


def kea(server_ansible, command, **arguments):
    args = {'command': command, **({'arguments': arguments} if arguments else {})}
    return server_ansible.ansible('netboot.pxe.kea_command', json.dumps(args), check=False)


def assigned(server_ansible):
    answer = kea(server_ansible, 'statistic-get', name='subnet[1].assigned-addresses')
    assert answer['result'] == 0, answer
    return answer['arguments']['subnet[1].assigned-addresses'][0][0]


def test_config_the_checker_rejects_never_reaches_the_server(server, server_ansible, dhcp):
    before = managed_files(server)
    pid = server.check_output('pidof kea-dhcp4')
    result = run_site('-e', json.dumps({'kea_dhcp4_option_data': [{'name': 'no-such-option', 'data': '1'}]}))
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert 'failed to validate' in output and 'no-such-option' in output, output[-3000:]
    assert managed_files(server) == before
    assert server.check_output('pidof kea-dhcp4') == pid
    assert kea(server_ansible, 'status-get')['result'] == 0
    assert dhcp(7)['ack']['file'] == 'snponly.efi'


def test_config_kea_refuses_on_reload_is_replaced_by_the_previous_one(server, server_ansible, dhcp):
    # Kea 2.6 accepts a lease file outside /var/lib/kea in its checker (-t) but refuses it
    # when loading the configuration.
    before = managed_files(server)
    pid = server.check_output('pidof kea-dhcp4')
    database = {'type': 'memfile', 'persist': True, 'name': '/srv/kea-leases4.csv'}
    result = run_site('-e', json.dumps({'kea_dhcp4_lease_database': database}))
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert 'refused the new configuration' in output and 'is back in place' in output, output[-3000:]
    assert managed_files(server) == before
    assert server.check_output('ls /etc/kea') == 'kea-dhcp4.conf', 'a copy of the previous file was left behind'
    assert server.check_output('pidof kea-dhcp4') == pid
    assert kea(server_ansible, 'config-get')['arguments']['Dhcp4']['lease-database']['name'] == \
        '/var/lib/kea/kea-leases4.csv'
    assert dhcp(7)['ack']['file'] == 'snponly.efi'


def test_reload_and_restart_keep_every_lease(server, server_ansible, dhcp):
    addresses = {mac: dhcp(0, mac=mac)['ack']['yiaddr'] for mac in LEASE_MACS}
    count = assigned(server_ansible)
    assert count >= len(LEASE_MACS)

    # A configuration change, applied by the role through config-reload.
    result = run_site('-e', json.dumps({'kea_dhcp4_valid_lifetime': 7200}))
    assert result.returncode == 0, result.stdout[-3000:]
    assert kea(server_ansible, 'config-get')['arguments']['Dhcp4']['valid-lifetime'] == 7200
    assert assigned(server_ansible) == count

    server.check_output('systemctl restart kea-dhcp4-server')
    deadline = time.time() + 30
    while time.time() < deadline and kea(server_ansible, 'status-get').get('result') != 0:
        time.sleep(0.5)
    assert assigned(server_ansible) == count
    for mac, address in addresses.items():
        assert dhcp(0, mac=mac)['ack']['yiaddr'] == address, mac

    # Back to the scenario's configuration, again keeping the leases.
    result = run_site()
    assert result.returncode == 0, result.stdout[-3000:]
    assert assigned(server_ansible) == count
