#!/usr/bin/python
# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: kea_config
short_description: Write a Kea configuration file and make the running server use it
version_added: 0.4.0
author: netboot.pxe developers (@netboot)
description:
  - Writes O(config) as a Kea configuration file and makes the running Kea server run exactly it,
    whatever an earlier run left behind.
  - A new file is first checked with Kea's own checker (C(kea-dhcp4 -t)) on a temporary copy;
    a file the checker refuses never replaces the one in place.
  - The file is replaced atomically. Kea then loads it with C(config-reload) through its control
    socket, keeping its leases; a server that does not answer is restarted instead.
  - The file carries a fingerprint of its content in the server's C(user-context). The module
    compares it with the one Kea's C(config-get) answers, so a server that runs something else
    (a run killed before the reload, a C(config-set) by hand) is reloaded even when the file
    did not change, and reported as changed in check mode.
  - When Kea refuses the new file, the previous file is put back and loaded again, and the
    task fails with Kea's reason.
options:
  config:
    description: The whole Kea document, with one top-level key such as C(Dhcp4).
    type: dict
    required: true
  secrets:
    description:
      - Passwords to write into the file, by the top-level key of the server that takes them, for
        example C(hosts-database) and C(lease-database). They never appear in the module's output or
        diff, nor in the fingerprint that Kea's C(config-get) shows.
    type: dict
    default: {}
  path:
    description: Path of the configuration file.
    type: path
    default: /etc/kea/kea-dhcp4.conf
  checker:
    description: The Kea server binary whose C(-t) option checks a configuration file.
    type: path
    default: /usr/sbin/kea-dhcp4
  service:
    description: The systemd unit that runs the server, restarted when the control socket does not answer.
    type: str
    default: kea-dhcp4-server
  socket:
    description: Path of the server's UNIX control socket.
    type: path
    default: /run/kea/kea4-ctrl-socket
  owner:
    description: Owner of the file.
    type: str
    default: root
  group:
    description: Group of the file (Kea reads it as this group).
    type: str
    default: _kea
  mode:
    description: Mode of the file, in octal; never readable by others, as it may hold credentials.
    type: str
    default: "0640"
  record:
    description:
      - Where the module notes what Kea answered to C(config-get) after it loaded the file, to tell
        a configuration changed by hand (C(config-set)) from the file's.
    type: path
    default: /var/lib/netboot-pxe/kea-dhcp4.loaded
  timeout:
    description: Seconds to wait for the server to answer with the new configuration.
    type: float
    default: 30
extends_documentation_fragment:
  - netboot.pxe.attributes
  - netboot.pxe.attributes.full
attributes:
  check_mode:
    details:
      - The new file is checked with Kea's checker in a temporary directory; the running configuration is read.
      - Before Kea is installed (an earlier task on a fresh host) the checker is skipped, with a warning.
"""

EXAMPLES = r"""
- name: Apply the DHCPv4 configuration
  netboot.pxe.kea_config:
    config:
      Dhcp4:
        interfaces-config: {interfaces: [eth1]}
        control-socket: {socket-type: unix, socket-name: /run/kea/kea4-ctrl-socket}
        subnet4:
          - {id: 1, subnet: 10.0.0.0/24, pools: [{pool: 10.0.0.100 - 10.0.0.199}]}
  register: kea

- name: Show the hook libraries the server loaded before
  ansible.builtin.debug:
    var: kea.previous_hooks
"""

RETURN = r"""
fingerprint:
  description: SHA-256 fingerprint of the configuration, as written in the file and answered by Kea.
  returned: always
  type: str
  sample: 3f0b8c2c6e2b4c5d9d6f3e5e2c4f9a1b0e7d8c6b5a4f3e2d1c0b9a8f7e6d5c4b
problems:
  description: What differed before the module ran.
  returned: always
  type: list
  elements: str
  sample: ["Kea runs another configuration than /etc/kea/kea-dhcp4.conf"]
