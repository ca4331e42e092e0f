# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import inspect
import os

import pytest
import yaml

from ansible.errors import AnsibleFilterError
from ansible_collections.netboot.pxe.plugins.filter import ipxe
from ansible_collections.netboot.pxe.plugins.module_utils._boot.hosts import KEYS, host_plan

FILTER_DIR = os.path.dirname(ipxe.__file__)
CATALOG = [{'name': 'debian-13', 'family': 'debian', 'kernel': '/boot/linux', 'answer': 'preseed',
            'answer_args': 'url={answer_url}'}]
HOSTS = [{'mac': '52:54:00:12:34:56', 'os': 'debian-13'},
         {'mac': '52-54-00-12-34-57', 'items': [{'key': 'local', 'type': 'exit'}]}]
SETTINGS = {'base_url': 'http://10.0.0.2', 'answer_templates': {'preseed': ['preseed.cfg']},
            'answer_url_files': {'preseed': 'preseed.cfg'}}


def test_filter_is_registered():
    assert ipxe.FilterModule().filters() == {
        'ipxe_menu': ipxe.ipxe_menu,
        'grub_menu': ipxe.grub_menu,
        'ipxe_host_plan': ipxe.ipxe_host_plan,
        'os_catalog': ipxe.os_catalog,
        'os_assets': ipxe.os_assets,
        'os_menu_items': ipxe.os_menu_items,
        'pxe_boot_files': ipxe.pxe_boot_files,
        'ipxe_staging': ipxe.ipxe_staging,
    }


def test_filter_returns_the_plan():
    result = ipxe.ipxe_host_plan(HOSTS, CATALOG, **SETTINGS)
    assert result == host_plan(HOSTS, CATALOG, **SETTINGS)
    assert [entry['url'] for entry in result['installs']] == ['http://10.0.0.2/answers/52-54-00-12-34-56/preseed.cfg']
    assert list(result['scripts']) == ['52-54-00-12-34-56', '52-54-00-12-34-57']


@pytest.mark.parametrize('hosts, message', [
    ([dict(HOSTS[0], hostnmae='web1')], 'ipxe_host_plan: ipxe_hosts[0]: unknown key(s) hostnmae'),
    ([dict(HOSTS[0], os='windows-11')], "ipxe_host_plan: ipxe_hosts[0].os: 'windows-11' is not an enabled entry of the OS catalog"),
    ([dict(HOSTS[1], items=[{'key': 'x'}])], "ipxe_host_plan: ipxe_hosts[0].items[0] (key 'x'): type boot needs a kernel"),
])
def test_filter_errors_name_the_filter_and_the_variable(hosts, message):
    with pytest.raises(AnsibleFilterError) as error:
        ipxe.ipxe_host_plan(hosts, CATALOG, **SETTINGS)
    assert str(error.value).startswith(message)


def test_pxe_boot_files_errors_are_filter_errors():
    with pytest.raises(AnsibleFilterError) as info:
        ipxe.pxe_boot_files(['undionly.kpxe'], {'efi-x64': 'snponly.efi'}, name='ipxe_boot_files')
    message = "pxe_boot_files: ipxe_boot_files['efi-x64'] is 'snponly.efi', which is not staged"
    assert str(info.value).startswith(message), str(info.value)


def test_sidecar_documents_the_filter_arguments():
    with open(os.path.join(FILTER_DIR, 'ipxe_host_plan.yml'), encoding='utf-8') as handle:
        doc = yaml.safe_load(handle)
    assert sorted(doc) == ['DOCUMENTATION', 'EXAMPLES', 'RETURN']
    documentation = doc['DOCUMENTATION']
    assert documentation['name'] == 'ipxe_host_plan' and documentation['version_added'] == '0.4.0'
    parameters = list(inspect.signature(ipxe.ipxe_host_plan).parameters)
    assert sorted(documentation['options']) == sorted(['_input'] + parameters[1:])
    assert [name.strip() for name in documentation['positional'].split(',')] == ['_input', 'catalog']
    assert sorted(documentation['options']['_input']['suboptions']) == sorted(KEYS)
    assert yaml.safe_load(doc['EXAMPLES'])
