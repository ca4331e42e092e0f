"""Benchmarks of a netboot server in containers, side by side in one run on this machine.

Brings up the molecule scenario "bench" (a Debian 13 server and a client on an internal
network), then measures: converge cost, DHCP rates with perfdhcp (doublings, then the highest
rate with at most 1 % drops by bisection, with 0, 10,000 and 100,000 reservations in Kea's JSON
file, then 100,000 in PostgreSQL), the boot path (HTTP and TFTP against raw link throughput),
200 PXE clients at once, converge with 1,000 and 10,000 unattended-install hosts, and render
cost; then, with the bench containers gone, VM boots in the molecule scenario "boot" (--no-boot
skips them) for the boot-time goals.
Prints the tables and the performance goals (bench/goals.py), writes JSON and a PNG plot.
Called by bench/run, which installs what it needs first.

ansible-playbook runs with ANSIBLE_PIPELINING=true, as molecule does for the scenarios.
"""

from __future__ import annotations

import argparse
import glob
import ipaddress
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time

import goals

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIO = 'bench'
SERVER, CLIENT = 'netboot-server-bench', 'netboot-client-bench'
# The bench network (extensions/molecule/bench/molecule.yml): a /14 whose upper half is the
# dynamic pool, the lower half room for reservations and fixed addresses.
NETWORK, POOL = '10.80.0.0/14', '10.82.0.0 - 10.83.255.254'
SERVER_IP, CLIENT_IP = '10.80.0.2', '10.80.0.3'
FIRST_RESERVED = ipaddress.IPv4Address('10.80.1.0')   # netboot_reservations: 10.80.1.0 on
FIRST_HOST_IP = ipaddress.IPv4Address('10.81.160.0')  # ipxe_hosts[].ip: after 100,000 reservations
CONVERGE = os.path.join(TOP, 'extensions', 'molecule', 'utils', 'converge.yml')
BIG_FILE = 'bench/initrd-50M'
BIG_MB = 50
KERNEL = 'bench/kernel-8M'
KERNEL_MB = 8
# An OS image as the agent streams it (the size of a compressed Debian image the images role builds).
IMAGE = 'bench/image-256M'
IMAGE_MB = 256
RESERVATION_COUNTS = (10000, 100000)  # bisected, beside none
HOST_COUNTS = (1000, 10000)
HOST_TIMEOUT = 600  # seconds of one converge with install hosts before that step stops
BISECT_PROBES = 7
BOOT_SCENARIO = 'boot'
BOOT_PHASES = os.path.join(TOP, '.cache', 'results', 'boot-phases.json')
STEPS = ('converge', 'boot_path', 'swarm', 'dhcp', 'dhcp_database', 'hosts', 'render', 'boot')
# The dhcp_database step: PostgreSQL on the bench server itself (group netboot_databases through an
# extra inventory file) holds the reservations; a bench-only password.
DATABASE_PASSWORD = 'bench-only-3d9a61'
DATABASE = {'type': 'postgresql', 'name': 'kea', 'host': SERVER_IP, 'user': 'kea', 'password': DATABASE_PASSWORD}
# The bench-only catalog entry of the install hosts: Debian's memtest86+ (installed on the
# server, so nothing is downloaded) with a preseed answer, so each host gets a script and an
# answer file.
INSTALL_ENTRY = {
    'name': 'bench-install', 'label': 'Bench install (memtest86+ with a preseed)', 'family': 'memtest',
    'version': '', 'architecture': 'x86_64', 'kernel': {'url': '/boot/memtest86+x64.bin'},
    'kernel_efi': {'url': '/boot/memtest86+x64.efi'}, 'packages': ['memtest86+'],
    'answer': 'preseed', 'answer_args': 'auto=true url={answer_url}', 'enabled': True,
}


def log(message):
    print(f'[bench] {message}', file=sys.stderr, flush=True)


class Timeout(RuntimeError):
    """A command ran longer than its timeout (it and its children were killed)."""


def run(command, log_file=None, check=True, timeout=None, **kwargs):
    """Run a command; its output goes to log_file (appended) and is returned.

    With ``timeout`` (seconds), the command's whole process group is killed when it runs
    longer, and Timeout is raised.
    """
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True, **kwargs) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
            if log_file:
                with open(log_file, 'a', encoding='utf-8') as handle:
                    handle.write(f'$ {" ".join(command)}\n{stdout}{stderr}\n[killed after {timeout} s]\n')
            raise Timeout(f'{" ".join(command[:6])}... stopped after {timeout} s') from None
    result = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    if log_file:
        with open(log_file, 'a', encoding='utf-8') as handle:
            handle.write(f'$ {" ".join(command)}\n{result.stdout}{result.stderr}\n')
    if check and result.returncode != 0:
        raise RuntimeError(f'{" ".join(command[:6])}... failed ({result.returncode}):\n'
                           f'{result.stdout[-2000:]}{result.stderr[-2000:]}')
    return result


