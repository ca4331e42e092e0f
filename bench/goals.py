"""The performance goals computed from bench/run.py's results: pure functions, no I/O.

Each goal is a row: what is measured, against what (a peer measurement or a fixed limit), the
ratio measured/peer and whether the target ratio is met.  A measurement that is missing (a
step skipped or failed, a machine the boot scenario did not boot) gives "not measured".
"""

from __future__ import annotations

# Ratio of the per-host cost at the larger count to the one at the smaller count under
# which converge time is called linear in the number of hosts.
LINEAR_SLACK = 1.5
HOST_LIMITS = ((1000, 2.0), (10000, 5.0))
RESERVATION_COUNTS = (0, 10000, 100000)
EXCHANGES = ('DISCOVER/OFFER', 'DORA')
# name in boot-phases.json: (label, limit in seconds from power-on to the kernel)
BOOT_LIMITS = (
    ('uefi', 'UEFI (OVMF), PXE: power-on -> kernel', 13.0),
    ('bios', 'BIOS (SeaBIOS + iPXE ROM): power-on -> kernel', 5.0),
    ('biospxe', 'BIOS, plain PXE (undionly.kpxe): power-on -> kernel', 5.0),
)
UEFI_HTTP = 'uefi-http'
# Serial-console phases of boot-phases.json, in boot order (the firmware's until "dhcp").
PHASES = ('dhcp', 'tftp', 'ipxe_start', 'http', 'kernel_start', 'marker')


def goal(name, measured, peer, *, unit='', target=None, op='<=', target_text='', peer_text='', note='', at_least=False):
    """One goal row; ``ratio`` is measured/peer, met when ``ratio op target`` (no target: only reported).
    ``at_least``: the measurement was stopped (a timeout), the true figure is higher."""
    ratio = measured / peer if measured is not None and peer else None
    if measured is None or (peer is None and target is not None):
        reached = 'not measured'
    elif target is None:
        reached = '-'
    elif op == '<=':
        reached = 'yes' if ratio <= target else 'no'
    else:
        reached = 'yes' if ratio >= target else 'no'
    return {'goal': name, 'target': target_text, 'measured': measured, 'unit': unit, 'at_least': at_least,
            'ratio': None if ratio is None else round(ratio, 3), 'reached': reached, 'peer': peer_text, 'note': note}


def figure(value, unit):
    """A measured value for the table: '24.1 s', '5,120 /s', '2,873 MB/s'."""
    if value is None:
        return '-'
    if isinstance(value, int) and not isinstance(value, bool) and unit != 's':
        return f'{value:,} {unit}'.strip()
    if unit == 's':
        return f'{value:.1f} s'
    if abs(value) >= 100:
        return f'{value:,.0f} {unit}'.strip()
    return f'{value:.2f} {unit}'.strip()


def _converge(results, key):
    return next((row for row in results.get('converge', []) if row.get('key') == key), None)


def idempotence_goals(results):
    first, second = _converge(results, 'first'), _converge(results, 'second')
    peer = first and first['seconds']
    return [goal('1. Idempotent re-run', second and second['seconds'], peer, unit='s', target=1 / 3,
                 target_text='<= 1/3 of the first converge', peer_text=f'first converge {figure(peer, "s")}')]


def _host_run(runs, hosts, run):
    return next((row for row in runs if row['hosts'] == hosts and row['run'] == run), None)


def per_host_ms(runs, hosts, run='rerun'):
    """Milliseconds of converge per host: (time with ``hosts`` - time with none) / hosts."""
    none, row = _host_run(runs, 0, 'rerun'), _host_run(runs, hosts, run)
    if not none or not row or row.get('timed_out') or not hosts:
        return None
    return round((row['seconds'] - none['seconds']) * 1000 / hosts, 2)


def linearity(runs, run='rerun'):
    """'linear' when the per-host cost at the largest count is within LINEAR_SLACK of the one at the smallest."""
    counts = sorted({row['hosts'] for row in runs if row['hosts'] and per_host_ms(runs, row['hosts'], run) is not None})
    if len(counts) < 2:
        return None
    small, large = per_host_ms(runs, counts[0], run), per_host_ms(runs, counts[-1], run)
    if small <= 0:
        return 'no per-host cost at the smaller count'
    growth = large / small
    verdict = 'linear' if growth <= LINEAR_SLACK else 'superlinear'
    return f'{verdict} (per-host cost x{growth:.2f} from {counts[0]:,} to {counts[-1]:,})'


