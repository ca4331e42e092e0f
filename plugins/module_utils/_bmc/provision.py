# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the playbook provision.yml does to each machine it is limited to, and the table it ends with.

A machine is an inventory host with ``bmc`` (settings.check_bmc). Its ``ipxe_hosts`` entry, on one
of the netboot servers, is the one with its MAC (the host variable ``netboot_mac``, as the inventory
plugin netboot.pxe.discovered sets it) or else the one whose ``hostname`` is the host's name.

Actions: ``provision`` (a new build on its netboot server, a one-time network boot, power on or a
forced restart, then the wait for the build), ``discover`` (a machine no ``ipxe_hosts`` names: a
one-time network boot into discovery and power), ``on`` and ``off``. Every action first checks the
BMC's credentials and reads the power state; a machine whose step fails ends with the reason, and the
others go on.

The BMC modules' messages come without the password (they mark it ``no_log``); nothing here ever
holds it.

Private module: its API may change without notice.
"""

from __future__ import annotations

import datetime
import math
import re

from ansible_collections.netboot.pxe.plugins.module_utils._bmc.settings import BmcError, check_bmc, shown
from ansible_collections.netboot.pxe.plugins.module_utils._validate import normalize_mac

ACTIONS = ('provision', 'discover', 'on', 'off')
STEPS = {
    'provision': ('check', 'new build', 'one-time boot', 'power'),
    'discover': ('check', 'one-time boot', 'power'),
    'on': ('check', 'power'),
    'off': ('check', 'power'),
}
# What a failed BMC module's message means, first match wins.
_FAILURES = (
    ('credentials refused', re.compile(r'\b401\b|unauthori[sz]ed|incorrect password|authentication|privilege level|'
                                       r'invalid (?:user|credentials)', re.IGNORECASE)),
    ('no answer in time', re.compile(r'timed? ?out|no IPMI session opened', re.IGNORECASE)),
    ('BMC unreachable', re.compile(r'connection refused|no route to host|name or service not known|'
                                   r'temporary failure in name resolution|network is unreachable|'
                                   r'unable to (?:transmit|establish)|url\w* error|errno', re.IGNORECASE)),
    ('certificate refused', re.compile(r'certificate|ssl', re.IGNORECASE)),
    ('library missing on the controller', re.compile(r'failed to import the required python library', re.IGNORECASE)),
)
MESSAGE_MAX = 200
# netboot_provision_timeout: the minutes a machine's build may take, at most a day.
TIMEOUT_DEFAULT, TIMEOUT_MAX = 60, 1440
_LINE_BREAKS = re.compile(r'\s+')


class ProvisionError(ValueError):
    """Input of the provisioning that cannot be used (not a machine's: the play's)."""


def _entries_naming(host, mac, ipxe_hosts):
    """The entries of one server's ``ipxe_hosts`` that are the machine's."""
    found = []
    for entry in ipxe_hosts if isinstance(ipxe_hosts, list) else []:
        if not isinstance(entry, dict):
            continue
        if (normalize_mac(entry.get('mac')) == mac) if mac else (entry.get('hostname') == host):
            found.append(entry)
    return found


def _failed(plan, reason):
    return dict(plan, ok=False, reason=reason)


def provision_plan(host, bmc, mac, action, servers, limited, timeout=TIMEOUT_DEFAULT):
    """The plan of the machine ``host`` for ``action``: its checked ``bmc``, its netboot ``server``
    (among ``servers``, {name: ipxe_hosts}) and ``key`` (its MAC with ``-``), the ``steps``, and
    ``ok`` with a ``reason`` when it cannot go on. ``mac`` is its ``netboot_mac`` ('' for none);
    ``limited`` the servers the play is limited to (the one that makes a new build must be);
    ``timeout`` the minutes its build may take (its ``netboot_provision_timeout``)."""
    if action not in ACTIONS:
        raise ProvisionError(f'netboot_provision_action: {shown(action)} is not one of {", ".join(ACTIONS)}')
    if not isinstance(servers, dict) or not isinstance(limited, list):
        raise ProvisionError('servers must be a mapping of netboot server to its ipxe_hosts, limited a list of names')
    plan = {'host': host, 'action': action, 'ok': True, 'reason': '', 'steps': list(STEPS[action]), 'bmc': {},
            'server': '', 'key': '', 'build': 0, 'started': '', 'completed': '', 'outcome': '', 'timeout': TIMEOUT_DEFAULT}
    if isinstance(timeout, str) and re.fullmatch(r'[0-9]{1,4}', timeout):
        timeout = int(timeout)  # from the command line (-e)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= TIMEOUT_MAX:
        return _failed(plan, f'netboot_provision_timeout: {shown(timeout)} is not a whole number of minutes from 1 to {TIMEOUT_MAX}')
    plan['timeout'] = timeout
    if bmc is None:
        return _failed(plan, 'bmc: not set; the machine needs its BMC (type, address, user, password)')
    try:
        plan['bmc'] = check_bmc(bmc)
    except BmcError as exc:
        return _failed(plan, str(exc))
    if mac:
        normalized = normalize_mac(mac)
        if normalized is None:
            return _failed(plan, f'netboot_mac: {shown(mac)} is not a MAC address like 52:54:00:12:34:56')
        mac = normalized
    naming = {server: _entries_naming(host, mac, ipxe_hosts) for server, ipxe_hosts in sorted(servers.items())}
    naming = {server: entries for server, entries in naming.items() if entries}
    how = f'with its MAC {mac}' if mac else f'with hostname {host} (or set netboot_mac)'
    if action == 'discover':
        if naming:
            return _failed(plan, f'the ipxe_hosts of {", ".join(naming)} name it: it boots its own script, not discovery '
                                 '(use the action provision)')
        return plan
    if action != 'provision':
        return plan
    if not naming:
        return _failed(plan, f'no ipxe_hosts entry {how} on the netboot servers; add one, or send it to discovery '
                             '(netboot_provision_action=discover)')
    candidates = [server for server in naming if server in limited]
    if not candidates:
        return _failed(plan, f'its netboot server {", ".join(naming)} is not in the limit; add it (-l {host},{next(iter(naming))}): '
                             'it makes the new build')
    if len(candidates) > 1:
        return _failed(plan, f'the netboot servers {", ".join(candidates)} in the limit all name it; limit the play to one')
    server = candidates[0]
    entry = naming[server][0]
    if 'os' not in entry and 'image' not in entry:
        return _failed(plan, f'its ipxe_hosts entry on {server} has neither os nor image: nothing to install')
    entry_mac = normalize_mac(entry.get('mac'))
    if entry_mac is None:
        return _failed(plan, f'its ipxe_hosts entry on {server} has no MAC site.yml takes: {shown(entry.get("mac"))}')
    build = entry.get('build', 1)
    return dict(plan, server=server, key=entry_mac.replace(':', '-'), build=build if isinstance(build, int) else 0)


def failure_reason(result):
    """Why a BMC module's ``result`` failed, with its message on one bounded line; '' if it did not."""
    if not isinstance(result, dict) or not result.get('failed') and not result.get('unreachable'):
        return ''
    message = _LINE_BREAKS.sub(' ', str(result.get('msg', ''))).strip()
    if message == 'None':
        # pyghmi (the IPMI modules) when no session could be opened: nobody answered.
        message = 'no IPMI session opened'

    if len(message) > MESSAGE_MAX:
        message = message[:MESSAGE_MAX] + '...'
    kind = next((name for name, pattern in _FAILURES if pattern.search(message)), 'BMC error')
    return f'{kind}: {message}' if message else kind


