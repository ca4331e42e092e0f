# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy
import importlib.util
import json
import os
import pathlib
import re

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._boot.discovery import (
    RECORD_MAX_BYTES,
    DiscoveryError,
    check_record,
    known_macs_in,
    discovery_table,
    read_records,
    summary,
)

AGENT = pathlib.Path(__file__).resolve().parents[5] / 'roles' / 'images' / 'files' / 'netboot-agent.py'
MAC = '52:54:00:77:20:15'
GOOD = {
    'mac': MAC,
    'nics': [{'name': 'ens3', 'mac': MAC, 'driver': 'virtio_net', 'link': 'up', 'speed': None},
             {'name': 'enp0s25', 'mac': '00:1b:21:3a:4f:10', 'driver': 'e1000e', 'link': 'down', 'speed': 1000}],
    'system': {'vendor': 'QEMU', 'product': 'Standard PC (i440FX + PIIX, 1996)', 'serial': '',
               'uuid': '4c4c4544-0042-3510-8052-b4c04f4e4b32'},
    'cpu': {'model': 'Intel(R) Xeon(R) CPU           E5-2670 0 @ 2.60GHz', 'count': 2},
    'memory': 1610612736,
    'disks': [{'path': '/dev/sda', 'size': 8000000000, 'model': 'QEMU HARDDISK', 'serial': 'QM00001',
               'rotational': True, 'removable': False},
              {'path': '/dev/nvme0n1', 'size': 512110190592, 'model': 'Samsung SSD 970 EVO Plus 512GB',
               'serial': 'S4EWNX0N123456A', 'rotational': False, 'removable': False}],
    'firmware': {'mode': 'uefi', 'secure_boot': True},
}
# Other machines as their firmware describes them.
DELL = dict(GOOD, system={'vendor': 'Dell Inc.', 'product': 'PowerEdge R640', 'serial': '7XJ2K13',
                          'uuid': '4C4C4544-0058-4A10-8032-B7C04F4B3133'})
MSI = dict(GOOD, system={'vendor': 'Micro-Star International Co., Ltd.', 'product': 'MS-7C02', 'serial': 'To be filled by O.E.M.',
                         'uuid': ''}, cpu={'model': 'AMD Ryzen 9 5950X 16-Core Processor', 'count': 32})
VMWARE = dict(GOOD, system={'vendor': 'VMware, Inc.', 'product': 'VMware7,1',
                            'serial': 'VMware-56 4d 0f 1a 2b 3c 4d 5e-6f 70 81 92 a3 b4 c5 d6', 'uuid': ''})
DISKLESS = dict(GOOD, disks=[], firmware={'mode': 'bios', 'secure_boot': False})


def changed(path, value, record=None):
    """A copy of ``record`` (GOOD by default) with the field at ``path`` (keys and indexes) set to ``value``."""
    copied = copy.deepcopy(GOOD if record is None else record)
    target = copied
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return copied


def removed(path):
    copied = copy.deepcopy(GOOD)
    target = copied
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]
    return copied


