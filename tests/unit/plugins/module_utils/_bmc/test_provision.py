# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._bmc.provision import (
    ProvisionError,
    failure_reason,
    provision_keys,
    provision_plan,
    provision_progress,
    provision_report,
    provision_update,
    provision_wait,
)

SECRET = 'Pa55-w0rd$ecret'
REDFISH = {'type': 'redfish', 'address': 'bmc1.lab', 'user': 'admin', 'password': SECRET}
IPMI = {'type': 'ipmi', 'address': '10.0.9.21', 'user': 'admin', 'password': SECRET}
MAC = '52:54:00:12:34:56'
KEY = '52-54-00-12-34-56'
SERVERS = {
    'pxe1': [{'mac': MAC, 'os': 'debian-13', 'build': 3, 'hostname': 'node1'},
             {'mac': '52:54:00:12:34:57', 'items': [{'key': 'local', 'type': 'exit'}], 'hostname': 'node2'},
             'not an entry'],
    'pxe2': [{'mac': '5254.0012.3458', 'ip': '10.0.0.58', 'image': 'trixie', 'hostname': 'node3'}],
}
STARTED, DONE = '2026-12-07T05:00:00+00:00', '2026-12-07T05:12:30+00:00'


def plan_of(host='node1', bmc=None, mac=MAC, action='provision', servers=None, limited=('pxe1', 'pxe2'), timeout=60):
    return provision_plan(host, IPMI if bmc is None else bmc, mac, action, SERVERS if servers is None else servers,
                          list(limited), timeout)


@pytest.mark.parametrize('arguments, expected', [
    pytest.param({}, {'server': 'pxe1', 'key': KEY, 'build': 3,
                      'steps': ['check', 'new build', 'one-time boot', 'power']}, id='by-mac'),
    pytest.param({'mac': ''}, {'server': 'pxe1', 'key': KEY, 'build': 3}, id='by-hostname'),
    pytest.param({'host': 'node3', 'mac': '52-54-00-12-34-58'}, {'server': 'pxe2', 'key': '52-54-00-12-34-58', 'build': 1},
                 id='image-on-another-server'),
    pytest.param({'host': 'new1', 'mac': '52:54:00:99:00:01', 'action': 'discover'},
                 {'server': '', 'key': '', 'steps': ['check', 'one-time boot', 'power']}, id='discover'),
    pytest.param({'action': 'on', 'limited': ()}, {'server': '', 'steps': ['check', 'power']}, id='on-needs-no-server'),
    pytest.param({'action': 'off', 'bmc': REDFISH}, {'server': '', 'steps': ['check', 'power']}, id='off'),
    pytest.param({'timeout': 1}, {'timeout': 1}, id='timeout-own'),
    pytest.param({'timeout': '1440'}, {'timeout': 1440}, id='timeout-from-the-command-line'),
])
def test_plan(arguments, expected):
    plan = plan_of(**arguments)
    assert plan['ok'] and plan['reason'] == ''
    assert {key: plan[key] for key in expected} == expected
    assert SECRET not in repr(plan)


@pytest.mark.parametrize('arguments, reason', [
    pytest.param({'bmc': False}, 'bmc: must be a mapping', id='bmc-not-mapping'),
    pytest.param({'bmc': dict(IPMI, type='amt')}, "bmc.type: 'amt' is not one of redfish, ipmi", id='bmc-type'),
    pytest.param({'mac': 'node1'}, "netboot_mac: 'node1' is not a MAC address like 52:54:00:12:34:56", id='netboot-mac'),
    pytest.param({'timeout': 0}, 'netboot_provision_timeout: 0 is not a whole number of minutes from 1 to 1440', id='timeout-0'),
    pytest.param({'timeout': 1441}, 'netboot_provision_timeout: 1441 is not', id='timeout-over-a-day'),
    pytest.param({'timeout': True}, 'netboot_provision_timeout: True is not', id='timeout-bool'),
    pytest.param({'timeout': '1.5'}, "netboot_provision_timeout: '1.5' is not", id='timeout-fraction'),
    pytest.param({'timeout': '10\n'}, "netboot_provision_timeout: '10\\n' is not", id='timeout-newline'),
    pytest.param({'mac': '52:54:00:99:00:01'}, 'no ipxe_hosts entry with its MAC 52:54:00:99:00:01 on the netboot '
                 'servers; add one, or send it to discovery (netboot_provision_action=discover)', id='no-entry'),
    pytest.param({'host': 'nodeX', 'mac': ''}, 'no ipxe_hosts entry with hostname nodeX (or set netboot_mac)', id='no-name'),
    pytest.param({'limited': ('pxe2',)}, 'its netboot server pxe1 is not in the limit; add it (-l node1,pxe1): it makes '
                 'the new build', id='server-not-limited'),
    pytest.param({'servers': {'pxe1': SERVERS['pxe1'], 'pxe3': SERVERS['pxe1']}, 'limited': ('pxe1', 'pxe3')},
                 'the netboot servers pxe1, pxe3 in the limit all name it; limit the play to one', id='two-servers'),
    pytest.param({'host': 'node2', 'mac': ''}, 'its ipxe_hosts entry on pxe1 has neither os nor image: nothing to install',
                 id='items-only'),
    pytest.param({'action': 'discover'}, 'the ipxe_hosts of pxe1 name it: it boots its own script, not discovery '
                 '(use the action provision)', id='discover-a-known-machine'),
])
def test_plan_stops_a_machine_with_the_reason(arguments, reason):
    plan = plan_of(**arguments)
    assert not plan['ok'] and plan['reason'].startswith(reason)
    assert SECRET not in plan['reason']


