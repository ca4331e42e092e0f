# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy
import json
import os
import sys

import pytest
import yaml

from ansible import constants as C
from ansible.errors import AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader, inventory_loader
from ansible.template import is_trusted_as_template
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder
from ansible.utils.display import Display

NAME = 'netboot.pxe.discovered'
MAC = '52:54:00:77:20:30'
HOST = 'mac-525400772030'
SMALL_MAC = '52:54:00:77:20:31'
SMALL_HOST = 'mac-525400772031'
FACTS = {
    'mac': MAC,
    'nics': [{'name': 'ens3', 'mac': MAC, 'driver': 'e1000', 'link': 'up', 'speed': 1000}],
    'system': {'vendor': 'Lab Vendor', 'product': 'Rack Server 9', 'serial': 'SN-0042', 'uuid': ''},
    'cpu': {'model': 'QEMU Virtual CPU version 2.5+', 'count': 1},
    'memory': 1610612736,
    'disks': [{'path': '/dev/sda', 'size': 8589934592, 'model': 'QEMU HARDDISK', 'serial': '', 'rotational': True, 'removable': False},
              {'path': '/dev/sdb', 'size': 480103981056, 'model': 'QEMU HARDDISK', 'serial': '', 'rotational': False, 'removable': False}],
    'firmware': {'mode': 'bios', 'secure_boot': False},
}
RECORD = {'mac': MAC, 'address': '10.77.20.150', 'time': '2026-12-07T05:10:00+00:00', 'facts': FACTS}
CONFIG = {
    'plugin': NAME,
    'path': 'discovered.json',
    'compose': {
        'ansible_host': 'netboot_address',
        'netboot_image': "'debian-13' if (netboot_facts.disks | map(attribute='size') | max) > 400000000000 else omit",
    },
    'groups': {
        'big_rack_servers': "netboot_facts.system.product == 'Rack Server 9' and "
                            "(netboot_facts.disks | map(attribute='size') | max) > 400000000000",
    },
    'keyed_groups': [{'key': 'netboot_facts.system.vendor', 'prefix': 'vendor'},
                     {'key': 'netboot_facts.firmware.mode', 'prefix': 'firmware'}],
}
GROUPS = {'all', 'ungrouped', 'netboot_discovered', 'big_rack_servers', 'vendor_Lab_Vendor', 'firmware_bios', 'firmware_uefi'}


def record(mac=MAC, address='10.77.20.150', **facts):
    """A record of FACTS, for the machine of ``mac``, with the fields of ``facts`` changed
    (``system``, ``disks`` ...)."""
    changed = copy.deepcopy(FACTS)
    changed.update(mac=mac, nics=[dict(FACTS['nics'][0], mac=mac)], **facts)
    return dict(RECORD, mac=mac, address=address, facts=changed)


# A second machine: another product, one small disk, UEFI.
SMALL = record(SMALL_MAC, '10.77.20.151', system=dict(FACTS['system'], product='Tower 2'),
               disks=FACTS['disks'][:1], firmware={'mode': 'uefi', 'secure_boot': True})


def _collection_modules():
    return {name: sys.modules.pop(name) for name in list(sys.modules) if name.partition('.')[0] == 'ansible_collections'}


def _collections_path():
    """The entry of sys.path that holds this checkout as ansible_collections/netboot/pxe."""
    return next(path for path in sys.path if os.path.isdir(os.path.join(path, 'ansible_collections', 'netboot', 'pxe')))


@pytest.fixture(scope='module', autouse=True)
def discovered():
    """The plugin's module as ansible-inventory loads it, with Ansible's collection loader over this
    checkout. That loader imports the collection itself (it reads meta/runtime.yml): the modules
    that other tests imported from sys.path are set aside meanwhile, then put back."""
    collections = _collections_path()
    aside = _collection_modules()
    init_plugin_loader([collections])
    try:
        yield sys.modules[type(inventory_loader.get(NAME)).__module__]
    finally:
        _AnsibleCollectionFinder._remove()
        _collection_modules()
        sys.modules.update(aside)


@pytest.fixture
def warnings(monkeypatch):
    found = []
    monkeypatch.setattr(Display, 'warning', lambda _self, msg, *args, **kwargs: found.append(str(msg)))
    return found


def write(tmp_path, records, config=None, top=None):
    """The configuration file (``config``, CONFIG by default) in ``tmp_path``, with the records file
    of ``records`` (``top``: the file's whole object instead) next to it."""
    (tmp_path / 'discovered.json').write_text(json.dumps(top if top is not None else {'version': 1, 'discovered': records}))
    path = tmp_path / 'lab.discovered.netboot.yml'
    path.write_text(yaml.safe_dump(config or CONFIG))
    return str(path)