applied:
  description: How the configuration reached the server (V(config-reload), V(restart)), or V(none).
  returned: always
  type: str
  sample: config-reload
previous_hooks:
  description: File names of the hook libraries the running server had loaded before the module ran.
  returned: always
  type: list
  elements: str
  sample: [libdhcp_ha.so, libdhcp_lease_cmds.so]
"""

import grp
import json
import os
import pwd
import re
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netboot.pxe.plugins.module_utils._files.atomic import write_file
from ansible_collections.netboot.pxe.plugins.module_utils._kea.apply import (
    KeaApplyError,
    hook_libraries,
    render,
    running_digest,
    running_fingerprint,
    running_problem,
    server_key,
)
from ansible_collections.netboot.pxe.plugins.module_utils._kea.control import KeaControlError, send_command
from ansible_collections.netboot.pxe.plugins.module_utils._validate import FILE_MODE


class Kea:
    """The file and the running server."""

    def __init__(self, module, key):
        self.module = module
        self.params = module.params
        self.key = key

    def running(self):
        """config-get's arguments, or None when the server does not answer."""
        try:
            answer = send_command(self.params['socket'], 'config-get', timeout=5)
        except KeaControlError:
            return None
        return answer.get('arguments') if answer.get('result') == 0 else None

    def check(self, text):
        """Kea's checker on a temporary copy of ``text``; its complaint, or None."""
        fd, path = tempfile.mkstemp(prefix='kea-check.', suffix='.conf', dir=self.module.tmpdir)
        try:
            with os.fdopen(fd, 'w') as handle:
                handle.write(text)
            rc, out, err = self.module.run_command([self.params['checker'], '-t', path])
        finally:
            os.unlink(path)
        return None if rc == 0 else (err or out).strip()[-3000:]

    def write(self, text):
        """Replace the file atomically; it has its owner, group and mode before it has a name."""
        target = self.params['path']
        try:
            write_file(target, text.encode(), int(self.params['mode'], 8), pwd.getpwnam(self.params['owner']).pw_uid,
                       grp.getgrnam(self.params['group']).gr_gid)
        except (OSError, KeyError) as exc:
            self.module.fail_json(msg=f'cannot write {target}: {exc}')

    def file_args(self):
        return self.module.load_file_common_arguments({
            'path': self.params['path'], 'owner': self.params['owner'], 'group': self.params['group'],
            'mode': self.params['mode']})

    def load(self, answering):
        """Load the file into the server; ('config-reload' or 'restart', problem or None)."""
        if answering:
            try:
                answer = send_command(self.params['socket'], 'config-reload', timeout=self.params['timeout'])
            except KeaControlError as exc:
                return 'config-reload', str(exc)
            return 'config-reload', None if answer.get('result') == 0 else answer.get('text', str(answer))
        rc, out, err = self.module.run_command(['systemctl', 'restart', self.params['service']])
        return 'restart', None if rc == 0 else (err or out).strip() or f'systemctl restart {self.params["service"]} failed'

    def note(self, digest, running):
        """Record what Kea answers after loading the file of fingerprint ``digest``."""
        record = {'fingerprint': digest, 'running': running_digest(running, self.key)}
        os.makedirs(os.path.dirname(self.params['record']), mode=0o755, exist_ok=True)
        write_file(self.params['record'], json.dumps(record).encode(), 0o600)

    def wait_for(self, digest):
        deadline = time.time() + self.params['timeout']
        while True:
            running = self.running()
            if running is not None and running_fingerprint(running, self.key) == digest:
                self.note(digest, running)
                return None
            if time.time() > deadline:
                return ('the server does not answer on its control socket' if running is None
                        else 'the server answers with another configuration than the file')
            time.sleep(0.3)