def test_a_machine_without_bmc_stops():
    plan = provision_plan('node1', None, MAC, 'provision', SERVERS, ['pxe1'])
    assert plan['reason'] == 'bmc: not set; the machine needs its BMC (type, address, user, password)'


def test_of_two_servers_the_one_in_the_limit_provisions():
    servers = {'pxe1': SERVERS['pxe1'], 'pxe3': SERVERS['pxe1']}
    assert plan_of(servers=servers, limited=['pxe3'])['server'] == 'pxe3'


@pytest.mark.parametrize('action, servers, limited, message', [
    ('reboot', {}, [], "netboot_provision_action: 'reboot' is not one of provision, discover, on, off"),
    ('on', [], [], 'servers must be a mapping of netboot server to its ipxe_hosts, limited a list of names'),
])
def test_plan_refuses_the_play_input(action, servers, limited, message):
    with pytest.raises(ProvisionError) as error:
        provision_plan('node1', IPMI, '', action, servers, limited)
    assert str(error.value) == message


@pytest.mark.parametrize('result, reason', [
    ({'changed': True}, ''),
    ({'failed': False, 'msg': 'fine'}, ''),
    ({'failed': True, 'msg': "HTTP Error 401 on GET request to 'https://bmc1/redfish/v1/Systems'"},
     "credentials refused: HTTP Error 401 on GET request to 'https://bmc1/redfish/v1/Systems'"),
    ({'failed': True, 'msg': 'Incorrect password provided'}, 'credentials refused: Incorrect password provided'),
    ({'failed': True, 'msg': 'Unauthorized name'}, 'credentials refused: Unauthorized name'),
    ({'failed': True, 'msg': "URL Error on GET request to 'https://bmc1/redfish/v1/': 'timed out'"},
     "no answer in time: URL Error on GET request to 'https://bmc1/redfish/v1/': 'timed out'"),
    ({'failed': True, 'msg': "URL Error on GET request: '[Errno 111] Connection refused'"},
     "BMC unreachable: URL Error on GET request: '[Errno 111] Connection refused'"),
    ({'failed': True, 'msg': 'Unable to transmit to specified address'}, 'BMC unreachable: Unable to transmit to specified address'),
    ({'failed': True, 'msg': "URL Error: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"},
     'BMC unreachable: URL Error: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed'),
    ({'failed': True, 'msg': 'CERTIFICATE_VERIFY_FAILED: self-signed certificate'},
     'certificate refused: CERTIFICATE_VERIFY_FAILED: self-signed certificate'),
    ({'failed': True, 'msg': 'Failed to import the required Python library (pyghmi) on node'},
     'library missing on the controller: Failed to import the required Python library (pyghmi) on node'),
    ({'failed': True, 'msg': 'System resource 7 not found'}, 'BMC error: System resource 7 not found'),
    ({'failed': True, 'msg': 'line one\n\tline two'}, 'BMC error: line one line two'),
    ({'failed': True, 'msg': 'x' * 300}, 'BMC error: ' + 'x' * 200 + '...'),
    ({'failed': True}, 'BMC error'),
    ({'unreachable': True, 'msg': 'Failed to connect to the host via ssh'}, 'BMC error: Failed to connect to the host via ssh'),
])
def test_failure_reason(result, reason):
    assert failure_reason(result) == reason


def checked(bmc, result, action='provision'):
    return provision_update(plan_of(bmc=bmc, action=action), 'check', result)


