"""From an empty disk to the machine's own running system, nobody at the machines: BMCs, discovery,
then the netboot.pxe agent deploys an image.

Two libvirt domains with empty disks, each with a BMC: virtualbmc's IPMI for a SeaBIOS one the
inventory does not name, sushy-tools' Redfish for an OVMF one it does. provision.yml sends the
SeaBIOS machine to discovery (IPMI: network boot once, power on): it boots the agent, which sends its
facts (the SMBIOS strings, its MAC, its disk) and waits; the report lists it, the inventory plugin
netboot.pxe.discovered makes it a host in the group its rule names; one line in ipxe_hosts enrols it.
Then provision.yml provisions both: new builds (site.yml), a one-time network boot, power on or a
forced restart, and the wait: the SeaBIOS machine takes the root file-system archive (the agent
partitions, unpacks and installs GRUB from the image), the OVMF one the raw disk image. Each deploys
under its build's token, reports, deletes its build marker and reboots; the next network boot sends
it to its own disk, which must come up with the inventory's hostname at the login prompt and the
inventory's SSH key installed by cloud-init (the fingerprint cloud-init prints). In the same run,
three machines that cannot be provisioned end in the table with the reason, the others going on: a
wrong BMC password (nothing powered), a BMC that does not answer, a build that never ends (its own
timeout of a minute). At the end provision.yml powers both machines off. Before all that, a corrupt
image: the deploy fails with the reason, the report shows it, and the machine does not boot its disk.
"""

import base64
import contextlib
import hashlib
import json
import os
import re
import secrets
import ssl
import subprocess
import sys
import tempfile
import urllib.request

import pytest
import testinfra
from testinfra.utils.ansible_runner import AnsibleRunner

TOP = os.environ['MOLECULE_PROJECT_DIRECTORY']
sys.path.insert(0, os.path.join(TOP, 'tests', 'boot'))
sys.path.insert(0, os.path.join(TOP, 'extensions', 'molecule', 'utils', 'lib'))

import bmc  # noqa: E402  pylint: disable=wrong-import-position
from domain import Domain  # noqa: E402  pylint: disable=wrong-import-position
from netboot_checks import builds, run_provision, run_report, run_site  # noqa: E402  pylint: disable=wrong-import-position
from vm import Machine  # noqa: E402  pylint: disable=wrong-import-position

NETWORK = 'netboot-test-boot'
HTTP_ROOT = '/srv/netboot'
# name: (firmware, MAC, address, hostname, image, its file)
CORRUPT = ('bios', '52:54:00:77:20:21', '10.77.20.21', 'lab-bios-image', 'debian-13', 'root.tar.zst')
DEPLOYS = {
    'discovered': ('bios', '52:54:00:77:20:30', '10.77.20.30', 'lab-discovered', 'debian-13', 'root.tar.zst'),
    'image-uefi': ('uefi', '52:54:00:77:20:22', '10.77.20.22', 'lab-uefi-image', 'debian-13-uefi', 'disk.raw.zst'),
}
# What the discovered machine tells about itself (QEMU's SMBIOS type 1), and its disk.
SMBIOS = {'manufacturer': 'Lab Vendor', 'product': 'Rack Server 9', 'serial': 'SN-0042'}
DISK_BYTES = 8 * 1024 ** 3
RESULTS = os.path.join(TOP, '.cache', 'results')
# The inventory with the discovered machine enrolled (site.yml's extra vars from then on).
ENROLMENT = os.path.join(RESULTS, 'enrolment.json')


@pytest.fixture(scope='module')
def server():
    inventory = os.environ['MOLECULE_INVENTORY_FILE']
    name = AnsibleRunner(inventory).get_hosts('netboot_servers')[0]
    return testinfra.get_host(f'docker://{name}')


@pytest.fixture(scope='module')
def ssh_key():
    """The inventory's SSH key (ipxe_answer_ssh_keys) and the fingerprint cloud-init prints for it."""
    inventory = os.environ['MOLECULE_INVENTORY_FILE']
    runner = AnsibleRunner(inventory)
    name = runner.get_hosts('netboot_servers')[0]
    key = runner.get_variables(name)['ipxe_answer_ssh_keys'][0]
    digest = hashlib.sha256(base64.b64decode(key.split()[1])).hexdigest()
    return key, ':'.join(digest[index:index + 2] for index in range(0, len(digest), 2))


def empty_disk(directory, name):
    path = os.path.join(directory, f'{name}.qcow2')
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', path, '8G'], check=True)
    return path


