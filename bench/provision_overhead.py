# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What playbooks/provision.yml costs per machine in its BMC part, against emulated Redfish BMCs.

A benchmark, not a test: it checks nothing and prints a table (with --json, writes the figures).
sushy-tools' Redfish emulator runs with its fake driver (systems that exist only in its memory) on
127.0.0.1 over HTTPS with a self-signed certificate (the machines' bmc names it as ca_path, so
the certificate is verified) and a bcrypt password file. For each count N of machines it starts
fresh and runs provision.yml with the action discover, which is the BMC part of a provision:
the credentials check (redfish_info GetSystemInventory), the one-time network boot
(SetOneTimeBoot Pxe) and power on (PowerOn), with Ansible's default forks and no netboot server.

Three layouts:
  shared  one emulator holds the N systems: each machine's bmc names its system_id. The check
          (GetSystemInventory) reads every system of the BMC, so the requests per machine grow
          with N: an emulator's cost, not a real rack's, where each machine has its own BMC.
  chassis N/10 emulators of 10 systems each, as blade chassis with a manager each (--chassis).
  own     N emulators of one system each, as in a rack (--own: the counts; each is a process,
          some 35 MB: 1,000 of them do not fit a small machine, the chassis layout does).

Printed per run: the seconds in all, per machine, the emulator's HTTPS requests per machine, and
how many machines the table shows as sent to discovery. A run that takes longer than --limit
seconds is stopped and shown as such (the 1000-machine run, on a small machine).

The emulators come from the BMC tests' environment (tests/harness/bmc.sh makes it: .cache/bmc-venv).
Run from anywhere:  .cache/venv/bin/python bench/provision_overhead.py [--counts 1,10,100,1000] [--json PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, 'tests', 'boot'))

import bmc  # noqa: E402  pylint: disable=wrong-import-position

USER, PASSWORD = 'admin', 'bench-secret'
FIRST_PORT = 18443
# Systems per emulator in the chassis layout.
CHASSIS = 10
# Each run's emulators get ports of their own: a stopped run's workers may still knock on the old ones.
PORT_STRIDE = 1000


def system_id(index):
    return f'00000000-0000-4000-8000-{index:012d}'


def fake_systems(indexes):
    """The fake driver's systems ``indexes``, powered off, each with a NIC."""
    return [{'uuid': system_id(index), 'name': f'machine{index}', 'power_state': 'Off', 'external_notifier': False,
             'nics': [{'mac': f'52:54:00:{index >> 16 & 255:02x}:{index >> 8 & 255:02x}:{index & 255:02x}',
                       'ip': f'10.77.{index >> 8 & 255}.{index & 255}'}]} for index in indexes]


def inventory(directory, groups, ports, cert):
    """The machines, each with its bmc: its emulator's port, and its system's id where the emulator has more."""
    hosts = {}
    for indexes, port in zip(groups, ports):
        for index in indexes:
            settings = {'type': 'redfish', 'address': f'127.0.0.1:{port}', 'user': USER, 'password': PASSWORD, 'ca_path': cert}
            if len(indexes) > 1:
                settings['system_id'] = system_id(index)
            hosts[f'machine{index:04d}'] = {'bmc': settings}
    path = os.path.join(directory, 'machines.json')
    with open(path, 'w', encoding='utf-8') as handle:
        json.dump({'machines': {'hosts': hosts}}, handle)
    return path


REQUEST = re.compile(r'"(GET|POST|PATCH) /redfish/')


def playbook(command, environment, limit):
    """(seconds, finished, output) of ``command``; past ``limit`` seconds its whole process group is stopped."""
    began = time.monotonic()
    with subprocess.Popen(command, cwd=REPO, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          start_new_session=True) as process:
        try:
            output = process.communicate(timeout=limit)[0]
            return time.monotonic() - began, True, output
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGTERM)
            output = process.communicate()[0]
            return time.monotonic() - began, False, output


