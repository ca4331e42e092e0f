# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The boot report: per MAC, the lease Kea gave, the DHCP classes Kea logged, the files fetched
over TFTP and HTTP (from tftpd's and nginx's logs, matched by address), the install build and, for
an image deploy, the agent's report of it. Build tokens are never reported: a path that holds one
shows its first 4 digits (mask_tokens), a build its number, state and time.

An agent's report (``reports/<token>.json``, PUT by the machine) is hostile input: it is read only if
it is a small JSON object of exactly the expected shape; anything else is refused whole, with the
reason, and nothing of it is used.

Private module: its API may change without notice.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import re
import stat

from ansible_collections.netboot.pxe.plugins.module_utils._boot.builds import mask_tokens
from ansible_collections.netboot.pxe.plugins.module_utils._validate import BUILD_TOKEN, load_json

# nginx's "combined" log format.
_NGINX = re.compile(r'(?P<address>\S+) \S+ \S+ \[(?P<time>[^\]]+)\] "(?P<method>[A-Z]+) (?P<path>\S+) [^"]*" '
                    r'(?P<status>[0-9]{3}) (?P<size>[0-9]+|-)')
# journalctl -o short-iso: "2026-11-30T09:40:00+0000 host in.tftpd[12]: RRQ from 10.0.0.5 filename x.efi"
_TFTPD = re.compile(r'(?P<time>\S+) \S+ in\.tftpd\[[0-9]+\]: RRQ from (?P<address>\S+) filename (?P<file>\S+)')
_CLASSES = re.compile(r'(?P<time>\S+) .*DHCP4_CLASSES_ASSIGNED \[hwtype=1 (?P<mac>[0-9a-f:]{17})\].*'
                      r'following classes: (?P<classes>.*)$')
# Classes every packet gets, which say nothing about the machine.
_GENERIC = {'ALL', 'KNOWN', 'UNKNOWN', 'BOOTP'}


def _iso(text, pattern):
    try:
        return datetime.datetime.strptime(text, pattern).astimezone(datetime.timezone.utc).isoformat(timespec='seconds')
    except ValueError:
        return text


def nginx_requests(text):
    """(address, time, method, path, status) of each line of an nginx access log, tokens masked."""
    found = []
    for line in text.splitlines():
        match = _NGINX.match(line)
        if match:
            found.append((match['address'], _iso(match['time'], '%d/%b/%Y:%H:%M:%S %z'), match['method'],
                          mask_tokens(match['path']), int(match['status'])))
    return found


def tftp_requests(text):
    """(address, time, file) of each read request in tftpd's journal (short-iso), tokens masked."""
    return [(match['address'], _iso(match['time'], '%Y-%m-%dT%H:%M:%S%z'), mask_tokens(match['file']))
            for match in map(_TFTPD.match, text.splitlines()) if match]


def assigned_classes(text):
    """{mac: (time, [classes])}: every class Kea logged for each MAC (needs debug level 40), in the
    order first seen, with the time of the last packet; without the classes every packet of a
    kind gets (ALL, KNOWN, ... and Kea's VENDOR_CLASS_*)."""
    found = {}
    for line in text.splitlines():
        match = _CLASSES.search(line)
        if match:
            _time, seen = found.get(match['mac'], ('', []))
            for name in (name.strip() for name in match['classes'].split(',')):
                if name and name not in _GENERIC and not name.startswith('VENDOR_CLASS_') and name not in seen:
                    seen.append(name)
            found[match['mac']] = (_iso(match['time'], '%Y-%m-%dT%H:%M:%S%z'), seen)
    return found


def memfile_leases(text):
    """Kea's memfile lease file (CSV, appended to) as lease4-get-all answers it: the last row of each
    address, without the leases Kea released or reclaimed (valid lifetime 0 or state 2)."""
    rows = {}
    for row in csv.DictReader(io.StringIO(text)):
        if row.get('address'):
            rows[row['address']] = row
    leases = []
    for address, row in rows.items():
        try:
            valid, expire = int(row.get('valid_lifetime') or 0), int(row.get('expire') or 0)
        except ValueError:
            continue
        if valid == 0 or row.get('state') == '2':
            continue
        leases.append({'ip-address': address, 'hw-address': row.get('hwaddr', ''), 'hostname': row.get('hostname', ''),
                       'cltt': expire - valid, 'valid-lft': valid})
    return leases


