# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._dhcp.pxe_classes import PxeClassError
from ansible_collections.netboot.pxe.plugins.module_utils._dhcp.pxe_classes6 import client_classes6

SCRIPT = 'http://[fd00:10::2]/boot.ipxe'
HTTP_CLIENT = {'name': 'vendor-class', 'csv-format': False, 'data': '00000157000a48545450436c69656e74', 'always-send': True}


def test_each_architecture_gets_its_boot_file_url_and_ipxe_its_script():
    classes = client_classes6({'efi-x64': 'snponly.efi', 'efi-arm64': 'arm64/snp.efi', 'http-x64': 'ipxe.efi'},
                              SCRIPT, 'fd00:10::2', http_base_url='http://[fd00:10::2]/ipxe/')
    assert classes == [
        {'name': 'ipxe', 'test': "substring(option[15].hex,2,4) == 'iPXE'",
         'option-data': [{'name': 'bootfile-url', 'data': SCRIPT}]},
        {'name': 'pxe-efi-x64', 'test': "(option[61].hex == 0x0007 or option[61].hex == 0x0009) and not member('ipxe')",
         'option-data': [{'name': 'bootfile-url', 'data': 'tftp://[fd00:10::2]/snponly.efi'}]},
        {'name': 'pxe-efi-arm64', 'test': "option[61].hex == 0x000b and not member('ipxe')",
         'option-data': [{'name': 'bootfile-url', 'data': 'tftp://[fd00:10::2]/arm64/snp.efi'}]},
        {'name': 'pxe-http-x64', 'test': "option[61].hex == 0x0010 and not member('ipxe')",
         'option-data': [{'name': 'bootfile-url', 'data': 'http://[fd00:10::2]/ipxe/ipxe.efi'}, HTTP_CLIENT]},
    ]
    # The HTTPClient vendor class in wire form: enterprise 343, one item of 10 bytes.
    assert bytes.fromhex(HTTP_CLIENT['data']) == (343).to_bytes(4, 'big') + (10).to_bytes(2, 'big') + b'HTTPClient'


def test_an_http_boot_file_may_be_a_whole_url():
    classes = client_classes6({'http-arm64': 'http://[fd00:10::9]/arm.efi'}, SCRIPT, 'fd00:10::2')
    assert classes[1]['option-data'][0] == {'name': 'bootfile-url', 'data': 'http://[fd00:10::9]/arm.efi'}


@pytest.mark.parametrize('args, message', [
    (({'bios': 'undionly.kpxe'}, SCRIPT, 'fd00:10::2'), "boot files has unknown architecture name(s) 'bios' for IPv6"),
    (({}, SCRIPT, 'fe80::2'), "tftp_server must be a global or unique local IPv6 address, got 'fe80::2'"),
    (({}, SCRIPT, '10.0.0.2'), "tftp_server must be a global or unique local IPv6 address, got '10.0.0.2'"),
    (({}, SCRIPT, 'fd00:10::2%eth1'), 'tftp_server must be a global or unique local IPv6 address'),
    (({}, 'http://[fd00:10::2]/boot,ipxe', 'fd00:10::2'), 'ipxe_script_url must be an http(s) URL without commas'),
    (({}, 'tftp://[fd00:10::2]/boot.ipxe', 'fd00:10::2'), 'ipxe_script_url must be an http(s) URL without commas'),
    (({'efi-x64': 'http://[fd00:10::2]/snponly.efi'}, SCRIPT, 'fd00:10::2'),
     "boot files['efi-x64'] is for firmware PXE over TFTP: it must be a TFTP path"),
    (({'efi-x64': '../snponly.efi'}, SCRIPT, 'fd00:10::2'), "boot files['efi-x64'] must be a path relative to the TFTP root"),
    (({'http-x64': 'ipxe.efi'}, SCRIPT, 'fd00:10::2'),
     "boot files['http-x64'] is for UEFI HTTP boot: the boot file 'ipxe.efi' needs an absolute URL or http_base_url"),
    (('snponly.efi', SCRIPT, 'fd00:10::2'), 'boot files must be a mapping of architecture name to file'),
])
def test_refused(args, message):
    with pytest.raises(PxeClassError) as error:
        client_classes6(*args)
    assert str(error.value).startswith(message), str(error.value)
