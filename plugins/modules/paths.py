#!/usr/bin/python
# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: paths
short_description: Directories present, copies of the host's files, paths absent, in one call
version_added: 0.5.0
author: netboot.pxe developers (@netboot)
description:
  - Makes many paths right in one call instead of one task (and one round trip to the host) per
    path, for example a role's directories, the binaries it stages from a package, and the files
    of a feature that is off.
  - Removes O(absent) first, then creates O(directories) (parents as needed), then writes O(copies).
  - A copy is written only when its content, mode, owner or group differ, atomically - a private
    temporary file in the same directory gets the content, owner, group and mode, then the name.
  - Symbolic links are never followed where the result goes. A link where a directory should be
    fails the task; a link where a copy should be is replaced by the file; a link in O(absent) is
    removed as a link.
  - Every path is checked, and every source read, before anything changes. In check mode a source
    that does not exist yet (its package is not installed yet) makes its copy a predicted change.
options:
  directories:
    description: Directories that must exist, with mode O(directory_mode), owner O(owner) and group O(group).
    type: list
    elements: path
    default: []
  copies:
    description:
      - Absolute path of a file to its source, a file already on the host (for example in a
        package's directory; a link as source is followed).
      - Written with mode O(file_mode), owner O(owner) and group O(group). The destination's
        directory must exist (list it in O(directories)).
    type: dict
    default: {}
  absent:
    description: Paths that must not exist. A directory is removed with everything in it.
    type: list
    elements: path
    default: []
  owner:
    description: Owner of the directories and copies.
    type: str
    default: root
  group:
    description: Group of the directories and copies.
    type: str
    default: root
  directory_mode:
    description: Mode of the directories, as an octal string.
    type: str
    default: '0755'
  file_mode:
    description: Mode of the copies, as an octal string.
    type: str
    default: '0644'
notes:
  - Paths are names of letters, digits and C(._+-) joined by C(/); no C(..), no name starting with C(.).
extends_documentation_fragment:
  - netboot.pxe.attributes
  - netboot.pxe.attributes.full
attributes:
  diff_mode:
    details: By name only (copies are binaries).
"""

EXAMPLES = r"""
- name: Create the TFTP and HTTP directories and stage the packaged iPXE binaries in both
  netboot.pxe.paths:
    directories: [/srv/tftp, /srv/netboot, /srv/netboot/ipxe]
    copies:
      /srv/tftp/undionly.kpxe: /usr/lib/ipxe/undionly.kpxe
      /srv/netboot/ipxe/undionly.kpxe: /usr/lib/ipxe/undionly.kpxe

- name: Remove the Secure Boot files when Secure Boot is off
  netboot.pxe.paths:
    absent: [/srv/tftp/shimx64.efi, /srv/tftp/grubx64.efi, /srv/tftp/grub]
"""

RETURN = r"""
created:
  description: Directories and copies that did not exist.
  returned: always
  type: list
  elements: str
  sample: [/srv/netboot/ipxe, /srv/tftp/undionly.kpxe]
updated:
  description: Directories and copies changed (content, mode, owner or group, or a link replaced).
  returned: always
  type: list
  elements: str
  sample: []
removed:
  description: Paths of O(absent) that existed and were removed.
  returned: always
  type: list
  elements: str
  sample: [/srv/tftp/shimx64.efi]
"""

import grp
import pwd

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netboot.pxe.plugins.module_utils._files.paths import PathsError, apply, changes, diff, wanted_paths
from ansible_collections.netboot.pxe.plugins.module_utils._validate import FILE_MODE


def _id(module, kind, name, lookup):
    try:
        return lookup(name)[2]
    except KeyError:
        module.fail_json(msg=f'{kind} {name!r} does not exist on this host')


def _mode(module, name, value):
    if not FILE_MODE.fullmatch(value):
        module.fail_json(msg=f'{name} must be an octal mode such as 0755, got {value!r}')
    return int(value, 8)


def main():
    module = AnsibleModule(
        argument_spec={
            'directories': {'type': 'list', 'elements': 'path', 'default': []},
            'copies': {'type': 'dict', 'default': {}},
            'absent': {'type': 'list', 'elements': 'path', 'default': []},
            'owner': {'type': 'str', 'default': 'root'},
            'group': {'type': 'str', 'default': 'root'},
            'directory_mode': {'type': 'str', 'default': '0755'},
            'file_mode': {'type': 'str', 'default': '0644'},
        },
        supports_check_mode=True,
    )
    params = module.params
    uid = _id(module, 'owner', params['owner'], pwd.getpwnam)
    gid = _id(module, 'group', params['group'], grp.getgrnam)
    modes = {'directory_mode': _mode(module, 'directory_mode', params['directory_mode']),
             'file_mode': _mode(module, 'file_mode', params['file_mode'])}
    try:
        copies = wanted_paths(params['directories'], params['copies'], params['absent'])
        todo = changes(params['directories'], copies, params['absent'], uid, gid, predict=module.check_mode, **modes)
        result = {
            'changed': bool(todo),
            'created': [path for _kind, path, reason in todo if reason == 'created'],
            'updated': [path for _kind, path, reason in todo if reason in ('updated', 'attributes')],
            'removed': [path for _kind, path, reason in todo if reason == 'removed'],
        }
        if module._diff:
            result['diff'] = diff(todo, copies)
        if todo and not module.check_mode:
            apply(todo, copies, uid, gid, **modes)
    except (PathsError, OSError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
