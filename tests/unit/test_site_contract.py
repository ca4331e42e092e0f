# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The contract between the plan and playbooks/site.yml: the play passes exactly the role variables
the plan's two steps return (netboot_plan, then netboot_dhcp_vars), each unchanged; it names the
roles it runs, in their order; its pre_tasks check every role it runs before any role changes the
host, since the roles then skip their own checks."""

from __future__ import annotations

import pathlib

import jinja2
import pytest
import yaml

from ansible_collections.netboot.pxe.plugins.module_utils._netboot_plan import BOOT_VARS, ROLE_VARS

ROOT = pathlib.Path(__file__).resolve().parents[2]
PLAYS = yaml.safe_load((ROOT / 'playbooks' / 'site.yml').read_text())
SERVER_PLAY = next(play for play in PLAYS if play['name'] == 'Build a netboot server')
# The play's own variables (private names), not role variables.
PLAY_VARS = {'__netboot_checked'}
STEP_ONE = '{{{{ __netboot_plan.role_vars.{} }}}}'
STEP_TWO = '{{{{ __netboot_dhcp_vars.{} }}}}'
DHCP_ROLES = ('netboot.pxe.kea_dhcp4', 'netboot.pxe.kea_dhcp6', 'netboot.pxe.proxy_dhcp')


def tasks(section):
    return SERVER_PLAY.get(section) or []


def included(task):
    """(role, tasks_from) of an include_role task, or None."""
    include = task.get('ansible.builtin.include_role')
    return (include['name'], include.get('tasks_from', 'main')) if include else None


def holds(condition, **context):
    """Whether a task's ``when`` holds in ``context`` (no when: it does)."""
    return condition is None or bool(jinja2.Environment().compile_expression(condition)(**context))


def passed_role_variables():
    """{name: value} of every role variable the play passes: its vars and those of each role and include."""
    passed = {name: value for name, value in SERVER_PLAY['vars'].items() if name not in PLAY_VARS}
    for entry in SERVER_PLAY['roles'] + tasks('pre_tasks') + tasks('tasks'):
        for name, value in (entry.get('vars') or {}).items() if isinstance(entry, dict) else ():
            assert name not in passed, f'{name} is passed twice'
            passed[name] = value
    return passed


def test_the_play_passes_exactly_what_the_two_steps_of_the_plan_return():
    passed = passed_role_variables()
    assert sorted(passed) == sorted(ROLE_VARS + tuple(BOOT_VARS))
    assert {name: passed[name] for name in ROLE_VARS} == {name: STEP_ONE.format(name) for name in ROLE_VARS}
    assert {name: passed[name] for name in BOOT_VARS} == {name: STEP_TWO.format(name) for name in BOOT_VARS}


def expressions(node, key=None):
    """Every Jinja expression of a part of the play: templated strings and conditions."""
    if isinstance(node, dict):
        for name, value in node.items():
            yield from expressions(value, name)
    elif isinstance(node, list):
        for value in node:
            yield from expressions(value, key)
    elif isinstance(node, str) and ('{{' in node or key == 'when'):
        yield node


def test_nothing_in_the_play_patches_a_value_or_loops_over_roles():
    for section in ('vars', 'pre_tasks', 'roles', 'tasks'):
        assert not [text for text in expressions(SERVER_PLAY.get(section)) if ' or ' in text], section
        assert 'loop' not in yaml.safe_dump(SERVER_PLAY.get(section)), section


def test_the_two_steps_are_the_plan_filters():
    facts = [task['ansible.builtin.set_fact'] for task in tasks('pre_tasks') if 'ansible.builtin.set_fact' in task]
    assert facts == [
        {'__netboot_plan': '{{ hostvars[inventory_hostname] | netboot.pxe.netboot_plan(ansible_facts) }}'},
        {'__netboot_dhcp_vars': '{{ __netboot_plan | netboot.pxe.netboot_dhcp_vars(ipxe_staged) }}'},
    ]
    order = [included(task) or next(iter(task['ansible.builtin.set_fact'])) for task in tasks('pre_tasks')]
    # The plan first; the second step once the ipxe role has planned what it stages, before the
    # DHCP roles' checks read its variables.
    assert order[0] == '__netboot_plan'
    second = order.index('__netboot_dhcp_vars')
    assert order.index(('netboot.pxe.ipxe', 'plan')) < second
    assert all(order.index((role, 'check')) > second for role in DHCP_ROLES)


