# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._boot.report import (
    ReportRefused,
    agent_result,
    agent_results,
    assigned_classes,
    check_report,
    memfile_leases,
    nginx_requests,
    report,
    table,
    tftp_requests,
)

MAC = '52:54:00:77:20:14'
NGINX = '''10.77.20.14 - - [30/Nov/2026:09:40:07 +0000] "GET /boot.ipxe HTTP/1.1" 200 312 "-" "iPXE/1.21.1"
10.77.20.14 - - [30/Nov/2026:09:40:08 +0000] "GET /hosts/52-54-00-77-20-14.ipxe HTTP/1.1" 404 153 "-" "iPXE/1.21.1"
10.77.20.99 - - [30/Nov/2026:09:41:00 +0000] "DELETE /builds/0123 HTTP/1.0" 204 0 "-" "-"
garbage line
'''
TFTPD = '''2026-11-30T09:40:02+0000 netboot in.tftpd[311]: RRQ from 10.77.20.14 filename snponly.efi
2026-11-30T09:40:03+0000 netboot in.tftpd[312]: RRQ from 10.77.20.14 filename autoexec.ipxe
2026-11-30T09:40:03+0000 netboot in.tftpd[312]: tftp: client does not accept options
'''
KEA = ('2026-11-30T09:40:01+0000 netboot kea-dhcp4[90]: 2026-11-30 09:40:01.5 DEBUG [kea-dhcp4.dhcpsrv/90.1] '
       f'DHCP4_CLASSES_ASSIGNED [hwtype=1 {MAC}], cid=[no info], tid=0x1: packet has been assigned to the following '
       'classes: ALL, VENDOR_CLASS_PXEClient:Arch:00007:UNDI:003010, pxe-efi-x64, UNKNOWN\n'
       '2026-11-30T09:40:06+0000 netboot kea-dhcp4[90]: 2026-11-30 09:40:06.5 DEBUG [kea-dhcp4.dhcpsrv/90.1] '
       f'DHCP4_CLASSES_ASSIGNED [hwtype=1 {MAC}], cid=[no info], tid=0x2: packet has been assigned to the following '
       'classes: ALL, ipxe, KNOWN\n')
LEASES = [{'hw-address': MAC, 'ip-address': '10.77.20.14', 'hostname': 'lab-installer', 'cltt': 1796031601, 'valid-lft': 3600}]
BUILDS = {'52-54-00-77-20-14': {'build': 1, 'token': 'a' * 32, 'state': 'installed', 'since': '2026-11-30T10:02:00+00:00'},
          '52-54-00-77-20-15': {'build': 2, 'token': 'b' * 32, 'state': 'pending', 'since': '2026-11-30T10:03:00+00:00'}}


def test_nginx_requests():
    assert nginx_requests(NGINX) == [
        ('10.77.20.14', '2026-11-30T09:40:07+00:00', 'GET', '/boot.ipxe', 200),
        ('10.77.20.14', '2026-11-30T09:40:08+00:00', 'GET', '/hosts/52-54-00-77-20-14.ipxe', 404),
        ('10.77.20.99', '2026-11-30T09:41:00+00:00', 'DELETE', '/builds/0123', 204),
    ]


def test_tftp_requests():
    assert tftp_requests(TFTPD) == [('10.77.20.14', '2026-11-30T09:40:02+00:00', 'snponly.efi'),
                                    ('10.77.20.14', '2026-11-30T09:40:03+00:00', 'autoexec.ipxe')]


def test_assigned_classes_gathers_every_packet_and_drops_the_generic_ones():
    assert assigned_classes(KEA) == {MAC: ('2026-11-30T09:40:06+00:00', ['pxe-efi-x64', 'ipxe'])}


@pytest.mark.parametrize('text, leases', [
    ('address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id\n'
     f'10.77.20.14,{MAC},,3600,1796035201,1,0,0,,0,,0\n'
     f'10.77.20.14,{MAC},,3600,1796038801,1,0,0,lab,0,,0\n'
     '10.77.20.15,52:54:00:77:20:15,,0,1796035201,1,0,0,,0,,0\n'
     '10.77.20.16,52:54:00:77:20:16,,3600,1796035201,1,0,0,,2,,0\n',
     [{'ip-address': '10.77.20.14', 'hw-address': MAC, 'hostname': 'lab', 'cltt': 1796035201, 'valid-lft': 3600}]),
    ('', []),
])
def test_memfile_leases_takes_the_last_row_of_each_live_lease(text, leases):
    assert memfile_leases(text) == leases


TOKEN = '0123456789abcdef0123456789abcdef'


