# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: discovered
short_description: Machines that network-booted the discovery agent, as inventory hosts
version_added: 0.5.0
author: netboot.pxe developers (@netboot)
description:
  - Reads the records of the machines the netboot server discovered (a JSON file on the controller) and adds
    each machine as a host C(mac-<12 hexadecimal digits of its MAC>), for example C(mac-525400772030), in the
    group C(netboot_discovered).
  - "Each host has the variables C(netboot_mac) (V(52:54:00:77:20:30)), C(netboot_address) (the IPv4 address it
    booted with), C(netboot_discovered_time) (when it reported, ISO 8601) and C(netboot_facts): its C(mac),
    C(nics), C(system) (C(vendor), C(product), C(serial), C(uuid)), C(cpu) (C(model), C(count)), C(memory)
    (bytes), C(disks) (C(path), C(size) in bytes, C(model), C(serial), C(rotational), C(removable)) and
    C(firmware) (C(mode) V(bios) or V(uefi), C(secure_boot))."
  - Then, as the inventory plugin C(ansible.builtin.constructed) does, sets the variables of O(compose) and
    adds the hosts to the groups of O(groups) and O(keyed_groups), from those variables.
  - "The records are what the machines said about themselves: each is checked whole. A record with a key other
    than C(mac), C(address), C(time) and C(facts), a C(mac) that is not lower-case hexadecimal pairs joined by
    colons or not the MAC of its C(facts), an C(address) that is not IPv4, a C(time) that is not ISO 8601 to
    the second with its offset, C(facts) of another shape, or the C(mac) of an earlier record, is skipped with
    a warning that names the record's index and why (an error with O(strict)); nothing of it is used."
  - A host's name is made of its checked MAC only, and a group's name comes only from the rules of this
    configuration (Ansible makes the values of O(keyed_groups) safe group names). The records' texts are never
    templated.
  - 'The file is what the playbook C(netboot.pxe.report) writes: a JSON object
    C({"version": 1, "discovered": [records]}) of at most 64 MiB. A file that cannot be read, is larger, is not
    JSON or has another key or version is an error that names it.'
options:
  plugin:
    description: Marks this file as a configuration of this plugin.
    type: str
    required: true
    choices: [netboot.pxe.discovered]
  path:
    description:
      - The file of discovery records.
      - A relative path is relative to the directory of this configuration file; C(~) is the user's home.
    type: str
    required: true
extends_documentation_fragment:
  - constructed
notes:
  - The configuration file's name ends in C(discovered.netboot.yml) or C(discovered.netboot.yaml).
  - Enable the plugin in C(ansible.cfg) (C(enable_plugins) in the C([inventory]) section) or with
    C(ANSIBLE_INVENTORY_ENABLED), next to the inventory plugins already in use.
"""

EXAMPLES = r"""
# lab.discovered.netboot.yml, with discovered.json next to it:
#   ansible-inventory -i lab.discovered.netboot.yml --graph
plugin: netboot.pxe.discovered
path: discovered.json
# Reach each machine at the address it booted with.
compose:
  ansible_host: netboot_address
  # The image of the large rack servers; other machines get no netboot_image (with strict: true,
  # omit is an error: give them a value instead).
  netboot_image: >-
    'debian-13' if netboot_facts.system.product == 'Rack Server 9'
    and (netboot_facts.disks | map(attribute='size') | max) > 400000000000 else omit
groups:
  # Every machine of one product name with a disk above 400 GB.
  big_rack_servers: >-
    netboot_facts.system.product == 'Rack Server 9'
    and (netboot_facts.disks | map(attribute='size') | max) > 400000000000
  uefi_machines: netboot_facts.firmware.mode == 'uefi'
keyed_groups:
  # vendor_Lab_Vendor, ...
  - key: netboot_facts.system.vendor
    prefix: vendor
  # firmware_bios, firmware_uefi
  - key: netboot_facts.firmware.mode
    prefix: firmware