def inventory(monkeypatch, source):
    """The inventory of ``source`` as ansible-inventory reads it, with only this plugin enabled."""
    monkeypatch.setattr(C, 'INVENTORY_ENABLED', [NAME])
    return InventoryManager(loader=DataLoader(), sources=[source])


def parse(source):
    """The plugin's parse of ``source`` itself, for the errors the manager would turn into warnings."""
    data = InventoryData()
    inventory_loader.get(NAME).parse(data, DataLoader(), source)
    return data


def machine_vars(manager, host):
    """The variables of ``host`` but those the inventory gives every host."""
    return {name: value for name, value in manager.get_host(host).vars.items() if name not in ('inventory_file', 'inventory_dir')}


def groups_of(manager):
    return {name: sorted(host.name for host in group.get_hosts()) for name, group in manager.groups.items()}


def test_each_record_is_a_host_with_its_variables_groups_and_composed_variables(tmp_path, monkeypatch, warnings):
    manager = inventory(monkeypatch, write(tmp_path, [RECORD, SMALL]))
    assert sorted(manager.hosts) == [HOST, SMALL_HOST]
    assert machine_vars(manager, HOST) == {
        'netboot_mac': MAC, 'netboot_address': '10.77.20.150', 'netboot_discovered_time': '2026-12-07T05:10:00+00:00',
        'netboot_facts': FACTS, 'ansible_host': '10.77.20.150', 'netboot_image': 'debian-13'}
    # omit: no netboot_image for the machine without a large disk.
    assert machine_vars(manager, SMALL_HOST) == {
        'netboot_mac': SMALL_MAC, 'netboot_address': '10.77.20.151', 'netboot_discovered_time': '2026-12-07T05:10:00+00:00',
        'netboot_facts': SMALL['facts'], 'ansible_host': '10.77.20.151'}
    assert groups_of(manager) == {
        'all': [HOST, SMALL_HOST], 'ungrouped': [], 'netboot_discovered': [HOST, SMALL_HOST], 'big_rack_servers': [HOST],
        'vendor_Lab_Vendor': [HOST, SMALL_HOST], 'firmware_bios': [HOST], 'firmware_uefi': [SMALL_HOST]}
    assert warnings == []


def test_the_records_texts_are_not_trusted_as_templates(tmp_path, monkeypatch):
    facts = inventory(monkeypatch, write(tmp_path, [RECORD])).get_host(HOST).get_vars()['netboot_facts']
    assert facts['system']['vendor'] == 'Lab Vendor' and not is_trusted_as_template(facts['system']['vendor'])


def test_keyed_groups_make_safe_group_names_of_the_machines_texts(tmp_path, monkeypatch):
    vendor = record(system=dict(FACTS['system'], vendor='Lab (Vendor)/#1 @x=y,z:+'))
    manager = inventory(monkeypatch, write(tmp_path, [vendor]))
    assert groups_of(manager)['vendor_Lab__Vendor___1__x_y_z__'] == [HOST]


def test_no_records_give_an_empty_group(tmp_path, monkeypatch, warnings):
    manager = inventory(monkeypatch, write(tmp_path, []))
    assert list(manager.hosts) == [] and groups_of(manager)['netboot_discovered'] == [] and warnings == []


def test_the_examples_configuration_does_what_its_comments_say(tmp_path, monkeypatch, warnings, discovered):
    source = write(tmp_path, [RECORD, SMALL], config=yaml.safe_load(discovered.EXAMPLES))
    manager = inventory(monkeypatch, source)
    assert manager.get_host(HOST).get_vars()['netboot_image'] == 'debian-13'
    assert 'netboot_image' not in manager.get_host(SMALL_HOST).get_vars()
    assert manager.get_host(SMALL_HOST).get_vars()['ansible_host'] == '10.77.20.151'
    assert groups_of(manager) == {
        'all': [HOST, SMALL_HOST], 'ungrouped': [], 'netboot_discovered': [HOST, SMALL_HOST], 'big_rack_servers': [HOST],
        'uefi_machines': [SMALL_HOST], 'vendor_Lab_Vendor': [HOST, SMALL_HOST], 'firmware_bios': [HOST],
        'firmware_uefi': [SMALL_HOST]}
    assert warnings == []


