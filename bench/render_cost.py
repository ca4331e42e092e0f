# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""How the collection's pure logic and templates scale with the number of hosts and menu items.

A benchmark, not a test: it checks nothing and prints a table of the best time of each case
(and, with --json, writes the figures). The cases run the collection's own code:

  subnet_problems  the kea_dhcp4 plan: one /16 subnet with N reservations (hw-address and
                   ip-address outside the pool), through _dhcp.subnets.subnet_problems.
  kea_conf         the Kea DHCPv4 file the kea_config module writes: _kea.config.dhcp4_config on
                   the role's defaults/main.yml with N reservations (PXE classes included), then
                   _kea.apply.render (fingerprint and JSON text).
  host_scripts     the ipxe role's per-host scripts: for each of N hosts with os: debian-13 from the
                   built-in catalog, _boot.catalog.host_items then _boot.ipxe.render_menu.
  menu             render_menu with N boot items.
  menu+catalog     render_menu with N boot items, a gap and the whole built-in catalog enabled.
  catalog          merge_layers and menu_items of the whole built-in catalog, enabled (N = entries).

"growth" is time(N) / time(previous N) of the same case; a ratio above twice the step in N
(above 20x for 10x more) is flagged SUPERLINEAR. The garbage collector stays on, as in a real run.

Run from anywhere:  .cache/venv/bin/python bench/render_cost.py [--json PATH]
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, '.cache', 'collections'))

# pylint: disable=wrong-import-position
from ansible.parsing.dataloader import DataLoader  # noqa: E402

from ansible_collections.netboot.pxe.plugins.module_utils._boot.catalog import (  # noqa: E402
    host_items,
    menu_items,
    merge_layers,
)
from ansible_collections.netboot.pxe.plugins.module_utils._boot.ipxe import render_menu  # noqa: E402
from ansible_collections.netboot.pxe.plugins.module_utils._dhcp.subnets import subnet_problems  # noqa: E402
from ansible_collections.netboot.pxe.plugins.module_utils._kea.apply import render as render_kea_file  # noqa: E402
from ansible_collections.netboot.pxe.plugins.module_utils._kea.config import dhcp4_config  # noqa: E402
from ansible_collections.netboot.pxe.plugins.module_utils._kea.variables import VARIABLES  # noqa: E402
# pylint: enable=wrong-import-position

HOST_COUNTS = (10, 1000, 10000)
MENU_SIZES = (50, 500, 5000)
SUBNET = '10.20.0.0/16'
POOL = '10.20.255.0 - 10.20.255.199'
FIRST_RESERVED = ipaddress.IPv4Address('10.20.0.10')
SERVER = '10.20.0.2'
BASE_URL = f'http://{SERVER}'
HOST_OS = 'debian-13'
KEA_ROLE = os.path.join(REPO, 'roles', 'kea_dhcp4')
IPXE_VARS = os.path.join(REPO, 'roles', 'ipxe', 'vars', 'main', 'catalog.yml')
MIN_BATCH_SECONDS = 0.05  # a batch of calls at least this long, so that timer resolution does not matter
REPEATS = 3
SUPERLINEAR_FACTOR = 2.0  # growth above this times the step in N is flagged


def progress(message):
    print(message, file=sys.stderr, flush=True)


def best_seconds(call, budget):
    """Best time of one call: batches of calls (autoranged) repeated up to REPEATS times within ``budget``."""
    started = time.perf_counter()
    number = 1
    while True:
        begin = time.perf_counter()
        for _repeat in range(number):
            call()
        batch = time.perf_counter() - begin
        if batch >= MIN_BATCH_SECONDS or time.perf_counter() - started + batch * 10 > budget:
            break
        number *= 10
    times = [batch / number]
    while len(times) < REPEATS and time.perf_counter() - started + batch <= budget:
        begin = time.perf_counter()
        for _repeat in range(number):
            call()
        batch = time.perf_counter() - begin
        times.append(batch / number)
    return min(times)


# Inputs -------------------------------------------------------------------------------------------

def mac(index):
    return f'52:54:00:{(index >> 16) & 255:02x}:{(index >> 8) & 255:02x}:{index & 255:02x}'


def kea_subnets(hosts):
    """kea_dhcp4_subnets: one /16 with a pool and ``hosts`` reservations outside it."""
    reservations = [{'hw-address': mac(index), 'ip-address': str(FIRST_RESERVED + index)} for index in range(hosts)]
    return [{'id': 1, 'subnet': SUBNET, 'pools': [{'pool': POOL}],
             'option-data': [{'name': 'routers', 'data': '10.20.0.1'}], 'reservations': reservations}]


def kea_variables(loader, subnets):
    """The role's variables as its tasks/plan.yml passes them to kea_dhcp4_config: defaults and the inventory's settings."""
    defaults = loader.load_from_file(os.path.join(KEA_ROLE, 'defaults', 'main.yml'))
    variables = {name: defaults[name] for name in VARIABLES}
    variables.update(
        kea_dhcp4_interfaces=['eth1'],
        kea_dhcp4_subnets=subnets,
        kea_dhcp4_pxe_next_server=SERVER,
        kea_dhcp4_pxe_ipxe_script_url=f'{BASE_URL}/boot.ipxe',
    )
    return variables


def ipxe_builtins(loader):
    """(built-in catalog entries, built-in mirrors) from roles/ipxe/vars/main/catalog.yml."""
    data = loader.load_from_file(IPXE_VARS)
    return data['__ipxe_os_builtin_entries'], dict(data['__ipxe_os_builtin_mirrors'])


def catalog(builtin, enabled):
    """The merged catalog with the built-in entries named in ``enabled`` turned on."""
    return merge_layers([('built-in catalog', builtin),
                         ('ipxe_os_entries', [{'name': name, 'enabled': True} for name in enabled])])


