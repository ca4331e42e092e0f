"""Fixtures: the netboot server and the client of the scenario, and the server's settings."""

import os

import pytest
import testinfra
from testinfra.utils.ansible_runner import AnsibleRunner

INVENTORY = os.environ['MOLECULE_INVENTORY_FILE']
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