def test_build_tokens_in_the_logs_are_not_reported():
    nginx = (f'10.77.20.14 - - [30/Nov/2026:09:50:00 +0000] "GET /answers/{TOKEN}/preseed.cfg HTTP/1.1" 200 900 "-" "Wget"\n'
             f'10.77.20.14 - - [30/Nov/2026:10:01:00 +0000] "DELETE /builds/{TOKEN} HTTP/1.1" 204 0 "-" "curl"\n')
    tftpd = f'2026-11-30T09:40:02+0000 netboot in.tftpd[311]: RRQ from 10.77.20.14 filename answers/{TOKEN}/x\n'
    machines = report(LEASES, BUILDS, nginx_requests(nginx), tftp_requests(tftpd), {})
    assert [item['path'] for item in machines[MAC]['http']] == ['/answers/0123…/preseed.cfg', '/builds/0123…']
    assert [item['file'] for item in machines[MAC]['tftp']] == ['answers/0123…/x']
    # Nor the builds' own tokens.
    shown = repr(machines) + '\n'.join(table(machines))
    assert TOKEN not in shown and 'a' * 32 not in shown and 'b' * 32 not in shown


def test_report_matches_files_to_machines_by_their_lease():
    machines = report(LEASES, BUILDS, nginx_requests(NGINX), tftp_requests(TFTPD), assigned_classes(KEA))
    assert list(machines) == [MAC, '52:54:00:77:20:15']
    installer = machines[MAC]
    expected = ('10.77.20.14', 'lab-installer', ['pxe-efi-x64', 'ipxe'])
    assert (installer['address'], installer['hostname'], installer['classes']) == expected
    assert installer['lease_ends'] == '2026-11-30T10:40:01+00:00'  # cltt + valid-lft
    assert [item['file'] for item in installer['tftp']] == ['snponly.efi', 'autoexec.ipxe']
    assert [(item['path'], item['status']) for item in installer['http']] == [
        ('/boot.ipxe', 200), ('/hosts/52-54-00-77-20-14.ipxe', 404)]
    assert installer['build'] == {'build': 1, 'state': 'installed', 'since': '2026-11-30T10:02:00+00:00'}
    pending = machines['52:54:00:77:20:15']
    assert (pending['address'], pending['http'], pending['build']['state']) == ('', [], 'pending')


def test_table_has_a_row_per_machine():
    machines = report(LEASES, BUILDS, nginx_requests(NGINX), tftp_requests(TFTPD), assigned_classes(KEA))
    lines = table(machines)
    assert lines[0].split() == ['MAC', 'ADDRESS', 'CLASSES', 'TFTP', 'HTTP', 'LAST', 'FETCH', 'BUILD']
    assert lines[1].split() == [MAC, '10.77.20.14', 'pxe-efi-x64,ipxe', 'snponly.efi,autoexec.ipxe', '2', '2026-11-30T09:40:08+00:00',
                                '1', 'installed', 'since', '2026-11-30T10:02:00+00:00']
    assert lines[2].split() == ['52:54:00:77:20:15', '-', '-', '-', '0', '-', '2', 'pending', 'since', '2026-11-30T10:03:00+00:00']


# --- The agents' reports: hostile input, read whole or refused whole

FACTS = {'mac': '52:54:00:77:20:15',
         'nics': [{'name': 'eth0', 'mac': '52:54:00:77:20:15', 'driver': 'virtio_net', 'link': 'up', 'speed': None}],
         'system': {'vendor': 'QEMU', 'product': 'Standard PC (i440FX + PIIX, 1996)', 'serial': '', 'uuid': ''},
         'cpu': {'model': 'QEMU Virtual CPU version 2.5+', 'count': 1}, 'memory': 1541246976,
         'disks': [{'path': '/dev/vda', 'size': 4294967296, 'model': '', 'serial': 'DISK123', 'rotational': True,
                    'removable': False}],
         'firmware': {'mode': 'bios', 'secure_boot': False}}
DEPLOYED = {'status': 'deployed', 'step': '', 'reason': '', 'log': ['netboot-agent: step write seed: done'], 'facts': FACTS}
FAILED = {'status': 'failed', 'step': 'choose disk', 'reason': 'no disk matched {"serial": "X"} holding 1000 bytes; disks: none',
          'log': ['netboot-agent: step choose disk failed: no disk matched'], 'facts': FACTS}


def encoded(value):
    return json.dumps(value).encode()


