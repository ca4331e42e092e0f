"""Helpers shared by the scenarios' tests: a DHCP (or DHCPv6) exchange played from the client, and a
run of the scenario's converge playbook (site.yml)."""

import json
import os
import subprocess

DHCPACK = '5'


def _probe(iface, arch, user_class, *options):
    """The DHCP probe's command line."""
    words = ['python3 /usr/local/lib/netboot-dhcp-probe.py', f'--iface {iface}', f'--arch {arch}', *options]
    return ' '.join(words + ([f'--user-class {user_class}'] if user_class else []))


def dhcp_exchange(client, iface, arch=7, user_class='', mac=None, timeout=8):
    """One full DHCP exchange from ``client`` on ``iface``; the offer and the acknowledgement."""
    result = client.run(_probe(iface, arch, user_class, f'--timeout {timeout}', *([f'--mac {mac}'] if mac else [])))
    assert result.rc == 0, f'no complete DHCP exchange: {result.stdout} {result.stderr}'
    answer = json.loads(result.stdout)
    assert answer['ack']['options']['message-type'] == DHCPACK
    return answer


def dhcp6_exchange(client, iface, arch=7, user_class='', vendor_class='', mac=None, timeout=8):
    """One full DHCPv6 exchange from ``client`` on ``iface`` (Solicit, Advertise, Request, Reply):
    {'advertise': ..., 'reply': ...}, each with its addresses, boot file URL and vendor class."""
    words = ['python3 /usr/local/lib/netboot-dhcp6-probe.py', f'--iface {iface}', f'--arch {arch}', f'--timeout {timeout}']
    words += [f'--user-class {user_class}'] if user_class else []
    words += [f'--vendor-class {vendor_class}'] if vendor_class else []
    words += [f'--mac {mac}'] if mac else []
    result = client.run(' '.join(words))
    assert result.rc == 0, f'no complete DHCPv6 exchange: {result.stdout} {result.stderr}'
    return json.loads(result.stdout)


def converge_command(*args):
    """The command that runs the scenario's converge playbook (site.yml) against the scenario's hosts."""
    converge = os.path.join(os.environ['MOLECULE_PROJECT_DIRECTORY'], 'extensions', 'molecule', 'utils', 'converge.yml')
    return ['ansible-playbook', '-i', os.environ['MOLECULE_INVENTORY_FILE'], converge, *args]


def run_site(*args):
    """Run the scenario's converge playbook (site.yml); the finished process, with its output."""
    return subprocess.run(converge_command(*args), capture_output=True, text=True, check=False)


def run_report(*args):
    """Run playbooks/report.yml against the scenario's hosts; the finished process, with its output."""
    report = os.path.join(os.environ['MOLECULE_PROJECT_DIRECTORY'], 'playbooks', 'report.yml')
    return subprocess.run(['ansible-playbook', '-i', os.environ['MOLECULE_INVENTORY_FILE'], report, *args],
                          capture_output=True, text=True, check=False)


def builds(server):
    """The install builds the ipxe role keeps on ``server``: MAC with hyphens -> build, token, state, since."""
    return json.loads(server.file('/var/lib/netboot-pxe/builds.json').content_string)


def dhcp_offers(client, iface, arch=7, user_class='', seconds=4, mac=None):
    """Every offer one DISCOVER from ``client`` gets in ``seconds``: {server address: offer}."""
    result = client.run(_probe(iface, arch, user_class, f'--offers {seconds}', *([f'--mac {mac}'] if mac else [])))
    offers = json.loads(result.stdout)['offers'] if result.stdout.strip() else []
    return {offer['server']: offer for offer in offers}


def run_provision(machines, *args):
    """Run playbooks/provision.yml against the scenario's hosts and the ``machines`` inventory; the
    finished process, with its output."""
    provision = os.path.join(os.environ['MOLECULE_PROJECT_DIRECTORY'], 'playbooks', 'provision.yml')
    return subprocess.run(['ansible-playbook', '-i', os.environ['MOLECULE_INVENTORY_FILE'], '-i', machines, provision, *args],
                          capture_output=True, text=True, check=False)
