"""Benchmarks of a netboot server in containers, side by side in one run on this machine.

Brings up the molecule scenario "bench" (a Debian 13 server and a client on an internal
network), then measures: converge cost, DHCP rates with perfdhcp, the boot path (HTTP and
TFTP against raw link throughput), 200 PXE clients at once, and render cost. Prints a table,
writes JSON and a PNG plot. Called by bench/run, which installs what it needs first.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import statistics
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIO = 'bench'
SERVER, CLIENT = 'netboot-server-bench', 'netboot-client-bench'
SERVER_IP, CLIENT_IP = '10.78.0.2', '10.78.0.3'
CONVERGE = os.path.join(TOP, 'extensions', 'molecule', 'utils', 'converge.yml')
BIG_FILE = 'bench/initrd-50M'
BIG_MB = 50
KERNEL = 'bench/kernel-8M'
RESERVATIONS = 10000


def log(message):
    print(f'[bench] {message}', file=sys.stderr, flush=True)


def run(command, log_file=None, check=True, **kwargs):
    """Run a command; its output goes to log_file (appended) and is returned."""
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    if log_file:
        with open(log_file, 'a', encoding='utf-8') as handle:
            handle.write(f'$ {" ".join(command)}\n{result.stdout}{result.stderr}\n')
    if check and result.returncode != 0:
        raise RuntimeError(f'{" ".join(command[:6])}... failed ({result.returncode}):\n'
                           f'{result.stdout[-2000:]}{result.stderr[-2000:]}')
    return result


def in_container(name, script, check=True):
    return run(['docker', 'exec', name, 'sh', '-c', script], check=check).stdout


def molecule(action, log_file):
    log(f'molecule {action}')
    run(['molecule', action, '-s', SCENARIO], log_file, cwd=TOP)


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


def converge(label, log_file, *extra):
    log(f'converge: {label}')
    start = time.monotonic()
    result = run(['ansible-playbook', '-i', inventory(), CONVERGE, *extra], log_file)
    return {'case': label, 'seconds': round(time.monotonic() - start, 2), **recap(result.stdout)}


def perfdhcp(label, two_way, seconds=5, rates=(1000, 2000, 4000, 8000, 16000)):
    """DHCP exchanges per second, the client acting as a relay to the server (unicast).

    Runs at rising offered rates; "sustained" is the best achieved rate with at most 1 %
    of the packets dropped, "overload" the achieved rate at the highest offered one.
    """
    mode = '-i' if two_way else ''
    runs = []
    for rate in rates:
        output = in_container(CLIENT, f'perfdhcp -4 {mode} -r {rate} -p {seconds} -R 10000 '
                                      f'-b mac=02:7e:00:00:00:00 -o 93,0000 {SERVER_IP} 2>&1', check=False)
        found = re.search(r'^Rate: ([0-9.]+)', output, re.MULTILINE)
        if not found:
            raise RuntimeError(f'perfdhcp printed no rate:\n{output[-2000:]}')
        sent = sum(int(n) for n in re.findall(r'sent packets: (\d+)', output))
        drops = sum(int(n) for n in re.findall(r'^drops: (\d+)', output, re.MULTILINE))
        runs.append({'offered': rate, 'achieved': float(found[1]), 'drop_ratio': round(drops / sent, 4) if sent else 1.0})
    sustained = max((r['achieved'] for r in runs if r['drop_ratio'] <= 0.01), default=0.0)
    return {'config': label, 'exchange': 'DISCOVER/OFFER' if two_way else 'DORA',
            'rate_per_second': sustained, 'overload_rate_per_second': runs[-1]['achieved'], 'runs': runs}


MINIMAL_KEA = {
    'Dhcp4': {
        'interfaces-config': {'interfaces': ['IFACE']},
        'control-socket': {'socket-type': 'unix', 'socket-name': '/run/kea/kea4-ctrl-socket'},
        'lease-database': {'type': 'memfile', 'persist': True, 'name': '/var/lib/kea/kea-leases4.csv'},
        'valid-lifetime': 3600,
        'subnet4': [{'id': 1, 'subnet': '10.78.0.0/16', 'pools': [{'pool': '10.78.128.0 - 10.78.255.254'}]}],
    },
}


def dhcp_rates(log_file, interface):
    results = [perfdhcp('generated PXE classes', True), perfdhcp('generated PXE classes', False)]
    log('DHCP: minimal configuration')
    minimal = json.dumps(MINIMAL_KEA).replace('IFACE', interface)
    in_container(SERVER, f"cp /etc/kea/kea-dhcp4.conf /tmp/kea-generated.conf && echo '{minimal}' > /etc/kea/kea-dhcp4.conf"
                         ' && kea-dhcp4 -t /etc/kea/kea-dhcp4.conf >/dev/null && systemctl restart kea-dhcp4-server && sleep 2')
    results += [perfdhcp('minimal', True), perfdhcp('minimal', False)]
    in_container(SERVER, 'cp /tmp/kea-generated.conf /etc/kea/kea-dhcp4.conf && systemctl restart kea-dhcp4-server && sleep 2')
    path = os.path.join(TOP, '.cache', 'bench', 'reservations.json')
    hosts = [{'hw-address': '02:7f:%02x:%02x:%02x:%02x' % (0, 0, n // 256, n % 256),
              'ip-address': f'10.78.{1 + n // 250}.{1 + n % 250}'} for n in range(RESERVATIONS)]
    with open(path, 'w', encoding='utf-8') as handle:
        json.dump({'netboot_reservations': hosts}, handle)
    step = converge(f'with {RESERVATIONS:,} reservations (config change)', log_file, '-e', f'@{path}')
    results += [perfdhcp(f'PXE classes + {RESERVATIONS:,} reservations', True),
                perfdhcp(f'PXE classes + {RESERVATIONS:,} reservations', False)]
    return results, step


def median_of(count, measure):
    values = [measure() for _run in range(count)]
    return statistics.median(values)


def curl_seconds(url, options='', repeat=1):
    """Seconds per fetch of the big file, over ``repeat`` fetches in one curl run."""
    targets = ' '.join([f'-o /dev/null {url}'] * repeat)
    output = in_container(CLIENT, f"curl -s {options} -w '%{{time_total}} %{{size_download}}\\n' {targets}")
    transfers = [line.split() for line in output.splitlines() if line.strip()]
    if len(transfers) != repeat or any(int(float(size)) != BIG_MB * 1024 * 1024 for _seconds, size in transfers):
        raise RuntimeError(f'{url}: got {output!r}')
    return sum(float(seconds) for seconds, _size in transfers) / repeat


def boot_path():
    in_container(SERVER, f'mkdir -p /srv/netboot/bench /srv/tftp/bench && head -c {BIG_MB}M /dev/urandom > /srv/netboot/{BIG_FILE}'
                         f' && cp /srv/netboot/{BIG_FILE} /srv/tftp/{BIG_FILE}'
                         f' && head -c 8M /dev/urandom > /srv/netboot/{KERNEL}')
    in_container(SERVER, 'pkill iperf3; iperf3 -s -D -B ' + SERVER_IP, check=False)
    time.sleep(1)

    def iperf():
        report = json.loads(in_container(CLIENT, f'iperf3 -c {SERVER_IP} -t 3 -J'))
        return report['end']['sum_received']['bits_per_second'] / 8 / 1e6

    rows = [{'path': 'raw TCP link (iperf3)', 'mb_per_second': round(median_of(3, iperf), 1)}]
    # HTTP is fast enough here that one 50 MB fetch is over in milliseconds: time 20 in a row.
    for label, url, options, repeat in [
            ('HTTP (nginx)', f'http://{SERVER_IP}/{BIG_FILE}', '', 20),
            ('TFTP, block size 512 (RFC default)', f'tftp://{SERVER_IP}/{BIG_FILE}', '--tftp-blksize 512', 1),
            ('TFTP, block size 1468 (one Ethernet frame)', f'tftp://{SERVER_IP}/{BIG_FILE}', '--tftp-blksize 1468', 1)]:
        log(f'boot path: {label}')
        seconds = median_of(3, lambda: curl_seconds(url, options, repeat))
        rows.append({'path': label, 'seconds': round(seconds, 2), 'mb_per_second': round(BIG_MB * 1.048576 / seconds, 1)})
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


def table(results):
    lines = ['', 'Converge (site.yml against the bench server)', f'{"run":52} {"seconds":>8} {"tasks ok":>9} {"changed":>8}']
    lines += [f'{r["case"]:52} {r["seconds"]:8.1f} {r["ok"]:9d} {r["changed"]:8d}' for r in results['converge']]
    lines += ['', f'Boot path ({BIG_MB} MB file, client container to server container)',
              f'{"path":52} {"MB/s":>8} {"of link":>8}']
    lines += [f'{r["path"]:52} {r["mb_per_second"]:8.1f} {r["share_of_link"]:8.1%}' for r in results['boot_path']]
    lines += ['', 'DHCP (perfdhcp, the client relaying; 5 s per offered rate of 1,000 to 16,000 per second)',
              f'{"configuration":40} {"exchange":15} {"sustained/s":>12} {"overloaded/s":>13}']
    lines += [f'{r["config"]:40} {r["exchange"]:15} {r["rate_per_second"]:12.0f} {r["overload_rate_per_second"]:13.0f}'
              for r in results['dhcp']]
    s = results['swarm']
    lines += ['', f'{s["clients"]} PXE clients at once (DHCP, TFTP of the iPXE binary, HTTP of boot.ipxe and an 8 MB kernel)',
              f'completed {s["http_ok"]}, failed {s["failures"]}, DHCP done after {s["dhcp_seconds"]} s, all done after '
              f'{s["total_seconds"]} s (median client {s["completion_p50_seconds"]} s, 95th percentile {s["completion_p95_seconds"]} s)']
    lines += ['', 'Render cost', f'{"case":52} {"n":>7} {"seconds":>9} {"us/item":>9}']
    lines += [f'{r["case"]:52} {r["n"]:7d} {r["seconds"]:9.4f} {r["per_item_us"]:9.1f}' for r in results['render']]
    return '\n'.join(lines)


def plot(results, path):
    import matplotlib  # pylint: disable=import-outside-toplevel
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
    figure, (left, middle, right) = plt.subplots(1, 3, figsize=(16, 4.8))
    rows = results['boot_path']
    left.barh([r['path'] for r in rows], [r['mb_per_second'] for r in rows], color='tab:blue')
    left.set_xscale('log')
    left.set_xlabel('MB/s (log scale)')
    left.set_title(f'Boot path, {BIG_MB} MB file')
    left.invert_yaxis()
    rows = results['dhcp']
    middle.barh([f'{r["config"]}\n{r["exchange"]}' for r in rows], [r['rate_per_second'] for r in rows], color='tab:green')
    middle.set_xlabel('exchanges per second, at most 1 % dropped')
    middle.set_title('Kea DHCPv4 (perfdhcp)')
    middle.invert_yaxis()
    cases = {}
    for row in results['render']:
        cases.setdefault(row['case'], []).append((row['n'], row['seconds']))
    for case, points in cases.items():
        if len(points) > 1:
            right.loglog([p[0] for p in points], [p[1] for p in points], marker='o', label=case)
    right.set_xlabel('hosts')
    right.set_ylabel('seconds')
    right.set_title('Render cost (linear: slope 1)')
    right.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--output', default=os.path.join(TOP, '.cache', 'bench'))
    parser.add_argument('--clients', type=int, default=200)
    parser.add_argument('--keep', action='store_true', help='leave the containers running')
    args = parser.parse_args()
    os.makedirs(args.output, exist_ok=True)
    log_file = os.path.join(args.output, 'bench.log')
    with open(log_file, 'w', encoding='utf-8'):
        pass
    results = {}
    molecule('destroy', log_file)
    try:
        for action in ('create', 'prepare'):
            molecule(action, log_file)
        first = converge('first run (fresh server)', log_file)
        second = converge('second run (nothing to change)', log_file)
        interface = in_container(CLIENT, f'ip -o -4 addr show to {CLIENT_IP}').split()[1]
        server_interface = in_container(SERVER, f'ip -o -4 addr show to {SERVER_IP}').split()[1]
        results['boot_path'] = boot_path()
        results['swarm'] = swarm(interface, args.clients)
        results['dhcp'], third = dhcp_rates(log_file, server_interface)
        results['converge'] = [first, second, third]
        results['render'] = render_cost(args.output)
    finally:
        if not args.keep:
            for action in ('cleanup', 'destroy'):
                molecule(action, log_file)
    with open(os.path.join(args.output, 'results.json'), 'w', encoding='utf-8') as handle:
        json.dump(results, handle, indent=2)
    print(table(results))
    plot(results, os.path.join(args.output, 'bench.png'))
    log(f'results: {args.output}/results.json, plot: {args.output}/bench.png, log: {log_file}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
