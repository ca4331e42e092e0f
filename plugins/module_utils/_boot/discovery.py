# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Discovery records: the facts the netboot.pxe agent of a machine the inventory does not name
PUTs to the server, which nginx keeps as ``discovered/<the sender's address>.json``.

A record is hostile input: it is used only if it is a small JSON object of exactly the agent's
schema (``inspect()``: mac, nics, system, cpu, memory, disks, firmware), every text of a
conservative set of characters, every number in its range, and it names its boot interface.
Anything else is refused whole, with the field and a bounded repr of its value, and nothing of it
is used.

Private module: its API may change without notice.
"""

from __future__ import annotations

import datetime
import os
import posixpath
import re
import stat

from ansible_collections.netboot.pxe.plugins.module_utils._validate import DISK_PATH, INTERFACE, MAC_KEY, is_ipv4, load_json, normalize_mac

# What nginx takes (access.REPORT_MAX_BODY), and what is read of a record.
RECORD_MAX_BYTES = 65536
NICS_MAX = 64
DISKS_MAX = 64
# The longest text of a value shown in an error.
SHOWN_MAX = 40

MAC = re.compile(r'[0-9a-f]{2}(?::[0-9a-f]{2}){5}')
DRIVER = re.compile(r'[A-Za-z0-9_.-]{0,64}')
UUID = re.compile(r'(?:[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})?')
# DMI text: no quote, "$", backquote, ";", "|", "&", "<", ">", backslash, braces, "%", "*" or
# control character, no space at either end.
_DMI_CHAR = r'[A-Za-z0-9._,:/()+#@=-]'


def _dmi_text(limit):
    return re.compile(rf'(?:{_DMI_CHAR}(?:[ A-Za-z0-9._,:/()+#@=-]{{0,{limit - 2}}}{_DMI_CHAR})?)?')


DMI_TEXT = _dmi_text(128)
DISK_TEXT = _dmi_text(64)
# A record's file: <the sender's address>.json. A file name shown without quotes.
_RECORD_NAME = re.compile(r'(.+)\.json')
_PLAIN_NAME = re.compile(r'[A-Za-z0-9._-]{1,64}')
# The name of the whole record in an error.
_RECORD = 'the record'


class DiscoveryError(ValueError):
    """A discovery record that is not of the agent's schema; the message names the field and its value."""


def shown(value):
    """A bounded repr of ``value``: a text's first SHOWN_MAX characters, a container's kind and size."""
    if isinstance(value, str):
        return repr(value[:SHOWN_MAX]) + ('...' if len(value) > SHOWN_MAX else '')
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10 ** SHOWN_MAX:
        return f'a number of more than {SHOWN_MAX} digits'
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    if isinstance(value, dict):
        return f'an object of {len(value)} keys'
    if isinstance(value, list):
        return f'a list of {len(value)} entries'
    return f'a {type(value).__name__}'


def _refuse(where, value, what):
    raise DiscoveryError(f'{where}: {shown(value)} is not {what}')


def _text(pattern, what):
    def check(value, where):
        if not isinstance(value, str) or not pattern.fullmatch(value):
            _refuse(where, value, what)
        return value
    return check


def _one_of(*choices):
    def check(value, where):
        if not isinstance(value, str) or value not in choices:
            _refuse(where, value, f'one of {", ".join(choices)}')
        return value
    return check


def _whole(high, nullable=False):
    def check(value, where):
        if value is None and nullable:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= high:
            _refuse(where, value, f'a whole number from 0 to {high}' + (' or null' if nullable else ''))
        return value
    return check


def _flag(value, where):
    if not isinstance(value, bool):
        _refuse(where, value, 'true or false')
    return value


def _object(fields):
    def check(value, where):
        if not isinstance(value, dict):
            _refuse(where, value, 'an object')
        unknown = [key for key in value if key not in fields]
        if unknown:
            raise DiscoveryError(f'{where}: unknown keys {", ".join(shown(key) for key in unknown[:3])}'
                                 f'{", ..." if len(unknown) > 3 else ""}; known: {", ".join(fields)}')
        missing = [key for key in fields if key not in value]
        if missing:
            raise DiscoveryError(f'{where}: misses {", ".join(missing)}')
        return {key: check_field(value[key], f'{where}.{key}' if where != _RECORD else key)
                for key, check_field in fields.items()}
    return check


