"""From an empty disk to the machine's own running system: discovery, then the netboot.pxe agent deploys an image.

Two machines with empty virtual disks. A SeaBIOS one the inventory does not name is discovered: it
boots the agent, which sends its facts (the QEMU SMBIOS strings, its MAC, its disk) and waits; the
report lists it, the inventory plugin netboot.pxe.discovered makes it a host in the group its rule
names; then one line in ipxe_hosts and site.yml enrol it, and nobody touches it again: it reboots,
takes the root file-system archive (the agent partitions, unpacks and installs GRUB from the image).
An OVMF machine in the inventory takes the raw disk image (streamed to its disk) meanwhile. Each
deploys under its build's token, reports, deletes its build marker and reboots; the next network
boot sends it to its own disk, which must come up with the inventory's hostname at the login prompt
and the inventory's SSH key installed by cloud-init (the fingerprint cloud-init prints). Before
that, a corrupt image: the deploy fails with the reason, the report shows it, and the machine does
not boot its disk.
"""

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading

import pytest
import testinfra
from testinfra.utils.ansible_runner import AnsibleRunner

TOP = os.environ['MOLECULE_PROJECT_DIRECTORY']
sys.path.insert(0, os.path.join(TOP, 'tests', 'boot'))
sys.path.insert(0, os.path.join(TOP, 'extensions', 'molecule', 'utils', 'lib'))

from netboot_checks import builds, run_report, run_site  # noqa: E402  pylint: disable=wrong-import-position
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


def deploy(name, disk, fingerprint, results, enrol=None):
    """Boot the machine ``name`` until its own system shows the key's ``fingerprint``; with ``enrol``, it
    is discovered first and ``enrol(machine)`` enrols it while it waits."""
    firmware, mac, _address, hostname, _image, _file = DEPLOYS[name]
    with Machine(name, NETWORK, firmware, mac, memory=1536, disk=disk, reboot=True,
                 smbios=SMBIOS if enrol else None) as machine:
        results[name] = {'serial_log': machine.serial_log}
        if enrol is not None:
            waiting = machine.wait_for('netboot-agent: waiting to be enrolled', timeout=600)
            results[name]['discovered'] = waiting
            if waiting is None:
                return
            try:
                enrol(machine)
            except (AssertionError, OSError, KeyError, IndexError, ValueError, RuntimeError) as exc:
                # Reported by the test with what it saw; the machine need not wait for the login timeout.
                results[name]['enrol_error'] = repr(exc)
                return
        login = machine.wait_for(f'{hostname} login:', timeout=900)
        # cloud-init's last stage prints the installed keys' fingerprints, after the login prompt.
        key = machine.wait_for(fingerprint, timeout=300) if login is not None else None
        results[name].update(login=login, key=key, deployed=machine.first('netboot-agent: deployed'))


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


def enrol_the_discovered_machine(server, checks):
    """While the discovered machine waits: its record, the report, the inventory plugin, then one line
    in ipxe_hosts and site.yml (``checks`` collects what was seen, for the test to assert)."""
    _firmware, mac, address, hostname, image, _file = DEPLOYS['discovered']

    def enrol(_machine):
        checks['record'] = discovered_record(server, mac)
        with tempfile.TemporaryDirectory(prefix='netboot-discovered-') as directory:
            records_file = os.path.join(directory, 'discovered.json')
            checks['report'] = run_report('-e', f'netboot_discovered_file={records_file}')
            checks['inventory'] = inventory_hosts(records_file, directory) if os.path.exists(records_file) else None
        runner = AnsibleRunner(os.environ['MOLECULE_INVENTORY_FILE'])
        hosts = runner.get_variables(runner.get_hosts('netboot_servers')[0])['ipxe_hosts']
        with open(ENROLMENT, 'w', encoding='utf-8') as handle:
            json.dump({'ipxe_hosts': hosts + [{'mac': mac, 'ip': address, 'image': image, 'hostname': hostname}]}, handle)
        checks['site'] = run_site('-e', f'@{ENROLMENT}')
    return enrol


def test_a_discovered_machine_is_enrolled_and_both_machines_deploy_and_boot_their_own_disk(server, ssh_key):
    os.makedirs(RESULTS, exist_ok=True)
    tokens = {'image-uefi': builds(server)[key_of(DEPLOYS['image-uefi'][1])]['token']}
    results, checks = {}, {}
    with tempfile.TemporaryDirectory(prefix='netboot-deploy-') as directory:
        threads = [threading.Thread(target=deploy, args=(name, empty_disk(directory, name), ssh_key[1], results),
                                    kwargs={'enrol': enrol_the_discovered_machine(server, checks) if name == 'discovered'
                                            else None})
                   for name in DEPLOYS]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    with open(os.path.join(RESULTS, 'deploy-times.json'), 'w', encoding='utf-8') as handle:
        json.dump({name: {key: result.get(key) for key in ('discovered', 'deployed', 'login')} for name, result in results.items()},
                  handle, indent=2, sort_keys=True)

    # What README shows: the report's discovery table and the inventory plugin's host.
    with open(os.path.join(RESULTS, 'discovery.json'), 'w', encoding='utf-8') as handle:
        json.dump({'report': checks.get('report').stdout if checks.get('report') else None, 'inventory': checks.get('inventory')},
                  handle, indent=2, sort_keys=True)
    # Discovered: the record holds what the machine is, the report and the inventory plugin show it.
    mac = DEPLOYS['discovered'][1]
    assert results['discovered'].get('discovered') is not None, f'no discovery; serial log in {results["discovered"]["serial_log"]}'
    assert 'enrol_error' not in results['discovered'], results['discovered']['enrol_error']
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
    # Enrolled by one line and site.yml: it deployed without anyone touching it.
    assert checks['site'].returncode == 0, (checks['site'].stdout + checks['site'].stderr)[-3000:]
    tokens['discovered'] = builds(server)[key_of(mac)]['token']

    for name, (_firmware, mac, address, hostname, image, file_name) in DEPLOYS.items():
        result = results[name]
        assert result.get('deployed') is not None, f'{name} did not deploy; serial log in {result["serial_log"]}'
        assert result['login'] is not None, f'{name} did not reach its login prompt; serial log in {result["serial_log"]}'
        # cloud-init installed the inventory's key for the inventory's user.
        assert result['key'] is not None, f'{name}: no fingerprint of the inventory key; serial log in {result["serial_log"]}'
        report = report_of(server, tokens[name])
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