def in_container(name, script, check=True):
    return run(['docker', 'exec', name, 'sh', '-c', script], check=check).stdout


def molecule(action, log_file, scenario=SCENARIO, check=True, env=None):
    log(f'molecule {action} -s {scenario}')
    return run(['molecule', action, '-s', scenario], log_file, check=check, cwd=TOP, env=env)


def inventory():
    candidates = glob.glob(os.path.expanduser(f'~/.ansible/tmp/molecule.*.{SCENARIO}/inventory'))
    if not candidates:
        raise RuntimeError('no molecule inventory for the bench scenario')
    return max(candidates, key=os.path.getmtime)


def recap(output):
    """ok/changed/failed counts of the server from a PLAY RECAP."""
    match = re.search(rf'^{SERVER}\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)',
                      output.split('PLAY RECAP')[-1], re.MULTILINE)
    if not match:
        raise RuntimeError('no PLAY RECAP for the server:\n' + output[-2000:])
    return {'ok': int(match[1]), 'changed': int(match[2]), 'failed': int(match[4])}


def converge(label, log_file, *extra, key='', timeout=None):
    """Time site.yml against the bench server (ANSIBLE_PIPELINING=true: main() sets it)."""
    log(f'converge: {label}')
    start = time.monotonic()
    result = run(['ansible-playbook', '-i', inventory(), CONVERGE, *extra], log_file, timeout=timeout)
    return {'case': label, 'key': key, 'seconds': round(time.monotonic() - start, 2), **recap(result.stdout)}


def extra_vars(path, variables):
    """Write ansible-playbook extra vars (-e @path) as JSON; return the option pair."""
    with open(path, 'w', encoding='utf-8') as handle:
        json.dump(variables, handle)
    return ['-e', f'@{path}']


def mac(prefix, number):
    """A locally administered MAC, ``prefix`` (two bytes) then ``number`` in three bytes."""
    return f'{prefix}:' + ':'.join(f'{(number >> shift) & 0xff:02x}' for shift in (16, 8, 0))


def reservations(count):
    """``count`` Kea reservations in the bench subnet, outside the pool (perfdhcp's MACs are 02:7e:...)."""
    return [{'hw-address': mac('02:7f:00', n), 'ip-address': str(FIRST_RESERVED + n)} for n in range(count)]


def install_hosts(count, with_ip=False):
    """``count`` ipxe_hosts that install the bench entry unattended (optionally with a fixed address)."""
    hosts = [{'mac': mac('02:7d:00', n), 'os': INSTALL_ENTRY['name'], 'hostname': f'h{n:04d}'} for n in range(count)]
    if with_ip:
        for n, host in enumerate(hosts):
            host['ip'] = str(FIRST_HOST_IP + n)
    return hosts


def perfdhcp(label, two_way, seconds=5, rates=(1000, 2000, 4000, 8000, 16000)):
    """DHCP exchanges per second, the client acting as a relay to the server (unicast).

    Runs at rising offered rates; "sustained" is the best achieved rate with at most 1 %
    of the packets dropped, "overload" the achieved rate at the highest offered one.
    """
    runs = [perfdhcp_probe(two_way, rate, seconds) for rate in rates]
    sustained = max((r['achieved'] for r in runs if r['drop_ratio'] <= 0.01), default=0.0)
    return {'config': label, 'exchange': 'DISCOVER/OFFER' if two_way else 'DORA',
            'rate_per_second': sustained, 'overload_rate_per_second': runs[-1]['achieved'], 'runs': runs}


def perfdhcp_probe(two_way, rate, seconds):
    """One perfdhcp run at an offered rate: the achieved rate and the share of packets dropped."""
    mode = '-i' if two_way else ''
    output = in_container(CLIENT, f'perfdhcp -4 {mode} -r {rate} -p {seconds} -R 10000 '
                                  f'-b mac=02:7e:00:00:00:00 -o 93,0000 {SERVER_IP} 2>&1', check=False)
    found = re.search(r'^Rate: ([0-9.]+)', output, re.MULTILINE)
    if not found:
        raise RuntimeError(f'perfdhcp printed no rate:\n{output[-2000:]}')
    sent = sum(int(n) for n in re.findall(r'sent packets: (\d+)', output))
    drops = sum(int(n) for n in re.findall(r'^drops: (\d+)', output, re.MULTILINE))
    return {'offered': rate, 'achieved': float(found[1]), 'drop_ratio': round(drops / sent, 4) if sent else 1.0}