def _redfish_system(plan, result):
    """(system Id, power state) of the machine's system in redfish_info's GetSystemInventory."""
    entries = result.get('redfish_facts', {}).get('system', {}).get('entries', [])
    systems = {}
    for pair in entries if isinstance(entries, list) else []:
        inventory = pair[1] if isinstance(pair, (list, tuple)) and len(pair) == 2 and isinstance(pair[1], dict) else {}
        if isinstance(inventory.get('Id'), str):
            systems[inventory['Id']] = inventory.get('PowerState')
    wanted = plan['bmc']['system_id']
    if wanted:
        if wanted not in systems:
            raise BmcError(f'bmc.system_id: {shown(wanted)} is not among the BMC\'s systems '
                           f'({", ".join(sorted(systems)[:8]) or "none"})')
        return wanted, systems[wanted]
    if len(systems) != 1:
        raise BmcError(f'the BMC has {len(systems)} systems ({", ".join(sorted(systems)[:8]) or "none"}); '
                       'name the machine\'s in bmc.system_id')
    return next(iter(systems.items()))


def provision_update(plan, stage, result, now=''):
    """``plan`` after its ``stage`` - check, new build, one-time boot or power - whose module gave
    ``result`` (for new build: {'renewed': bool}); ``now`` is the controller's ISO time after power."""
    if stage == 'check':
        return _checked(plan, result)
    if stage == 'new build':
        return _renewed(plan, result)
    if stage in ('one-time boot', 'power'):
        return _stepped(plan, stage, result, now)
    raise ProvisionError(f'stage: {shown(stage)} is not check, new build, one-time boot or power')


