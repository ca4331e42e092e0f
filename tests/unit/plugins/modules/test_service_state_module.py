# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os
import time

import pytest

from ansible_collections.netboot.pxe.plugins.modules.service_state import drift
from ansible_collections.netboot.pxe.plugins.module_utils._service_state import unloaded_dropins

ADDR = ('tcp', '10.0.0.2', 80)
WILD = ('tcp', '0.0.0.0', 80)


def state(**changes):
    result = {'enabled': True, 'enabled_text': 'enabled', 'active': True, 'ActiveState': 'active',
              'NeedDaemonReload': 'no', 'started': time.time() + 60, 'listening': {ADDR}}
    result.update(changes)
    return result


@pytest.fixture
def config(tmp_path):
    path = tmp_path / 'site.conf'
    path.write_text('listen 10.0.0.2:80;\n')
    return str(path)


@pytest.mark.parametrize('changes, problems, actions', [
    ({}, [], []),
    ({'enabled': False, 'enabled_text': 'disabled'}, ['is not enabled (disabled)'], ['enable']),
    ({'active': False, 'ActiveState': 'inactive', 'listening': set()}, ['is not running (inactive)'], ['start']),
    ({'enabled': False, 'enabled_text': 'disabled', 'active': False, 'ActiveState': 'failed'},
     ['is not enabled (disabled)', 'is not running (failed)'], ['enable', 'start']),
    ({'started': 0.0}, ['started before {config} changed'], ['apply']),
    ({'listening': {WILD}}, ['does not listen on tcp/10.0.0.2:80',
                             'listens on tcp/0.0.0.0:80, which its configuration does not name'], ['apply']),
    ({'NeedDaemonReload': 'yes'}, ['its unit file changed on disk'], ['daemon-reload', 'apply']),
])
def test_finds_what_the_running_service_lacks(config, changes, problems, actions):
    found = drift(state(**changes), [config, os.path.join(os.path.dirname(config), 'absent.conf')], {ADDR})
    assert found == ([problem.format(config=config) for problem in problems], actions)


DROPIN = '/etc/systemd/system/kea-dhcp6-server.service.d/netboot-pxe.conf'


@pytest.mark.parametrize('loaded, problems, actions', [
    # Its drop-in directory was made after the unit was loaded: systemd says no NeedDaemonReload.
    ('', [f'has not loaded its drop-in {DROPIN}'], ['daemon-reload', 'apply']),
    ('/lib/systemd/system/kea-dhcp6-server.service.d/other.conf', [f'has not loaded its drop-in {DROPIN}'],
     ['daemon-reload', 'apply']),
    (f'/lib/systemd/system/kea-dhcp6-server.service.d/other.conf {DROPIN}', [], []),
])
def test_a_drop_in_the_unit_has_not_loaded_is_loaded_and_applied(loaded, problems, actions):
    found = drift(state(DropInPaths=loaded, started=None), [DROPIN], {ADDR}, 'kea-dhcp6-server')
    assert found == (problems, actions)


@pytest.mark.parametrize('files, name, expected', [
    ([DROPIN, '/etc/kea/kea-dhcp6.conf'], 'kea-dhcp6-server', [DROPIN]),
    ([DROPIN], 'kea-dhcp6-server.service', [DROPIN]),
    ([DROPIN], 'kea-dhcp4-server', []),
    (['/etc/systemd/system/kea-dhcp6-server.service.d/notes.txt'], 'kea-dhcp6-server', []),
])
def test_which_config_files_are_drop_ins_of_the_unit(files, name, expected):
    assert unloaded_dropins(files, name, '') == expected
