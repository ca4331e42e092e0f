#!/usr/bin/python
# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: service_state
short_description: Make a systemd service run exactly the configuration on disk
version_added: 0.4.0
author: netboot.pxe developers (@netboot)
description:
  - Converges the running daemon, not only its files. The service is enabled and active; it
    started after the last change of every file in O(config_files); and on every port that
    O(listen) names, its processes listen on exactly the addresses given there.
  - Any difference (drift) is reported as C(changed) with its reasons, in check mode too, and is
    repaired outside check mode by enabling the service, reloading systemd when the unit file
    changed or a drop-in of the unit in O(config_files) is not loaded yet (systemd does not notice
    a drop-in directory made after it loaded the unit), and restarting (or reloading, see O(reload)) the service. The module then waits
    until the service listens as expected, and fails naming what it listens on otherwise.
  - Unlike a handler, this repairs what an earlier failed or interrupted run left behind, or a
    daemon restarted by hand with another configuration.
options:
  name:
    description: Name of the systemd unit.
    type: str
    required: true
  config_files:
    description:
      - Files (or directories, whose change time moves when an entry is added or removed) the
        daemon reads when it starts. A change of their content, mode or owner, or of a symbolic
        link's target, after the service started means the daemon does not run what is on disk.
    type: list
    elements: path
    default: []
  listen:
    description:
      - Sockets the service must listen on (TCP) or be bound to (UDP), as V(tcp/10.0.0.2:80),
        V(udp/10.0.0.2:69) or V(tcp/[::]:80). V(udp/*:69) asks only for some socket on that port.
      - Ports not named here are not compared.
    type: list
    elements: str
    default: []
  reload:
    description: Apply a configuration change with C(systemctl reload) instead of a restart.
    type: bool
    default: false
  timeout:
    description: Seconds to wait, after a restart, for the service to listen as expected.
    type: float
    default: 30
extends_documentation_fragment:
  - netboot.pxe.attributes
  - netboot.pxe.attributes.full
notes:
  - Reads the unit's processes from its cgroup and their sockets from C(/proc). The sockets of a
    process whose descriptors cannot be read (Kea holds capabilities and is not dumpable) are
    found by its user id.
"""

EXAMPLES = r"""
- name: Keep tftpd-hpa running its configuration, on the lab address only
  netboot.pxe.service_state:
    name: tftpd-hpa
    config_files: [/etc/default/tftpd-hpa]
    listen: [udp/10.0.0.2:69]

- name: Keep nginx serving the netboot site
  netboot.pxe.service_state:
    name: nginx
    config_files:
      - /etc/nginx/nginx.conf
      - /etc/nginx/sites-available/netboot.conf
      - /etc/nginx/sites-enabled
    listen: [tcp/10.0.0.2:80]
"""

RETURN = r"""
problems:
  description: What differed between the running service and its configuration, before any repair.
  returned: always
  type: list
  elements: str
  sample: ["started before /etc/default/tftpd-hpa changed", "listens on udp/0.0.0.0:69, which its configuration does not name"]
actions:
  description: What the module did (or would do in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["enable", "restart"]
listening:
  description: The sockets the service listens on at the end, as V(proto/address:port).
  returned: always
  type: list
  elements: str
  sample: ["udp/10.0.0.2:69"]
"""

import pwd
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netboot.pxe.plugins.module_utils._service_state import (
    ENABLED_STATES,
    ServiceStateError,
    change_time,
    format_listen,
    listen_drift,
    listening_sockets,
    parse_listen,
    parse_show,
    stale_files,
    unit_pids,
    unloaded_dropins,
)

_PROPERTIES = 'LoadState,ActiveState,ControlGroup,InactiveExitTimestampMonotonic,NeedDaemonReload,DropInPaths,User'


def _start_uid(user):
    """The user id a unit starts its processes as (systemd's User=, root when unset), or None if unknown."""
    if not user:
        return 0
    try:
        return pwd.getpwnam(user).pw_uid
    except KeyError:
        return None


class Service:
    """One systemd unit, read through systemctl and /proc."""

    def __init__(self, module, name):
        self.module = module
        self.name = name

    def systemctl(self, *args):
        rc, out, err = self.module.run_command(['systemctl', *args])
        return rc, out.strip(), err.strip()

    def state(self):
        rc, out, err = self.systemctl('show', f'--property={_PROPERTIES}', self.name)
        if rc != 0:
            self.module.fail_json(msg=f'systemctl show {self.name} failed: {err or out}')
        state = parse_show(out)
        if state.get('LoadState') != 'loaded':
            if self.module.check_mode:  # its package would be installed by an earlier task
                self.module.exit_json(changed=True, problems=['is not installed'], actions=['start'], listening=[])
            self.module.fail_json(msg=f'service {self.name} is not installed (LoadState={state.get("LoadState")})')
        _rc, enabled, _err = self.systemctl('is-enabled', self.name)
        state['enabled'] = enabled in ENABLED_STATES
        state['enabled_text'] = enabled or 'unknown'
        state['active'] = state.get('ActiveState') == 'active'
        # The monotonic start time in wall-clock seconds, to compare with file change times.
        started = int(state.get('InactiveExitTimestampMonotonic') or 0) / 1e6
        state['started'] = time.time() - (time.monotonic() - started) if started else None
        state['listening'] = (listening_sockets(unit_pids(state.get('ControlGroup', '')), _start_uid(state.get('User')))
                              if state['active'] else set())
        return state

    def run(self, action, *args):
        rc, out, err = self.systemctl(action, *args)
        if rc != 0:
            self.module.fail_json(msg=f'systemctl {action} {" ".join(args)} failed: {err or out}')


def drift(state, config_files, expected, name=''):
    """(problems, actions) between the unit's state and what it should be."""
    problems, actions = [], []
    unloaded = unloaded_dropins(config_files, name, state.get('DropInPaths')) if name else []
    if state.get('NeedDaemonReload') == 'yes':
        problems.append('its unit file changed on disk')
    problems += [f'has not loaded its drop-in {path}' for path in unloaded]
    if state.get('NeedDaemonReload') == 'yes' or unloaded:
        actions.append('daemon-reload')
    if not state['enabled']:
        problems.append(f'is not enabled ({state["enabled_text"]})')
        actions.append('enable')
    if not state['active']:
        problems.append(f'is not running ({state.get("ActiveState")})')
        return problems, actions + ['start']
    stale = stale_files({path: change_time(path) for path in config_files}, state['started'] or 0)
    problems += [f'started before {path} changed' for path in stale]
    listen = listen_drift(state['listening'], expected)
    problems += listen
    if stale or listen or 'daemon-reload' in actions:
        actions.append('apply')
    return problems, actions


def describe(state):
    lines = [f'enabled: {state["enabled_text"]}', f'active: {state.get("ActiveState")}']
    lines += [f'listens: {format_listen(*sock)}' for sock in sorted(state['listening'])]
    return '\n'.join(lines) + '\n'


def describe_expected(expected, problems):
    lines = ['enabled: enabled', 'active: active']
    lines += [f'listens: {format_listen(*sock)}' for sock in sorted(expected)]
    lines += [f'# {problem}' for problem in problems]
    return '\n'.join(lines) + '\n'


def main():
    module = AnsibleModule(
        argument_spec={
            'name': {'type': 'str', 'required': True},
            'config_files': {'type': 'list', 'elements': 'path', 'default': []},
            'listen': {'type': 'list', 'elements': 'str', 'default': []},
            'reload': {'type': 'bool', 'default': False},
            'timeout': {'type': 'float', 'default': 30},
        },
        supports_check_mode=True,
    )
    name = module.params['name']
    try:
        expected = {parse_listen(entry) for entry in module.params['listen']}
    except ServiceStateError as exc:
        module.fail_json(msg=f'listen: {exc}')
    service = Service(module, name)
    before = service.state()
    problems, actions = drift(before, module.params['config_files'], expected, name)
    result = {'changed': bool(actions), 'problems': problems, 'actions': actions,
              'listening': [format_listen(*sock) for sock in sorted(before['listening'])]}
    if not actions or module.check_mode:
        if actions and module._diff:
            result['diff'] = {'before_header': f'{name} (running)', 'after_header': f'{name} (configured)',
                              'before': describe(before), 'after': describe_expected(expected, problems)}
        module.exit_json(**result)

    if 'daemon-reload' in actions:
        service.run('daemon-reload')
    if 'enable' in actions:
        service.run('enable', name)
    if 'start' in actions:
        service.run('start', name)
    elif 'apply' in actions:
        service.run('reload' if module.params['reload'] else 'restart', name)

    deadline = time.time() + module.params['timeout']
    while True:
        after = service.state()
        remaining = ([] if after['active'] else [f'is not running ({after.get("ActiveState")})'])
        remaining += listen_drift(after['listening'], expected)
        if not remaining or time.time() > deadline:
            break
        time.sleep(0.2)
    result['listening'] = [format_listen(*sock) for sock in sorted(after['listening'])]
    if module._diff:
        result['diff'] = {'before_header': f'{name} (before)', 'after_header': f'{name} (after)',
                          'before': describe(before), 'after': describe(after)}
    if remaining:
        module.fail_json(msg=f'{name} after {", ".join(actions)}: {"; ".join(remaining)}', **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