def bisect_rate(reservation_count, two_way, seeds, seconds=4, probes=BISECT_PROBES):
    """The highest offered rate with at most 1 % drops, bisected (goals.next_rate) from the
    doubling runs ``seeds`` to within 5 %, in at most ``probes`` more perfdhcp runs."""
    runs = list(seeds)
    for _probe in range(probes):
        rate = goals.next_rate([(r['offered'], r['drop_ratio'] <= 0.01) for r in runs])
        if rate is None:
            break
        log(f'DHCP bisection, {reservation_count:,} reservations, {"-i" if two_way else "DORA"}: {rate}/s')
        runs.append(perfdhcp_probe(two_way, rate, seconds))
    low, high = goals.bracket([(r['offered'], r['drop_ratio'] <= 0.01) for r in runs])
    best = next((r for r in runs if r['offered'] == low and r['drop_ratio'] <= 0.01), None)
    return {'reservations': reservation_count, 'exchange': 'DISCOVER/OFFER' if two_way else 'DORA',
            'rate_per_second': low, 'achieved_per_second': best and best['achieved'], 'first_failing_rate': high,
            'probes': len(runs) - len(seeds), 'runs': runs[len(seeds):]}


MINIMAL_KEA = {
    'Dhcp4': {
        'interfaces-config': {'interfaces': ['IFACE']},
        'control-socket': {'socket-type': 'unix', 'socket-name': '/run/kea/kea4-ctrl-socket'},
        'lease-database': {'type': 'memfile', 'persist': True, 'name': '/var/lib/kea/kea-leases4.csv'},
        'valid-lifetime': 3600,
        'subnet4': [{'id': 1, 'subnet': NETWORK, 'pools': [{'pool': POOL}]}],
    },
}


def rates_of(label, reservation_count, bisect):
    """Doubling runs (both exchanges) of the running configuration; with ``bisect``, the bisection too."""
    doubling = [perfdhcp(label, True), perfdhcp(label, False)]
    found = [bisect_rate(reservation_count, row['exchange'] == 'DISCOVER/OFFER', row['runs']) for row in doubling] if bisect else []
    return doubling, found


def dhcp_rates(log_file, interface, output_dir, counts=RESERVATION_COUNTS, timeout=HOST_TIMEOUT * 2):
    """perfdhcp against the generated configuration, a minimal one, then with each count of
    reservations; the generated one and each count also bisected.  Returns the doubling rows,
    the bisected rates and the converge runs of the reservation changes."""
    results, bisected = rates_of('generated PXE classes', 0, True)
    log('DHCP: minimal configuration')
    minimal = json.dumps(MINIMAL_KEA).replace('IFACE', interface)
    in_container(SERVER, f"cp /etc/kea/kea-dhcp4.conf /tmp/kea-generated.conf && echo '{minimal}' > /etc/kea/kea-dhcp4.conf"
                         ' && kea-dhcp4 -t /etc/kea/kea-dhcp4.conf >/dev/null && systemctl restart kea-dhcp4-server && sleep 2')
    results += [perfdhcp('minimal', True), perfdhcp('minimal', False)]
    in_container(SERVER, 'cp /tmp/kea-generated.conf /etc/kea/kea-dhcp4.conf && systemctl restart kea-dhcp4-server && sleep 2')
    steps = []
    for count in counts:
        option = extra_vars(os.path.join(output_dir, f'reservations-{count}.json'), {'netboot_reservations': reservations(count)})
        try:
            steps.append(converge(f'with {count:,} reservations (config change)', log_file, *option,
                                  key=f'reservations-{count}', timeout=timeout))
        except Timeout as exc:
            log(f'DHCP with {count:,} reservations: {exc}; not measured')
            steps.append({'case': f'with {count:,} reservations (config change)', 'key': f'reservations-{count}',
                          'seconds': timeout, 'timed_out': True, 'ok': 0, 'changed': 0, 'failed': 0})
            break
        doubling, found = rates_of(f'PXE classes + {count:,} reservations', count, True)
        results += doubling
        bisected += found
    return results, bisected, steps


def database_inventory(output_dir):
    """An extra inventory (YAML; JSON is YAML) that puts the bench server in netboot_databases too.
    ansible-playbook merges it with molecule's: the host keeps its docker connection there."""
    path = os.path.join(output_dir, 'database-inventory.yml')
    with open(path, 'w', encoding='utf-8') as handle:
        json.dump({'netboot_databases': {
            'hosts': {SERVER: None},
            'vars': {'kea_database_password': DATABASE_PASSWORD, 'kea_database_names': [DATABASE['name']],
                     'kea_database_listen_addresses': [SERVER_IP], 'kea_database_clients': [SERVER_IP]}}}, handle, indent=2)
    return ['-i', path]