def run(number, count, layout, limit, workdir):
    """One run (the ``number``th) of provision.yml's BMC part over ``count`` machines; its figures."""
    directory = tempfile.mkdtemp(prefix=f'provision-{layout}-{count}-', dir=workdir)
    cert, key = bmc.certificate(directory)
    auth = bmc.auth_file(directory, USER, PASSWORD)
    size = {'shared': count, 'chassis': CHASSIS, 'own': 1}[layout]
    groups = [list(range(first, min(first + size, count))) for first in range(0, count, size)]
    ports = [FIRST_PORT + number * PORT_STRIDE + index for index in range(len(groups))]
    with contextlib.ExitStack() as stack:
        emulators = [stack.enter_context(bmc.redfish(directory, f'bmc{index}', port, cert, key, auth,
                                                     fake_systems=fake_systems(indexes), wait=False))
                     for index, (indexes, port) in enumerate(zip(groups, ports))]
        for process, port in zip(emulators, ports):
            bmc.wait_listening(port, process)
        path = inventory(directory, groups, ports, cert)
        environment = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, '.cache', 'collections'),
                           ANSIBLE_HOST_KEY_CHECKING='False')
        environment.pop('ANSIBLE_FORKS', None)
        command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), 'playbooks/provision.yml', '-i', path,
                   '-l', 'machines', '-e', 'netboot_provision_action=discover']
        seconds, finished, output = playbook(command, environment, limit)
        with open(os.path.join(directory, 'ansible.log'), 'w', encoding='utf-8') as handle:
            handle.write(output)
    requests = 0
    for index in range(len(groups)):
        with open(os.path.join(directory, f'bmc{index}.log'), encoding='utf-8') as handle:
            requests += sum(1 for line in handle if REQUEST.search(line))
    discovered = output.count('sent to discovery')
    leaked = PASSWORD in output
    if finished and discovered == count and not leaked:
        shutil.rmtree(directory)
    else:
        print(f'  kept {directory} (its ansible.log and the emulators\' logs)', flush=True)
    return {'layout': layout, 'machines': count, 'finished': finished, 'seconds': round(seconds, 2),
            'seconds_per_machine': round(seconds / count, 3), 'requests_per_machine': round(requests / count, 1),
            'sent_to_discovery': discovered, 'password_in_output': leaked}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--counts', default='1,10,100,1000', help='machine counts of the shared layout')
    parser.add_argument('--chassis', default='10,100,1000', help='machine counts of the chassis layout (10 per emulator)')
    parser.add_argument('--own', default='1,10,100', help='machine counts of the own layout (one emulator each)')
    parser.add_argument('--limit', type=float, default=300, help='seconds a run may take')
    parser.add_argument('--json', help='write the figures there')
    arguments = parser.parse_args()
    workdir = os.path.join(REPO, '.cache', 'bench')
    os.makedirs(workdir, exist_ok=True)
    cases = [('shared', int(count)) for count in arguments.counts.split(',') if count]
    cases += [('chassis', int(count)) for count in arguments.chassis.split(',') if count]
    cases += [('own', int(count)) for count in arguments.own.split(',') if count]
    rows = []
    print(f'{"layout":<8}{"machines":>9}{"seconds":>10}{"s/machine":>11}{"requests/machine":>18}{"discovery":>11}')
    for number, (layout, count) in enumerate(cases):
        row = run(number, count, layout, arguments.limit, workdir)
        rows.append(row)
        seconds = f'{row["seconds"]:.1f}' + ('' if row['finished'] else '+')
        per_machine = f'{row["seconds_per_machine"]:.3f}' if row['finished'] else 'stopped'
        print(f'{layout:<8}{count:>9}{seconds:>10}{per_machine:>11}{row["requests_per_machine"]:>18}'
              f'{row["sent_to_discovery"]:>11}' + ('  PASSWORD IN OUTPUT' if row['password_in_output'] else ''),
              flush=True)
    if arguments.json:
        with open(arguments.json, 'w', encoding='utf-8') as handle:
            json.dump({'provision_overhead': rows}, handle, indent=1)


if __name__ == '__main__':
    main()