"""

import datetime
import json
import os
import re

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Constructable
from ansible_collections.netboot.pxe.plugins.module_utils._boot.discovery import DiscoveryError, check_record, shown
from ansible_collections.netboot.pxe.plugins.module_utils._validate import is_ipv4

CONFIG_ENDINGS = ('discovered.netboot.yml', 'discovered.netboot.yaml')
RECORDS_VERSION = 1
RECORDS_MAX_BYTES = 64 * 1024 * 1024
RECORDS_KEYS = ('version', 'discovered')
RECORD_KEYS = ('mac', 'address', 'time', 'facts')
GROUP = 'netboot_discovered'
_MAC = re.compile(r'[0-9a-f]{2}(?::[0-9a-f]{2}){5}')
_TIME = re.compile(r'[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:Z|[+-][0-9]{2}:[0-9]{2})')
# The longest reason a warning gives.
REASON_MAX = 300


class RecordRefused(ValueError):
    """A record that is not of the expected shape; the message says why."""


def _keys(value):
    return ', '.join(shown(key) for key in sorted(value, key=str)[:5]) + (', ...' if len(value) > 5 else '')


def _refuse_constant(name):
    raise RecordRefused(f'it holds {name}, which JSON does not have')


def _object(pairs):
    keys = [key for key, _value in pairs]
    if len(keys) != len(set(keys)):
        raise RecordRefused('an object has a key twice')
    return dict(pairs)


def read_records(path):
    """The records (a list) of the file at ``path``; AnsibleParserError naming the path if it cannot be
    read or is not ``{"version": 1, "discovered": [...]}``."""
    try:
        with open(path, 'rb') as stream:
            data = stream.read(RECORDS_MAX_BYTES + 1)
    except OSError as exc:
        raise AnsibleParserError(f'cannot read the discovery records {path!r}: {exc.strerror or exc}') from None
    if len(data) > RECORDS_MAX_BYTES:
        raise AnsibleParserError(f'the discovery records {path!r} are larger than {RECORDS_MAX_BYTES} bytes')
    try:
        value = json.loads(data.decode('utf-8'), object_pairs_hook=_object, parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise AnsibleParserError(f'the discovery records {path!r} are not UTF-8 text') from None
    except RecursionError:
        raise AnsibleParserError(f'the discovery records {path!r} are nested too deeply') from None
    except ValueError as exc:  # JSONDecodeError, RecordRefused, an integer of too many digits
        reason = exc if isinstance(exc, RecordRefused) else 'it is not JSON'
        raise AnsibleParserError(f'the discovery records {path!r} are refused: {reason}') from None
    if not isinstance(value, dict):
        raise AnsibleParserError(f'the discovery records {path!r} are not a JSON object')
    unknown = set(value) - set(RECORDS_KEYS)
    if unknown:
        raise AnsibleParserError(f'the discovery records {path!r} have keys other than {", ".join(RECORDS_KEYS)}: '
                                 f'{_keys(unknown)}')
    version = value.get('version')
    if version != RECORDS_VERSION or isinstance(version, bool):
        raise AnsibleParserError(f'the discovery records {path!r}: version is {shown(version)}, not {RECORDS_VERSION}')
    records = value.get('discovered')
    if not isinstance(records, list):
        raise AnsibleParserError(f'the discovery records {path!r}: discovered is {shown(records)}, not a list')
    return records


def check_discovered(record):
    """A clean copy of one record ``{'mac', 'address', 'time', 'facts'}``, the facts checked by
    check_record; RecordRefused naming the field otherwise."""
    if not isinstance(record, dict):
        raise RecordRefused(f'it is {shown(record)}, not an object')
    unknown = set(record) - set(RECORD_KEYS)
    if unknown:
        raise RecordRefused(f'it has keys other than {", ".join(RECORD_KEYS)}: {_keys(unknown)}')
    missing = [key for key in RECORD_KEYS if key not in record]
    if missing:
        raise RecordRefused(f'it has no {", ".join(missing)}')
    mac, address, time = record['mac'], record['address'], record['time']
    if not isinstance(mac, str) or not _MAC.fullmatch(mac):
        raise RecordRefused(f'mac {shown(mac)} is not a MAC address of lower-case hexadecimal pairs joined by ":"')
    if not is_ipv4(address):
        raise RecordRefused(f'address {shown(address)} is not an IPv4 address')
    if not isinstance(time, str) or not _TIME.fullmatch(time) or not _is_time(time):
        raise RecordRefused(f'time {shown(time)} is not an ISO 8601 time to the second with its offset')
    try:
        facts = check_record(record['facts'])
    except DiscoveryError as exc:
        # check_record calls the facts object "the record".
        raise RecordRefused(f'facts: {str(exc).removeprefix("the record: ")}') from None
    if facts['mac'] != mac:
        raise RecordRefused(f'mac {shown(mac)} is not the MAC of its facts, {shown(facts["mac"])}')
    return {'mac': mac, 'address': address, 'time': time, 'facts': facts}


def _is_time(text):
    try:
        datetime.datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def host_name(mac):
    """The inventory name of the machine of the checked ``mac``: ``mac-`` and its 12 digits."""
    return 'mac-' + mac.replace(':', '')


class InventoryModule(BaseInventoryPlugin, Constructable):

    NAME = 'netboot.pxe.discovered'

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(CONFIG_ENDINGS)

    def parse(self, inventory, loader, path, cache=False):
        super().parse(inventory, loader, path, cache=cache)
        self._read_config_data(path)
        strict = self.get_option('strict')
        records_path = os.path.join(os.path.dirname(os.path.abspath(path)), os.path.expanduser(self.get_option('path')))
        self.inventory.add_group(GROUP)
        macs = {}
        for index, record in enumerate(read_records(records_path)):
            try:
                discovered = check_discovered(record)
                if discovered['mac'] in macs:
                    raise RecordRefused(f'mac {discovered["mac"]!r} is the MAC of record {macs[discovered["mac"]]} too')
            except RecordRefused as exc:
                reason = str(exc)
                if len(reason) > REASON_MAX:
                    reason = reason[:REASON_MAX] + '...'
                if strict:
                    raise AnsibleParserError(f'{records_path}: discovery record {index} refused: {reason}') from None
                self.display.warning(f'{records_path}: discovery record {index} skipped: {reason}')
                continue
            macs[discovered['mac']] = index
            self._add(discovered, strict)

    def _add(self, discovered, strict):
        name = host_name(discovered['mac'])
        self.inventory.add_host(name, group=GROUP)
        for variable, value in (('netboot_mac', discovered['mac']), ('netboot_address', discovered['address']),
                                ('netboot_discovered_time', discovered['time']), ('netboot_facts', discovered['facts'])):
            self.inventory.set_variable(name, variable, value)
        self._set_composite_vars(self.get_option('compose'), self.inventory.get_host(name).get_vars(), name, strict=strict)
        variables = self.inventory.get_host(name).get_vars()
        self._add_host_to_composed_groups(self.get_option('groups'), variables, name, strict=strict, fetch_hostvars=False)
        self._add_host_to_keyed_groups(self.get_option('keyed_groups'), variables, name, strict=strict, fetch_hostvars=False)