def kea_mark():
    """How many reloads Kea's journal shows (DHCP4_DYNAMIC_RECONFIGURATION) and its process id."""
    reloads = in_container(SERVER, 'journalctl -u kea-dhcp4-server --no-pager -o cat | grep -c DHCP4_DYNAMIC_RECONFIGURATION',
                           check=False).strip()
    pid = in_container(SERVER, 'systemctl show -p MainPID --value kea-dhcp4-server').strip()
    return int(reloads or 0), pid


def host_row(mac_address):
    """(rows of Kea's hosts table, the reserved address of ``mac_address`` there or None)."""
    def psql(query):
        return run(['docker', 'exec', SERVER, 'runuser', '-u', 'postgres', '--', 'psql', '-At', '-d', DATABASE['name'],
                    '-c', query]).stdout.strip()
    address = psql(f"select ipv4_address from hosts where dhcp_identifier = decode('{mac_address.replace(':', '')}', 'hex')")
    return int(psql('select count(*) from hosts')), str(ipaddress.IPv4Address(int(address))) if address else None


def dhcp_database(log_file, output_dir, count, timeout=HOST_TIMEOUT * 2):
    """``count`` reservations as rows of PostgreSQL on the server (kea_dhcp4_hosts_database): converge
    (first, re-run, one reservation's address changed: Kea must not reload, the row must change),
    then perfdhcp, doublings and bisection.  Returns the doubling rows, the bisected rows (with
    'store': 'postgresql'), the converge runs and the check of the one change.
    Nothing converges back to the reservations in the file afterwards: the containers are destroyed
    after the run (unless --keep or --reuse); a later step's converge (hosts) passes neither the
    extra inventory nor kea_dhcp4_hosts_database, so it writes Kea's file without the database again."""
    inventory_option = database_inventory(output_dir)
    wanted = reservations(count)
    steps, check = [], {'reservations': count}

    def timed(label, key, hosts):
        option = extra_vars(os.path.join(output_dir, f'{key}.json'),
                            {'netboot_reservations': hosts, 'kea_dhcp4_hosts_database': DATABASE})
        try:
            steps.append(converge(label, log_file, *inventory_option, *option, key=key, timeout=timeout))
            return True
        except Timeout as exc:
            log(f'DHCP, {count:,} reservations in PostgreSQL: {exc}; not measured')
            steps.append({'case': label, 'key': key, 'seconds': timeout, 'timed_out': True, 'ok': 0, 'changed': 0, 'failed': 0})
            return False

    if not timed(f'{count:,} reservations into PostgreSQL (config change)', f'database-reservations-{count}', wanted):
        return [], [], steps, check
    check['rows_after_first'] = host_row(wanted[0]['hw-address'])[0]
    timed(f'{count:,} reservations in PostgreSQL (re-run)', f'database-rerun-{count}', wanted)
    changed = [dict(wanted[0], **{'ip-address': str(FIRST_RESERVED + count)})] + wanted[1:]
    before = kea_mark()
    if timed(f'{count:,} reservations in PostgreSQL, one address changed', f'database-change-one-{count}', changed):
        after = kea_mark()
        rows, address = host_row(changed[0]['hw-address'])
        check.update({'reloads': after[0] - before[0], 'restarted': after[1] != before[1], 'rows': rows,
                      'changed_address': changed[0]['ip-address'], 'address_in_row': address,
                      'row_changed': address == changed[0]['ip-address'] and rows == count})
        log(f'one reservation changed: {check["reloads"]} reload(s), restarted: {check["restarted"]}, '
            f'{rows:,} rows, row changed: {check["row_changed"]}')
    doubling, found = rates_of(f'PXE classes + {count:,} reservations in PostgreSQL', count, True)
    return doubling, [dict(row, store='postgresql') for row in found], steps, check


def host_installs(log_file, output_dir, counts=HOST_COUNTS, with_ip=False, timeout=HOST_TIMEOUT):
    """Goal 2: converge with ``counts`` ipxe_hosts that install the bench catalog entry, against
    the re-run with the entry and no hosts; first converge and re-run of each count; ends with
    the plain configuration again.  A converge longer than ``timeout`` stops the step."""
    runs = []

    def timed(hosts, run, label):
        option = extra_vars(os.path.join(output_dir, f'hosts-{hosts}.json'),
                            {'ipxe_os_entries': [INSTALL_ENTRY], 'ipxe_hosts': install_hosts(hosts, with_ip)})
        try:
            row = converge(label, log_file, *option, key=f'hosts-{hosts}-{run}', timeout=timeout)
        except Timeout as exc:
            log(f'{hosts:,} install hosts, {run}: {exc}; this step stops here (not measured further)')
            row = {'case': label, 'key': f'hosts-{hosts}-{run}', 'seconds': timeout, 'timed_out': True,
                   'ok': 0, 'changed': 0, 'failed': 0}
        runs.append(dict(row, hosts=hosts, run=run))
        return not row.get('timed_out')

    timed(0, 'first', 'install catalog entry, no hosts (config change)')
    timed(0, 'rerun', 'install catalog entry, no hosts (re-run)')
    for hosts in counts:
        fixed = ', with fixed addresses' if with_ip else ''
        if not (timed(hosts, 'first', f'{hosts:,} install hosts{fixed} (first converge)')
                and timed(hosts, 'rerun', f'{hosts:,} install hosts{fixed} (re-run)')):
            break
    back = converge('plain configuration again (install hosts removed)', log_file, key='hosts-removed')
    return {'runs': runs, 'with_ip': with_ip, 'timeout_seconds': timeout, 'back_to_plain': back,
            'per_host_ms': {hosts: goals.per_host_ms(runs, hosts) for hosts in counts},
            'linearity': goals.linearity(runs)}