def key_of(mac):
    return mac.replace(':', '-')


def http_requests(server, address):
    """(method, path, status) of every request from ``address`` in nginx's access log."""
    log = server.check_output('cat /var/log/nginx/netboot.access.log')
    return [(match.group(2), match.group(3), int(match.group(4)))
            for match in re.finditer(r'^(\S+) .*?"([A-Z]+) (\S+) HTTP/[^"]*" ([0-9]{3}) ', log, re.MULTILINE)
            if match.group(1) == address]


def report_of(server, token):
    """The agent's report of the build ``token``, as it sent it."""
    return json.loads(server.file(f'{HTTP_ROOT}/reports/{token}.json').content_string)


def test_a_corrupt_image_fails_the_deploy_and_the_machine_does_not_boot_its_disk(server, tmp_path):
    _firmware, mac, address, hostname, image, file_name = CORRUPT
    served = f'{HTTP_ROOT}/images/{image}/{file_name}'
    token = builds(server)[key_of(mac)]['token']
    # One byte more: the file is no longer the one image.json names.
    server.check_output(f'cp -p {served} {served}.good && printf x >> {served}')
    try:
        with Machine('corrupt', NETWORK, 'bios', mac, memory=1536, disk=empty_disk(str(tmp_path), 'corrupt')) as machine:
            waiting = machine.wait_for('netboot-agent: waiting', timeout=600)
            assert waiting is not None, f'the agent did not stop; serial log in {machine.serial_log}'
            assert machine.first('checksum mismatch') is not None
            assert machine.process.poll() is None, 'the machine rebooted after a failed deploy'
            assert machine.first(f'{hostname} login:') is None
    finally:
        server.check_output(f'mv {served}.good {served}')
    report = report_of(server, token)
    assert (report['status'], report['step']) == ('failed', 'write image')
    assert report['reason'].startswith(f'checksum mismatch for http://10.77.20.2/images/{image}/{file_name}')
    # The build stays pending: its marker is there, no own-disk boot.
    assert ('DELETE', '/builds/TOKEN', 204) not in http_requests(server, address)
    assert builds(server)[key_of(mac)]['state'] == 'pending'
    shown = run_report()
    assert shown.returncode == 0, shown.stdout[-3000:]
    assert re.search(rf'{re.escape(mac)}.*failed.*write image.*checksum mismatch', shown.stdout), shown.stdout[-3000:]
    assert token not in shown.stdout


def inventory_hosts(records_file, directory):
    """``ansible-inventory --list`` of the inventory plugin netboot.pxe.discovered over ``records_file``,
    with a rule that groups the large rack servers."""
    config = os.path.join(directory, 'lab.discovered.netboot.yml')
    with open(config, 'w', encoding='utf-8') as handle:
        handle.write(f'plugin: netboot.pxe.discovered\npath: {records_file}\ngroups:\n  big_rack_servers: >-\n'
                     "    netboot_facts.system.product == 'Rack Server 9'\n"
                     '    and (netboot_facts.disks | map(attribute="size") | max) > 4000000000\n')
    listed = subprocess.run(['ansible-inventory', '-i', config, '--list'], capture_output=True, text=True, check=False,
                            env=dict(os.environ, ANSIBLE_INVENTORY_ENABLED='netboot.pxe.discovered'))
    assert listed.returncode == 0, listed.stderr[-3000:]
    return plain(json.loads(listed.stdout))


def plain(value):
    """``value`` without the marks ansible-inventory puts on what a plugin did not trust ({"__ansible_unsafe": ...})."""
    if isinstance(value, dict):
        if set(value) == {'__ansible_unsafe'}:
            return value['__ansible_unsafe']
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def discovered_record(server, mac):
    """The discovery record on the server that names ``mac``: (the sender's address, the record)."""
    for name in server.check_output(f'ls {HTTP_ROOT}/discovered').split():
        record = json.loads(server.file(f'{HTTP_ROOT}/discovered/{name}').content_string)
        if record.get('mac') == mac:
            return name[:-len('.json')], record
    return None, None


# The lab's BMCs: sushy-tools' Redfish over the OVMF domain, virtualbmc's IPMI over the SeaBIOS one,
# and sushy-tools' fake driver for two machines that never boot (a wrong password, a build that never ends).
BMC_USER = 'admin'
REDFISH_PORT, FAKE_REDFISH_PORT, IPMI_PORT, SILENT_IPMI_PORT = 18443, 18444, 16230, 16239
FAKE_SYSTEMS = {'lab-wrong-password': '00000000-0000-4000-8000-000000772041',
                'lab-never-done': '00000000-0000-4000-8000-000000772042'}