def host_install_goals(results):
    """Goal 2: converge with N unattended-install hosts against the re-run with none (catalog entry on)."""
    runs = results.get('host_installs', {}).get('runs', [])
    none = _host_run(runs, 0, 'rerun')
    peer = none and none['seconds']
    rows = []
    for hosts, limit in HOST_LIMITS:
        for run, what in (('rerun', 're-run'), ('first', 'first converge')):
            row = _host_run(runs, hosts, run)
            measured = row and row['seconds']
            note = ''
            if row and row.get('timed_out'):
                note = f'stopped after {row["seconds"]:.0f} s (timeout): at least this long'
            elif run == 'rerun':
                cost = per_host_ms(runs, hosts)
                note = '' if cost is None else f'{cost} ms per host'
            rows.append(goal(f'2. {hosts:,} install hosts, {what}', measured, peer, unit='s', target=limit,
                             target_text=f'<= {limit:g}x none', peer_text=f'none (re-run) {figure(peer, "s")}', note=note,
                             at_least=bool(row and row.get('timed_out'))))
    shape = linearity(runs)
    if rows and shape:
        rows[-1]['note'] = '; '.join(filter(None, (rows[-1]['note'], shape)))
    return rows


def _path(results, key):
    return next((row for row in results.get('boot_path', []) if row.get('key') == key), None)


def http_goals(results):
    raw = _path(results, 'raw')
    peer = raw and raw['mb_per_second']
    rows = []
    for key, what in (('http-kernel', 'kernel (8 MB)'), ('http', 'initrd (50 MB)'), ('http-image', 'OS image (256 MB)')):
        row = _path(results, key)
        rows.append(goal(f'3. HTTP, {what}', row and row['mb_per_second'], peer, unit='MB/s', target=0.8, op='>=',
                         target_text='>= 80 % of raw TCP', peer_text=f'raw TCP (iperf3) {figure(peer, "MB/s")}'))
    return rows


def _rate(results, reservations, exchange):
    row = next((row for row in results.get('dhcp_bisect', [])
                if row['reservations'] == reservations and row['exchange'] == exchange), None)
    return row and row['rate_per_second']


def dhcp_goals(results):
    """Goal 4: Kea's highest rate with <= 1 % drops, by bisection; no fixed target, ratios against 0 reservations."""
    rows = []
    for exchange in EXCHANGES:
        zero = _rate(results, 0, exchange)
        for count in RESERVATION_COUNTS:
            measured = _rate(results, count, exchange)
            if count == 0:
                rows.append(goal(f'4. Kea {exchange}, no reservations', measured, None, unit='/s',
                                 target_text='report (<= 1 % drops)', peer_text='-'))
            else:
                rows.append(goal(f'4. Kea {exchange}, {count:,} reservations', measured, zero, unit='/s',
                                 target_text=f'report: ratio {count // 1000}k/0',
                                 peer_text=f'no reservations {figure(zero, "/s")}'))
    return rows


def _database_rate(results, exchange):
    """(reservations, bisected rate) of the reservations in PostgreSQL; the count defaults to the largest of RESERVATION_COUNTS."""
    row = next((row for row in results.get('dhcp_database_bisect', []) if row['exchange'] == exchange), None)
    return (row['reservations'], row['rate_per_second']) if row else (RESERVATION_COUNTS[-1], None)


def dhcp_database_goals(results):
    """Goal 4 with the reservations in PostgreSQL (kea_dhcp4_hosts_database): each exchange against the
    same count in the JSON file (no fixed target, only reported); and Kea's reloads when one
    reservation changed, which should be none (the rows change, Kea reads them per client)."""
    rows = []
    for exchange in EXCHANGES:
        count, measured = _database_rate(results, exchange)
        peer = _rate(results, count, exchange)
        rows.append(goal(f'4. Kea {exchange}, {count:,} reservations in PostgreSQL', measured, peer, unit='/s',
                         target_text='report: against the JSON file',
                         peer_text=f'{count:,} in the JSON file {figure(peer, "/s")}'))
    check = results.get('dhcp_database') or {}
    reloads = check.get('reloads')
    if reloads is not None and check.get('restarted'):
        reloads += 1
    count = check.get('reservations', RESERVATION_COUNTS[-1])
    note = '' if reloads is None else ('Kea restarted, counted as a reload; ' if check.get('restarted') else '') + (
        'the row changed' if check.get('row_changed') else f'the row did not change ({check.get("address_in_row")})')
    # Reloads per changed reservation, at most 0.
    rows.append(goal(f'4. One of {count:,} PostgreSQL reservations changed: reloads', reloads, 1, unit='', target=0,
                     target_text='0 (rows change, no reload)', peer_text='1 reservation changed', note=note))
    return rows