def fields(value, path=()):
    """(path, value) of every leaf of ``value``."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from fields(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from fields(item, path + (index,))
    else:
        yield path, value


def objects(value, path=()):
    """The path of ``value`` and of every object in it."""
    if isinstance(value, dict):
        yield path
        for key, item in value.items():
            yield from objects(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from objects(item, path + (index,))


def where(path):
    """A path as the errors name it: ``disks[1].serial``."""
    text = ''
    for part in path:
        text += f'[{part}]' if isinstance(part, int) else f'.{part}'
    return text.lstrip('.')


STRING_FIELDS = [path for path, value in fields(GOOD) if isinstance(value, str)]
HOSTILE_STRINGS = {'newline': 'QEMU\nx', 'command': '$(reboot)', 'double-quote': 'a"b', 'single-quote': "a'b",
                   'backquote': 'a`reboot`', 'semicolon': '; rm -rf /', 'long': 'a' * 10000, 'number': 5,
                   'null': None, 'list': ['QEMU'], 'object': {'a': 'b'}, 'bool': True, 'nul': 'a\x00b',
                   'escape': '\x1b[2J', 'right-to-left': 'a\u202eb', 'surrogate': '\ud800', 'brace': '${IFS}',
                   'redirect': 'a>b', 'pipe': 'a|b', 'backslash': 'a\\b', 'percent': '%s', 'star': '*'}


def test_a_real_looking_record_comes_back_equal_and_new():
    clean = check_record(GOOD)
    assert clean == GOOD
    assert clean is not GOOD and clean['nics'] is not GOOD['nics'] and clean['disks'][0] is not GOOD['disks'][0]
    # Through JSON, as the server reads it.
    assert check_record(json.loads(json.dumps(GOOD))) == GOOD


@pytest.mark.parametrize('record', [DELL, MSI, VMWARE, DISKLESS,
                                    changed(('nics',), [GOOD['nics'][0]] * 64),
                                    changed(('disks',), [GOOD['disks'][0]] * 64),
                                    changed(('system', 'product'), 'x' * 128),
                                    changed(('disks', 0, 'serial'), 'x' * 64),
                                    changed(('nics', 0, 'speed'), 10_000_000),
                                    changed(('memory',), 2 ** 50), changed(('disks', 0, 'size'), 2 ** 60),
                                    changed(('cpu', 'count'), 65536), changed(('cpu', 'count'), 0),
                                    changed(('nics', 0, 'driver'), ''), changed(('nics', 1, 'name'), 'en0.100@x_y-z')],
                         ids=['dell', 'msi', 'vmware', 'diskless', '64-nics', '64-disks', 'longest-dmi-text',
                              'longest-disk-text', 'fastest-link', 'largest-memory', 'largest-disk', 'most-cpus',
                              'no-cpus', 'no-driver', 'interface-characters'])
def test_what_a_machine_may_send_passes(record):
    assert check_record(record) == record


def test_what_the_agent_sends_of_a_machine_passes(tmp_path):
    spec = importlib.util.spec_from_file_location('netboot_agent', AGENT)
    agent = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(agent)
    files = {
        'sys/class/dmi/id/sys_vendor': 'QEMU\n', 'sys/class/dmi/id/product_name': 'Standard PC (Q35 + ICH9, 2009)\n',
        'sys/class/dmi/id/product_serial': '\n', 'sys/class/dmi/id/product_uuid': '6e1c5b2a-0000-4000-8000-000000000001\n',
        'sys/class/net/ens3/address': '52:54:00:AA:00:01\n', 'sys/class/net/ens3/carrier': '1\n',
        'sys/class/net/ens3/speed': '-1\n', 'sys/class/net/lo/address': '00:00:00:00:00:00\n',
        'sys/block/sda/size': '16777216\n', 'sys/block/sda/device/model': 'QEMU HARDDISK   \n',
        'sys/block/sda/queue/rotational': '1\n', 'sys/block/sda/removable': '0\n', 'sys/block/sr0/size': '2097152\n',
        'proc/cpuinfo': 'processor\t: 0\nmodel name\t: QEMU Virtual CPU version 2.5+\n',
        'proc/meminfo': 'MemTotal:        2035712 kB\n',
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / 'sys/bus/pci/drivers/virtio-pci').mkdir(parents=True)
    (tmp_path / 'sys/class/net/ens3/device').mkdir()
    (tmp_path / 'sys/class/net/ens3/device/driver').symlink_to(tmp_path / 'sys/bus/pci/drivers/virtio-pci')
    facts = agent.inspect(str(tmp_path / 'sys'), str(tmp_path / 'proc'), mac='52:54:00:aa:00:01')
    assert check_record(json.loads(json.dumps(facts))) == facts
    # Without BOOTIF the agent does not know its boot interface: the record is refused.
    with pytest.raises(DiscoveryError, match="^mac: '' is not the MAC of the boot interface"):
        check_record(dict(facts, mac=''))


@pytest.mark.parametrize('path', STRING_FIELDS, ids=where)
@pytest.mark.parametrize('value', HOSTILE_STRINGS.values(), ids=HOSTILE_STRINGS.keys())
def test_a_hostile_string_is_refused_with_its_field(path, value):
    with pytest.raises(DiscoveryError) as error:
        check_record(changed(path, value))
    message = str(error.value)
    assert message.startswith(f'{where(path)}: '), message
    # The value is shown bounded and escaped: on one line, never whole when long.
    assert message.isprintable() and len(message) < 300, message


@pytest.mark.parametrize('path', [('system', 'vendor'), ('system', 'product'), ('system', 'serial'), ('cpu', 'model'),
                                  ('disks', 1, 'model'), ('disks', 1, 'serial')], ids=where)
@pytest.mark.parametrize('value', [' QEMU', 'QEMU ', ' ', 'x' * 129, 'caf\xe9', 'a\tb', 'a;b', 'a&b', 'a<b', 'a{b}', '\ufffd'],
                         ids=['leading-space', 'trailing-space', 'only-space', 'too-long', 'not-ascii', 'tab', 'semicolon',
                              'ampersand', 'less-than', 'braces', 'replacement-character'])
def test_dmi_text_is_exactly_of_the_conservative_set(path, value):
    with pytest.raises(DiscoveryError, match=f'^{re.escape(where(path))}: .* is not a text of at most'):
        check_record(changed(path, value))


def test_a_disk_text_is_at_most_64_characters():
    with pytest.raises(DiscoveryError, match=r"^disks\[0\]\.model: 'x{40}'\.\.\. is not a text of at most 64"):
        check_record(changed(('disks', 0, 'model'), 'x' * 65))


@pytest.mark.parametrize('path, value, message', [
    # Types are exact: a bool is no number, a number no bool, a list no object.
    (('memory',), True, r"memory: True is not a whole number from 0 to 1125899906842624$"),
    (('cpu', 'count'), False, r'cpu\.count: False is not a whole number from 0 to 65536$'),
    (('nics', 0, 'speed'), True, r'nics\[0\]\.speed: True is not a whole number from 0 to 10000000 or null$'),
    (('disks', 0, 'size'), 8.0, r'disks\[0\]\.size: 8\.0 is not a whole number'),
    (('disks', 0, 'size'), '8000000000', r"disks\[0\]\.size: '8000000000' is not a whole number"),
    (('disks', 0, 'size'), None, r'disks\[0\]\.size: None is not a whole number from 0 to \d+$'),
    (('memory',), float('nan'), r'memory: nan is not a whole number'),
    (('memory',), 10 ** 100, r'memory: a number of more than 40 digits is not a whole number'),
    (('disks', 0, 'rotational'), 1, r'disks\[0\]\.rotational: 1 is not true or false$'),
    (('disks', 0, 'removable'), 'false', r"disks\[0\]\.removable: 'false' is not true or false$"),
    (('firmware', 'secure_boot'), 0, r'firmware\.secure_boot: 0 is not true or false$'),
    (('system',), [GOOD['system']], r'system: a list of 1 entries is not an object$'),
    (('firmware',), 'uefi', r"firmware: 'uefi' is not an object$"),
    (('nics',), GOOD['nics'][0], r'nics: an object of 5 keys is not a list of at most 64 entries$'),
    (('disks', 0), ['/dev/sda'], r'disks\[0\]: a list of 1 entries is not an object$'),
    (('nics', 1), None, r'nics\[1\]: None is not an object$'),
    # Ranges.
    (('memory',), -1, r'memory: -1 is not a whole number from 0'),
    (('memory',), 2 ** 50 + 1, r'memory: 1125899906842625 is not a whole number from 0 to 1125899906842624$'),
    (('disks', 0, 'size'), 2 ** 60 + 1, r'disks\[0\]\.size: \d+ is not a whole number'),
    (('cpu', 'count'), 65537, r'cpu\.count: 65537 is not a whole number from 0 to 65536$'),
    (('nics', 0, 'speed'), 10_000_001, r'nics\[0\]\.speed: 10000001 is not a whole number'),
    (('nics', 0, 'speed'), -1, r'nics\[0\]\.speed: -1 is not a whole number'),
    (('disks',), [GOOD['disks'][0]] * 65, r'disks: a list of 65 entries is not a list of at most 64 entries$'),
    (('nics',), [GOOD['nics'][0]] * 65, r'nics: a list of 65 entries is not a list of at most 64 entries$'),
    # Values of their own shape.
    (('mac',), '52:54:00:77:20:1', r"mac: '52:54:00:77:20:1' is not the MAC of the boot interface"),
    (('mac',), '52-54-00-77-20-15', r"mac: '52-54-00-77-20-15' is not the MAC of the boot interface"),
    (('nics', 1, 'mac'), '00:1B:21:3A:4F:10', r"nics\[1\]\.mac: '00:1B:21:3A:4F:10' is not a MAC address in lower case"),
    (('nics', 0, 'name'), '', r"nics\[0\]\.name: '' is not an interface name"),
    (('nics', 0, 'name'), 'a' * 16, r"nics\[0\]\.name: 'a{16}' is not an interface name of 1 to 15"),
    (('nics', 0, 'name'), 'eth0:1', r"nics\[0\]\.name: 'eth0:1' is not an interface name"),
    (('nics', 0, 'driver'), 'virtio net', r"nics\[0\]\.driver: 'virtio net' is not a driver name"),
    (('nics', 0, 'driver'), 'd' * 65, r"nics\[0\]\.driver: 'd{40}'\.\.\. is not a driver name of at most 64"),
    (('nics', 0, 'link'), 'UP', r"nics\[0\]\.link: 'UP' is not one of up, down$"),
    (('firmware', 'mode'), 'coreboot', r"firmware\.mode: 'coreboot' is not one of bios, uefi$"),
    (('system', 'uuid'), '4c4c4544-0042-3510-8052', r"system\.uuid: '4c4c4544-0042-3510-8052' is not empty or a UUID"),
    (('system', 'uuid'), '{4c4c4544-0042-3510-8052-b4c04f4e4b32}', r'system\.uuid: .* is not empty or a UUID'),
    (('disks', 1, 'path'), '/dev/../etc/passwd', r"disks\[1\]\.path: '/dev/\.\./etc/passwd' is not a disk as the kernel"),
    (('disks', 1, 'path'), '/dev/sda1 /dev/sdb', r'disks\[1\]\.path: .* is not a disk'),
    (('disks', 1, 'path'), 'sda', r"disks\[1\]\.path: 'sda' is not a disk"),
], ids=lambda value: None)
def test_a_value_of_the_wrong_type_or_range_is_refused(path, value, message):
    with pytest.raises(DiscoveryError, match=f'^{message}'):
        check_record(changed(path, value))


@pytest.mark.parametrize('path', list(objects(GOOD)), ids=lambda path: where(path) or 'record')
def test_an_extra_key_is_refused_at_every_level(path):
    record = copy.deepcopy(GOOD)
    target = record
    for part in path:
        target = target[part]
    target['extra\n$(reboot)'] = 1
    with pytest.raises(DiscoveryError) as error:
        check_record(record)
    assert str(error.value).startswith(f"{where(path) or 'the record'}: unknown keys 'extra\\n$(reboot)'; known: ")


def test_unknown_keys_are_shown_bounded():
    record = dict(GOOD, **{f'k{number}' * 100: number for number in range(10)})
    with pytest.raises(DiscoveryError) as error:
        check_record(record)
    message = str(error.value)
    assert len(message) < 300 and f"'{'k0' * 20}'..." in message and ', ...; known: ' in message, message


@pytest.mark.parametrize('path', [path for path, _value in fields(GOOD)] + [('nics',), ('system',), ('disks',)],
                         ids=where)
def test_a_missing_key_is_refused(path):
    parent = where(path[:-1]) or 'the record'
    with pytest.raises(DiscoveryError, match=f'^{re.escape(parent)}: misses {path[-1]}$'):
        check_record(removed(path))


@pytest.mark.parametrize('document', [[GOOD], 'record', None, 5, True],
                         ids=['list', 'string', 'null', 'number', 'bool'])
def test_a_record_is_an_object(document):
    with pytest.raises(DiscoveryError, match='^the record: .* is not an object$'):
        check_record(document)


@pytest.mark.parametrize('record', [changed(('mac',), '52:54:00:77:20:99'), changed(('nics',), GOOD['nics'][1:]),
                                    changed(('nics',), [])],
                         ids=['another-mac', 'boot-nic-left-out', 'no-nics'])
def test_the_mac_is_one_of_the_nics(record):
    with pytest.raises(DiscoveryError, match=f"^mac: '{record['mac']}' is not the MAC of one of nics: the record must "
                                             'name its boot interface$'):
        check_record(record)


# --- The records on the server

OTHER = changed(('mac',), '00:1b:21:3a:4f:10')


def put(directory, name, content, mtime=1796031601):
    path = directory / name
    path.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
    os.utime(path, (mtime, mtime))
    return path


@pytest.fixture
def discovered(tmp_path):
    directory = tmp_path / 'discovered'
    directory.mkdir()
    return directory


def test_a_missing_directory_has_no_records(tmp_path):
    assert read_records(str(tmp_path / 'discovered'), set()) == ([], [])


def test_good_records_are_read_with_their_time_sorted_by_mac(discovered):
    put(discovered, '10.77.20.15.json', GOOD)
    put(discovered, '10.77.20.9.json', OTHER, mtime=1796035201)
    records, refused = read_records(str(discovered), {'52:54:00:00:00:01'})
    assert refused == []
    assert records == [
        {'mac': '00:1b:21:3a:4f:10', 'address': '10.77.20.9', 'time': '2026-11-30T10:40:01+00:00', 'facts': OTHER},
        {'mac': MAC, 'address': '10.77.20.15', 'time': '2026-11-30T09:40:01+00:00', 'facts': GOOD},
    ]


# (file name, content: bytes or a value to encode, or a callable making the entry; the reason it is refused)
REFUSED = [
    pytest.param('record.json', GOOD, 'its name is not <IPv4 address>.json', id='not-an-address'),
    pytest.param('10.77.20.15', GOOD, 'its name is not <IPv4 address>.json', id='no-suffix'),
    pytest.param('10.77.20.15.json.tmp', GOOD, 'its name is not <IPv4 address>.json', id='other-suffix'),
    pytest.param('010.77.20.15.json', GOOD, 'its name is not <IPv4 address>.json', id='leading-zero'),
    pytest.param('10.77.20.256.json', GOOD, 'its name is not <IPv4 address>.json', id='octet-too-large'),
    pytest.param('.10.77.20.15.json', GOOD, 'its name is not <IPv4 address>.json', id='hidden'),
    pytest.param('10.77.20.15.json', b'{"mac": ', 'it is not JSON', id='truncated'),
    pytest.param('10.77.20.15.json', b'', 'it is not JSON', id='empty'),
    pytest.param('10.77.20.15.json', b'\xff\xfe{}', 'it is not UTF-8 text', id='not-utf-8'),
    pytest.param('10.77.20.15.json', b'[' * 30000 + b']' * 30000, 'it is nested too deeply', id='nested'),
    pytest.param('10.77.20.15.json', b'{"memory": 1' + b'0' * 5000 + b'}', 'it is not JSON', id='huge-integer'),
    pytest.param('10.77.20.15.json', b'{"mac": "a", "mac": "b"}', "an object has the key 'mac' twice", id='key-twice'),
    pytest.param('10.77.20.15.json', json.dumps(GOOD).encode() + b' ' * RECORD_MAX_BYTES,
                 'it is larger than 65536 bytes', id='oversized'),
    pytest.param('10.77.20.15.json', [GOOD], 'the record: a list of 1 entries is not an object', id='a-list'),
    pytest.param('10.77.20.15.json', 'GOOD', "the record: 'GOOD' is not an object", id='a-string'),
    pytest.param('10.77.20.15.json', None, 'the record: None is not an object', id='null'),
    pytest.param('10.77.20.15.json', changed(('disks', 0, 'serial'), '$(reboot)'),
                 "disks[0].serial: '$(reboot)' is not a text of at most 64", id='hostile-serial'),
    pytest.param('10.77.20.15.json', lambda path: path.symlink_to('/etc/hostname'), 'it is a symbolic link', id='symlink'),
    pytest.param('10.77.20.15.json', lambda path: path.symlink_to(path.parent / 'missing'), 'it is a symbolic link',
                 id='dangling-symlink'),
    pytest.param('10.77.20.15.json', lambda path: path.mkdir(), 'it is not a regular file', id='directory'),
    pytest.param('10.77.20.15.json', os.mkfifo, 'it is not a regular file', id='fifo'),
]


@pytest.mark.parametrize('name, content, reason', REFUSED)
def test_a_hostile_file_is_refused_whole(discovered, name, content, reason):
    if callable(content):
        content(discovered / name)
    else:
        put(discovered, name, content)
    put(discovered, '10.77.20.9.json', OTHER)
    records, refused = read_records(str(discovered), set())
    assert [record['address'] for record in records] == ['10.77.20.9']
    assert len(refused) == 1 and refused[0]['file'] == name, refused
    assert refused[0]['reason'].startswith(reason), refused


@pytest.mark.parametrize('name, shown', [
    ('10.77.20.15.json\n$(reboot)', "'10.77.20.15.json\\n$(reboot)'"),
    ('x' * 200, repr('x' * 40) + '...'),
    ('a b', "'a b'"),
    ('caf\udcc3.json', "'caf\\udcc3.json'"),
])
def test_a_hostile_file_name_is_shown_bounded(discovered, name, shown):
    put(discovered, name, GOOD)
    assert read_records(str(discovered), set()) == ([], [{'file': shown, 'reason': 'its name is not <IPv4 address>.json'}])


@pytest.mark.parametrize('known', [{MAC}, {MAC.upper()}, {MAC.replace(':', '-')}], ids=['colons', 'upper-case', 'hyphens'])
def test_a_record_claiming_a_known_mac_is_refused(discovered, known):
    put(discovered, '10.77.20.15.json', GOOD)
    put(discovered, '10.77.20.9.json', OTHER)
    records, refused = read_records(str(discovered), known)
    assert [record['address'] for record in records] == ['10.77.20.9']
    assert refused == [{'file': '10.77.20.15.json',
                        'reason': f'it claims the MAC of a machine the inventory names ({MAC}): enrolled since, or not its own'}]


def test_records_claiming_the_same_mac_are_all_refused(discovered):
    for address in ('10.77.20.15', '10.77.20.16', '10.77.20.17'):
        put(discovered, f'{address}.json', GOOD)
    put(discovered, '10.77.20.9.json', OTHER)
    records, refused = read_records(str(discovered), set())
    assert [record['address'] for record in records] == ['10.77.20.9']
    assert refused == [
        {'file': '10.77.20.15.json', 'reason': f'it claims the MAC {MAC}, as 10.77.20.16 and 10.77.20.17 also do: all are refused'},
        {'file': '10.77.20.16.json', 'reason': f'it claims the MAC {MAC}, as 10.77.20.15 and 10.77.20.17 also do: all are refused'},
        {'file': '10.77.20.17.json', 'reason': f'it claims the MAC {MAC}, as 10.77.20.15 and 10.77.20.16 also do: all are refused'},
    ]


def test_nothing_of_a_refused_record_is_returned(discovered):
    secret = 'SECRET-\u202e-value'
    put(discovered, '10.77.20.15.json', changed(('cpu', 'model'), secret * 10))
    put(discovered, '10.77.20.16.json', dict(GOOD, **{secret: 1}))
    put(discovered, '10.77.20.17.json', changed(('system', 'serial'), 'SECRET-' + 'x' * 200))
    records, refused = read_records(str(discovered), set())
    assert records == [] and len(refused) == 3
    for entry in refused:
        assert entry['reason'].isprintable() and len(entry['reason']) < 300, entry
        assert '\u202e' not in entry['reason'] and 'x' * 41 not in entry['reason'], entry


@pytest.mark.parametrize('record, row', [
    (GOOD, {'vendor': 'QEMU', 'product': 'Standard PC (i440FX + PIIX, 1996)', 'serial': '', 'cpus': '2',
            'memory': '1.5 GiB', 'disks': 'sda 8.0 GB, nvme0n1 512.1 GB', 'firmware': 'uefi, secure boot'}),
    (changed(('firmware', 'secure_boot'), False, DELL),
     {'vendor': 'Dell Inc.', 'product': 'PowerEdge R640', 'serial': '7XJ2K13', 'cpus': '2', 'memory': '1.5 GiB',
      'disks': 'sda 8.0 GB, nvme0n1 512.1 GB', 'firmware': 'uefi'}),
    (changed(('memory',), 2035712 * 1024, DISKLESS),
     {'vendor': 'QEMU', 'product': 'Standard PC (i440FX + PIIX, 1996)', 'serial': '', 'cpus': '2', 'memory': '1.9 GiB',
      'disks': '', 'firmware': 'bios'}),
], ids=['uefi-secure-boot', 'uefi', 'bios-diskless'])
def test_summary_is_a_row_of_short_texts(record, row):
    assert summary({'mac': record['mac'], 'address': '10.77.20.15', 'time': '2026-11-30T09:40:01+00:00',
                    'facts': record}) == dict(row, mac=record['mac'], address='10.77.20.15')


def test_the_table_has_a_row_per_machine_and_a_line_per_refused_record():
    record = {'mac': MAC, 'address': '10.77.20.15', 'time': '2026-11-30T09:40:01+00:00', 'facts': DISKLESS}
    lines = discovery_table([record], [{'file': '10.77.20.16.json', 'reason': 'cpu: misses count'}])
    assert lines[0].split() == ['MAC', 'ADDRESS', 'VENDOR', 'PRODUCT', 'SERIAL', 'CPUS', 'MEMORY', 'DISKS', 'FIRMWARE']
    assert lines[1].split() == [MAC, '10.77.20.15', 'QEMU', 'Standard', 'PC', '(i440FX', '+', 'PIIX,', '1996)', '-', '2',
                                '1.5', 'GiB', '-', 'bios']
    assert lines[0].index('SERIAL') == lines[1].index(' -  ') + 1
    assert lines[2:] == ['refused 10.77.20.16.json: cpu: misses count']


def test_the_known_macs_are_the_names_of_the_markers(tmp_path):
    for name in ('52-54-00-77-20-15', '52-54-00-77-20-16', 'README', '52:54:00:77:20:17'):
        (tmp_path / name).write_text('')
    assert known_macs_in(str(tmp_path)) == {'52:54:00:77:20:15', '52:54:00:77:20:16'}
    assert known_macs_in(str(tmp_path / 'missing')) == set() and known_macs_in('') == set()
