#!/usr/bin/python
# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: boot_info
short_description: Report which machines booted from this netboot server, what they fetched, and their installs
version_added: 0.5.0
author: netboot.pxe developers (@netboot)
description:
  - Per MAC address, returns the lease Kea gave (C(lease4-get-all) on its control socket), the DHCP classes
    Kea logged for it, the files it fetched over TFTP (tftpd's journal) and HTTP (nginx's access log) with
    their times, and the state of its unattended install (the builds of P(netboot.pxe.build_state#module)).
  - "For a machine deployed from an OS image, the report its netboot.pxe agent sent (C(reports/<token>.json)
    under the HTTP root, see O(reports_dir)) - deployed, or failed with the step and the reason. The report is
    the machine's word, read as hostile input - at most 64 KiB, a JSON object with only C(status) (V(deployed) or
    V(failed)), C(step) (at most 64 letters a-z and spaces), C(reason) (at most 500 printable characters on one
    line), C(log) (at most 40 such lines of at most 300) and C(facts) (the machine's NICs, disks, firmware, CPU,
    memory and system, each field of its kind). Anything else is refused whole, C(report refused: <why>), and
    nothing of it is used."
  - "Machines found by discovery (O(discovered_dir)): the facts each agent sent (NICs, DMI, CPU, memory, disks,
    firmware), read as hostile input - a record is used only if it is a regular file C(<IPv4 address>.json) of at
    most 64 KiB holding exactly the agent's fields, each within its bounds and pattern, whose boot MAC is among its
    NICs, not a MAC the inventory names (O(known_dir)) and claimed by no other record. Anything else is listed in
    RV(discovered_refused) with the reason, and nothing of it is used."
  - Files are matched to a machine by the address of its lease.
  - Kea logs the classes of a packet at debug level 40 only (C(kea_dhcp4_log_severity=DEBUG),
    C(kea_dhcp4_log_debuglevel=40)); otherwise C(classes) is empty, and the file a machine fetched over TFTP
    tells its architecture.
  - Reads only; changes nothing.
  - Returns no build token, the secret of a machine's C(answers/<token>/) and C(builds/<token>). A path or file
    name that holds one shows its first 4 hexadecimal digits and an ellipsis (C(/builds/0f1e…)); a build shows only
    its number, state and time.
options:
  kea_socket:
    description:
      - Kea DHCPv4's control socket, asked for C(lease4-get-all) (which needs Kea's lease_cmds hook, loaded with HA).
      - Without that hook, the leases are read from O(leases_file). V("") reads only O(leases_file).
    type: path
    default: /run/kea/kea4-ctrl-socket
  leases_file:
    description: Kea's memfile lease file (CSV).
    type: path
    default: /var/lib/kea/kea-leases4.csv
  nginx_log:
    description: nginx's access log of the netboot site (format C(combined)).
    type: path
    default: /var/log/nginx/netboot.access.log
  builds_file:
    description: The builds kept by P(netboot.pxe.build_state#module).
    type: path
    default: /var/lib/netboot-pxe/builds.json
  reports_dir:
    description:
      - Where the agents' reports are, C(<token>.json) per build (C(reports) under the ipxe role's C(ipxe_http_root)).
      - V("") reads none.
    type: path
    default: /srv/netboot/reports
  discovered_dir:
    description:
      - Where nginx keeps the discovery records, C(<address>.json) per machine (C(discovered) under the ipxe role's
        C(ipxe_http_root)). V("") or a missing directory reads none.
    type: path
    default: /srv/netboot/discovered
  known_dir:
    description:
      - The ipxe role's markers of the machines the inventory names, C(known/<MAC with ->) under its C(ipxe_http_root).
        A discovery record that claims one of these MACs is refused.
    type: path
    default: /srv/netboot/known
  journal:
    description: Read tftpd's and Kea's messages from the systemd journal (C(journalctl)).
    type: bool
    default: true
  since:
    description: Only journal messages since this time, as C(journalctl --since) takes it (for example V(-1d)); V("") for all.
    type: str
    default: ""
