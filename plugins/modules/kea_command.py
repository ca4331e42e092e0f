#!/usr/bin/python
# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: kea_command
short_description: Send one command to a Kea server's control socket
version_added: 0.1.0
author: netboot.pxe developers (@netboot)
description:
  - Sends one management command (for example V(config-reload), V(config-test), V(status-get),
    V(lease4-get-all)) to a Kea DHCP server over its UNIX control socket and returns the parsed answer.
  - Fails when Kea answers with a non-zero result other than V(3) (empty), with Kea's own text.
  - Commands that only read state report C(changed=false) and also run in check mode; any other
    command reports C(changed=true) and is not sent in check mode.
options:
  command:
    description: Kea command name.
    type: str
    required: true
  arguments:
    description: The command's C(arguments) object.
    type: dict
  socket:
    description: Path of the Kea control socket (C(control-socket.socket-name) in the Kea configuration).
    type: path
    default: /run/kea/kea4-ctrl-socket
  timeout:
    description: Seconds to wait for the connection and the answer.
    type: float
    default: 10
extends_documentation_fragment:
  - netboot.pxe.attributes
  - netboot.pxe.attributes.no_diff
attributes:
  check_mode:
    details: Read-only commands are sent; others are reported as changed without being sent.
notes:
  - Result V(3) (empty, for example no leases) is not an error.
"""

EXAMPLES = r"""
- name: Apply the configuration file to the running server, keeping leases
  netboot.pxe.kea_command:
    command: config-reload

- name: Read all IPv4 leases
  netboot.pxe.kea_command:
    command: lease4-get-all
  register: leases

- name: Test a configuration without applying it
  netboot.pxe.kea_command:
    command: config-test
    arguments: "{{ {'Dhcp4': my_kea_config.Dhcp4} }}"
"""

RETURN = r"""
result:
  description: Kea's result code (0 success, 1 error, 2 unsupported, 3 empty).
  returned: when the command was sent
  type: int
  sample: 0
text:
  description: Kea's text message.
  returned: when the command was sent
  type: str
  sample: Configuration successful.
arguments:
  description: The C(arguments) of Kea's answer.
  returned: when the command was sent and Kea's answer has arguments
  type: dict
  sample: {"pid": 1234, "uptime": 42}
response:
  description: Kea's whole answer.
  returned: when the command was sent
  type: dict
  sample: {"result": 0, "text": "Configuration successful."}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netboot.pxe.plugins.module_utils._kea.control import (
    READ_ONLY_COMMANDS,
    KeaControlError,
    send_command,
)

KEA_RESULT_EMPTY = 3


def main():
    module = AnsibleModule(
        argument_spec={
            'command': {'type': 'str', 'required': True},
            'arguments': {'type': 'dict'},
            'socket': {'type': 'path', 'default': '/run/kea/kea4-ctrl-socket'},
            'timeout': {'type': 'float', 'default': 10},
        },
        supports_check_mode=True,
    )
    command = module.params['command']
    changed = command not in READ_ONLY_COMMANDS
    if changed and module.check_mode:
        module.exit_json(changed=True, msg=f'{command} would be sent (check mode)')
    try:
        response = send_command(module.params['socket'], command, module.params['arguments'],
                                module.params['timeout'])
    except KeaControlError as exc:
        module.fail_json(msg=str(exc))
    result = {
        'changed': changed,
        'result': response['result'],
        'text': response.get('text', ''),
        'response': response,
    }
    if 'arguments' in response:
        result['arguments'] = response['arguments']
    if response['result'] not in (0, KEA_RESULT_EMPTY):
        module.fail_json(msg=f"Kea refused {command}: {result['text']}", **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
