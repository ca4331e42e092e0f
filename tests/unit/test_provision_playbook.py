# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/provision.yml keeps its promises where a reading of the file can tell: the BMC's
password passes only through tasks with no_log; the credentials are checked before any task
changes a machine's boot or power; the BMC is driven by community.general's modules only; the new
builds come from site.yml itself, with ipxe_renew_builds."""

from __future__ import annotations

import pathlib

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
PLAYS = yaml.safe_load((ROOT / 'playbooks' / 'provision.yml').read_text())
CHECKS = ('community.general.redfish_info', 'community.general.ipmi_power')
CHANGES = ('community.general.redfish_command', 'community.general.ipmi_boot', 'community.general.ipmi_power')


def tasks():
    """(play name, task) of every task, in order."""
    for play in PLAYS:
        for section in ('pre_tasks', 'tasks', 'post_tasks'):
            for task in play.get(section) or []:
                yield play['name'], task


def module(task):
    return next((key for key in task if '.' in key), '')


def test_every_task_that_reads_the_bmc_variable_hides_its_output():
    readers = [(play, task) for play, task in tasks() if 'bmc.password' in yaml.safe_dump(task)
               or 'bmc | default' in yaml.safe_dump(task) or 'bmc.user' in yaml.safe_dump(task)]
    assert len(readers) >= 7
    for play, task in readers:
        assert task.get('no_log') is True, f'{play}: {task["name"]} passes the BMC password without no_log'


def test_the_password_reaches_only_the_bmc_modules_and_the_plan():
    for play, task in tasks():
        if 'bmc.password' in yaml.safe_dump(task):
            assert module(task) in CHECKS + CHANGES, f'{play}: {task["name"]}'


def test_credentials_are_checked_before_anything_changes_a_machine():
    order = [(module(task), task.get('check_mode', False)) for _play, task in tasks() if module(task) in CHECKS + CHANGES]
    first_change = next(index for index, (name, check_mode) in enumerate(order) if name in CHANGES and not check_mode)
    checks = [index for index, (name, check_mode) in enumerate(order)
              if name == 'community.general.redfish_info' or name == 'community.general.ipmi_power' and check_mode]
    assert len(checks) == 2 and max(checks) < first_change


def test_no_bmc_client_of_its_own():
    used = {module(task) for _play, task in tasks()}
    assert not used & {'ansible.builtin.uri', 'ansible.builtin.command', 'ansible.builtin.shell', 'ansible.builtin.raw'}


def test_new_builds_come_from_site_yml_with_the_renewals():
    imports = [play for play in PLAYS if 'ansible.builtin.import_playbook' in play]
    assert [play['ansible.builtin.import_playbook'] for play in imports] == ['site.yml']
    assert imports[0]['vars'] == {'ipxe_renew_builds': '{{ __netboot_renew | default([]) }}'}
    assert PLAYS.index(imports[0]) == 1