def median_of(count, measure):
    values = [measure() for _run in range(count)]
    return statistics.median(values)


def curl_seconds(url, options='', repeat=1, size_mb=BIG_MB):
    """Seconds per fetch of a file of ``size_mb`` MiB, over ``repeat`` fetches in one curl run."""
    targets = ' '.join([f'-o /dev/null {url}'] * repeat)
    output = in_container(CLIENT, f"curl -s {options} -w '%{{time_total}} %{{size_download}}\\n' {targets}")
    transfers = [line.split() for line in output.splitlines() if line.strip()]
    if len(transfers) != repeat or any(int(float(size)) != size_mb * 1024 * 1024 for _seconds, size in transfers):
        raise RuntimeError(f'{url}: got {output!r}')
    return sum(float(seconds) for seconds, _size in transfers) / repeat


def boot_path():
    """Throughput of the raw link, HTTP (the 50 MB initrd, the 8 MB kernel, a 256 MB OS image) and TFTP; each
    row's share of the link."""
    in_container(SERVER, f'mkdir -p /srv/netboot/bench /srv/tftp/bench && head -c {BIG_MB}M /dev/urandom > /srv/netboot/{BIG_FILE}'
                         f' && cp /srv/netboot/{BIG_FILE} /srv/tftp/{BIG_FILE}'
                         f' && head -c {KERNEL_MB}M /dev/urandom > /srv/netboot/{KERNEL}'
                         f' && head -c {IMAGE_MB}M /dev/urandom > /srv/netboot/{IMAGE}')
    in_container(SERVER, 'pkill iperf3; iperf3 -s -D -B ' + SERVER_IP, check=False)
    time.sleep(1)

    def iperf():
        report = json.loads(in_container(CLIENT, f'iperf3 -c {SERVER_IP} -t 3 -J'))
        return report['end']['sum_received']['bits_per_second'] / 8 / 1e6

    rows = [{'key': 'raw', 'path': 'raw TCP link (iperf3)', 'mb_per_second': round(median_of(3, iperf), 1)}]
    # HTTP is fast enough here that one 50 MB fetch is over in milliseconds: time 20 in a row (50 of the kernel).
    for key, label, url, options, repeat, size in [
            ('http', f'HTTP (nginx), {BIG_MB} MB initrd', f'http://{SERVER_IP}/{BIG_FILE}', '', 20, BIG_MB),
            ('http-kernel', f'HTTP (nginx), {KERNEL_MB} MB kernel', f'http://{SERVER_IP}/{KERNEL}', '', 50, KERNEL_MB),
            ('http-image', f'HTTP (nginx), {IMAGE_MB} MB OS image', f'http://{SERVER_IP}/{IMAGE}', '', 4, IMAGE_MB),
            ('tftp-512', 'TFTP, block size 512 (RFC default)', f'tftp://{SERVER_IP}/{BIG_FILE}', '--tftp-blksize 512', 1, BIG_MB),
            ('tftp-1468', 'TFTP, block size 1468 (one Ethernet frame)', f'tftp://{SERVER_IP}/{BIG_FILE}', '--tftp-blksize 1468', 1,
             BIG_MB)]:
        log(f'boot path: {label}')
        seconds = median_of(3, lambda: curl_seconds(url, options, repeat, size))  # pylint: disable=cell-var-from-loop
        rows.append({'key': key, 'path': label, 'seconds': round(seconds, 3), 'mb_per_second': round(size * 1.048576 / seconds, 1)})
    in_container(SERVER, 'pkill iperf3', check=False)
    raw = rows[0]['mb_per_second']
    for row in rows:
        row['share_of_link'] = round(row['mb_per_second'] / raw, 3)
    return rows