def inventory(*systems):
    return {'redfish_facts': {'system': {'entries': [[{'system_uri': f'/redfish/v1/Systems/{name}'},
                                                      {'Id': name, 'PowerState': state}] for name, state in systems],
                                         'ret': True}}}


@pytest.mark.parametrize('bmc, result, action, expected', [
    pytest.param(REDFISH, inventory(('1', 'Off')), 'provision', ('off', 'PowerOn', 'on', '1'), id='redfish-off'),
    pytest.param(REDFISH, inventory(('1', 'On')), 'provision', ('on', 'PowerForceRestart', 'reset', '1'), id='redfish-on'),
    pytest.param(dict(REDFISH, system_id='b'), inventory(('a', 'Off'), ('b', 'On')), 'provision',
                 ('on', 'PowerForceRestart', 'reset', 'b'), id='redfish-named'),
    pytest.param(REDFISH, inventory(('1', 'PoweringOn')), 'provision', ('off', 'PowerOn', 'on', '1'), id='redfish-between'),
    pytest.param(REDFISH, inventory(('1', 'On')), 'on', ('on', 'PowerOn', 'on', '1'), id='redfish-on-stays-on'),
    pytest.param(REDFISH, inventory(('1', 'On')), 'off', ('on', 'PowerForceOff', 'off', '1'), id='redfish-off-action'),
    pytest.param(IPMI, {'changed': True, 'powerstate': 'on'}, 'provision', ('off', 'PowerOn', 'on', None), id='ipmi-off'),
    pytest.param(IPMI, {'changed': False, 'powerstate': 'on'}, 'discover', ('on', 'PowerForceRestart', 'reset', None),
                 id='ipmi-on'),
])
def test_check_reads_the_power_state(bmc, result, action, expected):
    if action == 'discover':
        plan = provision_update(plan_of(host='new1', mac='52:54:00:99:00:01', bmc=bmc, action=action), 'check', result)
    else:
        plan = checked(bmc, result, action)
    assert plan['ok'], plan['reason']
    assert (plan['power'], plan['redfish_command'], plan['ipmi_state'], plan['bmc'].get('system_id')) == expected


@pytest.mark.parametrize('bmc, result, reason', [
    pytest.param(REDFISH, inventory(('a', 'On'), ('b', 'Off')), "check: the BMC has 2 systems (a, b); name the "
                 "machine's in bmc.system_id", id='several-systems'),
    pytest.param(REDFISH, inventory(), "check: the BMC has 0 systems (none); name the machine's in bmc.system_id",
                 id='no-system'),
    pytest.param(dict(REDFISH, system_id='c'), inventory(('a', 'On')), "check: bmc.system_id: 'c' is not among the "
                 "BMC's systems (a)", id='unknown-system'),
    pytest.param(REDFISH, {'failed': True, 'msg': 'HTTP Error 401'}, 'check: credentials refused: HTTP Error 401',
                 id='refused'),
    pytest.param(IPMI, {'failed': True, 'msg': 'timeout'}, 'check: no answer in time: timeout', id='ipmi-timeout'),
    pytest.param(IPMI, {'failed': True, 'msg': 'None'}, 'check: no answer in time: no IPMI session opened', id='ipmi-no-session'),
])
def test_check_stops_a_machine(bmc, result, reason):
    plan = checked(bmc, result)
    assert not plan['ok'] and plan['reason'] == reason


def powered(action='provision', bmc=None, check=None, boot=None, power=None, renewed=True):
    bmc = bmc or IPMI
    if action == 'discover':
        plan = plan_of(host='new1', mac='52:54:00:99:00:01', bmc=bmc, action=action)
    else:
        plan = plan_of(bmc=bmc, action=action)
    plan = provision_update(plan, 'check', check or {'changed': True})
    plan = provision_update(plan, 'new build', {'renewed': renewed})
    plan = provision_update(plan, 'one-time boot', boot or {'changed': True})
    return provision_update(plan, 'power', power or {'changed': True}, STARTED)


@pytest.mark.parametrize('arguments, started, completed, outcome', [
    pytest.param({}, STARTED, '', '', id='provision-waits'),
    pytest.param({'action': 'discover'}, STARTED, STARTED, 'sent to discovery', id='discover'),
    pytest.param({'action': 'on'}, STARTED, STARTED, 'powered on', id='on'),
    pytest.param({'action': 'on', 'check': {'changed': False}}, STARTED, STARTED, 'already on', id='already-on'),
    pytest.param({'action': 'off', 'check': {'changed': False}}, STARTED, STARTED, 'powered off', id='off'),
    pytest.param({'action': 'off'}, STARTED, STARTED, 'already off', id='already-off'),
])
def test_power_starts_the_clock(arguments, started, completed, outcome):
    plan = powered(**arguments)
    assert plan['ok'] and (plan['started'], plan['completed'], plan['outcome']) == (started, completed, outcome)


