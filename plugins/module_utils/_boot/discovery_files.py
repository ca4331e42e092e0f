# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Discovery, the server's side of it: what a machine the inventory does not name is served.

boot.ipxe sends a machine without a script of its own (``hosts/<mac>.ipxe``) and without a marker
``known/<mac>`` (a machine the inventory names: a reservation or an ipxe_hosts entry) to
``discovery/boot.ipxe``: the netboot.pxe agent, with the job ``discovery/job.json`` (inspect). The
agent PUTs its facts to ``/discovery/report``; nginx stores them as ``discovered/<its address>.json``,
only from the served and relayed networks, so each address writes its own record and no other.
Then the agent waits until its machine is enrolled (its script or marker appears) and reboots into
it, or powers the machine off. The records are hostile input: ``discovery.read_records`` reads them.

Private module: its API may change without notice.
"""

from __future__ import annotations

import ipaddress
import json

from ansible_collections.netboot.pxe.plugins.module_utils._boot.access import DISCOVERY_REPORT
from ansible_collections.netboot.pxe.plugins.module_utils._boot.ipxe import render_menu
from ansible_collections.netboot.pxe.plugins.module_utils._boot.menu import MenuError
from ansible_collections.netboot.pxe.plugins.module_utils._validate import normalize_mac

# The files of discovery under the HTTP root, and the directories they are kept in.
SCRIPT = 'discovery/boot.ipxe'
JOB = 'discovery/job.json'
KNOWN = 'known'
DIRECTORIES = ('discovery', KNOWN)
# What the agent does once it has reported: wait for its machine to be enrolled, or power it off.
AFTER = ('wait', 'poweroff')
# How often a waiting agent asks whether its machine was enrolled.
POLL_SECONDS = 10
INSPECT_KEY = 'inspect'
SETTINGS = ('networks', 'known_macs', 'after')


class DiscoveryPlanError(ValueError):
    """A discovery setting that cannot be used; the message names the variable."""


def _networks(value):
    if not isinstance(value, list) or not value:
        raise DiscoveryPlanError(f'ipxe_discovery_networks: must be a non-empty list of IPv4 networks in CIDR form (the '
                                 f'served and relayed subnets), got {value!r}')
    networks = []
    for index, network in enumerate(value):
        try:
            parsed = ipaddress.IPv4Network(network) if isinstance(network, str) else None
        except ValueError:
            parsed = None
        if parsed is None or str(parsed) != network:
            raise DiscoveryPlanError(f'ipxe_discovery_networks[{index}]: must be an IPv4 network in CIDR form (like '
                                     f'10.0.0.0/24), got {network!r}')
        networks.append(network)
    return networks


def _known(value, host_macs):
    if not isinstance(value, list):
        raise DiscoveryPlanError(f'ipxe_discovery_known_macs: must be a list of MAC addresses, got {value!r}')
    known = set(host_macs)
    for index, mac in enumerate(value):
        normalized = normalize_mac(mac) if isinstance(mac, str) else None
        if normalized is None:
            raise DiscoveryPlanError(f'ipxe_discovery_known_macs[{index}]: must be a MAC address (like 52:54:00:12:34:56), '
                                     f'got {mac!r}')
        known.add(normalized)
    return sorted(known)


def discovery_plan(settings, host_macs, base_url, agent, menu_title='Network boot'):
    """The files of discovery (``{path under the HTTP root: text}``) and the networks nginx takes records
    from; with ``settings`` None (discovery off), no files and no networks.

    ``settings``: ``networks`` (CIDR, the served and relayed subnets), ``known_macs`` (machines the
    inventory names besides ``host_macs``, the MACs of ipxe_hosts), ``after`` (wait or poweroff).
    ``agent`` is the agent's boot settings (kernel, initrd, args) as host_plan checked them."""
    if settings is None:
        return {'files': {}, 'networks': [], 'known': []}
    if not isinstance(settings, dict) or sorted(settings) != sorted(SETTINGS):
        raise DiscoveryPlanError(f'discovery: must be a mapping of {", ".join(SETTINGS)}, got {settings!r}')
    networks = _networks(settings['networks'])
    known = _known(settings['known_macs'], host_macs)
    if settings['after'] not in AFTER:
        raise DiscoveryPlanError(f'ipxe_discovery_after: must be one of {", ".join(AFTER)}, got {settings["after"]!r}')
    base = base_url.rstrip('/')
    job = {'version': 1, 'mode': 'inspect', 'report_url': f'{base}{DISCOVERY_REPORT}',
           'script_url': f'{base}/hosts/{{key}}.ipxe', 'known_url': f'{base}/{KNOWN}/{{key}}',
           'poll_seconds': POLL_SECONDS, 'after': settings['after']}
    words = [agent['args'], 'BOOTIF=01-${mac:hexhyp}', f'netboot.job={base}/{JOB}']
    item = {'key': INSPECT_KEY, 'label': 'Inspect this machine (netboot.pxe discovery)', 'kernel': agent['kernel'],
            'initrd': [agent['initrd']], 'args': ' '.join(word for word in words if word)}
    try:
        script = render_menu([item], title=menu_title, timeout=1, base_url=base_url, name='discovery')
    except MenuError as exc:
        raise DiscoveryPlanError(str(exc)) from exc
    files = {SCRIPT: script, JOB: json.dumps(job, indent=2, sort_keys=True) + '\n'}
    for mac in known:
        files[f'{KNOWN}/{mac.replace(":", "-")}'] = f'# {mac}: named by the inventory; it gets the menu, not discovery\n'
    return {'files': files, 'networks': networks, 'known': known}