@pytest.mark.parametrize('record', [DEPLOYED, FAILED, {'status': 'deployed'}, dict(FAILED, facts=None),
                                    dict(DEPLOYED, facts={}), dict(DEPLOYED, log=['é ☃ – \U0001f600'] * 40),
                                    dict(FAILED, reason='x' * 500, step='a' * 64), dict(DEPLOYED, log=['x' * 300])],
                         ids=['deployed', 'failed', 'status-only', 'facts-null', 'facts-empty', 'forty-lines-unicode',
                              'longest-reason-and-step', 'longest-line'])
def test_a_report_of_the_expected_shape_is_read(record):
    result = check_report(encoded(record))
    assert result == {'status': record['status'], 'step': record.get('step', ''), 'reason': record.get('reason', ''),
                      'log': record.get('log', []), 'facts': record.get('facts')}


def test_a_token_in_a_report_is_masked():
    result = check_report(encoded(dict(FAILED, reason=f'HTTP Error 404 on /answers/{TOKEN}/job.json',
                                       log=[f'PUT /reports/{TOKEN}.json'])))
    assert result['reason'] == 'HTTP Error 404 on /answers/0123…/job.json'
    assert result['log'] == ['PUT /reports/0123….json']


def with_fact(path, value):
    """FACTS with the field at ``path`` (keys and indexes) set to ``value``."""
    facts = json.loads(json.dumps(FACTS))
    target = facts
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return dict(DEPLOYED, facts=facts)


CONTROLS = ['\n', '\r', '\x00', '\t', '\x1b[2J', '\x7f', '\x85', '\u2028', '\u2029', '\u202e', '\xa0', '\ud800']
STRINGS = [('reason', 'reason is not a text of at most 500'), ('step', 'step is not at most 64'),
           ('status', 'status is not deployed or failed')]

