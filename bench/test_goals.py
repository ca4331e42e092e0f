"""Unit tests of bench/goals.py (pure): python -m pytest bench/"""

import json

import pytest

import goals

# A boot-phases.json as the boot scenario writes it (uefi-http left out: "not measured").
PHASES = json.loads('''{
  "bios": {"dhcp": 2.2, "http": 2.3, "ipxe_start": 0.2, "kernel_start": 6.3, "marker": 7.8, "tftp": null},
  "biospxe": {"dhcp": 4.0, "http": 13.0, "ipxe_start": 0.9, "kernel_start": 36.0, "marker": 37.5, "tftp": 4.1},
  "uefi": {"dhcp": 7.6, "http": 17.8, "ipxe_start": 11.6, "kernel_start": 12.4, "marker": 23.3, "tftp": 11.6}
}''')

RESULTS = {
    'converge': [{'key': 'first', 'seconds': 90.0}, {'key': 'second', 'seconds': 21.0}],
    'host_installs': {'runs': [
        {'hosts': 0, 'run': 'first', 'seconds': 22.0}, {'hosts': 0, 'run': 'rerun', 'seconds': 20.0},
        {'hosts': 1000, 'run': 'first', 'seconds': 50.0}, {'hosts': 1000, 'run': 'rerun', 'seconds': 30.0},
        {'hosts': 10000, 'run': 'first', 'seconds': 600.0, 'timed_out': True}]},
    'boot_path': [{'key': 'raw', 'mb_per_second': 1000.0}, {'key': 'http', 'mb_per_second': 850.0},
                  {'key': 'http-kernel', 'mb_per_second': 700.0}, {'key': 'http-image', 'mb_per_second': 900.0}],
    'dhcp_bisect': [{'reservations': 0, 'exchange': 'DORA', 'rate_per_second': 4000},
                    {'reservations': 10000, 'exchange': 'DORA', 'rate_per_second': 3000}],
    'boot': {'phases': PHASES},
}


def by_goal(rows):
    return {row['goal']: row for row in rows}


@pytest.mark.parametrize('name, ratio, reached', [
    ('1. Idempotent re-run', 0.233, 'yes'),
    ('2. 1,000 install hosts, re-run', 1.5, 'yes'),
    ('2. 1,000 install hosts, first converge', 2.5, 'no'),
    ('2. 10,000 install hosts, re-run', None, 'not measured'),
    ('2. 10,000 install hosts, first converge', 30.0, 'no'),
    ('3. HTTP, initrd (50 MB)', 0.85, 'yes'),
    ('3. HTTP, kernel (8 MB)', 0.7, 'no'),
    ('3. HTTP, OS image (256 MB)', 0.9, 'yes'),
    ('4. Kea DORA, no reservations', None, '-'),
    ('4. Kea DORA, 10,000 reservations', 0.75, '-'),
    ('4. Kea DORA, 100,000 reservations', None, 'not measured'),
    ('4. Kea DISCOVER/OFFER, 10,000 reservations', None, 'not measured'),
    ('5. UEFI (OVMF), PXE: power-on -> kernel', 0.954, 'yes'),
    ('5. BIOS (SeaBIOS + iPXE ROM): power-on -> kernel', 1.26, 'no'),
    ('5. BIOS, plain PXE (undionly.kpxe): power-on -> kernel', 7.2, 'no'),
    ('5. UEFI HTTP boot: power-on -> kernel', None, 'not measured'),
])
def test_goal_rows(name, ratio, reached):
    row = by_goal(goals.all_goals(RESULTS))[name]
    assert (row['ratio'], row['reached']) == (ratio, reached)


def test_every_goal_has_a_row_even_without_results():
    rows = goals.all_goals({})
    assert len(rows) == 1 + 4 + 3 + 6 + 3 + 4
    assert {row['reached'] for row in rows} == {'not measured'}
    assert 'not measured' in goals.format_goals(rows)


def test_timed_out_run_is_noted_and_per_host_cost():
    rows = by_goal(goals.host_install_goals(RESULTS))
    assert 'timeout' in rows['2. 10,000 install hosts, first converge']['note']
    assert rows['2. 1,000 install hosts, re-run']['note'] == '10.0 ms per host'


@pytest.mark.parametrize('runs, verdict', [
    ([(0, 20.0), (1000, 30.0), (10000, 120.0)], 'linear'),
    ([(0, 20.0), (1000, 30.0), (10000, 300.0)], 'superlinear'),
    ([(0, 20.0), (1000, 30.0)], None),
])
def test_linearity(runs, verdict):
    rows = [{'hosts': hosts, 'run': 'rerun', 'seconds': seconds} for hosts, seconds in runs]
    found = goals.linearity(rows)
    assert (found.split()[0] if found else None) == verdict


def test_uefi_http_against_pxe():
    phases = dict(PHASES, **{'uefi-http': {'dhcp': 6.0, 'kernel_start': 9.3}})
    row = by_goal(goals.boot_goals(phases))['5. UEFI HTTP boot: power-on -> kernel']
    assert (row['measured'], row['ratio'], row['reached']) == (9.3, 0.75, '-')


@pytest.mark.parametrize('name, firmware, server, first_step', [
    ('uefi', 7.6, 4.8, 'dhcp 7.6'),
    ('bios', 2.2, 4.1, 'ipxe_start 0.2'),
    ('uefi-http', None, None, ''),
])
def test_phase_split(name, firmware, server, first_step):
    row = {r['machine']: r for r in goals.boot_phase_rows(PHASES)}[name]
    assert (row['firmware_s'], row['server_s']) == (firmware, server)
    assert row['steps'].startswith(first_step)


