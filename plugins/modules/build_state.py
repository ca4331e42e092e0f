#!/usr/bin/python
# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: build_state
short_description: Keep the install builds of the machines in ipxe_hosts, each under a secret token
version_added: 0.5.0
author: netboot.pxe developers (@netboot)
description:
  - Each machine that installs unattended has a build - a number from the inventory and a random
    token of 128 bits. A new machine, or a new build number, gets a new token and is V(pending).
  - While a build is pending, the marker file C(<path>/<directory>/<token>) exists. It is a GRUB
    environment block that sets C(netboot_pending) to the token, which GRUB's C(load_env) reads (a Secure
    Boot machine's configuration boots the installer only while it is there); a marker with other content
    is rewritten. The installer's last step deletes it over HTTP (nginx allows C(DELETE) there and nothing else). A
    pending build whose marker is gone is V(installed) from then on, with the time this module noticed.
  - The builds are kept in O(state_file) (mode 0600). Machines no longer listed lose their record and
    marker; files in the marker directory that are no marker of a pending build are removed.
  - The tokens are returned (RV(builds)) for the task that writes the machines' files, so the task that
    registers them should have C(no_log). The diff and the messages of a failure show no token (a token in a
    message is shown by its first 4 digits and an ellipsis).
options:
  path:
    description: The HTTP root.
    type: path
    required: true
  directory:
    description:
      - Directory of the markers under O(path); mode 0730, group O(group), so that the web server can delete
        a marker it is told the name of, but not list them.
    type: str
    default: builds
  hosts:
    description: The machines that install, the MAC with hyphens to the build number (from 1).
    type: dict
    required: true
  state_file:
    description: Where the builds are kept.
    type: path
    default: /var/lib/netboot-pxe/builds.json
  group:
    description: The web server's group.
    type: str
    default: www-data
  renew:
    description:
      - Machines of O(hosts) (the MAC with hyphens) whose build starts again under a new token, its number kept, as a
        raised build number does - V(pending), with a new marker; the old token's marker and answer files are gone.
      - The playbook C(netboot.pxe.provision) gives the machines it provisions. A run with this option always changes.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - netboot.pxe.attributes
  - netboot.pxe.attributes.full
attributes:
  check_mode:
    details: New builds get a token that is not kept.
  diff_mode:
    details: One line per machine with its build and state; the tokens are not shown.
"""

EXAMPLES = r"""
- name: Keep the builds of the machines that install
  netboot.pxe.build_state:
    path: /srv/netboot
    hosts:
      52-54-00-12-34-56: 1
  register: builds
  no_log: true

- name: Install one machine again (a new token, the same build number)
  netboot.pxe.build_state:
    path: /srv/netboot
    hosts:
      52-54-00-12-34-56: 1
    renew: [52-54-00-12-34-56]
  register: builds
  no_log: true
"""

RETURN = r"""
builds:
  description:
    - Per machine (the MAC with hyphens), its build, token, state (V(pending) or V(installed)) and since when.
    - The token is the secret of the machine's URLs C(answers/<token>/) and C(builds/<token>), returned whole; register
      the result in a task with C(no_log).
  returned: always
  type: dict
  sample:
    52-54-00-12-34-56: {build: 1, token: 0f1e2d3c4b5a69788796a5b4c3d2e1f0, state: pending, since: "2026-11-30T09:30:00+00:00"}
events:
  description: What changed, one line per machine.
  returned: always
  type: list
  elements: str
  sample: ["52-54-00-12-34-56: build 1 installed"]