@pytest.mark.parametrize('mode, dhcp_order', [
    # Kea DHCPv6 runs, or stops, after Kea DHCPv4 (proxy mode serves no IPv6: it stops).
    ('server', ['netboot.pxe.proxy_dhcp', 'netboot.pxe.kea_dhcp4', 'netboot.pxe.kea_dhcp6']),
    ('proxy', ['netboot.pxe.kea_dhcp4', 'netboot.pxe.kea_dhcp6', 'netboot.pxe.proxy_dhcp']),
])
def test_the_roles_run_in_this_order_the_dhcp_role_that_goes_first(mode, dhcp_order):
    assert SERVER_PLAY['roles'] == ['netboot.pxe.tftpd', 'netboot.pxe.nginx', 'netboot.pxe.images', 'netboot.pxe.ipxe',
                                    'netboot.pxe.radvd', 'netboot.pxe.package_cache']
    plan = {'dhcp_mode': mode}
    ran = [included(task) for task in tasks('tasks') if holds(task.get('when'), __netboot_plan=plan)]
    assert ran == [(role, 'main') for role in dhcp_order]


def play_runs():
    """The roles the play runs (their main entry point)."""
    return SERVER_PLAY['roles'] + [included(task)[0] for task in tasks('tasks')]


@pytest.mark.parametrize('kea_dhcp4_state, kea_dhcp6_state', [
    ('present', 'absent'), ('absent', 'absent'), ('present', 'present'), ('absent', 'present')])
def test_every_role_the_play_runs_is_checked_before_any_runs(kea_dhcp4_state, kea_dhcp6_state):
    assert SERVER_PLAY['vars']['__netboot_checked'] is True
    entries = [included(task) for task in tasks('pre_tasks')
               if included(task) and holds(task.get('when'), kea_dhcp4_state=kea_dhcp4_state, kea_dhcp6_state=kea_dhcp6_state)]
    checked = {role for role, entry in entries if entry == 'check'}
    # Each Kea checks its input (and builds its document) only when it answers.
    assert checked == set(play_runs()) - ({'netboot.pxe.kea_dhcp4'} if kea_dhcp4_state == 'absent' else set()) - (
        {'netboot.pxe.kea_dhcp6'} if kea_dhcp6_state == 'absent' else set())
    planned = [role for role, entry in entries if entry == 'plan']
    assert planned == ['netboot.pxe.ipxe'] + (['netboot.pxe.kea_dhcp4'] if kea_dhcp4_state == 'present' else [])
    # Each role's plan follows its check.
    assert all(entries.index((role, 'check')) < entries.index((role, 'plan')) for role in planned)
    assert {entry for _role, entry in entries} == {'check', 'plan'}


# Where each role checks (and plans) before it changes anything: the file and what includes it.
ROLE_ENTRIES = {
    'ipxe': ('main.yml', ['check.yml', 'plan.yml']),
    'kea_database': ('main.yml', ['check.yml']),
    # Only a Kea that answers is checked: tasks/main.yml includes present.yml when kea_dhcp4_state is present.
    'kea_dhcp4': ('present.yml', ['check.yml', 'plan.yml']),
    'kea_dhcp6': ('present.yml', ['check.yml']),
    'nginx': ('main.yml', ['check.yml']),
    'package_cache': ('main.yml', ['check.yml']),
    'proxy_dhcp': ('main.yml', ['check.yml']),
    'radvd': ('main.yml', ['check.yml']),
    'tftpd': ('main.yml', ['check.yml']),
}


def role_tasks(role, name):
    return yaml.safe_load((ROOT / 'roles' / role / 'tasks' / name).read_text())


@pytest.mark.parametrize('role', sorted(ROLE_ENTRIES))
def test_a_role_checks_its_input_first_unless_the_play_did(role):
    name, files = ROLE_ENTRIES[role]
    first = role_tasks(role, name)[:len(files)]
    assert [(task['ansible.builtin.include_tasks'], task['when']) for task in first] == [
        (file, 'not __netboot_checked | default(false)') for file in files]
    if name != 'main.yml':
        assert {'name': f'Set up Kea DHCPv{role[-1]}', 'ansible.builtin.include_tasks': 'present.yml',
                'when': f"{role}_state == 'present'"} in role_tasks(role, 'main.yml')


@pytest.mark.parametrize('role', sorted(ROLE_ENTRIES))
def test_no_role_validates_by_hand_or_keeps_a_checked_flag(role):
    for path in (ROOT / 'roles' / role / 'tasks').glob('*.yml'):
        text = path.read_text()
        assert 'validate_argument_spec' not in text, path
        assert '_checked:' not in text, path
        assert not (ROOT / 'roles' / role / 'tasks' / 'preflight.yml').exists()
