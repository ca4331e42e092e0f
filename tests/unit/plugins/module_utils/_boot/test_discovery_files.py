# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._boot.discovery_files import (
    DiscoveryPlanError,
    discovery_plan,
)
from ansible_collections.netboot.pxe.plugins.module_utils._boot.hosts import host_plan
from ansible_collections.netboot.pxe.tests.lib.ipxe_lint import lint_script

BASE_URL = 'http://10.0.0.2/'
AGENT = {'kernel': 'agent/vmlinuz', 'initrd': 'agent/initrd.img', 'args': 'console=ttyS0,115200'}
SETTINGS = {'networks': ['10.0.0.0/24'], 'known_macs': ['52:54:00:00:00:0A'], 'after': 'wait'}


def test_off_serves_nothing():
    assert discovery_plan(None, ['52:54:00:12:34:56'], BASE_URL, AGENT) == {'files': {}, 'networks': [], 'known': []}


def test_the_script_boots_the_agent_with_the_inspect_job():
    found = discovery_plan(SETTINGS, ['52:54:00:12:34:56'], BASE_URL, AGENT)
    assert sorted(found['files']) == ['discovery/boot.ipxe', 'discovery/job.json', 'known/52-54-00-00-00-0a',
                                      'known/52-54-00-12-34-56']
    script = found['files']['discovery/boot.ipxe']
    assert lint_script(script) == []
    assert ('kernel http://10.0.0.2/agent/vmlinuz initrd=initrd.img console=ttyS0,115200 BOOTIF=01-${mac:hexhyp} '
            'netboot.job=http://10.0.0.2/discovery/job.json || goto failed') in script.splitlines()
    assert json.loads(found['files']['discovery/job.json']) == {
        'version': 1, 'mode': 'inspect', 'report_url': 'http://10.0.0.2/discovery/report',
        'script_url': 'http://10.0.0.2/hosts/{key}.ipxe', 'known_url': 'http://10.0.0.2/known/{key}', 'poll_seconds': 10,
        'after': 'wait'}
    assert found['networks'] == ['10.0.0.0/24'] and found['known'] == ['52:54:00:00:00:0a', '52:54:00:12:34:56']


@pytest.mark.parametrize('change, message', [
    ({'networks': []}, 'ipxe_discovery_networks: must be a non-empty list'),
    ({'networks': ['10.0.0.1/24']}, r"ipxe_discovery_networks\[0\]: must be an IPv4 network in CIDR form .*'10.0.0.1/24'"),
    ({'networks': ['10.0.0.0/24;\nallow all']}, r'ipxe_discovery_networks\[0\]'),
    ({'known_macs': ['52:54:00:00:00']}, r"ipxe_discovery_known_macs\[0\]: must be a MAC address .*'52:54:00:00:00'"),
    ({'known_macs': 'x'}, 'ipxe_discovery_known_macs: must be a list'),
    ({'after': 'reboot'}, "ipxe_discovery_after: must be one of wait, poweroff, got 'reboot'"),
    ({'other': 1}, 'discovery: must be a mapping of networks, known_macs, after'),
])
def test_refused(change, message):
    with pytest.raises(DiscoveryPlanError, match=message):
        discovery_plan(dict(SETTINGS, **change), [], BASE_URL, AGENT)


def test_host_plan_serves_discovery_and_its_nginx_location():
    result = host_plan([{'mac': '52:54:00:12:34:56', 'items': [{'key': 'local', 'type': 'exit', 'label': 'Local'}]}], [],
                       base_url=BASE_URL, discovery=SETTINGS)
    assert 'known/52-54-00-12-34-56' in result['discovery']
    assert 'location = /discovery/report {\n    allow 10.0.0.0/24;\n' in result['nginx_access']
