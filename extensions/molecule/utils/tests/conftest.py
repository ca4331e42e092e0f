"""Fixtures: the netboot server and the client of the scenario, the server's settings, and
helpers that run a DHCP exchange from the client and the playbook against the server."""

import os
import sys

import pytest
import testinfra
from testinfra.utils.ansible_runner import AnsibleRunner

INVENTORY = os.environ['MOLECULE_INVENTORY_FILE']
# The collection under test, for its pure-Python checks (the iPXE script lint).
sys.path.insert(0, os.path.join(os.environ['MOLECULE_PROJECT_DIRECTORY'], '.cache', 'collections'))
sys.path.insert(0, os.path.join(os.environ['MOLECULE_PROJECT_DIRECTORY'], 'extensions', 'molecule', 'utils', 'lib'))
from netboot_checks import dhcp_exchange  # noqa: E402  pylint: disable=wrong-import-position
# Every file the roles write, with the daemons' configurations.
MANAGED_PATHS = ['/etc/kea', '/etc/default/tftpd-hpa', '/etc/nginx', '/srv/tftp', '/srv/netboot']
RUNNER = AnsibleRunner(INVENTORY)


def _host(group):
    names = RUNNER.get_hosts(group)
    assert len(names) == 1, f'expected one host in {group}, found {names}'
    return names[0]


# Commands run through docker exec (fast); Ansible modules through the Ansible inventory.
@pytest.fixture(scope='session')
def server():
    return testinfra.get_host(f'docker://{_host("netboot_servers")}')


@pytest.fixture(scope='session')
def server_ansible():
    return testinfra.get_host(f'ansible://{_host("netboot_servers")}', ansible_inventory=INVENTORY)


@pytest.fixture(scope='session')
def client():
    return testinfra.get_host(f'docker://{_host("netboot_clients")}')


@pytest.fixture(scope='session')
def lab():
    """The server's inventory settings, as the scenario gave them to site.yml."""
    return RUNNER.get_variables(_host('netboot_servers'))


@pytest.fixture(scope='session')
def client_iface(client, lab):
    """The client's interface on the test network (the one in the server's subnet)."""
    prefix = lab['netboot_server_address'].rsplit('.', 1)[0] + '.'
    for line in client.check_output('ip -o -4 addr show').splitlines():
        fields = line.split()
        if fields[3].startswith(prefix):
            return fields[1]
    raise AssertionError(f'client has no address in {prefix}0/24')


@pytest.fixture(scope='session')
def dhcp(client, client_iface):
    """dhcp(arch, user_class='', mac=None): one full DHCP exchange from the client; the replies."""
    def exchange(arch=7, user_class='', mac=None):
        return dhcp_exchange(client, client_iface, arch=arch, user_class=user_class, mac=mac)
    return exchange


def managed_files(host):
    """sha256 of every managed file on ``host`` (sorted lines), to compare before and after."""
    return host.check_output(
        'find ' + ' '.join(MANAGED_PATHS) + ' -type f -print0 | sort -z | xargs -0 sha256sum')
