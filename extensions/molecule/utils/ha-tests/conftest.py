"""Fixtures of the HA scenarios: the Kea peers in inventory order (primary first), the client,
a DHCP exchange from the client, and Kea commands sent to a peer's control socket."""

import ipaddress
import json
import os
import sys
import time

import pytest
import testinfra
from testinfra.utils.ansible_runner import AnsibleRunner

INVENTORY = os.environ['MOLECULE_INVENTORY_FILE']
sys.path.insert(0, os.path.join(os.environ['MOLECULE_PROJECT_DIRECTORY'], 'extensions', 'molecule', 'utils', 'lib'))
from netboot_checks import dhcp_exchange  # noqa: E402  pylint: disable=wrong-import-position
RUNNER = AnsibleRunner(INVENTORY)
# Sends one command to Kea's control socket and prints the answer.
KEA_CLIENT = '''
import json, socket, sys
with socket.socket(socket.AF_UNIX) as sock:
    sock.connect(sys.argv[1])
    sock.sendall(sys.argv[2].encode())
    data = b''
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
        try:
            json.loads(data)
            break
        except ValueError:
            pass
print(data.decode())
'''


class Peer:
    """One Kea server of the HA pair."""

    def __init__(self, name):
        self.name = name
        self.host = testinfra.get_host(f'docker://{name}')
        self.vars = RUNNER.get_variables(name)
        self.address = self.vars['netboot_server_address']

    def kea(self, command, **arguments):
        """Send a command to Kea DHCPv4; return its answer (a dict)."""
        request = {'command': command, **({'arguments': arguments} if arguments else {})}
        output = self.host.check_output('python3 -c %s %s %s', KEA_CLIENT, '/run/kea/kea4-ctrl-socket', json.dumps(request))
        answer = json.loads(output)
        return answer[0] if isinstance(answer, list) else answer

    def ha_state(self):
        """This peer's HA state, or None when Kea does not answer."""
        try:
            answer = self.kea('status-get')
        except AssertionError:
            return None
        return answer['arguments']['high-availability'][0]['ha-servers']['local']['state']

    def wait_for_state(self, state, timeout=60):
        deadline = time.monotonic() + timeout
        seen = None
        while time.monotonic() < deadline:
            seen = self.ha_state()
            if seen == state:
                return
            time.sleep(0.5)
        raise AssertionError(f'{self.name} is in HA state {seen}, not {state}, after {timeout} s')

    def lease(self, address):
        """Kea's lease of an address on this peer (None when it has none)."""
        answer = self.kea('lease4-get', **{'ip-address': address})
        return answer.get('arguments') if answer['result'] == 0 else None


@pytest.fixture(scope='session')
def peers():
    """The Kea servers in inventory order: primary, then standby."""
    return [Peer(name) for name in RUNNER.get_hosts('netboot_servers')]


@pytest.fixture(scope='session')
def client():
    names = RUNNER.get_hosts('netboot_clients')
    assert len(names) == 1, names
    return testinfra.get_host(f'docker://{names[0]}')


@pytest.fixture(scope='session')
def client_iface(client):
    """The client's interface on its test network (not Docker's default bridge)."""
    for line in client.check_output('ip -o -4 addr show').splitlines():
        fields = line.split()
        if fields[1] != 'lo' and fields[3].startswith('10.77.'):
            return fields[1]
    raise AssertionError('the client has no address on a test network')


@pytest.fixture(scope='session')
def dhcp_from_relay():
    """dhcp_from_relay(network, arch=7, user_class='', mac=None): one full DHCP exchange from the relay's
    interface on ``network`` (a served network, not the one behind it). The relay is looked up on the
    first exchange: this session fixture is set up before a module's ``relayed`` fixture can skip."""
    def exchange(network, arch=7, user_class='', mac=None):
        relay = testinfra.get_host(f"docker://{RUNNER.get_hosts('netboot_relays')[0]}")
        found = [line.split()[1] for line in relay.check_output('ip -o -4 addr show').splitlines()
                 if ipaddress.IPv4Address(line.split()[3].split('/')[0]) in ipaddress.IPv4Network(network)]
        assert found, f'the relay has no interface on {network}'
        return dhcp_exchange(relay, found[0], arch=arch, user_class=user_class, mac=mac)
    return exchange


@pytest.fixture(scope='session')
def dhcp(client, client_iface):
    """dhcp(arch=7, user_class='', mac=None, timeout=8): one full DHCP exchange; the replies."""
    def exchange(arch=7, user_class='', mac=None, timeout=8):
        return dhcp_exchange(client, client_iface, arch=arch, user_class=user_class, mac=mac, timeout=timeout)
    return exchange