"""

import datetime
import grp
import json
import os
import secrets
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netboot.pxe.plugins.module_utils._boot.builds import (
    ENV_BLOCK_SIZE,
    BuildError,
    check_hosts,
    check_renew,
    load_state,
    marker_content,
    mask_tokens,
    next_state,
)
from ansible_collections.netboot.pxe.plugins.module_utils._files.atomic import write_file
from ansible_collections.netboot.pxe.plugins.module_utils._files.host_files import check_relative
from ansible_collections.netboot.pxe.plugins.module_utils._validate import BUILD_TOKEN


def _save(path, records):
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    write_file(path, (json.dumps(records, indent=1, sort_keys=True) + '\n').encode(), 0o600, 0, 0)


def _markers(directory):
    """Names in the marker directory: the tokens, and anything else (to remove)."""
    try:
        info = os.lstat(directory)
    except FileNotFoundError:
        return set(), set()
    if not stat.S_ISDIR(info.st_mode):
        raise BuildError(f'{directory} must be a directory, not a symbolic link or a file')
    names = set(os.listdir(directory))
    tokens = {name for name in names if BUILD_TOKEN.fullmatch(name) and stat.S_ISREG(os.lstat(os.path.join(directory, name)).st_mode)}
    return tokens, names - tokens


def _read(path):
    """The content of a marker (never through a link)."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(descriptor, 'rb') as handle:
        return handle.read(ENV_BLOCK_SIZE + 1)


def _lines(records):
    return ''.join(f'{key}: build {record["build"]} {record["state"]} since {record["since"]}\n'
                   for key, record in sorted(records.items()))


def main():
    module = AnsibleModule(
        argument_spec={
            'path': {'type': 'path', 'required': True},
            'directory': {'type': 'str', 'default': 'builds'},
            'hosts': {'type': 'dict', 'required': True},
            'state_file': {'type': 'path', 'default': '/var/lib/netboot-pxe/builds.json'},
            'group': {'type': 'str', 'default': 'www-data'},
            'renew': {'type': 'list', 'elements': 'str', 'default': []},
        },
        supports_check_mode=True,
    )
    params = module.params

    def fail(msg):
        # A task that registers the tokens has no_log: what it shows of a failure names no token.
        module.fail_json(msg=mask_tokens(msg))

    try:
        gid = grp.getgrnam(params['group'])[2]
    except KeyError:
        if not module.check_mode:
            fail(f'group {params["group"]!r} does not exist on this host')
        # A role that runs before this one would create it (nginx's www-data): the directory changes.
        module.warn(f'group {params["group"]!r} does not exist yet; the marker directory is reported as changed')
        gid = -1
    try:
        check_relative('directory', params['directory'])
        builds = check_hosts(params['hosts'])
        renew = check_renew(params['renew'], builds)
        previous = load_state(params['state_file'])
        directory = os.path.join(params['path'], params['directory'])
        markers, strays = _markers(directory)
        now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')
        records, create, remove, events = next_state(previous, builds, markers, now, lambda: secrets.token_hex(16), renew)
        # Markers written before they were GRUB environment blocks (or changed by hand) get their content.
        rewrite = sorted(token for token in markers - set(remove) if _read(os.path.join(directory, token)) != marker_content(token))
    except (BuildError, OSError) as exc:
        fail(str(exc))
    info = os.lstat(directory) if os.path.isdir(directory) else None
    directory_ok = info is not None and (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) == (0o730, 0, gid)
    changed = records != previous or bool(create or remove or strays or rewrite) or not directory_ok
    result = {'changed': changed, 'builds': records, 'events': events}
    if module._diff:
        result['diff'] = {'before_header': params['state_file'], 'after_header': params['state_file'],
                          'before': _lines(previous), 'after': _lines(records)}
    if changed and not module.check_mode:
        try:
            if info is None:
                os.mkdir(directory, 0o700)
            os.chown(directory, 0, gid)
            os.chmod(directory, 0o730)
            for name in sorted(set(remove) | strays):
                path = os.path.join(directory, name)
                if os.path.isdir(path) and not os.path.islink(path):
                    fail(f'{path} is a directory; only markers belong in {directory}')
                os.unlink(path)
            for token in sorted(set(create) | set(rewrite)):
                write_file(os.path.join(directory, token), marker_content(token), 0o640, 0, gid)
            if records != previous:
                _save(params['state_file'], records)
        except OSError as exc:
            fail(f'could not keep the builds: {exc}')
    module.exit_json(**result)


if __name__ == '__main__':
    main()