def test_the_records_path_is_relative_to_the_configuration(tmp_path, monkeypatch):
    (tmp_path / 'lab').mkdir()
    source = write(tmp_path / 'lab', [RECORD])
    monkeypatch.chdir(tmp_path)
    assert list(inventory(monkeypatch, os.path.join('lab', os.path.basename(source))).hosts) == [HOST]


HUGE = 'A' * 100000
HOSTILE = [
    ('shell text on two lines in a text', record(system=dict(FACTS['system'], vendor='Lab\n$(reboot); rm -rf /')),
     "system.vendor: 'Lab\\n$(reboot); rm -rf /' is not"),
    ('a template in a text', record(system=dict(FACTS['system'], product="{{ lookup('pipe', 'id') }}")),
     "system.product: \"{{ lookup('pipe', 'id') }}\" is not"),
    ('an upper-case MAC', dict(RECORD, mac='52:54:00:77:20:3A'), "mac '52:54:00:77:20:3A' is not a MAC address"),
    ('a path as MAC', dict(RECORD, mac='../../etc/passwd'), "mac '../../etc/passwd' is not a MAC address"),
    ('a path as the facts MAC', record(mac='/etc/x'), "mac '/etc/x' is not a MAC address"),
    ('a huge text', record(system=dict(FACTS['system'], serial=HUGE)), f"system.serial: {'A' * 40!r}... is not"),
    ('a huge MAC', dict(RECORD, mac=HUGE), f"mac {'A' * 40!r}... is not a MAC address"),
    ('a key too many', dict(RECORD, mac_list=['x']), "it has keys other than mac, address, time, facts: 'mac_list'"),
    ('a key too many in the facts', record(shell='x'), "facts: unknown keys 'shell'"),
    ('no facts', {key: RECORD[key] for key in ('mac', 'address', 'time')}, 'it has no facts'),
    ('facts of another machine', dict(RECORD, mac=SMALL_MAC),
     f"mac '{SMALL_MAC}' is not the MAC of its facts, '{MAC}'"),
    ('an address that is not IPv4', dict(RECORD, address='10.77.20.1; id'), "address '10.77.20.1; id' is not an IPv4 address"),
    ('a number as address', dict(RECORD, address=167777430), 'address 167777430 is not an IPv4 address'),
    ('a time that is not ISO 8601', dict(RECORD, time='yesterday'), "time 'yesterday' is not an ISO 8601 time"),
    ('a month 13', dict(RECORD, time='2026-13-07T05:10:00+00:00'), "time '2026-13-07T05:10:00+00:00' is not"),
    ('a time without its offset', dict(RECORD, time='2026-12-07T05:10:00'), "time '2026-12-07T05:10:00' is not"),
    ('a list', [RECORD], 'it is a list of 1 entries, not an object'),
    ('a text', HOST, f"it is '{HOST}', not an object"),
]


@pytest.mark.parametrize('hostile, reason', [case[1:] for case in HOSTILE], ids=[case[0] for case in HOSTILE])
def test_a_hostile_record_is_skipped_with_a_warning_and_adds_nothing(tmp_path, monkeypatch, warnings, hostile, reason):
    source = write(tmp_path, [SMALL, hostile])
    manager = inventory(monkeypatch, source)
    assert list(manager.hosts) == [SMALL_HOST]
    assert machine_vars(manager, SMALL_HOST) == {
        'netboot_mac': SMALL_MAC, 'netboot_address': '10.77.20.151', 'netboot_discovered_time': '2026-12-07T05:10:00+00:00',
        'netboot_facts': SMALL['facts'], 'ansible_host': '10.77.20.151'}
    assert set(manager.groups) == {'all', 'ungrouped', 'netboot_discovered', 'vendor_Lab_Vendor', 'firmware_uefi'}
    assert len(warnings) == 1 and len(warnings[0]) < 500
    assert warnings[0].startswith(f'{tmp_path / "discovered.json"}: discovery record 1 skipped: ')
    assert reason in warnings[0]


@pytest.mark.parametrize('hostile, reason', [case[1:] for case in HOSTILE], ids=[case[0] for case in HOSTILE])
def test_with_strict_a_hostile_record_is_an_error(tmp_path, hostile, reason):
    # Not CONFIG's omit, which strict takes for an error.
    source = write(tmp_path, [SMALL, hostile], config=dict(CONFIG, strict=True, compose={'ansible_host': 'netboot_address'}))
    with pytest.raises(AnsibleParserError, match='discovery record 1 refused: ') as error:
        parse(source)
    assert reason in error.value.message and len(error.value.message) < 500


