#!/usr/bin/python
# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: build_info
short_description: Where the install builds of some machines are - pending, installed or failed - optionally waiting for one to finish
version_added: 0.5.0
author: netboot.pxe developers (@netboot)
description:
  - Reads the builds P(netboot.pxe.build_state#module) keeps (O(state_file)), their markers (C(<path>/<directory>/<token>))
    and the agents' reports (C(<token>.json) in O(reports_dir)) for the machines O(machines).
  - A build is V(installed) once its record says so or its marker is gone (the installer or the agent deleted it),
    V(failed) when its agent reported a failed deploy (the report read as hostile input, as
    P(netboot.pxe.boot_info#module) reads it), V(missing) when there is no record, else V(pending).
  - With O(wait), waits until a machine of O(machines) not in O(known) has finished (installed, failed or missing),
    every machine has, or O(wait) seconds have passed; the playbook C(netboot.pxe.provision) calls it once per machine
    it waits for, so that each one's end is shown as it comes.
  - Reads only; changes nothing (P(netboot.pxe.build_state#module) records an installed build on its next run).
  - Returns no build token.
options:
  path:
    description: The HTTP root.
    type: path
    default: /srv/netboot
  directory:
    description: Directory of the markers under O(path).
    type: str
    default: builds
  state_file:
    description: Where P(netboot.pxe.build_state#module) keeps the builds.
    type: path
    default: /var/lib/netboot-pxe/builds.json
  reports_dir:
    description: Where the agents' reports are; V("") is C(reports) under O(path).
    type: path
    default: ""
  machines:
    description: The machines, their MAC with hyphens.
    type: list
    elements: str
    required: true
  known:
    description: Machines of O(machines) already seen finished; with O(wait), the call ends when another one finishes.
    type: list
    elements: str
    default: []
  wait:
    description: Seconds to wait at most for a machine not in O(known) to finish; V(0) reads once.
    type: int
    default: 0
  interval:
    description: Seconds between two reads while waiting.
    type: int
    default: 5
extends_documentation_fragment:
  - netboot.pxe.attributes
  - netboot.pxe.attributes.no_diff
"""

EXAMPLES = r"""
- name: Where the builds of two machines are
  netboot.pxe.build_info:
    machines: [52-54-00-12-34-56, 52-54-00-12-34-57]
  register: builds

- name: Wait up to 10 minutes for the other machine to finish
  netboot.pxe.build_info:
    machines: [52-54-00-12-34-56, 52-54-00-12-34-57]
    known: [52-54-00-12-34-56]
    wait: 600
  become: true
"""

RETURN = r"""
builds:
  description:
    - Per machine, its build number, V(state) (V(pending), V(installed), V(failed) or V(missing)), since when (the time
      this module saw the marker gone, the report's time, or the record's) and for a failed build C(result), the
      agent's step and reason.
  returned: always
  type: dict
  sample:
    52-54-00-12-34-56: {build: 2, state: installed, since: "2026-11-30T10:02:05+00:00", result: ""}
    52-54-00-12-34-57: {build: 1, state: failed, since: "2026-11-30T10:05:10+00:00", result: "failed at choose disk: no disk matched"}
new:
  description: The machines not in O(known) that have finished.
  returned: always
  type: list
  elements: str
"""

import datetime
import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netboot.pxe.plugins.module_utils._boot.builds import BuildError, load_state, mask_tokens
from ansible_collections.netboot.pxe.plugins.module_utils._boot.report import agent_results, build_progress
from ansible_collections.netboot.pxe.plugins.module_utils._validate import MAC_KEY


def _iso(seconds):
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).isoformat(timespec='seconds')


def read(params, machines):
    """The progress of ``machines`` now."""
    records = load_state(params['state_file'])
    pending = {key: records[key] for key in machines if key in records and records[key]['state'] == 'pending'}
    directory = os.path.join(params['path'], params['directory'])
    markers = {record['token'] for record in pending.values() if os.path.lexists(os.path.join(directory, record['token']))}
    reports_dir = params['reports_dir'] or os.path.join(params['path'], 'reports')
    agents = {}
    for key, result in agent_results(pending, reports_dir).items():
        try:
            reported = _iso(os.lstat(os.path.join(reports_dir, f'{pending[key]["token"]}.json')).st_mtime)
        except OSError:
            reported = ''
        agents[key] = (result, reported)
    return build_progress(records, machines, markers, agents, _iso(time.time()))


def main():
    module = AnsibleModule(
        argument_spec={
            'path': {'type': 'path', 'default': '/srv/netboot'},
            'directory': {'type': 'str', 'default': 'builds'},
            'state_file': {'type': 'path', 'default': '/var/lib/netboot-pxe/builds.json'},
            'reports_dir': {'type': 'path', 'default': ''},
            'machines': {'type': 'list', 'elements': 'str', 'required': True},
            'known': {'type': 'list', 'elements': 'str', 'default': []},
            'wait': {'type': 'int', 'default': 0},
            'interval': {'type': 'int', 'default': 5},
        },
        supports_check_mode=True,
    )
    params = module.params
    for option in ('machines', 'known'):
        for key in params[option]:
            if not MAC_KEY.fullmatch(key):
                module.fail_json(msg=f'{option}: {key[:40]!r} is not a MAC with hyphens like 52-54-00-12-34-56')
    if params['wait'] < 0 or params['interval'] < 1:
        module.fail_json(msg=f'wait must be >= 0 and interval >= 1, got {params["wait"]} and {params["interval"]}')
    machines = sorted(set(params['machines']))
    known = set(params['known'])
    deadline = time.monotonic() + params['wait']
    while True:
        try:
            builds = read(params, machines)
        except (BuildError, OSError) as exc:
            module.fail_json(msg=mask_tokens(str(exc)))
        new = [key for key in machines if key not in known and builds[key]['state'] != 'pending']
        unfinished = [key for key in machines if builds[key]['state'] == 'pending']
        left = deadline - time.monotonic()
        if new or not unfinished or left <= 0:
            break
        time.sleep(min(params['interval'], left))
    module.exit_json(changed=False, builds=builds, new=new)


if __name__ == '__main__':
    main()