def _lease_time(lease):
    try:
        ends = int(lease['cltt']) + int(lease['valid-lft'])
    except (KeyError, TypeError, ValueError):
        return ''
    return datetime.datetime.fromtimestamp(ends, datetime.timezone.utc).isoformat(timespec='seconds')


# --- The agents' reports ------------------------------------------------------------------------

# What nginx takes (access.REPORT_MAX_BODY), and what is read of a report.
REPORT_MAX_BYTES = 64 * 1024
REPORT_KEYS = ('status', 'step', 'reason', 'log', 'facts')
REPORT_STATUSES = ('deployed', 'failed')
_STEP = re.compile(r'[a-z ]{0,64}')
REASON_MAX = 500
LOG_LINES_MAX = 40
LOG_LINE_MAX = 300
# The machine's facts as the agent inspects them: each field's kind. A text is printable, on one
# line, at most FACT_TEXT_MAX characters; a list has at most FACT_LIST_MAX entries.
FACT_TEXT_MAX = 128
FACT_LIST_MAX = 64
_NIC = {'name': 'text', 'mac': 'text', 'driver': 'text', 'link': ('up', 'down'), 'speed': 'count or null'}
_DISK = {'path': 'text', 'size': 'count', 'model': 'text', 'serial': 'text', 'rotational': 'bool', 'removable': 'bool'}
FACTS = {
    'mac': 'text',
    'nics': [_NIC],
    'system': {'vendor': 'text', 'product': 'text', 'serial': 'text', 'uuid': 'text'},
    'cpu': {'model': 'text', 'count': 'count'},
    'memory': 'count',
    'disks': [_DISK],
    'firmware': {'mode': ('bios', 'uefi'), 'secure_boot': 'bool'},
}
# Whole numbers up to 2**63 (a disk's size in bytes, a speed in Mb/s).
_COUNT_MAX = 2 ** 63


class ReportRefused(ValueError):
    """A report that is not of the expected shape; the message says why, never what it held."""


def _printable(value, limit):
    return isinstance(value, str) and len(value) <= limit and value.isprintable()


def _fact(value, kind, where):
    """``value`` checked against ``kind`` (FACTS' notation), as the report returns it."""
    if isinstance(kind, dict):
        if not isinstance(value, dict):
            raise ReportRefused(f'{where} is not an object')
        if set(value) - set(kind):
            raise ReportRefused(f'{where} has keys other than {", ".join(kind)}')
        return {key: _fact(value[key], kind[key], f'{where}.{key}') for key in kind if key in value}
    if isinstance(kind, list):
        if not isinstance(value, list) or len(value) > FACT_LIST_MAX:
            raise ReportRefused(f'{where} is not a list of at most {FACT_LIST_MAX} entries')
        return [_fact(entry, kind[0], f'{where}[{index}]') for index, entry in enumerate(value)]
    if isinstance(kind, tuple):
        if value not in kind or not isinstance(value, str):
            raise ReportRefused(f'{where} is not one of {", ".join(kind)}')
        return value
    if kind == 'text':
        if not _printable(value, FACT_TEXT_MAX):
            raise ReportRefused(f'{where} is not a text of at most {FACT_TEXT_MAX} printable characters on one line')
        return mask_tokens(value)
    if kind == 'bool':
        if not isinstance(value, bool):
            raise ReportRefused(f'{where} is not true or false')
        return value
    if value is None and kind == 'count or null':
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < _COUNT_MAX:
        raise ReportRefused(f'{where} is not a whole number >= 0' + (' or null' if kind == 'count or null' else ''))
    return value


def _refuse_constant(name):
    raise ReportRefused(f'it holds {name}, which JSON does not have')