def test_a_mac_twice_keeps_the_first_record(tmp_path, monkeypatch, warnings):
    manager = inventory(monkeypatch, write(tmp_path, [RECORD, dict(RECORD, address='10.77.20.199')]))
    assert list(manager.hosts) == [HOST] and manager.get_host(HOST).get_vars()['netboot_address'] == '10.77.20.150'
    assert warnings == [f"{tmp_path / 'discovered.json'}: discovery record 1 skipped: mac '{MAC}' is the MAC of record 0 too"]


@pytest.mark.parametrize('top, reason', [
    ({'version': 1, 'discovered': [RECORD], 'refused': []}, "have keys other than version, discovered: 'refused'"),
    ({'version': 2, 'discovered': [RECORD]}, 'version is 2, not 1'),
    ({'version': True, 'discovered': [RECORD]}, 'version is True, not 1'),
    ({'discovered': [RECORD]}, 'version is None, not 1'),
    ({'version': 1, 'discovered': {'0': RECORD}}, 'discovered is an object of 1 keys, not a list'),
    ({'version': 1}, 'discovered is None, not a list'),
    ([RECORD], 'are not a JSON object'),
])
def test_a_records_file_of_another_shape_is_an_error_naming_it(tmp_path, top, reason):
    source = write(tmp_path, [], top=top)
    with pytest.raises(AnsibleParserError) as error:
        parse(source)
    assert error.value.message.startswith(f"the discovery records {str(tmp_path / 'discovered.json')!r}")
    assert reason in error.value.message


@pytest.mark.parametrize('text, reason', [
    ('{"version": 1, "discovered": [', 'refused: it is not JSON'),
    ('{"version": 1, "version": 1, "discovered": []}', 'refused: an object has a key twice'),
    ('{"version": 1, "discovered": [NaN]}', 'refused: it holds NaN, which JSON does not have'),
    ('[' * 100000, 'nested too deeply'),
])
def test_a_records_file_that_is_not_json_is_an_error(tmp_path, text, reason):
    source = write(tmp_path, [])
    (tmp_path / 'discovered.json').write_text(text)
    with pytest.raises(AnsibleParserError, match=reason):
        parse(source)


def test_a_records_file_not_of_utf8_is_an_error(tmp_path):
    source = write(tmp_path, [])
    (tmp_path / 'discovered.json').write_bytes(b'{"version": 1, "discovered": ["\xff"]}')
    with pytest.raises(AnsibleParserError, match='are not UTF-8 text'):
        parse(source)


def test_a_records_file_too_large_is_an_error(tmp_path, monkeypatch, discovered):
    monkeypatch.setattr(discovered, 'RECORDS_MAX_BYTES', 100)
    source = write(tmp_path, [RECORD])
    with pytest.raises(AnsibleParserError, match='are larger than 100 bytes'):
        parse(source)


def test_a_missing_records_file_is_an_error_naming_it(tmp_path):
    source = write(tmp_path, [], config=dict(CONFIG, path='missing.json'))
    with pytest.raises(AnsibleParserError) as error:
        parse(source)
    assert error.value.message == f"cannot read the discovery records {str(tmp_path / 'missing.json')!r}: No such file or directory"


@pytest.mark.parametrize('name, taken', [
    ('lab.discovered.netboot.yml', True),
    ('discovered.netboot.yaml', True),
    ('lab.yml', False),
    ('discovered.netboot.json', False),
    ('discovered.netboot.yml.bak', False),
])
def test_verify_file_takes_the_configuration_names(tmp_path, name, taken):
    (tmp_path / name).write_text('plugin: netboot.pxe.discovered\n')
    assert inventory_loader.get(NAME).verify_file(str(tmp_path / name)) is taken


def test_verify_file_refuses_a_missing_file(tmp_path):
    assert not inventory_loader.get(NAME).verify_file(str(tmp_path / 'lab.discovered.netboot.yml'))


def test_a_configuration_of_another_plugin_is_refused(tmp_path):
    source = write(tmp_path, [RECORD], config=dict(CONFIG, plugin='ansible.builtin.constructed'))
    with pytest.raises(AnsibleParserError, match='Incorrect plugin name in file: ansible.builtin.constructed'):
        parse(source)


@pytest.mark.parametrize('mac, name', [(MAC, HOST), ('00:00:00:00:00:0a', 'mac-00000000000a')])
def test_host_name(discovered, mac, name):
    assert discovered.host_name(mac) == name