def _renewed(plan, result):
    """``plan`` once its netboot server ran site.yml: ``result`` is {'renewed': whether the server got through}."""
    if not plan['ok'] or plan['action'] != 'provision':
        return plan
    if not isinstance(result, dict) or result.get('renewed') is not True:
        return _failed(plan, f'new build: {plan["server"]} did not make it (site.yml failed there); nothing was powered')
    return plan


def _checked(plan, result):
    """``plan`` after the credentials check (``result`` of redfish_info GetSystemInventory, or of
    ipmi_power state=on in check mode): ``power`` (on or off) and the power command, or the reason."""
    if not plan['ok']:
        return plan
    reason = failure_reason(result)
    if reason:
        return _failed(plan, f'check: {reason}')
    if plan['bmc']['type'] == 'redfish':
        try:
            system_id, state = _redfish_system(plan, result)
        except BmcError as exc:
            return _failed(plan, f'check: {exc}')
        plan = dict(plan, bmc=dict(plan['bmc'], system_id=system_id))
        power = 'on' if state == 'On' else 'off'
    else:
        # In check mode ipmi_power says it would change the power state to on: the machine is off.
        power = 'off' if result.get('changed') else 'on'
    action = plan['action']
    if action == 'off':
        command = ('PowerForceOff', 'off')
    elif action == 'on' or power == 'off':
        command = ('PowerOn', 'on')
    else:
        command = ('PowerForceRestart', 'reset')
    return dict(plan, power=power, redfish_command=command[0], ipmi_state=command[1])


def _now(now):
    if not isinstance(now, str) or not now:
        raise ProvisionError(f'now must be an ISO time, got {shown(now)}')
    return now


def _stepped(plan, step, result, now):
    """``plan`` after its ``step`` (one-time boot, power) with the module's ``result`` at ``now``
    (the controller's ISO time): the reason if it failed; after power, ``started`` (and for the actions
    that do not wait, ``completed`` and ``outcome``)."""
    if not plan['ok']:
        return plan
    reason = failure_reason(result)
    if reason:
        return _failed(plan, f'{step}: {reason}')
    if step == 'one-time boot':
        return plan
    now = _now(now)
    plan = dict(plan, started=now)
    if plan['action'] == 'provision':
        return plan
    outcomes = {'discover': 'sent to discovery', 'off': 'powered off',
                'on': 'powered on' if plan.get('power') == 'off' else 'already on'}
    if plan['action'] == 'off' and plan.get('power') == 'off':
        outcomes['off'] = 'already off'
    return dict(plan, completed=now, outcome=outcomes[plan['action']])


def provision_keys(plans, server, stage):
    """The keys (MACs with ``-``) of the machines of ``plans`` still ok that ``server`` provisions: at
    stage ``renew`` those whose builds it starts again, at ``wait`` those powered since, whose builds it
    waits for."""
    if stage not in ('renew', 'wait'):
        raise ProvisionError(f'stage: {shown(stage)} is not renew or wait')
    if not isinstance(plans, list):
        raise ProvisionError(f'plans must be a list of the machines\' plans, got {_kind_of(plans)}')
    return sorted({plan['key'] for plan in plans
                   if isinstance(plan, dict) and plan.get('ok') and plan.get('action') == 'provision'
                   and plan.get('server') == server and (stage == 'renew' or plan.get('started'))})


def _kind_of(value):
    return f'a {type(value).__name__}'


def _builds_of(wait):
    """The builds of the last round of a server's wait (a registered loop, or one result), each
    finished one as first seen finished (each round notices a marker's absence anew)."""
    if not isinstance(wait, dict):
        return {}
    rounds = wait.get('results') if isinstance(wait.get('results'), list) else [wait]
    rounds = [result['builds'] for result in rounds if isinstance(result, dict) and isinstance(result.get('builds'), dict)]
    if not rounds:
        return {}
    return {key: next(seen[key] for seen in rounds if isinstance(seen.get(key), dict) and seen[key].get('state') == build.get('state'))
            if isinstance(build, dict) else build
            for key, build in rounds[-1].items()}