def swarm(interface, clients):
    log(f'{clients} PXE clients at once')
    run(['docker', 'cp', os.path.join(TOP, 'bench', 'swarm.py'), f'{CLIENT}:/var/tmp/swarm.py'])
    # Exit status 1 means some clients failed: the JSON line says which.
    result = run(['docker', 'exec', CLIENT, 'python3', '/var/tmp/swarm.py', '--iface', interface,
                  '--clients', str(clients), '--http', 'boot.ipxe', KERNEL], check=False)
    lines = result.stdout.strip().splitlines()
    if result.returncode not in (0, 1) or not lines:
        raise RuntimeError(f'swarm.py failed ({result.returncode}): {result.stderr[-3000:]}')
    return json.loads(lines[-1])


def render_cost(output_dir):
    log('render cost')
    path = os.path.join(output_dir, 'render.json')
    run([sys.executable, os.path.join(TOP, 'bench', 'render_cost.py'), '--json', path])
    with open(path, encoding='utf-8') as handle:
        return json.load(handle)['render']


def boot_scenario(log_file):
    """Goal 5: the molecule scenario "boot" (VMs under QEMU) boots its machines; their phase times
    come from .cache/results/boot-phases.json, if that file was written by this run."""
    env = dict(os.environ, NETBOOT_TEST_RUN='bench-boot')
    start = time.time()
    failed = None
    try:
        molecule('destroy', log_file, BOOT_SCENARIO, env=env)
        for action in ('create', 'prepare', 'converge'):
            molecule(action, log_file, BOOT_SCENARIO, env=env)
        result = molecule('verify', log_file, BOOT_SCENARIO, check=False,
                          env=dict(env, PYTEST_ADDOPTS='-k test_machine_boots_the_default_item'))
        if result.returncode:
            failed = f'molecule verify -s {BOOT_SCENARIO} failed ({result.returncode}); see {log_file}'
    except RuntimeError as exc:
        failed = str(exc).splitlines()[0]
    finally:
        molecule('destroy', log_file, BOOT_SCENARIO, check=False, env=env)
    phases = read_phases(BOOT_PHASES, since=start)
    if failed:
        log(f'boot: {failed}')
    return {'phases': phases, 'error': failed, 'phases_file': BOOT_PHASES}


def read_phases(path, since=None):
    """{machine: {phase: seconds}} from boot-phases.json; {} when missing, unreadable or older than ``since``."""
    try:
        if since is not None and os.path.getmtime(path) < since:
            log(f'{path} is older than this run: boot phases not measured')
            return {}
        with open(path, encoding='utf-8') as handle:
            phases = json.load(handle)
    except (OSError, ValueError) as exc:
        log(f'no boot phases: {exc}')
        return {}
    return {name: times for name, times in phases.items() if isinstance(times, dict)} if isinstance(phases, dict) else {}


def converge_table(rows):
    lines = [f'{"run":58} {"seconds":>8} {"tasks ok":>9} {"changed":>8}']
    for r in rows:
        seconds = f'>{r["seconds"]:.0f}'.rjust(8) if r.get('timed_out') else f'{r["seconds"]:8.1f}'
        lines.append(f'{r["case"]:58} {seconds} {r["ok"]:9d} {r["changed"]:8d}')
    return lines