# (record: bytes, or a value to encode; the reason it is refused)
HOSTILE = [
    pytest.param(b'', 'it is not JSON', id='empty'),
    pytest.param(b'{"status": "deployed"', 'it is not JSON', id='truncated'),
    pytest.param(b'\xff\xfe{}', 'it is not UTF-8 text', id='not-utf-8'),
    pytest.param(b'{"status": "deployed"}' + b' ' * (64 * 1024), 'it is larger than 65536 bytes', id='oversized'),
    pytest.param(b'[' * 30000 + b']' * 30000, 'it is nested too deeply', id='nested-arrays'),
    pytest.param(b'{"status": "deployed", "status": "failed"}', 'an object has a key twice', id='key-twice'),
    pytest.param(b'{"status": "deployed", "facts": {"memory": NaN}}', 'it holds NaN', id='nan'),
    pytest.param(b'{"status": "deployed", "facts": {"memory": 1e999}}', 'it holds a number with a fraction', id='huge-float'),
    pytest.param(b'{"status": "deployed", "facts": {"memory": 1' + b'0' * 5000 + b'}}', 'it is not JSON', id='huge-integer'),
    pytest.param(['deployed'], 'it is not a JSON object', id='a-list'),
    pytest.param('deployed', 'it is not a JSON object', id='a-string'),
    pytest.param(None, 'it is not a JSON object', id='null'),
    pytest.param(dict(DEPLOYED, extra=1), 'it has keys other than status, step, reason, log, facts', id='extra-key'),
    pytest.param(dict(DEPLOYED, **{'status\n': 'x'}), 'it has keys other than', id='key-with-newline'),
    pytest.param({}, 'status is not deployed or failed', id='no-status'),
    pytest.param(dict(DEPLOYED, status='installed'), 'status is not deployed or failed', id='status-unknown'),
    pytest.param(dict(DEPLOYED, status=['deployed']), 'status is not deployed or failed', id='status-a-list'),
    pytest.param(dict(DEPLOYED, status=True), 'status is not deployed or failed', id='status-a-bool'),
    pytest.param(dict(FAILED, step='Write image'), 'step is not at most 64 lower-case letters', id='step-upper-case'),
    pytest.param(dict(FAILED, step='a' * 65), 'step is not at most 64', id='step-too-long'),
    pytest.param(dict(FAILED, step='write-image'), 'step is not at most 64', id='step-hyphen'),
    pytest.param(dict(FAILED, step=None), 'step is not at most 64', id='step-null'),
    pytest.param(dict(FAILED, step={'a': 1}), 'step is not at most 64', id='step-nested'),
    pytest.param(dict(FAILED, reason='x' * 501), 'reason is not a text of at most 500', id='reason-too-long'),
    pytest.param(dict(FAILED, reason=5), 'reason is not a text', id='reason-a-number'),
    pytest.param(dict(FAILED, reason=['a']), 'reason is not a text', id='reason-a-list'),
    pytest.param(dict(FAILED, log='a line'), 'log is not a list of at most 40 lines', id='log-a-string'),
    pytest.param(dict(FAILED, log=['x'] * 41), 'log is not a list of at most 40 lines', id='log-too-many'),
    pytest.param(dict(FAILED, log=['x' * 301]), 'log[0] is not a text of at most 300', id='log-line-too-long'),
    pytest.param(dict(FAILED, log=['ok', 3]), 'log[1] is not a text', id='log-a-number'),
    pytest.param(dict(FAILED, log=['ok', ['nested']]), 'log[1] is not a text', id='log-nested'),
    pytest.param(dict(FAILED, log={'0': 'x'}), 'log is not a list', id='log-a-mapping'),
    pytest.param(dict(DEPLOYED, facts='all good'), 'facts is not an object', id='facts-a-string'),
    pytest.param(dict(DEPLOYED, facts=[FACTS]), 'facts is not an object', id='facts-a-list'),
    pytest.param(with_fact(['extra'], 1), 'facts has keys other than mac, nics, system', id='facts-extra-key'),
    pytest.param(with_fact(['disks', 0, 'extra'], {'deep': [1]}), 'facts.disks[0] has keys other than', id='disk-extra-key'),
    pytest.param(with_fact(['disks', 0, 'size'], -1), 'facts.disks[0].size is not a whole number >= 0', id='disk-size-negative'),
    pytest.param(with_fact(['disks', 0, 'size'], 2 ** 64), 'facts.disks[0].size is not a whole number', id='disk-size-huge'),
    pytest.param(with_fact(['disks', 0, 'size'], '4294967296'), 'facts.disks[0].size is not a whole number', id='disk-size-string'),
    pytest.param(with_fact(['disks', 0, 'size'], True), 'facts.disks[0].size is not a whole number', id='disk-size-bool'),
    pytest.param(with_fact(['disks', 0, 'removable'], 0), 'facts.disks[0].removable is not true or false', id='disk-removable-number'),
    pytest.param(with_fact(['disks', 0, 'model'], 'x' * 129), 'facts.disks[0].model is not a text of at most 128', id='model-long'),
    pytest.param(with_fact(['disks'], [FACTS['disks'][0]] * 65), 'facts.disks is not a list of at most 64', id='disks-too-many'),
    pytest.param(with_fact(['disks'], {'path': '/dev/vda'}), 'facts.disks is not a list', id='disks-a-mapping'),
    pytest.param(with_fact(['disks', 0], '/dev/vda'), 'facts.disks[0] is not an object', id='disk-a-string'),
    pytest.param(with_fact(['nics', 0, 'link'], 'sideways'), 'facts.nics[0].link is not one of up, down', id='link-unknown'),
    pytest.param(with_fact(['nics', 0, 'link'], ['up']), 'facts.nics[0].link is not one of up, down', id='link-a-list'),
    pytest.param(with_fact(['nics', 0, 'speed'], 'fast'), 'facts.nics[0].speed is not a whole number >= 0 or null', id='speed-word'),
    pytest.param(with_fact(['firmware', 'mode'], 'coreboot'), 'facts.firmware.mode is not one of bios, uefi', id='firmware-unknown'),
    pytest.param(with_fact(['memory'], None), 'facts.memory is not a whole number >= 0', id='memory-null'),
    pytest.param(with_fact(['cpu'], {'model': {'nested': {'junk': [[[]]]}}}), 'facts.cpu.model is not a text', id='nested-junk'),
] + [
    pytest.param(dict(FAILED, **{field: f'a{control}b'}), message, id=f'{field}-{control.encode("unicode_escape").decode()}')
    for field, message in STRINGS for control in CONTROLS
] + [
    pytest.param(dict(FAILED, log=['fine', f'a{control}b']), 'log[1] is not a text', id=f'log-{control.encode("unicode_escape").decode()}')
    for control in CONTROLS
] + [
    pytest.param(with_fact(path, f'a{control}b'), f'facts.{where} is not a text', id=f'{where}-{control.encode("unicode_escape").decode()}')
    for path, where in ((['mac'], 'mac'), (['system', 'vendor'], 'system.vendor'), (['cpu', 'model'], 'cpu.model'),
                        (['nics', 0, 'name'], 'nics[0].name'), (['disks', 0, 'serial'], 'disks[0].serial'))
    for control in CONTROLS
]