def _refuse_float(_text):
    raise ReportRefused('it holds a number with a fraction or an exponent')


def _object(pairs):
    keys = [key for key, _value in pairs]
    if len(keys) != len(set(keys)):
        raise ReportRefused('an object has a key twice')
    return dict(pairs)


def check_report(data):
    """The report of an agent (``data``, the bytes of ``reports/<token>.json``), checked whole:
    ``{'status', 'step', 'reason', 'log', 'facts'}`` (tokens in its texts masked). Raises
    ReportRefused, saying why, for anything but a JSON object of at most REPORT_MAX_BYTES with
    keys among REPORT_KEYS: ``status`` deployed or failed, ``step`` at most 64 of a-z and space,
    ``reason`` at most 500 printable characters (one line), ``log`` at most 40 such lines of at most
    300, ``facts`` of the shape FACTS describes."""
    if not isinstance(data, bytes):
        raise ReportRefused('it is not a file')
    if len(data) > REPORT_MAX_BYTES:
        raise ReportRefused(f'it is larger than {REPORT_MAX_BYTES} bytes')
    value = load_json(data, ReportRefused, object_pairs_hook=_object, parse_constant=_refuse_constant,
                      parse_float=_refuse_float)
    if not isinstance(value, dict):
        raise ReportRefused('it is not a JSON object')
    if set(value) - set(REPORT_KEYS):
        raise ReportRefused(f'it has keys other than {", ".join(REPORT_KEYS)}')
    status = value.get('status')
    if status not in REPORT_STATUSES or not isinstance(status, str):
        raise ReportRefused(f'status is not {" or ".join(REPORT_STATUSES)}')
    step = value.get('step', '')
    if not isinstance(step, str) or not _STEP.fullmatch(step):
        raise ReportRefused('step is not at most 64 lower-case letters and spaces')
    reason = value.get('reason', '')
    if not _printable(reason, REASON_MAX):
        raise ReportRefused(f'reason is not a text of at most {REASON_MAX} printable characters on one line')
    log = value.get('log', [])
    if not isinstance(log, list) or len(log) > LOG_LINES_MAX:
        raise ReportRefused(f'log is not a list of at most {LOG_LINES_MAX} lines')
    for index, line in enumerate(log):
        if not _printable(line, LOG_LINE_MAX):
            raise ReportRefused(f'log[{index}] is not a text of at most {LOG_LINE_MAX} printable characters on one line')
    facts = _fact(value['facts'], FACTS, 'facts') if value.get('facts') is not None else None
    return {'status': status, 'step': step, 'reason': mask_tokens(reason), 'log': [mask_tokens(line) for line in log],
            'facts': facts}


def agent_result(data):
    """What the report ``data`` (bytes) says, or ``status`` ``refused`` with ``reason`` ``report refused:
    <why>`` and nothing of the report."""
    try:
        return check_report(data)
    except ReportRefused as exc:
        return {'status': 'refused', 'step': '', 'reason': f'report refused: {exc}', 'log': [], 'facts': None}