def _list(entry, limit):
    def check(value, where):
        if not isinstance(value, list) or len(value) > limit:
            _refuse(where, value, f'a list of at most {limit} entries')
        return [entry(item, f'{where}[{index}]') for index, item in enumerate(value)]
    return check


# The agent's schema (inspect() of netboot-agent.py), field by field.
_MAC_ADDRESS = _text(MAC, 'a MAC address in lower case with colons, like 52:54:00:12:34:56')
_CHARACTERS = 'letters, digits, spaces (not at either end) and ._,:/()+#@=-'
_CHECK = _object({
    'mac': _text(MAC, 'the MAC of the boot interface in lower case with colons, like 52:54:00:12:34:56: '
                      'the record must name its boot interface'),
    'nics': _list(_object({
        'name': _text(INTERFACE, 'an interface name of 1 to 15 letters, digits and _.@-'),
        'mac': _MAC_ADDRESS,
        'driver': _text(DRIVER, 'a driver name of at most 64 letters, digits and _.-'),
        'link': _one_of('up', 'down'),
        'speed': _whole(10_000_000, nullable=True),
    }), NICS_MAX),
    'system': _object({
        'vendor': _text(DMI_TEXT, f'a text of at most 128 {_CHARACTERS}'),
        'product': _text(DMI_TEXT, f'a text of at most 128 {_CHARACTERS}'),
        'serial': _text(DMI_TEXT, f'a text of at most 128 {_CHARACTERS}'),
        'uuid': _text(UUID, 'empty or a UUID like 4c4c4544-0042-3510-8052-b4c04f4e4b32'),
    }),
    'cpu': _object({
        'model': _text(DMI_TEXT, f'a text of at most 128 {_CHARACTERS}'),
        'count': _whole(65536),
    }),
    'memory': _whole(2 ** 50),
    'disks': _list(_object({
        'path': _text(DISK_PATH, 'a disk as the kernel names it, like /dev/sda or /dev/nvme0n1'),
        'size': _whole(2 ** 60),
        'model': _text(DISK_TEXT, f'a text of at most 64 {_CHARACTERS}'),
        'serial': _text(DISK_TEXT, f'a text of at most 64 {_CHARACTERS}'),
        'rotational': _flag,
        'removable': _flag,
    }), DISKS_MAX),
    'firmware': _object({
        'mode': _one_of('bios', 'uefi'),
        'secure_boot': _flag,
    }),
})


def check_record(document):
    """A new dict of exactly the agent's schema from ``document`` (a parsed record), or DiscoveryError
    naming the first field that is not of it (like ``disks[2].serial``) and a bounded repr of its
    value. ``mac`` must be the MAC of one of ``nics``: the machine's boot interface."""
    record = _CHECK(document, _RECORD)
    if record['mac'] not in {nic['mac'] for nic in record['nics']}:
        raise DiscoveryError(f'mac: {shown(record["mac"])} is not the MAC of one of nics: the record must name '
                             'its boot interface')
    return record


# --- The records on the server ------------------------------------------------------------------

def _no_duplicate_keys(pairs):
    value = {}
    for key, item in pairs:
        if key in value:
            raise DiscoveryError(f'an object has the key {shown(key)} twice')
        value[key] = item
    return value


def _parse(data):
    """The JSON value of the bytes ``data``, or DiscoveryError saying why there is none."""
    if len(data) > RECORD_MAX_BYTES:
        raise DiscoveryError(f'it is larger than {RECORD_MAX_BYTES} bytes')
    return load_json(data, DiscoveryError, object_pairs_hook=_no_duplicate_keys)


def _read(path):
    """(the first RECORD_MAX_BYTES + 1 bytes, mtime) of the regular file at ``path``, no symbolic
    link followed; None if it is gone; DiscoveryError if it is not a regular file or too large."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode):
        raise DiscoveryError('it is a symbolic link')
    if not stat.S_ISREG(info.st_mode):
        raise DiscoveryError('it is not a regular file')
    if info.st_size > RECORD_MAX_BYTES:
        raise DiscoveryError(f'it is larger than {RECORD_MAX_BYTES} bytes')
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DiscoveryError(f'it cannot be opened: {exc.strerror}') from None
    with os.fdopen(descriptor, 'rb') as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise DiscoveryError('it is not a regular file')
        return handle.read(RECORD_MAX_BYTES + 1), info.st_mtime


def _file_name(name):
    """``name`` as it is if it is plain, else a bounded repr of it."""
    return name if _PLAIN_NAME.fullmatch(name) else shown(name)


def known_macs_in(directory):
    """The MACs (lower case, with colons) of the ipxe role's markers ``known/<MAC with ->``; others ignored."""
    try:
        names = os.listdir(directory) if directory else []
    except (FileNotFoundError, NotADirectoryError):
        names = []
    return {name.replace('-', ':') for name in names if MAC_KEY.fullmatch(name)}