extends_documentation_fragment:
  - netboot.pxe.attributes
  - netboot.pxe.attributes.no_diff
"""

EXAMPLES = r"""
- name: Report the machines that booted
  netboot.pxe.boot_info:
    since: -1d
  register: report

- name: Print it as a table
  ansible.builtin.debug:
    msg: "{{ report.table }}"

- name: Print the machines discovery found, and the records refused
  ansible.builtin.debug:
    msg: "{{ report.discovered_table }}"
"""

RETURN = r"""
machines:
  description:
    - Per MAC (lower case, with C(:)), what the server knows of the machine.
    - Build tokens in C(tftp) files and C(http) paths are shown by their first 4 digits and an ellipsis; C(build) has no token.
  returned: always
  type: dict
  sample:
    "52:54:00:77:20:14":
      mac: "52:54:00:77:20:14"
      address: 10.77.20.14
      hostname: ""
      lease_ends: "2026-11-30T10:40:00+00:00"
      classes: [pxe-efi-x64, ipxe]
      tftp: [{file: snponly.efi, time: "2026-11-30T09:40:02+00:00"}]
      http:
        - {path: /boot.ipxe, time: "2026-11-30T09:40:07+00:00", method: GET, status: 200}
        - {path: "/answers/0f1e…/preseed.cfg", time: "2026-11-30T09:41:30+00:00", method: GET, status: 200}
        - {path: "/builds/0f1e…", time: "2026-11-30T10:01:58+00:00", method: DELETE, status: 204}
      build: {build: 1, state: installed, since: "2026-11-30T10:02:00+00:00"}
      agent: null
    "52:54:00:77:20:15":
      mac: "52:54:00:77:20:15"
      address: 10.77.20.15
      hostname: ""
      lease_ends: "2026-11-30T11:05:00+00:00"
      classes: []
      tftp: [{file: snponly.efi, time: "2026-11-30T10:04:02+00:00"}]
      http:
        - {path: "/answers/7c2a…/job.json", time: "2026-11-30T10:04:20+00:00", method: GET, status: 200}
        - {path: "/reports/7c2a….json", time: "2026-11-30T10:05:10+00:00", method: PUT, status: 201}
      build: {build: 2, state: pending, since: "2026-11-30T10:03:00+00:00"}
      agent:
        status: failed
        step: choose disk
        reason: "no disk matched {\"serial\": \"S4EW\"} holding 2147483648 bytes; disks: /dev/sda (500107862016 bytes, ...)"
        log: ["netboot-agent: step choose disk failed: no disk matched ..."]
        facts: {mac: "52:54:00:77:20:15", memory: 8589934592, firmware: {mode: uefi, secure_boot: false}}
table:
  description:
    - "The report as lines of text, one row per machine. Its column C(BUILD) is the build's number, state and time,
      and for an image deploy the agent's result - V(deployed), C(failed at <step>: <reason>), or
      C(report refused: <why>)."
  returned: always
  type: list
  elements: str
discovered:
  description:
    - The machines discovery found, by MAC - the sender's address, when it sent the record, and its facts as the
      record holds them (checked field by field).
  returned: always
  type: list
  elements: dict
  sample:
    - mac: "52:54:00:77:20:30"
      address: 10.77.20.150
      time: "2026-11-30T10:05:10+00:00"
      facts:
        mac: "52:54:00:77:20:30"
        nics: [{name: ens3, mac: "52:54:00:77:20:30", driver: e1000, link: up, speed: 1000}]
        system: {vendor: Lab Vendor, product: Rack Server 9, serial: SN-0042, uuid: ""}
        cpu: {model: QEMU Virtual CPU version 2.5+, count: 1}
        memory: 1610612736
        disks: [{path: /dev/sda, size: 8589934592, model: QEMU HARDDISK, serial: "", rotational: true, removable: false}]
        firmware: {mode: bios, secure_boot: false}