def _read_bounded(path):
    """The first REPORT_MAX_BYTES + 1 bytes of the regular file at ``path`` (no symbolic link
    followed), None if there is none, or '' (not bytes) if something else is there."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError:
        return ''
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        return ''
    with os.fdopen(descriptor, 'rb') as handle:
        return handle.read(REPORT_MAX_BYTES + 1)


def agent_results(builds, directory):
    """{key: agent_result} of the builds (build_state's records) whose agent reported under
    ``directory`` (``<http root>/reports``): ``<token>.json``; a build without a report is left out."""
    results = {}
    for key, build in builds.items():
        token = build.get('token') if isinstance(build, dict) else None
        if not isinstance(token, str) or not BUILD_TOKEN.fullmatch(token):
            continue
        data = _read_bounded(os.path.join(directory, f'{token}.json'))
        if data is not None:
            results[key] = agent_result(data)
    return results


def agent_summary(result):
    """One line of an agent's result: deployed, failed at its step with its reason, or the refusal."""
    if result['status'] == 'deployed':
        return 'deployed'
    if result['status'] == 'failed':
        return 'failed' + (f' at {result["step"]}' if result['step'] else '') + (f': {result["reason"]}' if result['reason'] else '')
    return result['reason']


def build_progress(records, keys, markers, agents, now):
    """Where the builds of ``keys`` are: {key: {'build', 'state', 'since', 'result'}}, no token.

    ``records`` are build_state's, ``markers`` the tokens whose marker is there, ``agents``
    {key: (agent_result, ISO time of the report)} (agent_results with the report's time) and ``now`` an
    ISO time. ``state`` is ``installed`` (so recorded, or its marker is gone: since ``now``),
    ``failed`` (its agent reported so: since the report, with ``result``, agent_summary's line),
    ``pending``, or ``missing`` (no record: no build was made)."""
    progress = {}
    for key in keys:
        record = records.get(key)
        if record is None:
            progress[key] = {'build': 0, 'state': 'missing', 'since': '', 'result': 'no build'}
            continue
        entry = {'build': record['build'], 'state': record['state'], 'since': record['since'], 'result': ''}
        agent, reported = agents.get(key, (None, ''))
        if record['state'] == 'pending' and agent is not None and agent['status'] == 'failed':
            entry.update(state='failed', since=reported or now, result=agent_summary(agent))
        elif record['state'] == 'pending' and record['token'] not in markers:
            entry.update(state='installed', since=now)
        progress[key] = entry
    return progress


def report(leases, builds, http, tftp, classes, agents=None):
    """{mac: machine} from Kea's leases (lease4-get-all), the builds (build_state), the requests
    of nginx_requests and tftp_requests, assigned_classes and the agents' results (agent_results).
    A machine is any MAC with a lease, a build or logged classes; the files are matched to it by the
    address of its lease; ``agent`` is its agent's result, or None."""
    machines = {}

    def machine(mac):
        return machines.setdefault(mac, {'mac': mac, 'address': '', 'hostname': '', 'lease_ends': '', 'classes': [],
                                         'tftp': [], 'http': [], 'build': None, 'agent': None})

    for lease in leases:
        mac = str(lease.get('hw-address', '')).lower()
        if not mac:
            continue
        entry = machine(mac)
        entry.update(address=lease.get('ip-address', ''), hostname=lease.get('hostname', ''), lease_ends=_lease_time(lease))
    for key, build in builds.items():
        entry = machine(key.replace('-', ':'))
        entry['build'] = {'build': build['build'], 'state': build['state'], 'since': build['since']}
        if key in (agents or {}):
            entry['agent'] = agents[key]
    for mac, (_time, names) in classes.items():
        machine(mac)['classes'] = names
    by_address = {entry['address']: entry for entry in machines.values() if entry['address']}
    for address, time, name in tftp:
        if address in by_address:
            by_address[address]['tftp'].append({'file': name, 'time': time})
    for address, time, method, path, status in http:
        if address in by_address:
            by_address[address]['http'].append({'path': path, 'time': time, 'method': method, 'status': status})
    return dict(sorted(machines.items()))


def table(machines):
    """The report as lines of text: one row per machine."""
    rows = [('MAC', 'ADDRESS', 'CLASSES', 'TFTP', 'HTTP', 'LAST FETCH', 'BUILD')]
    for entry in machines.values():
        fetched = [item['time'] for item in entry['tftp'] + entry['http']]
        build = entry['build']
        rows.append((
            entry['mac'],
            entry['address'] or '-',
            ','.join(entry['classes']) or '-',
            ','.join(dict.fromkeys(item['file'] for item in entry['tftp'])) or '-',
            str(len(entry['http'])),
            max(fetched) if fetched else '-',
            (f'{build["build"]} {build["state"]} since {build["since"]}' if build else '-')
            + (f'; {agent_summary(entry["agent"])}' if entry.get('agent') else ''),
        ))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [' '.join(value.ljust(width) for value, width in zip(row, widths)).rstrip() for row in rows]
