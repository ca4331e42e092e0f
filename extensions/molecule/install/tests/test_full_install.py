"""A complete unattended install: a UEFI machine with an empty disk network-boots the Debian 12
installer from the server, installs through the server's package cache, reports completion,
reboots, network-boots again into its own disk, and the installed system comes up on its
serial console. The phases and their times go to .cache/results/full-install.json.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest
import testinfra
from testinfra.utils.ansible_runner import AnsibleRunner

TOP = os.environ['MOLECULE_PROJECT_DIRECTORY']
sys.path.insert(0, os.path.join(TOP, 'tests', 'boot'))
sys.path.insert(0, os.path.join(TOP, 'extensions', 'molecule', 'utils', 'lib'))

from netboot_checks import builds, run_report, run_site  # noqa: E402  pylint: disable=wrong-import-position
from vm import Machine  # noqa: E402  pylint: disable=wrong-import-position

NETWORK = 'netboot-test-install'
MAC, ADDRESS, KEY, HOSTNAME = '52:54:00:77:30:14', '10.77.30.14', '52-54-00-77-30-14', 'lab-installed'
RESULTS = os.path.join(TOP, '.cache', 'results')
# Hours under software emulation; the test ends as soon as the installed system is up.
INSTALL_TIMEOUT = int(os.environ.get('NETBOOT_INSTALL_TIMEOUT', 4 * 3600))


@pytest.fixture(scope='module')
def server():
    inventory = os.environ['MOLECULE_INVENTORY_FILE']
    name = AnsibleRunner(inventory).get_hosts('netboot_servers')[0]
    return testinfra.get_host(f'docker://{name}')


def nginx_requests(server):
    """(method, path, status) of every request from the machine, in order (a build token shows as TOKEN)."""
    log = server.check_output('cat /var/log/nginx/netboot.access.log')
    return [(match.group(1), match.group(2), int(match.group(3)))
            for match in re.finditer(rf'^{re.escape(ADDRESS)} .*?"(\S+) (\S+) HTTP/[^"]*" (\d+) ', log, re.MULTILINE)]


def cache_requests(server):
    """How many files apt-cacher-ng served the machine (a line each in its transfer log)."""
    log = server.check_output('cat /var/log/apt-cacher-ng/apt-cacher.log')
    return sum(1 for line in log.splitlines() if f'|{ADDRESS}|' in line)


# What the cache fetches first, as the installer would: a Packages list of d-i's components and one
# of them. A mirror without .udeb files cannot serve a network install.
UDEB_CHECK = '''
import lzma, re, sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": "http://127.0.0.1:3142/"}))
base = "http://deb.debian.org/debian/"
packages = lzma.decompress(opener.open(base + "dists/bookworm/main/debian-installer/binary-amd64/Packages.xz").read())
name = re.search(rb"^Filename: (\\S+)$", packages, re.M).group(1).decode()
try:
    opener.open(base + name)
except Exception as error:
    sys.exit(f"{name}: {error}")
'''


def test_the_mirror_serves_the_installer_components(server):
    result = server.run('python3 -c %s', UDEB_CHECK.replace('127.0.0.1', '10.77.30.2'))
    assert result.rc == 0, ('a network install of Debian needs a mirror with the installer components (.udeb); '
                            f'through the package cache, Debian\'s mirror answers: {result.stderr.strip()}')


def test_a_machine_installs_through_the_package_cache_then_boots_its_own_disk(server, tmp_path):
    token = builds(server)[KEY]['token']
    assert builds(server)[KEY]['state'] == 'pending'
    disk = str(tmp_path / 'disk.qcow2')
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', disk, '8G'], check=True)
    os.makedirs(RESULTS, exist_ok=True)
    phases = {}
    with Machine('install', NETWORK, 'uefi', MAC, memory=1024, cpus=2, disk=disk, reboot=True,
                 workdir=str(tmp_path)) as machine:
        machine.echo(os.environ.get('NETBOOT_INSTALL_ECHO') == '1')
        try:
            completed = wait_for_the_installed_system(server, machine, phases)
        finally:
            for phase, text in (('installer_kernel', 'Linux version'), ('installed_system_up', f'{HOSTNAME} login:')):
                seen = machine.first(text)
                phases[phase] = None if seen is None else round(seen, 1)
            with open(os.path.join(RESULTS, 'full-install.json'), 'w', encoding='utf-8') as handle:
                json.dump(phases, handle, indent=2, sort_keys=True)
            shutil.copyfile(machine.serial_log, os.path.join(RESULTS, 'full-install-serial.log'))
    assert completed is not None, f'the installer never reported completion; serial log in {RESULTS}'
    assert phases['installed_system_up'] is not None, f'the installed system did not come up; serial log in {RESULTS}'
    requests = nginx_requests(server)
    done = requests.index(('DELETE', '/builds/TOKEN', 204))
    before, after = requests[:done], requests[done + 1:]
    # The install: the installer and its answers under the token; every package through the cache.
    assert ('GET', '/answers/TOKEN/preseed.cfg', 200) in before, before
    assert cache_requests(server) > 100
    # The reboot: the same host script, its marker gone, and the machine's own disk; no installer.
    assert ('GET', f'/hosts/{KEY}.ipxe', 200) in after, after
    assert ('GET', '/builds/TOKEN', 404) in after, after
    assert not [path for _method, path, status in after if path.startswith(('/os/', '/answers/')) and status == 200], after
    assert token not in server.check_output('cat /var/log/nginx/netboot.access.log')


def wait_for_the_installed_system(server, machine, phases):
    """Seconds after power-on at which the installer reported completion (None if it did not)."""
    deadline = time.monotonic() + INSTALL_TIMEOUT
    completed = None
    while time.monotonic() < deadline and machine.process.poll() is None:
        requests = nginx_requests(server)
        if completed is None and ('DELETE', '/builds/TOKEN', 204) in requests:
            completed = time.monotonic() - machine.started
            phases['install_reported_done'] = round(completed, 1)
        # "[!!]" titles a question the installer asks: it would wait for ever.
        assert machine.first('[!!]') is None, f'the installer asks a question; see {machine.serial_log}'
        if completed is not None and machine.first(f'{HOSTNAME} login:') is not None:
            break
        time.sleep(5)
    return completed


def test_the_next_run_notes_the_install_and_the_report_shows_it(server):
    token = builds(server)[KEY]['token']
    result = run_site()
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert builds(server)[KEY]['state'] == 'installed'
    assert server.run(f'test -e /srv/netboot/answers/{token}').rc != 0
    report = run_report()
    assert report.returncode == 0, (report.stdout + report.stderr)[-3000:]
    assert re.search(rf'{MAC} +{re.escape(ADDRESS)} .* 1 installed since ', report.stdout), report.stdout[-3000:]