def read(path):
    try:
        with open(path) as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def main():
    module = AnsibleModule(
        argument_spec={
            'config': {'type': 'dict', 'required': True},
            'secrets': {'type': 'dict', 'default': {}, 'no_log': True},
            'path': {'type': 'path', 'default': '/etc/kea/kea-dhcp4.conf'},
            'checker': {'type': 'path', 'default': '/usr/sbin/kea-dhcp4'},
            'service': {'type': 'str', 'default': 'kea-dhcp4-server'},
            'socket': {'type': 'path', 'default': '/run/kea/kea4-ctrl-socket'},
            'owner': {'type': 'str', 'default': 'root'},
            'group': {'type': 'str', 'default': '_kea'},
            'mode': {'type': 'str', 'default': '0640'},
            'record': {'type': 'path', 'default': '/var/lib/netboot-pxe/kea-dhcp4.loaded'},
            'timeout': {'type': 'float', 'default': 30},
        },
        supports_check_mode=True,
    )
    path = module.params['path']
    if not FILE_MODE.fullmatch(module.params['mode']) or int(module.params['mode'], 8) & 0o007:
        module.fail_json(msg=f'mode must be an octal mode without rights for others, like 0640, got {module.params["mode"]!r}')
    try:
        key = server_key(module.params['config'])
        text, digest = render(module.params['config'], module.params['secrets'])
    except KeaApplyError as exc:
        module.fail_json(msg=f'config: {exc}')
    kea = Kea(module, key)
    previous = read(path)
    running = kea.running()
    problems = []
    if previous != text:
        problems.append(f'{path} differs from the configuration' if previous is not None else f'{path} is missing')
    try:
        with open(module.params['record']) as handle:
            record = json.load(handle)
    except (OSError, ValueError):
        record = None
    problem = running_problem(running, key, digest, record, path)
    if problem:
        problems.append(problem)
    # A file that keeps its content gets its owner, group and mode back here (check mode only reports).
    if previous == text and module.set_fs_attributes_if_different(kea.file_args(), False):
        problems.append(f'the owner, group or mode of {path} differ')
    result = {'changed': bool(problems), 'fingerprint': digest, 'problems': problems,
              'applied': 'none', 'previous_hooks': hook_libraries(running, key)}
    if module._diff:
        result['diff'] = []
        if previous != text:
            result['diff'].append({'before_header': path, 'after_header': path, 'before': previous or '', 'after': text})
        if problem:
            result['diff'].append({'before_header': 'Kea DHCPv4 (running)', 'after_header': 'Kea DHCPv4 (configured)',
                                   'before': f'{problem}\n', 'after': f'runs {path} (fingerprint {digest})\n'})

    if previous != text and module.check_mode and not os.path.exists(module.params['checker']):
        # On a fresh server an earlier task installs Kea.
        module.warn(f'{module.params["checker"]} is not installed yet: in check mode the new configuration is not checked')
    elif previous != text:
        complaint = kea.check(text)
        if complaint:
            module.fail_json(msg=f'Kea failed to validate the new configuration ({module.params["checker"]} -t): {complaint}',
                             **result)
    if module.check_mode or not problems or problems == [f'the owner, group or mode of {path} differ']:
        module.exit_json(**result)

    if previous != text:
        kea.write(text)
    result['applied'], refusal = kea.load(running is not None)
    refusal = refusal or kea.wait_for(digest)
    if refusal:
        refusal = refusal.strip().rstrip('.') + '.'
        if previous is not None and previous != text:
            kea.write(previous)
            kea.load(kea.running() is not None)
            stamp = re.search(r'"netboot-fingerprint": "([0-9a-f]{64})"', previous)
            if stamp:
                kea.wait_for(stamp.group(1))
            module.fail_json(msg=f'Kea DHCPv4 refused the new configuration: {refusal} The previous {path} is back '
                                 'in place and the server keeps serving with it.', **result)
        if previous is None:
            module.fail_json(msg=f'Kea DHCPv4 refused the new configuration: {refusal} There was no previous '
                                 'configuration to go back to.', **result)
        module.fail_json(msg=f'Kea DHCPv4 refused the configuration in {path}, which it did not run: {refusal}', **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