def table(results):
    lines = []
    if results.get('converge'):
        lines += ['', 'Converge (site.yml against the bench server; ANSIBLE_PIPELINING=true)'] + converge_table(results['converge'])
    if results.get('host_installs'):
        hosts = results['host_installs']
        lines += ['', 'Converge with unattended-install hosts (ipxe_hosts with os: bench-install, a preseed each'
                  + (', and a fixed address' if hosts['with_ip'] else '') + ')'] + converge_table(hosts['runs'])
        lines.append('per-host cost (re-run - none) / hosts: ' + ', '.join(
            f'{n:,}: {"-" if ms is None else f"{ms} ms"}' for n, ms in hosts['per_host_ms'].items())
            + f'; {hosts["linearity"] or "linearity not measured"}')
    if results.get('boot_path'):
        lines += ['', 'Boot path (client container to server container)', f'{"path":52} {"MB/s":>8} {"of link":>8}']
        lines += [f'{r["path"]:52} {r["mb_per_second"]:8.1f} {r["share_of_link"]:8.1%}' for r in results['boot_path']]
    if results.get('dhcp'):
        lines += ['', 'DHCP (perfdhcp, the client relaying; 5 s per offered rate of 1,000 to 16,000 per second)',
                  f'{"configuration":50} {"exchange":15} {"sustained/s":>12} {"overloaded/s":>13}']
        lines += [f'{r["config"]:50} {r["exchange"]:15} {r["rate_per_second"]:12.0f} {r["overload_rate_per_second"]:13.0f}'
                  for r in results['dhcp']]
    if results.get('dhcp_bisect'):
        lines += ['', f'DHCP by bisection, reservations in the JSON file (highest offered rate with at most 1 % drops, '
                  f'4 s probes, at most {BISECT_PROBES})',
                  f'{"reservations":>12} {"exchange":15} {"offered/s":>10} {"achieved/s":>11} {"fails at/s":>11} {"probes":>7}']
        lines += [f'{r["reservations"]:12,} {r["exchange"]:15} {r["rate_per_second"] or 0:10,} {r["achieved_per_second"] or 0:11,.0f} '
                  f'{r["first_failing_rate"] or 0:11,} {r["probes"]:7d}' for r in results['dhcp_bisect']]
    if results.get('dhcp_database_bisect'):
        lines += ['', 'DHCP by bisection, reservations in PostgreSQL (kea_dhcp4_hosts_database; the table above: in the JSON file)',
                  f'{"reservations":>12} {"exchange":15} {"offered/s":>10} {"achieved/s":>11} {"fails at/s":>11} {"probes":>7}']
        lines += [f'{r["reservations"]:12,} {r["exchange"]:15} {r["rate_per_second"] or 0:10,} {r["achieved_per_second"] or 0:11,.0f} '
                  f'{r["first_failing_rate"] or 0:11,} {r["probes"]:7d}' for r in results['dhcp_database_bisect']]
    if results.get('dhcp_database', {}).get('reloads') is not None:
        d = results['dhcp_database']
        lines.append(f'one of {d["reservations"]:,} reservations changed: {d["reloads"]} reload(s) of Kea, restarted: '
                     f'{"yes" if d["restarted"] else "no"}; hosts rows {d["rows"]:,}, the changed row has '
                     f'{d["address_in_row"]} (wanted {d["changed_address"]})')
    if results.get('swarm'):
        s = results['swarm']
        lines += ['', f'{s["clients"]} PXE clients at once (DHCP, TFTP of the iPXE binary, HTTP of boot.ipxe and an 8 MB kernel)',
                  f'completed {s["http_ok"]}, failed {s["failures"]}, DHCP done after {s["dhcp_seconds"]} s, all done after '
                  f'{s["total_seconds"]} s (median client {s["completion_p50_seconds"]} s, 95th percentile {s["completion_p95_seconds"]} s)']
    if results.get('render'):
        lines += ['', 'Render cost', f'{"case":52} {"n":>7} {"seconds":>9} {"us/item":>9}']
        lines += [f'{r["case"]:52} {r["n"]:7d} {r["seconds"]:9.4f} {r["per_item_us"]:9.1f}' for r in results['render']]
    if 'boot' in results:
        boot = results['boot']
        lines.append(goals.format_phases(goals.boot_phase_rows(boot.get('phases'))))
        if boot.get('error'):
            lines.append(f'boot scenario: {boot["error"]}')
    lines.append(goals.format_goals(results['goals']))
    return '\n'.join(lines)


def plot(results, path):
    """Boot path, DHCP rates and render cost side by side (a panel only for what was measured)."""
    try:
        import matplotlib  # pylint: disable=import-outside-toplevel
    except ImportError:
        log('no matplotlib (bench/run installs bench/requirements.txt): no plot')
        return
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
    figure, (left, middle, right) = plt.subplots(1, 3, figsize=(16, 4.8))
    rows = results.get('boot_path', [])
    if rows:
        left.barh([r['path'] for r in rows], [r['mb_per_second'] for r in rows], color='tab:blue')
        left.set_xscale('log')
        left.set_xlabel('MB/s (log scale)')
        left.set_title('Boot path')
        left.invert_yaxis()
    rows = results.get('dhcp_bisect', []) + results.get('dhcp_database_bisect', [])
    if rows:
        middle.barh([f'{r["reservations"]:,} reservations{" (PostgreSQL)" if r.get("store") else ""}\n{r["exchange"]}'
                     for r in rows],
                    [r['rate_per_second'] or 0 for r in rows], color='tab:green')
        middle.set_xlabel('offered per second, at most 1 % dropped (bisected)')
        middle.set_title('Kea DHCPv4 (perfdhcp)')
        middle.invert_yaxis()
    cases = {}
    for row in results.get('render', []):
        cases.setdefault(row['case'], []).append((row['n'], row['seconds']))
    for case, points in cases.items():
        if len(points) > 1:
            right.loglog([p[0] for p in points], [p[1] for p in points], marker='o', label=case)
    if cases:
        right.set_xlabel('hosts')
        right.set_ylabel('seconds')
        right.set_title('Render cost (linear: slope 1)')
        right.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--output', default=os.path.join(TOP, '.cache', 'bench'))
    parser.add_argument('--clients', type=int, default=200)
    parser.add_argument('--keep', action='store_true', help='leave the bench containers running (the boot step is then skipped)')
    parser.add_argument('--reuse', action='store_true',
                        help='measure on the running bench containers (no destroy, create or prepare; left running; '
                             'the first converge is then not of a fresh server)')
    parser.add_argument('--no-boot', action='store_true', help='skip the VM boots of the molecule scenario "boot"')
    parser.add_argument('--boot-phases', metavar='FILE',
                        help='take the boot phases from this boot-phases.json of an earlier run of the scenario "boot" '
                             '(for example a test run of the same revision) instead of booting the VMs here')
    parser.add_argument('--skip', action='append', default=[], choices=STEPS, help='skip a step (repeatable)')
    parser.add_argument('--host-counts', type=int, nargs='*', default=list(HOST_COUNTS), help='install hosts (default: %(default)s)')
    parser.add_argument('--no-host-ip', dest='host_ip', action='store_false',
                        help='install hosts without a fixed address (by default each has one: a Kea reservation)')
    parser.add_argument('--host-timeout', type=int, default=HOST_TIMEOUT,
                        help='seconds one converge with install hosts may take before that step stops (default: %(default)s)')
    parser.add_argument('--reservations', type=int, nargs='*', default=list(RESERVATION_COUNTS),
                        help='reservation counts of the DHCP step (default: %(default)s)')
    args = parser.parse_args(argv)
    args.steps = [step for step in STEPS if step not in args.skip and not (step == 'boot' and args.no_boot)]
    return args