@pytest.mark.parametrize('arguments, reason', [
    pytest.param({'renewed': False}, 'new build: pxe1 did not make it (site.yml failed there); nothing was powered',
                 id='no-new-build'),
    pytest.param({'boot': {'failed': True, 'msg': 'HTTP Error 500 on PATCH request'}},
                 'one-time boot: BMC error: HTTP Error 500 on PATCH request', id='boot'),
    pytest.param({'power': {'failed': True, 'msg': 'timed out'}}, 'power: no answer in time: timed out', id='power'),
    pytest.param({'check': {'failed': True, 'msg': 'Errno 113 No route to host'},
                  'boot': {'failed': True, 'msg': 'later'}}, 'check: BMC unreachable: Errno 113 No route to host',
                 id='first-failure-kept'),
])
def test_a_failed_step_stops_the_machine(arguments, reason):
    plan = powered(**arguments)
    assert not plan['ok'] and plan['reason'] == reason and plan['started'] == ''


def test_new_build_concerns_only_a_provision():
    plan = provision_update(plan_of(action='on'), 'new build', {'renewed': False})
    assert plan['ok']


@pytest.mark.parametrize('stage, now, message', [
    ('reboot', '', "stage: 'reboot' is not check, new build, one-time boot or power"),
    ('power', '', "now must be an ISO time, got ''"),
])
def test_update_refuses(stage, now, message):
    plan = provision_update(plan_of(action='on'), 'check', {'changed': True})
    with pytest.raises(ProvisionError) as error:
        provision_update(plan, stage, {'changed': True}, now)
    assert str(error.value) == message


def test_keys_per_server_and_stage():
    ready = powered()
    waiting = provision_update(plan_of(host='node3', mac='52:54:00:12:34:58'), 'check', {'changed': True})
    stopped = powered(renewed=False)
    other = powered(action='on')
    plans = [ready, waiting, stopped, other]
    assert provision_keys(plans, 'pxe1', 'renew') == [KEY]
    assert provision_keys(plans, 'pxe2', 'renew') == ['52-54-00-12-34-58']
    assert provision_keys(plans, 'pxe1', 'wait') == [KEY]
    assert provision_keys(plans, 'pxe2', 'wait') == []
    with pytest.raises(ProvisionError, match="stage: 'done' is not renew or wait"):
        provision_keys(plans, 'pxe1', 'done')
    with pytest.raises(ProvisionError, match='plans must be a list'):
        provision_keys({}, 'pxe1', 'wait')


def build(state, since=DONE, number=3, result=''):
    return {'build': number, 'state': state, 'since': since, 'result': result}


@pytest.mark.parametrize('wait, line', [
    ({'builds': {KEY: build('installed'), '52-54-00-12-34-58': build('pending')}, 'new': [KEY]},
     'node1 installed (1 of 2 finished)'),
    ({'builds': {KEY: build('installed'), '52-54-00-12-34-58': build('failed')}, 'new': [KEY, '52-54-00-12-34-58']},
     'node1 installed, 52-54-00-12-34-58 failed (2 of 2 finished)'),
    ({'builds': {KEY: build('pending')}, 'new': []}, 'no build finished (0 of 1 finished)'),
    ({'skipped': True, 'changed': False}, 'nothing left to wait for'),
    ({}, 'waiting'),
])
def test_progress(wait, line):
    assert provision_progress(wait, {KEY: 'node1'}) == line


def wait_of(builds):
    return {'results': [{'builds': {KEY: build('pending')}}, {'builds': builds}, {'skipped': True}]}


@pytest.mark.parametrize('builds, completed, minutes, result', [
    pytest.param({KEY: build('installed')}, '2026-12-07 05:12:30', '12.5', 'installed (build 3)', id='installed'),
    pytest.param({KEY: build('failed', result='failed at choose disk: no disk matched')}, '2026-12-07 05:12:30', '12.5',
                 'failed: agent: failed at choose disk: no disk matched', id='agent-failed'),
    pytest.param({KEY: build('pending')}, '-', '-', 'failed: timeout: build 3 not finished after 60 min',
                 id='timeout'),
    pytest.param({}, '-', '-', 'failed: no build of 52-54-00-12-34-56 on pxe1 (site.yml failed there?)', id='no-build'),
])
def test_report_of_a_provisioned_machine(builds, completed, minutes, result):
    report = provision_report([powered()], {'pxe1': wait_of(builds)})
    header, row = report['table']
    assert header.split() == ['HOST', 'ACTION', 'STARTED', '(UTC)', 'COMPLETED', '(UTC)', 'MINUTES', 'RESULT']
    cells = [cell.strip() for cell in row.split('  ') if cell.strip()]
    assert cells == ['node1', 'provision', '2026-12-07 05:00:00', completed, minutes, result]
    assert report['failed'] == ([] if result.startswith('installed') else ['node1'])