# ipxe_hosts entries of the machines that never boot (the BMC check comes after the entry's).
NEVER_BOOTED = [{'mac': f'52:54:00:77:20:4{index}', 'ip': f'10.77.20.4{index}', 'image': 'debian-13', 'hostname': host}
                for index, host in enumerate(('lab-wrong-password', 'lab-never-done', 'lab-unreachable'), start=1)]


class Lab:
    """The two machines as libvirt domains, their BMC emulators and the inventory naming them."""

    def __init__(self, domains, machines, password, cert):
        self.domains, self.machines, self.password, self.cert = domains, machines, password, cert

    def fake_power_state(self, host):
        """A fake system's power state, as its emulator tells it (with the right password)."""
        request = urllib.request.Request(f'https://127.0.0.1:{FAKE_REDFISH_PORT}/redfish/v1/Systems/{FAKE_SYSTEMS[host]}')
        request.add_header('Authorization', 'Basic ' + base64.b64encode(f'{BMC_USER}:{self.password}'.encode()).decode())
        with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=self.cert), timeout=10) as answer:
            return json.load(answer)['PowerState']


@pytest.fixture(scope='module')
def lab(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp('bmc'))
    password = secrets.token_urlsafe(12)
    with contextlib.ExitStack() as stack:
        domains = {name: stack.enter_context(Domain(name, NETWORK, firmware, mac, memory=1536, disk_size='8G',
                                                    smbios=SMBIOS if name == 'discovered' else None))
                   for name, (firmware, mac, *_rest) in DEPLOYS.items()}
        cert, key = bmc.certificate(directory)
        auth = bmc.auth_file(directory, BMC_USER, password)
        stack.enter_context(bmc.redfish(directory, 'redfish', REDFISH_PORT, cert, key, auth, domains=[domains['image-uefi'].uuid()]))
        stack.enter_context(bmc.redfish(directory, 'redfish-fake', FAKE_REDFISH_PORT, cert, key, auth, fake_systems=[
            {'uuid': uuid, 'name': host, 'power_state': 'Off', 'nics': [{'mac': entry['mac']}]}
            for (host, uuid), entry in zip(FAKE_SYSTEMS.items(), NEVER_BOOTED)]))
        stack.enter_context(bmc.ipmi(directory, {domains['discovered'].domain: IPMI_PORT}, BMC_USER, password))
        redfish = {'type': 'redfish', 'user': BMC_USER, 'password': password, 'ca_path': cert}
        hosts = {
            'lab-discovered': {'bmc': {'type': 'ipmi', 'address': '127.0.0.1', 'port': IPMI_PORT, 'user': BMC_USER,
                                       'password': password}, 'netboot_mac': DEPLOYS['discovered'][1]},
            'lab-uefi-image': {'bmc': dict(redfish, address=f'127.0.0.1:{REDFISH_PORT}')},
            'lab-wrong-password': {'bmc': dict(redfish, address=f'127.0.0.1:{FAKE_REDFISH_PORT}', password='not-' + password,
                                               system_id=FAKE_SYSTEMS['lab-wrong-password'])},
            # Its build never ends: a minute, its own timeout.
            'lab-never-done': {'bmc': dict(redfish, address=f'127.0.0.1:{FAKE_REDFISH_PORT}',
                                           system_id=FAKE_SYSTEMS['lab-never-done']), 'netboot_provision_timeout': 1},
            # Nothing answers on its port.
            'lab-unreachable': {'bmc': {'type': 'ipmi', 'address': '127.0.0.1', 'port': SILENT_IPMI_PORT, 'user': BMC_USER,
                                        'password': password}, 'netboot_bmc_timeout': 5},
        }
        machines = os.path.join(directory, 'machines.json')
        with open(os.open(machines, os.O_WRONLY | os.O_CREAT, 0o600), 'w', encoding='utf-8') as handle:
            json.dump({'all': {'children': {'lab_machines': {'hosts': hosts}}}}, handle)
        yield Lab(domains, machines, password, cert)


def table_rows(output):
    """provision.yml's table: {host: (action, result)}."""
    rows = {}
    for match in re.finditer(r'^\s*"(lab-[a-z-]+) +([a-z]+) +(?:[0-9-]+ [0-9:]+|-) +(?:[0-9-]+ [0-9:]+|-) +(?:[0-9.]+|-) +(.*)",?$',
                             output, re.MULTILINE):
        rows[match.group(1)] = (match.group(2), match.group(3))
    return rows