def measure(args, log_file, results):
    """The steps on the bench containers, each result stored in ``results`` as soon as it is there."""
    steps = args.steps
    results['converge'] = []
    if 'converge' in steps:
        results['converge'].append(converge('first run' + (' (running server)' if args.reuse else ' (fresh server)'),
                                            log_file, key='first'))
        results['converge'].append(converge('second run (nothing to change)', log_file, key='second'))
    interface = in_container(CLIENT, f'ip -o -4 addr show to {CLIENT_IP}').split()[1]
    server_interface = in_container(SERVER, f'ip -o -4 addr show to {SERVER_IP}').split()[1]
    if 'boot_path' in steps:
        results['boot_path'] = boot_path()
    if 'swarm' in steps:
        results['swarm'] = swarm(interface, args.clients)
    if 'dhcp' in steps:
        results['dhcp'], results['dhcp_bisect'], changes = dhcp_rates(log_file, server_interface, args.output, args.reservations)
        results['converge'] += changes
    if 'dhcp_database' in steps:
        count = max(args.reservations, default=RESERVATION_COUNTS[-1])
        doubling, results['dhcp_database_bisect'], changes, results['dhcp_database'] = dhcp_database(log_file, args.output, count)
        results['dhcp'] = results.get('dhcp', []) + doubling
        results['converge'] += changes
    if 'hosts' in steps:
        results['host_installs'] = host_installs(log_file, args.output, args.host_counts, args.host_ip, args.host_timeout)
    if 'render' in steps:
        results['render'] = render_cost(args.output)


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.output, exist_ok=True)
    log_file = os.path.join(args.output, 'bench.log')
    with open(log_file, 'w', encoding='utf-8'):
        pass
    # As molecule's configuration does for the scenarios: one SSH/exec round trip per task.
    os.environ['ANSIBLE_PIPELINING'] = 'true'
    log('ansible-playbook runs with ANSIBLE_PIPELINING=true')
    results = {'steps': args.steps}
    failed = None
    bench_steps = [step for step in args.steps if step != 'boot']
    if bench_steps:
        try:
            if not args.reuse:
                molecule('destroy', log_file)
                for action in ('create', 'prepare'):
                    molecule(action, log_file)
            measure(args, log_file, results)
        # Report what was measured, then fail.
        except Exception as exc:  # pylint: disable=broad-except
            failed = f'{type(exc).__name__}: {exc}'
            log(f'stopped: {failed}')
        finally:
            if not (args.keep or args.reuse):
                for action in ('cleanup', 'destroy'):
                    molecule(action, log_file)
    if 'boot' in args.steps:
        if bench_steps and (args.keep or args.reuse):
            log('boot: skipped, the bench containers are still running (--keep or --reuse); boot times need the CPU')
            results['boot'] = {'phases': {}, 'error': 'skipped: bench containers kept'}
        elif args.boot_phases:
            log(f'boot: phases from {args.boot_phases} (an earlier run of the scenario "boot")')
            results['boot'] = {'phases': read_phases(args.boot_phases), 'error': None, 'phases_file': args.boot_phases,
                               'from_earlier_run': True}
        else:
            results['boot'] = boot_scenario(log_file)
    results['goals'] = goals.all_goals(results)
    with open(os.path.join(args.output, 'results.json'), 'w', encoding='utf-8') as handle:
        json.dump(results, handle, indent=2)
    print(table(results))
    plot(results, os.path.join(args.output, 'bench.png'))
    log(f'results: {args.output}/results.json, plot: {args.output}/bench.png, log: {log_file}')
    if failed:
        log(f'incomplete: {failed}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