def test_report_takes_the_time_a_build_was_first_seen_finished():
    later = '2026-12-07T05:20:00+00:00'
    wait = {'results': [{'builds': {KEY: build('pending')}}, {'builds': {KEY: build('installed')}},
                        {'builds': {KEY: build('installed', since=later)}}, {'skipped': True}]}
    row = provision_report([powered()], {'pxe1': wait})['table'][1]
    assert '2026-12-07 05:12:30  12.5' in row and row.endswith('installed (build 3)')


def test_report_lists_every_machine_by_name_with_the_reason():
    plans = [powered(action='on'), plan_of(host='node9', bmc=dict(IPMI, pasword=SECRET)), powered(renewed=False)]
    plans[2] = dict(plans[2], host='node2')
    report = provision_report(plans, {})
    assert [line.split()[0] for line in report['table']] == ['HOST', 'node1', 'node2', 'node9']
    assert report['table'][1].endswith('  powered on')
    assert report['table'][2].endswith('  failed: new build: pxe1 did not make it (site.yml failed there); nothing was powered')
    assert "failed: bmc: unknown key(s) 'pasword'" in report['table'][3]
    assert report['failed'] == ['node2', 'node9']
    assert SECRET not in '\n'.join(report['table'])
    # The columns line up: the host's is as wide as its widest cell, then two spaces.
    assert all(line[5:7] == '  ' and line[7] != ' ' for line in report['table'])


def test_a_provision_never_powered_is_failed():
    plan = provision_update(plan_of(), 'check', {'changed': True})
    assert provision_report([plan], {})['table'][1].endswith(
        'failed: not powered: its netboot server did not make the new build')


@pytest.mark.parametrize('plans, waits, message', [
    ({}, {}, 'plans must be a list'),
    ([{'action': 'on'}], {}, 'plans must be a list'),
    ([], [], 'waits must be a mapping'),
])
def test_report_refuses(plans, waits, message):
    with pytest.raises(ProvisionError, match=message):
        provision_report(plans, waits)


NOW = datetime.datetime.fromisoformat(STARTED).timestamp()


@pytest.mark.parametrize('timeouts, builds, seconds_later, expected', [
    pytest.param((60,), {}, 0, 3600, id='before-the-first-round'),
    pytest.param((60, 10), {}, 0, 3600, id='the-last-deadline'),
    pytest.param((60, 10), {KEY: build('installed')}, 0, 600, id='only-the-pending-count'),
    pytest.param((60, 10), {KEY: build('failed')}, 599.5, 1, id='rounded-up'),
    pytest.param((60, 10), {KEY: build('installed')}, 600, 0, id='pending-past-its-own-timeout'),
    pytest.param((60, 10), {KEY: build('installed'), '52-54-00-12-34-57': build('installed')}, 0, 0, id='all-done'),
])
def test_wait_lasts_until_the_last_pending_deadline(timeouts, builds, seconds_later, expected):
    plans = [dict(powered(), timeout=timeouts[0])]
    if len(timeouts) > 1:
        plans.append(dict(powered(), key='52-54-00-12-34-57', host='node2', timeout=timeouts[1]))
    # Machines of another server, not powered or failed do not count.
    plans += [dict(powered(), server='pxe2', timeout=1440), dict(plan_of(), timeout=1440),
              dict(powered(), ok=False, timeout=1440)]
    assert provision_wait(plans, 'pxe1', builds, NOW + seconds_later) == expected


@pytest.mark.parametrize('plans, builds, now, message', [
    ({}, {}, NOW, 'plans must be a list'),
    ([], [], NOW, 'builds a mapping'),
    ([], {}, '1', "now must be a POSIX time, got '1'"),
    ([], {}, True, 'now must be a POSIX time, got True'),
])
def test_wait_refuses(plans, builds, now, message):
    with pytest.raises(ProvisionError, match=message):
        provision_wait(plans, 'pxe1', builds, now)