@pytest.mark.parametrize('record, why', HOSTILE)
def test_a_hostile_report_is_refused_whole(record, why):
    data = record if isinstance(record, bytes) else json.dumps(record).encode()
    with pytest.raises(ReportRefused) as error:
        check_report(data)
    assert str(error.value).startswith(why), str(error.value)
    # The machine shows why, and nothing the report held.
    result = agent_result(data)
    assert result == {'status': 'refused', 'step': '', 'reason': f'report refused: {error.value}', 'log': [], 'facts': None}
    assert result['reason'].isprintable() and len(result['reason']) < 200


def test_a_refusal_never_repeats_what_the_report_held():
    secret = 'SECRET-\u202e-' + TOKEN
    for record in (dict(DEPLOYED, **{secret: 1}), dict(FAILED, step=secret), dict(FAILED, reason=secret + '\n'),
                   dict(FAILED, log=[secret * 20]), with_fact(['cpu', 'model'], secret * 10)):
        reason = agent_result(json.dumps(record).encode())['reason']
        assert reason.startswith('report refused: ') and 'SECRET' not in reason and '0123' not in reason


def test_agent_results_reads_the_report_of_each_build(tmp_path):
    reports = tmp_path / 'reports'
    reports.mkdir()
    builds = {'52-54-00-77-20-14': dict(BUILDS['52-54-00-77-20-14'], token='a' * 32),
              '52-54-00-77-20-15': dict(BUILDS['52-54-00-77-20-15'], token='b' * 32),
              '52-54-00-77-20-16': {'build': 1, 'token': 'c' * 32, 'state': 'pending', 'since': ''},
              '52-54-00-77-20-17': {'build': 1, 'token': 'd' * 32, 'state': 'pending', 'since': ''},
              '52-54-00-77-20-18': {'build': 1, 'token': '../../etc/passwd', 'state': 'pending', 'since': ''}}
    (reports / f'{"a" * 32}.json').write_bytes(encoded(DEPLOYED))
    (reports / f'{"b" * 32}.json').write_bytes(encoded(FAILED))
    (reports / f'{"c" * 32}.json').symlink_to('/etc/hostname')
    (reports / f'{"d" * 32}.json').mkdir()
    (reports / 'stray.json').write_bytes(encoded(DEPLOYED))
    results = agent_results(builds, str(reports))
    assert results['52-54-00-77-20-14']['status'] == 'deployed'
    assert (results['52-54-00-77-20-15']['status'], results['52-54-00-77-20-15']['step']) == ('failed', 'choose disk')
    # A link is not followed, a directory not read: both refused.
    assert results['52-54-00-77-20-16']['reason'] == 'report refused: it is not a file'
    assert results['52-54-00-77-20-17']['reason'] == 'report refused: it is not a file'
    # A build without a report, or with a token that is not one, has no result.
    assert set(results) == {'52-54-00-77-20-14', '52-54-00-77-20-15', '52-54-00-77-20-16', '52-54-00-77-20-17'}


def test_agent_results_reads_no_more_than_the_limit(tmp_path):
    (tmp_path / f'{TOKEN}.json').write_bytes(b' ' * (10 * 1024 * 1024))
    results = agent_results({'52-54-00-77-20-14': {'token': TOKEN}}, str(tmp_path))
    assert results['52-54-00-77-20-14']['reason'] == 'report refused: it is larger than 65536 bytes'


def test_the_report_and_table_show_each_agent_result():
    builds = dict(BUILDS, **{'52-54-00-77-20-16': {'build': 3, 'token': 'c' * 32, 'state': 'pending',
                                                   'since': '2026-11-30T10:04:00+00:00'}})
    agents = {'52-54-00-77-20-14': check_report(encoded(DEPLOYED)), '52-54-00-77-20-15': check_report(encoded(FAILED)),
              '52-54-00-77-20-16': agent_result(b'{"status": "done"}')}
    machines = report(LEASES, builds, [], [], {}, agents)
    assert machines[MAC]['agent'] == agents['52-54-00-77-20-14']
    assert machines[MAC]['build'] == {'build': 1, 'state': 'installed', 'since': '2026-11-30T10:02:00+00:00'}
    lines = table(machines)
    assert lines[1].endswith('1 installed since 2026-11-30T10:02:00+00:00; deployed')
    assert lines[2].endswith('2 pending since 2026-11-30T10:03:00+00:00; failed at choose disk: no disk matched {"serial": "X"} '
                             'holding 1000 bytes; disks: none')
    assert lines[3].endswith('3 pending since 2026-11-30T10:04:00+00:00; report refused: status is not deployed or failed')
    assert report(LEASES, BUILDS, [], [], {})[MAC]['agent'] is None
    shown = repr(machines) + '\n'.join(lines)
    assert 'a' * 32 not in shown and 'b' * 32 not in shown and 'c' * 32 not in shown