discovered_refused:
  description: The records not used, each its file and the reason (the value it names bounded and escaped).
  returned: always
  type: list
  elements: dict
  sample:
    - {file: 10.77.20.151.json, reason: "system.vendor: '$(reboot)' is not a text of at most 128 letters, digits, ..."}
discovered_table:
  description: The discovered machines as lines of text, one row each, then a line per refused record.
  returned: always
  type: list
  elements: str
"""

import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netboot.pxe.plugins.module_utils._boot.discovery import discovery_table, known_macs_in, read_records
from ansible_collections.netboot.pxe.plugins.module_utils._boot.report import (
    agent_results,
    assigned_classes,
    memfile_leases,
    nginx_requests,
    report,
    table,
    tftp_requests,
)
from ansible_collections.netboot.pxe.plugins.module_utils._kea.control import KeaControlError, send_command


def _read(path):
    try:
        with open(path, encoding='utf-8', errors='replace') as handle:
            return handle.read()
    except FileNotFoundError:
        return ''


def _journal(module, arguments, since):
    command = ['journalctl', '--no-pager', '-o', 'short-iso'] + arguments + (['--since', since] if since else [])
    rc, out, err = module.run_command(command)
    if rc != 0:
        module.fail_json(msg=f'journalctl failed: {err.strip()}', cmd=command)
    return out


def main():
    module = AnsibleModule(
        argument_spec={
            'kea_socket': {'type': 'path', 'default': '/run/kea/kea4-ctrl-socket'},
            'leases_file': {'type': 'path', 'default': '/var/lib/kea/kea-leases4.csv'},
            'nginx_log': {'type': 'path', 'default': '/var/log/nginx/netboot.access.log'},
            'builds_file': {'type': 'path', 'default': '/var/lib/netboot-pxe/builds.json'},
            'reports_dir': {'type': 'path', 'default': '/srv/netboot/reports'},
            'discovered_dir': {'type': 'path', 'default': '/srv/netboot/discovered'},
            'known_dir': {'type': 'path', 'default': '/srv/netboot/known'},
            'journal': {'type': 'bool', 'default': True},
            'since': {'type': 'str', 'default': ''},
        },
        supports_check_mode=True,
    )
    params = module.params
    answer = {'result': 2}
    if params['kea_socket']:
        try:
            answer = send_command(params['kea_socket'], 'lease4-get-all')
        except KeaControlError as exc:
            module.fail_json(msg=f'could not read the leases from Kea: {exc}')
    if answer['result'] in (0, 3):
        leases = (answer.get('arguments') or {}).get('leases', [])
    else:  # no lease_cmds hook: the lease file
        leases = memfile_leases(_read(params['leases_file']))
    text = _read(params['builds_file'])
    try:
        builds = json.loads(text) if text else {}
    except ValueError as exc:
        module.fail_json(msg=f'{params["builds_file"]} is not a build state file: {exc}')
    tftp = classes = []
    if params['journal']:
        tftp = tftp_requests(_journal(module, ['-t', 'in.tftpd'], params['since']))
        classes = assigned_classes(_journal(module, ['-u', 'kea-dhcp4-server'], params['since']))
    agents = agent_results(builds, params['reports_dir']) if params['reports_dir'] else {}
    machines = report(leases, builds, nginx_requests(_read(params['nginx_log'])), tftp, classes or {}, agents)
    discovered, refused = read_records(params['discovered_dir'], known_macs_in(params["known_dir"])) if params['discovered_dir'] \
        else ([], [])
    module.exit_json(changed=False, machines=machines, table=table(machines), discovered=discovered,
                     discovered_refused=refused, discovered_table=discovery_table(discovered, refused))


if __name__ == '__main__':
    main()
