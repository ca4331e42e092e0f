#!/usr/bin/python
# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: host_files
short_description: Make directories hold exactly a set of files, in one call
version_added: 0.5.0
author: netboot.pxe developers (@netboot)
description:
  - Writes every file of O(files) and O(secret_files) under O(path), and removes everything else
    in the O(directories) it owns there (files, directories and symbolic links of machines no
    longer listed). One call for any number of files, instead of one task per file.
  - A file is written only when its content, mode, owner or group differ, atomically - a private
    temporary file in the same directory gets the content, owner, group and mode, then the name.
  - Symbolic links are never followed. A link where a file should be is replaced by the file; a
    link elsewhere in O(directories) is removed as a link; a link on the way to a file fails the task.
  - A name of 32 lower-case hexadecimal digits (a build token of P(netboot.pxe.build_state#module)) is shown by its
    first 4 digits and an ellipsis, in the result, the diff and messages (C(answers/0f1e…/preseed.cfg)).
options:
  path:
    description: The directory the relative paths start from, for example the HTTP root.
    type: path
    required: true
  directories:
    description:
      - Directories under O(path) that this module owns, for example V(hosts) and V(answers).
      - Everything in them that O(files) and O(secret_files) do not name is removed.
    type: list
    elements: str
    required: true
  files:
    description:
      - Relative path (inside one of O(directories)) to text content, written with mode 0644 and
        owner O(owner), group O(group).
      - Names are letters, digits and C(._+-); no C(..), no name starting with C(.).
    type: dict
    default: {}
  secret_files:
    description:
      - Like O(files), written with mode 0640 and group O(secret_group) - for answer files with
        password hashes or keys, or scripts with a build's URLs, that only the web server may read.
      - Their content is never shown, not in the result, not in C(--diff) and not in the module's arguments logged on the host.
    type: dict
    default: {}
  validate:
    description:
      - Command that checks each file of O(files) and O(secret_files) to be written, with C(%s) for the path of a temporary
        copy, for example V(grub-script-check %s). Every file is checked before anything changes; one that
        fails fails the task, naming the file, and nothing is written or removed.
      - Not run in check mode (the checker may not be installed yet).
    type: str
  owner:
    description: Owner of the files written.
    type: str
    default: root
  group:
    description: Group of the files of O(files).
    type: str
    default: root
  secret_group:
    description: Group of the files of O(secret_files), for example the web server's.
    type: str
    default: www-data
extends_documentation_fragment:
  - netboot.pxe.attributes
  - netboot.pxe.attributes.full
attributes:
  check_mode:
    details: A O(path) or group that an earlier task would make makes every file a predicted change.
  diff_mode:
    details: Files of O(files) show their content; secret and removed files only their name.
"""

EXAMPLES = r"""
- name: Write the per-host scripts and answer files; remove those of machines no longer listed
  netboot.pxe.host_files:
    path: /srv/netboot
    directories: [hosts, answers]
    files:
      hosts/52-54-00-12-34-56.ipxe: "#!ipxe\nchain --autofree http://10.0.0.2/menu.ipxe\n"
    secret_files:
      answers/52-54-00-12-34-56/preseed.cfg: "{{ lookup('ansible.builtin.template', 'preseed.cfg.j2') }}"

- name: Write the GRUB configurations of machines of their own, each checked by GRUB's parser first
  netboot.pxe.host_files:
    path: /srv/tftp
    directories: [grub/hosts]
    files:
      grub/hosts/52-54-00-12-34-56.cfg: "exit\n"
    validate: grub-script-check %s
"""

RETURN = r"""
created:
  description: Relative paths of the files written that did not exist (a build token in a name masked, see above).
  returned: always
  type: list
  elements: str
  sample: [hosts/52-54-00-12-34-56.ipxe]
updated:
  description: Relative paths of the files rewritten (content, mode, owner or group, or a link replaced), tokens masked.
  returned: always
  type: list
  elements: str
  sample: []
removed:
  description: Relative paths removed from O(directories), deepest first, tokens masked.
  returned: always
  type: list
  elements: str
  sample: [answers/52-54-00-00-00-09/preseed.cfg, answers/52-54-00-00-00-09]
"""

import grp
import os
import pwd
import shlex
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netboot.pxe.plugins.module_utils._boot.builds import mask_tokens
from ansible_collections.netboot.pxe.plugins.module_utils._files.host_files import (
    HostFilesError,
    apply,
    changes,
    diff,
    wanted_files,
)


def _id(module, fail, kind, name, lookup):
    try:
        return lookup(name)[2]
    except KeyError:
        if module.check_mode:
            # A role that runs before this one would create it (nginx's www-data): every file changes.
            module.warn(f'{kind} {name!r} does not exist yet; every file is reported as changed')
            return -1
        fail(f'{kind} {name!r} does not exist on this host')


def _validate(module, fail, command, wanted, writes):
    """Run ``command`` on a private temporary copy of each file to write; fail on the first it refuses."""
    if '%s' not in command:
        fail(f'validate must contain %s (the path of the file to check), got {command!r}')
    with tempfile.TemporaryDirectory(prefix='host-files-') as directory:
        for path, _reason in writes:
            content = wanted[path][0]
            copy = os.path.join(directory, 'checked')
            with open(copy, 'wb') as handle:
                handle.write(content)
            rc, out, err = module.run_command(command % shlex.quote(copy), use_unsafe_shell=False)
            if rc != 0:
                fail(f'{path}: refused by {command!r}, nothing changed: {(out + err).strip()}')


def _invocation(params):
    """The arguments as the result reports them (shown with -vvv): a build token in a name masked.
    The content of secret_files is left out by Ansible (no_log)."""
    shown = dict(params)
    for name in ('files', 'secret_files'):
        if isinstance(params[name], dict):
            shown[name] = {mask_tokens(path) if isinstance(path, str) else path: content for path, content in params[name].items()}
    return {'module_args': shown}


def main():
    module = AnsibleModule(
        argument_spec={
            'path': {'type': 'path', 'required': True},
            'directories': {'type': 'list', 'elements': 'str', 'required': True},
            'files': {'type': 'dict', 'default': {}},
            'secret_files': {'type': 'dict', 'default': {}, 'no_log': True},
            'owner': {'type': 'str', 'default': 'root'},
            'group': {'type': 'str', 'default': 'root'},
            'secret_group': {'type': 'str', 'default': 'www-data', 'no_log': False},
            'validate': {'type': 'str'},
        },
        supports_check_mode=True,
    )
    params = module.params
    invocation = _invocation(params)

    def fail(msg):
        module.fail_json(msg=mask_tokens(msg), invocation=invocation)

    uid = _id(module, fail, 'owner', params['owner'], pwd.getpwnam)
    gid = _id(module, fail, 'group', params['group'], grp.getgrnam)
    secret_gid = _id(module, fail, 'secret_group', params['secret_group'], grp.getgrnam)
    root, directories = params['path'], params['directories']
    try:
        wanted = wanted_files(directories, params['files'], params['secret_files'], uid, gid, secret_gid)
        writes, removals = changes(root, directories, wanted, predict=module.check_mode)
        result = {
            'changed': bool(writes or removals),
            'created': [mask_tokens(path) for path, reason in writes if reason == 'created'],
            'updated': [mask_tokens(path) for path, reason in writes if reason != 'created'],
            'removed': [mask_tokens(path) for path in removals],
        }
        if module._diff:
            result['diff'] = diff(root, wanted, writes, removals)
        if result['changed'] and not module.check_mode:
            if params['validate']:
                _validate(module, fail, params['validate'], wanted, writes)
            apply(root, directories, wanted, writes, removals)
    except (HostFilesError, OSError) as exc:
        fail(str(exc))
    module.exit_json(invocation=invocation, **result)


if __name__ == '__main__':
    main()