def read_records(directory, known_macs):
    """``(records, refused)`` of the files in ``directory`` (``<http root>/discovered``; none if it is
    missing). A record is a regular file ``<IPv4 address>.json`` of at most RECORD_MAX_BYTES of
    UTF-8 JSON that check_record takes, whose ``mac`` is not among ``known_macs`` (lower case with
    colons: the machines the inventory names) nor claimed by another record.

    ``records``: ``{'mac', 'address', 'time' (the file's mtime, UTC), 'facts' (check_record's dict)}``
    sorted by mac; ``refused``: ``{'file', 'reason'}`` sorted by file, nothing of the record in it
    but the bounded value the reason names."""
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return [], []
    found, refused = [], []
    for name in names:
        try:
            match = _RECORD_NAME.fullmatch(name)
            if not match or not is_ipv4(match.group(1)):
                raise DiscoveryError('its name is not <IPv4 address>.json')
            read = _read(os.path.join(directory, name))
            if read is None:
                continue
            data, mtime = read
            facts = check_record(_parse(data))
        except DiscoveryError as exc:
            refused.append({'file': _file_name(name), 'reason': str(exc)})
            continue
        written = datetime.datetime.fromtimestamp(mtime, datetime.timezone.utc).isoformat(timespec='seconds')
        found.append({'mac': facts['mac'], 'address': match.group(1), 'time': written, 'facts': facts})
    known = {normalize_mac(mac) or mac for mac in known_macs}
    claims = {}
    for record in found:
        claims.setdefault(record['mac'], []).append(record['address'])
    records = []
    for record in found:
        others = [address for address in claims[record['mac']] if address != record['address']]
        if record['mac'] in known:
            # The machine's own record from before it was enrolled, or a claim to another machine's MAC.
            reason = f'it claims the MAC of a machine the inventory names ({record["mac"]}): enrolled since, or not its own'
        elif others:
            reason = f'it claims the MAC {record["mac"]}, as {" and ".join(sorted(others))} also do: all are refused'
        else:
            records.append(record)
            continue
        refused.append({'file': f'{record["address"]}.json', 'reason': reason})
    return sorted(records, key=lambda record: record['mac']), sorted(refused, key=lambda entry: entry['file'])


def summary(record):
    """A row of short texts of ``record`` (of read_records) for a report table: mac, address, vendor,
    product, serial, cpus, memory (GiB), disks (name and size in GB each), firmware. A text the
    machine left empty stays empty."""
    facts = record['facts']
    firmware = facts['firmware']
    return {
        'mac': record['mac'],
        'address': record['address'],
        'vendor': facts['system']['vendor'],
        'product': facts['system']['product'],
        'serial': facts['system']['serial'],
        'cpus': str(facts['cpu']['count']),
        'memory': f'{facts["memory"] / 2 ** 30:.1f} GiB',
        'disks': ', '.join(f'{posixpath.basename(disk["path"])} {disk["size"] / 1e9:.1f} GB' for disk in facts['disks']),
        'firmware': firmware['mode'] + (', secure boot' if firmware['secure_boot'] else ''),
    }


def discovery_table(records, refused):
    """The discovered machines as lines of text, one row each, then one line per refused record."""
    columns = ('mac', 'address', 'vendor', 'product', 'serial', 'cpus', 'memory', 'disks', 'firmware')
    rows = [tuple(column.upper() for column in columns)]
    rows += [tuple(summary(record)[column] or '-' for column in columns) for record in records]
    widths = [max(len(row[column]) for row in rows) for column in range(len(columns))]
    lines = [' '.join(value.ljust(width) for value, width in zip(row, widths)).rstrip() for row in rows]
    return lines + [f'refused {entry["file"]}: {entry["reason"]}' for entry in refused]