def _kernel(phases, name):
    return (phases.get(name) or {}).get('kernel_start')


def boot_goals(phases):
    """Goal 5 from boot-phases.json ({machine: {phase: seconds from power-on}}); missing machine: not measured."""
    phases = phases or {}
    rows = [goal(f'5. {label}', _kernel(phases, name), limit, unit='s', target=1.0,
                 target_text=f'<= {limit:g} s', peer_text=f'limit {limit:g} s') for name, label, limit in BOOT_LIMITS]
    pxe = _kernel(phases, 'uefi')
    rows.append(goal('5. UEFI HTTP boot: power-on -> kernel', _kernel(phases, UEFI_HTTP), pxe, unit='s',
                     target_text='report: against UEFI PXE', peer_text=f'UEFI PXE {figure(pxe, "s")}'))
    return rows


def phase_split(times):
    """The firmware's own time (power-on -> its DHCP) and the rest up to the kernel (server-controlled:
    DHCP, TFTP, iPXE, HTTP), with the steps in the order they happened; None where not measured."""
    times = times or {}
    firmware, kernel = times.get('dhcp'), times.get('kernel_start')
    seen = sorted(((seconds, PHASES.index(phase), phase) for phase, seconds in times.items()
                   if phase in PHASES and seconds is not None))
    return {'firmware_s': firmware, 'server_s': None if firmware is None or kernel is None else round(kernel - firmware, 1),
            'kernel_s': kernel, 'steps': ' -> '.join(f'{phase} {seconds:g}' for seconds, _order, phase in seen)}


def boot_phase_rows(phases):
    """One row per machine of boot-phases.json, the goal machines first."""
    phases = phases or {}
    names = [name for name, _label, _limit in BOOT_LIMITS] + [UEFI_HTTP]
    names += sorted(name for name in phases if name not in names)
    return [{'machine': name, **phase_split(phases.get(name))} for name in names]


def all_goals(results):
    return (idempotence_goals(results) + host_install_goals(results) + http_goals(results) + dhcp_goals(results)
            + dhcp_database_goals(results) + boot_goals((results.get('boot') or {}).get('phases')))


def next_rate(probes, tolerance=0.05):
    """The next offered rate to probe, or None when the bracket is narrow enough.

    ``probes`` are (offered rate, passed) pairs.  The bracket is the highest passing rate under
    the lowest failing one; without a failing rate the next probe doubles the best pass, without
    a passing one it halves the lowest failure.  Done when failing/passing <= 1 + tolerance.
    """
    fails = [rate for rate, passed in probes if not passed]
    high = min(fails) if fails else None
    passes = [rate for rate, passed in probes if passed and (high is None or rate < high)]
    low = max(passes) if passes else None
    if low is None and high is None:
        return None
    if high is None:
        return low * 2
    if low is None:
        return max(1, high // 2) if high > 1 else None
    if high <= low * (1 + tolerance):
        return None
    return (low + high) // 2


def bracket(probes):
    """(highest passing rate under the lowest failing one, lowest failing rate); None where there is none."""
    fails = [rate for rate, passed in probes if not passed]
    high = min(fails) if fails else None
    passes = [rate for rate, passed in probes if passed and (high is None or rate < high)]
    return (max(passes) if passes else None), high


def format_goals(rows):
    head = f'{"goal":58} {"target":30} {"measured":>12} {"ratio":>7} {"reached":>12}  peer / limit'
    lines = ['', 'Goals', head]
    for row in rows:
        bound = '>' if row.get('at_least') else ''
        ratio = '-' if row['ratio'] is None else f'{bound}{row["ratio"]:.2f}'
        measured = bound + figure(row['measured'], row['unit'])
        line = (f'{row["goal"]:58} {row["target"]:30} {measured:>12} {ratio:>7} '
                f'{row["reached"]:>12}  {row["peer"]}')
        lines.append(line + (f'  [{row["note"]}]' if row['note'] else ''))
    return '\n'.join(lines)


def format_phases(rows):
    lines = ['', 'Boot phases (seconds from power-on; firmware = its own time before its DHCP, the rest is the server\'s part)',
             f'{"machine":12} {"firmware":>9} {"DHCP->kernel":>13} {"kernel":>7}  steps']
    for row in rows:
        lines.append(f'{row["machine"]:12} {figure(row["firmware_s"], "s"):>9} {figure(row["server_s"], "s"):>13} '
                     f'{figure(row["kernel_s"], "s"):>7}  {row["steps"] or "not measured"}')
    return '\n'.join(lines)