def provision_progress(wait, names):
    """One line of a round of the wait (``wait``, build_info's result): the machines it saw finish, by
    their host names (``names``, {key: host}), and how many of all have."""
    if isinstance(wait, dict) and wait.get('skipped'):
        return 'nothing left to wait for'
    if not isinstance(wait, dict) or not isinstance(wait.get('builds'), dict):
        return 'waiting'
    if not isinstance(names, dict):
        raise ProvisionError(f'names must be a mapping of key to host, got {_kind_of(names)}')
    builds = wait['builds']
    done = [key for key in sorted(builds) if builds[key]['state'] != 'pending']
    new = [f'{names.get(key, key)} {builds[key]["state"]}' for key in wait.get('new', [])]
    return f'{", ".join(new) or "no build finished"} ({len(done)} of {len(builds)} finished)'


def _time(text):
    try:
        value = datetime.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)


def _shown_time(text):
    value = _time(text)
    return value.astimezone(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M:%S') if value else '-'


def _minutes(started, completed):
    first, last = _time(started), _time(completed)
    return f'{max((last - first).total_seconds(), 0) / 60:.1f}' if first and last else '-'


def provision_wait(plans, server, builds, now):
    """Seconds ``server`` still waits at ``now`` (a POSIX time): until the last deadline (started and
    the machine's timeout) of the machines of ``plans`` whose ``builds`` (build_info's, so far) are
    still pending; 0 when none is."""
    if not isinstance(plans, list) or not isinstance(builds, dict):
        raise ProvisionError('plans must be a list of the machines\' plans, builds a mapping of key to build')
    if isinstance(now, bool) or not isinstance(now, (int, float)):
        raise ProvisionError(f'now must be a POSIX time, got {shown(now)}')
    deadlines = [_time(plan['started']).timestamp() + plan['timeout'] * 60
                 for plan in plans
                 if isinstance(plan, dict) and plan.get('ok') and plan.get('action') == 'provision'
                 and plan.get('server') == server and _time(plan.get('started'))
                 and builds.get(plan['key'], {}).get('state', 'pending') == 'pending']
    return max([0] + [math.ceil(deadline - now) for deadline in deadlines if deadline > now])


def provision_outcome(plan, waits):
    """``plan`` with its ``outcome``, ``completed`` and ``ok`` once its server's wait ended: ``waits``
    is {server: the registered wait}."""
    if not plan['ok'] or plan['action'] != 'provision':
        return plan
    if not plan['started']:
        return _failed(plan, 'not powered: its netboot server did not make the new build')
    build = _builds_of(waits.get(plan['server'])).get(plan['key'])
    if build is None:
        return _failed(plan, f'no build of {plan["key"]} on {plan["server"]} (site.yml failed there?)')
    if build['state'] == 'installed':
        return dict(plan, completed=build['since'], outcome=f'installed (build {build["build"]})')
    if build['state'] == 'failed':
        return dict(_failed(plan, f'agent: {build["result"]}'), completed=build['since'])
    return _failed(plan, f'timeout: build {build["build"]} not finished after {plan["timeout"]} min')


def provision_report(plans, waits):
    """What provision.yml ends with: ``table``, lines of host, action, started, completed, minutes and
    result (the outcome, or failed with the reason), and ``failed``, the hosts that failed. ``waits`` is
    {server: its registered wait}."""
    if not isinstance(plans, list) or not all(isinstance(plan, dict) and 'host' in plan for plan in plans):
        raise ProvisionError(f'plans must be a list of the machines\' plans, got {_kind_of(plans)}')
    if not isinstance(waits, dict):
        raise ProvisionError(f'waits must be a mapping of netboot server to its wait, got {_kind_of(waits)}')
    rows = [('HOST', 'ACTION', 'STARTED (UTC)', 'COMPLETED (UTC)', 'MINUTES', 'RESULT')]
    failed = []
    for plan in sorted(plans, key=lambda plan: plan['host']):
        plan = provision_outcome(plan, waits)
        result = plan['outcome'] if plan['ok'] else f'failed: {plan["reason"]}'
        if not plan['ok']:
            failed.append(plan['host'])
        rows.append((plan['host'], plan['action'], _shown_time(plan['started']), _shown_time(plan['completed']),
                     _minutes(plan['started'], plan['completed']), result))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    table = ['  '.join(cell.ljust(width) for cell, width in zip(row, widths)) + '  ' + row[-1] for row in rows]
    return {'table': table, 'failed': failed}