def test_phase_table_lists_unknown_machines_and_missing_ones():
    text = goals.format_phases(goals.boot_phase_rows(dict(PHASES, installer={'dhcp': 7.6, 'kernel_start': 18.8})))
    assert 'installer' in text and 'uefi-http' in text and 'not measured' in text


@pytest.mark.parametrize('probes, expected', [
    ([], None),
    ([(1000, True)], 2000),
    ([(1000, False)], 500),
    ([(1000, True), (2000, True), (4000, False)], 3000),
    ([(1000, True), (2000, True), (4000, False), (3000, True), (3500, False)], 3250),
    ([(3000, True), (3100, False)], None),
    ([(3000, True), (3200, False)], 3100),
    # A pass above the lowest failure (noise) does not move the bracket.
    ([(2000, True), (4000, False), (8000, True)], 3000),
])
def test_next_rate(probes, expected):
    assert goals.next_rate(probes) == expected


def test_bisection_converges_within_the_tolerance_and_probe_cap():
    capacity = 5123
    probes = [(rate, rate <= capacity) for rate in (1000, 2000, 4000, 8000, 16000)]
    for _probe in range(7):
        rate = goals.next_rate(probes)
        if rate is None:
            break
        probes.append((rate, rate <= capacity))
    low, high = goals.bracket(probes)
    assert low <= capacity < high and high <= low * 1.05


def test_a_stopped_measurement_is_a_lower_bound():
    row = by_goal(goals.host_install_goals(RESULTS))['2. 10,000 install hosts, first converge']
    assert row['at_least'] and '>600.0 s' in goals.format_goals([row]) and '>30.00' in goals.format_goals([row])


# The dhcp_database step's results: DORA of 100,000 reservations in PostgreSQL only (DISCOVER/OFFER not measured).
DATABASE_RESULTS = {
    'dhcp_bisect': [{'reservations': 100000, 'exchange': 'DISCOVER/OFFER', 'rate_per_second': 5000},
                    {'reservations': 100000, 'exchange': 'DORA', 'rate_per_second': 3000}],
    'dhcp_database_bisect': [{'reservations': 100000, 'exchange': 'DORA', 'rate_per_second': 1500, 'store': 'postgresql'}],
    'dhcp_database': {'reservations': 100000, 'reloads': 0, 'restarted': False, 'row_changed': True},
}


@pytest.mark.parametrize('results, name, measured, ratio, reached, peer', [
    (DATABASE_RESULTS, '4. Kea DORA, 100,000 reservations in PostgreSQL', 1500, 0.5, '-', '100,000 in the JSON file 3,000 /s'),
    (DATABASE_RESULTS, '4. Kea DISCOVER/OFFER, 100,000 reservations in PostgreSQL', None, None, 'not measured',
     '100,000 in the JSON file 5,000 /s'),
    (DATABASE_RESULTS, '4. One of 100,000 PostgreSQL reservations changed: reloads', 0, 0.0, 'yes', '1 reservation changed'),
    (dict(DATABASE_RESULTS, dhcp_database={'reservations': 100000, 'reloads': 1, 'restarted': False}),
     '4. One of 100,000 PostgreSQL reservations changed: reloads', 1, 1.0, 'no', '1 reservation changed'),
    # A restart is a reload too.
    (dict(DATABASE_RESULTS, dhcp_database={'reservations': 100000, 'reloads': 0, 'restarted': True}),
     '4. One of 100,000 PostgreSQL reservations changed: reloads', 1, 1.0, 'no', '1 reservation changed'),
    # The PostgreSQL rate without the JSON file's at the same count: only reported, no ratio.
    ({'dhcp_database_bisect': DATABASE_RESULTS['dhcp_database_bisect']}, '4. Kea DORA, 100,000 reservations in PostgreSQL',
     1500, None, '-', '100,000 in the JSON file -'),
    # The step skipped or stopped before the change: nothing measured.
    ({}, '4. Kea DORA, 100,000 reservations in PostgreSQL', None, None, 'not measured', '100,000 in the JSON file -'),
    ({}, '4. One of 100,000 PostgreSQL reservations changed: reloads', None, None, 'not measured', '1 reservation changed'),
    ({'dhcp_database': {'reservations': 100000}}, '4. One of 100,000 PostgreSQL reservations changed: reloads', None, None,
     'not measured', '1 reservation changed'),
])
def test_database_goal_rows(results, name, measured, ratio, reached, peer):
    row = by_goal(goals.all_goals(results))[name]
    assert (row['measured'], row['ratio'], row['reached'], row['peer']) == (measured, ratio, reached, peer)


def test_database_rates_do_not_count_as_the_json_file():
    results = dict(DATABASE_RESULTS, dhcp_bisect=[])
    rows = by_goal(goals.all_goals(results))
    assert rows['4. Kea DORA, 100,000 reservations']['reached'] == 'not measured'
    assert rows['4. Kea DORA, 100,000 reservations in PostgreSQL']['ratio'] is None


def test_database_count_follows_the_measured_one():
    results = {'dhcp_bisect': [{'reservations': 10000, 'exchange': 'DORA', 'rate_per_second': 3000}],
               'dhcp_database_bisect': [{'reservations': 10000, 'exchange': 'DORA', 'rate_per_second': 3300}],
               'dhcp_database': {'reservations': 10000, 'reloads': 0, 'restarted': False, 'row_changed': True}}
    rows = by_goal(goals.all_goals(results))
    assert rows['4. Kea DORA, 10,000 reservations in PostgreSQL']['ratio'] == 1.1
    assert rows['4. One of 10,000 PostgreSQL reservations changed: reloads']['note'] == 'the row changed'
    text = goals.format_goals(goals.dhcp_database_goals(results))
    assert '3,300 /s' in text and '  0 ' in text
