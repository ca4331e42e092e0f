# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The boot report: per MAC, the lease Kea gave, the DHCP classes Kea logged, the files fetched
over TFTP and HTTP (from tftpd's and nginx's logs, matched by address) and the install build.
Build tokens are never reported: a path that holds one shows its first 4 digits (mask_tokens), a
build its number, state and time.

Private module: its API may change without notice.
"""

from __future__ import annotations

import csv
import datetime
import io
import re

from ansible_collections.netboot.pxe.plugins.module_utils._boot.builds import mask_tokens

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


def report(leases, builds, http, tftp, classes):
    """{mac: machine} from Kea's leases (lease4-get-all), the builds (build_state), the requests
    of nginx_requests and tftp_requests, and assigned_classes. A machine is any MAC with a lease,
    a build or logged classes; the files are matched to it by the address of its lease."""
    machines = {}

    def machine(mac):
        return machines.setdefault(mac, {'mac': mac, 'address': '', 'hostname': '', 'lease_ends': '', 'classes': [],
                                         'tftp': [], 'http': [], 'build': None})

    for lease in leases:
        mac = str(lease.get('hw-address', '')).lower()
        if not mac:
            continue
        entry = machine(mac)
        entry.update(address=lease.get('ip-address', ''), hostname=lease.get('hostname', ''), lease_ends=_lease_time(lease))
    for key, build in builds.items():
        entry = machine(key.replace('-', ':'))
        entry['build'] = {'build': build['build'], 'state': build['state'], 'since': build['since']}
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
            f'{build["build"]} {build["state"]} since {build["since"]}' if build else '-',
        ))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [' '.join(value.ljust(width) for value, width in zip(row, widths)).rstrip() for row in rows]