def enrol(server, checks):
    """While the discovered machine waits: its record, the report, the inventory plugin; then one line
    in ipxe_hosts (and the machines that never boot), kept for site.yml's next runs."""
    _firmware, mac, address, hostname, image, _file = DEPLOYS['discovered']
    checks['record'] = discovered_record(server, mac)
    with tempfile.TemporaryDirectory(prefix='netboot-discovered-') as directory:
        records_file = os.path.join(directory, 'discovered.json')
        checks['report'] = run_report('-e', f'netboot_discovered_file={records_file}')
        checks['inventory'] = inventory_hosts(records_file, directory) if os.path.exists(records_file) else None
    runner = AnsibleRunner(os.environ['MOLECULE_INVENTORY_FILE'])
    hosts = runner.get_variables(runner.get_hosts('netboot_servers')[0])['ipxe_hosts']
    with open(ENROLMENT, 'w', encoding='utf-8') as handle:
        json.dump({'ipxe_hosts': hosts + [{'mac': mac, 'ip': address, 'image': image, 'hostname': hostname}] + NEVER_BOOTED},
                  handle)


def test_provision_discovers_deploys_and_boots_the_machines_through_their_bmcs(server, ssh_key, lab):
    """The rack without anyone at it: IPMI sends the unknown SeaBIOS machine to discovery; it is enrolled;
    provision.yml makes new builds, boots both machines from the network once (IPMI and Redfish), powers
    them and waits; the table shows both installed, and the three machines that could not be, why."""
    os.makedirs(RESULTS, exist_ok=True)
    discovered, uefi = lab.domains['discovered'], lab.domains['image-uefi']
    assert (discovered.state(), uefi.state()) == ('shut off', 'shut off')
    sent = run_provision(lab.machines, '-l', 'lab-discovered', '-e', 'netboot_provision_action=discover')
    assert sent.returncode == 0, (sent.stdout + sent.stderr)[-3000:]
    assert table_rows(sent.stdout) == {'lab-discovered': ('discover', 'sent to discovery')}, sent.stdout[-3000:]
    waiting = discovered.wait_for('netboot-agent: waiting to be enrolled', timeout=600)
    assert waiting is not None, f'no discovery; serial log in {discovered.serial_log}'
    checks = {}
    enrol(server, checks)

    provisioned = run_provision(lab.machines, '-v', '-l', 'netboot-server-boot,lab_machines', '-e', f'@{ENROLMENT}')
    output = provisioned.stdout + provisioned.stderr
    with open(os.path.join(RESULTS, 'provision.txt'), 'w', encoding='utf-8') as handle:
        handle.write(output)
    # The table: both machines installed; the others failed, each with its reason, the rest went on.
    rows = table_rows(provisioned.stdout)
    assert set(rows) == {'lab-discovered', 'lab-uefi-image', 'lab-wrong-password', 'lab-never-done', 'lab-unreachable'}, output[-5000:]
    times = {}
    for name, domain in lab.domains.items():
        hostname = DEPLOYS[name][3]
        login = domain.wait_for(f'{hostname} login:', timeout=900)
        # cloud-init's last stage prints the installed keys' fingerprints, after the login prompt.
        key = domain.wait_for(ssh_key[1], timeout=300) if login is not None else None
        times[name] = {'discovered': waiting if name == 'discovered' else None, 'deployed': domain.first('netboot-agent: deployed'),
                       'login': login, 'key': key}
    with open(os.path.join(RESULTS, 'deploy-times.json'), 'w', encoding='utf-8') as handle:
        json.dump(times, handle, indent=2, sort_keys=True)
    with open(os.path.join(RESULTS, 'discovery.json'), 'w', encoding='utf-8') as handle:
        json.dump({'report': checks['report'].stdout, 'inventory': checks.get('inventory')}, handle, indent=2, sort_keys=True)

    assert rows['lab-discovered'][1].startswith('installed (build ') and rows['lab-uefi-image'][1].startswith('installed (build '), rows
    assert rows['lab-wrong-password'][1].startswith('failed: check: credentials refused: HTTP Error 401'), rows
    assert rows['lab-never-done'][1] == 'failed: timeout: build 1 not finished after 1 min', rows
    assert rows['lab-unreachable'][1] == 'failed: check: no answer in time: no IPMI session opened', rows
    assert provisioned.returncode != 0 and re.search(r'lab-wrong-password +: .*failed=1', provisioned.stdout), output[-3000:]
    # The wrong password changed nothing; the fake machine whose build never ended was powered on.
    assert lab.fake_power_state('lab-wrong-password') == 'Off'
    assert lab.fake_power_state('lab-never-done') == 'On'
    # No password in any output, -v included.
    assert lab.password not in output and 'not-' + lab.password not in output

    # Discovered: the record holds what the machine is, the report and the inventory plugin show it.
    mac = DEPLOYS['discovered'][1]
    sender, record = checks['record']
    assert record is not None, 'no discovery record names the machine'
    assert record['system'] | {'uuid': ''} == {'vendor': 'Lab Vendor', 'product': 'Rack Server 9', 'serial': 'SN-0042', 'uuid': ''}
    assert [nic['mac'] for nic in record['nics']] == [mac] and record['firmware'] == {'mode': 'bios', 'secure_boot': False}
    assert [(disk['path'], disk['size'], disk['serial']) for disk in record['disks']] == [('/dev/vda', DISK_BYTES, 'NETBOOT-DISCOVER')]
    report = checks['report']
    assert report.returncode == 0, report.stdout[-3000:]
    assert re.search(rf'{re.escape(mac)} +{re.escape(sender)} +Lab Vendor +Rack Server 9 +SN-0042 +1 +1\.[0-9] GiB +vda 8\.6 GB +bios',
                     report.stdout), report.stdout[-3000:]
    listed = checks['inventory']
    assert listed is not None, report.stdout[-3000:]
    host = 'mac-' + mac.replace(':', '')
    assert listed['big_rack_servers']['hosts'] == [host] and listed['netboot_discovered']['hosts'] == [host]
    facts = listed['_meta']['hostvars'][host]
    assert (facts['netboot_mac'], facts['netboot_address'], facts['netboot_facts']['system']['serial']) == (mac, sender, 'SN-0042')

    for name, (_firmware, mac, address, _hostname, image, file_name) in DEPLOYS.items():
        domain = lab.domains[name]
        assert times[name]['deployed'] is not None, f'{name} did not deploy; serial log in {domain.serial_log}'
        assert times[name]['login'] is not None, f'{name} did not reach its login prompt; serial log in {domain.serial_log}'
        # cloud-init installed the inventory's key for the inventory's user.
        assert times[name]['key'] is not None, f'{name}: no fingerprint of the inventory key; serial log in {domain.serial_log}'
        build = builds(server)[key_of(mac)]
        report = report_of(server, build['token'])
        assert (report['status'], report['step'], report['reason']) == ('deployed', '', '')
        requests = http_requests(server, address)
        # The agent fetched its job and the image, deleted its marker; the next boot found it gone.
        assert ('GET', '/answers/TOKEN/job.json', 200) in requests, requests
        assert ('GET', f'/images/{image}/{file_name}', 200) in requests, requests
        assert ('DELETE', '/builds/TOKEN', 204) in requests, requests
        scripts = [index for index, request in enumerate(requests) if request[1] == f'/hosts/{key_of(mac)}.ipxe']
        assert len(scripts) >= 2, requests
        after_deploy = requests[scripts[-1]:]
        assert not [path for _method, path, _status in after_deploy if path.startswith(('/agent/', '/images/'))], after_deploy
    # Before it was enrolled, the discovered machine sent its record from its first address.
    assert ('PUT', '/discovery/report', 201) in http_requests(server, sender)


def test_the_next_run_notes_the_machines_installed_and_changes_nothing_else(server):
    result = run_site('-e', f'@{ENROLMENT}')
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    for _firmware, mac, *_rest in DEPLOYS.values():
        assert builds(server)[key_of(mac)]['state'] == 'installed'
        assert 'boots its own disk' in server.file(f'{HTTP_ROOT}/hosts/{key_of(mac)}.ipxe').content_string
    again = run_site('-e', f'@{ENROLMENT}')
    assert again.returncode == 0 and re.search(r'changed=0\s', again.stdout), again.stdout[-3000:]


def test_provision_powers_the_machines_off_through_their_bmcs(lab):
    assert [domain.state() for domain in lab.domains.values()] == ['running', 'running']
    result = run_provision(lab.machines, '-l', 'lab-discovered,lab-uefi-image', '-e', 'netboot_provision_action=off')
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert table_rows(result.stdout) == {'lab-discovered': ('off', 'powered off'), 'lab-uefi-image': ('off', 'powered off')}
    assert [domain.state() for domain in lab.domains.values()] == ['shut off', 'shut off']