def boot_items(count):
    return [{'key': f'tool-{index:05d}', 'label': f'Tool {index}', 'kernel': f'tools/{index}/vmlinuz',
             'initrd': [f'tools/{index}/initrd.img'], 'args': 'ip=dhcp console=ttyS0,115200'}
            for index in range(count)]


# Cases: each returns a function of no arguments that does the work once -------------------------

def check_subnets_case(hosts):
    subnets = kea_subnets(hosts)
    problems = subnet_problems(subnets, name='kea_dhcp4_subnets')
    if problems:
        raise SystemExit(f'the generated subnets are not valid input: {problems[:3]}')
    return lambda: subnet_problems(subnets, name='kea_dhcp4_subnets', pxe=True)


def kea_conf_case(loader, hosts):
    variables = kea_variables(loader, kea_subnets(hosts))
    platform = {'ha_channel': 'listener', 'hooks_directory': '/usr/lib/x86_64-linux-gnu/kea/hooks'}

    def render():
        return render_kea_file(dhcp4_config(variables, platform))[0]

    config = json.loads(render().split('\n', 1)[1])  # after the comment header
    if len(config['Dhcp4']['subnet4'][0]['reservations']) != hosts:
        raise SystemExit('the rendered Kea configuration does not have the reservations')
    return render


def host_scripts_case(builtin, mirrors, hosts):
    merged = catalog(builtin, [HOST_OS])
    macs = [mac(index) for index in range(hosts)]

    def render():
        scripts = {}
        for index, address in enumerate(macs):
            key = address.lower().replace(':', '-')
            items = host_items(merged, HOST_OS, f'{BASE_URL}/answers/{key}/preseed.cfg', mirrors=mirrors,
                               name=f'ipxe_hosts[{index}].os')
            scripts[key] = render_menu(items, title='Network boot', timeout=1, base_url=BASE_URL,
                                       name=f'ipxe_hosts[{index}].items')
        return scripts

    return render


def menu_case(items):
    return lambda: render_menu(items, title='Network boot', timeout=10, base_url=BASE_URL, name='ipxe_menu_items')


def catalog_items(builtin, mirrors):
    merged = catalog(builtin, [entry['name'] for entry in builtin])
    return menu_items(merged, mirrors=mirrors)


def cases(loader, hosts, menu_sizes):
    """Yield (case name, N, per-item count, function to time), building each input only when reached."""
    builtin, mirrors = ipxe_builtins(loader)
    for count in hosts:
        yield 'subnet_problems', count, count, lambda count=count: check_subnets_case(count)
    for count in hosts:
        yield 'kea_conf', count, count, lambda count=count: kea_conf_case(loader, count)
    for count in hosts:
        yield 'host_scripts', count, count, lambda count=count: host_scripts_case(builtin, mirrors, count)
    yield 'catalog', len(builtin), len(builtin), lambda: lambda: catalog_items(builtin, mirrors)
    os_items = [{'type': 'gap', 'label': 'Install an operating system'}] + catalog_items(builtin, mirrors)
    for count in menu_sizes:
        yield 'menu', count, count, lambda count=count: menu_case(boot_items(count))
    for count in menu_sizes:
        yield 'menu+catalog', count, count + len(os_items), lambda count=count: menu_case(boot_items(count) + os_items)


# Report -------------------------------------------------------------------------------------------

def growth(rows):
    """Per row: (ratio to the previous N of the same case, step in N, superlinear?) or None."""
    result = []
    previous = {}
    for row in rows:
        before = previous.get(row['case'])
        if before is None or before['seconds'] <= 0:
            result.append(None)
        else:
            ratio = row['seconds'] / before['seconds']
            step = row['n'] / before['n']
            result.append((ratio, step, ratio > SUPERLINEAR_FACTOR * step))
        previous[row['case']] = row
    return result


def table(rows):
    lines = [f"{'case':<16} {'N':>7} {'seconds':>11} {'us/item':>10}  growth"]
    flagged = []
    for row, grew in zip(rows, growth(rows)):
        text = ''
        if grew:
            ratio, step, superlinear = grew
            text = f'{ratio:6.1f}x for {step:g}x' + ('  SUPERLINEAR' if superlinear else '')
            if superlinear:
                flagged.append(f"{row['case']} at N={row['n']}: {ratio:.1f}x for {step:g}x more")
        lines.append(f"{row['case']:<16} {row['n']:>7} {row['seconds']:>11.6f} {row['per_item_us']:>10.1f}  {text}")
    lines.append('')
    lines.append('superlinear: ' + ('; '.join(flagged) if flagged else 'none (every 10x step took at most 20x the time)'))
    return '\n'.join(lines)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--json', metavar='PATH', help='also write the figures to PATH as JSON')
    parser.add_argument('--hosts', type=int, nargs='+', default=list(HOST_COUNTS), help='host counts (default: %(default)s)')
    parser.add_argument('--menu-items', type=int, nargs='+', default=list(MENU_SIZES),
                        help='boot item counts for the menu cases (default: %(default)s)')
    parser.add_argument('--budget', type=float, default=2.0,
                        help='seconds to spend repeating one case; a case always runs at least once (default: %(default)s)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    loader = DataLoader()
    rows = []
    started = time.perf_counter()
    for name, count, items, build in cases(loader, args.hosts, args.menu_items):
        progress(f'{name} N={count} ...')
        seconds = best_seconds(build(), args.budget)
        rows.append({'case': name, 'n': count, 'seconds': seconds, 'per_item_us': seconds / items * 1e6})
    progress(f'done in {time.perf_counter() - started:.1f} s')
    print(table(rows))
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as handle:
            json.dump({'render': rows}, handle, indent=2)
            handle.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
