# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._dhcp.pxe_classes import (
    SECURE_BOOT_CLASS,
    PxeClassError,
    boot_files,
    client_classes,
)

URL = 'http://10.0.0.2/boot.ipxe'
SERVER = '10.0.0.2'
HTTP_BASE = 'http://10.0.0.2/ipxe/'


def by_name(classes):
    return {entry['name']: entry for entry in classes}


@pytest.mark.parametrize('arch, boot_file, test, file_field', [
    ('bios', 'undionly.kpxe', "option[93].hex == 0x0000 and not member('ipxe')", 'undionly.kpxe'),
    ('efi-ia32', 'ipxe-ia32.efi', "option[93].hex == 0x0006 and not member('ipxe')", 'ipxe-ia32.efi'),
    ('efi-x64', 'snponly.efi', "(option[93].hex == 0x0007 or option[93].hex == 0x0009) and not member('ipxe')",
     'snponly.efi'),
    ('efi-arm64', 'arm64/ipxe.efi', "option[93].hex == 0x000b and not member('ipxe')", 'arm64/ipxe.efi'),
    ('http-x64', 'ipxe.efi', "option[93].hex == 0x0010 and not member('ipxe')", 'http://10.0.0.2/ipxe/ipxe.efi'),
    ('http-arm64', 'http://mirror/ipxe-arm64.efi', "option[93].hex == 0x0013 and not member('ipxe')",
     'http://mirror/ipxe-arm64.efi'),
])
def test_architecture_class(arch, boot_file, test, file_field):
    classes = client_classes({arch: boot_file}, URL, SERVER, http_base_url=HTTP_BASE)
    assert [entry['name'] for entry in classes] == ['ipxe', f'pxe-{arch}']
    entry = classes[1]
    assert entry['test'] == test
    assert entry['boot-file-name'] == file_field
    assert entry['next-server'] == SERVER
    if arch.startswith('http-'):
        assert entry['option-data'] == [
            {'name': 'vendor-class-identifier', 'data': 'HTTPClient', 'always-send': True}]
    else:
        assert 'option-data' not in entry


def test_ipxe_class_comes_first_and_gets_the_script_url():
    classes = client_classes({'efi-x64': 'snponly.efi', 'bios': 'undionly.kpxe'}, URL, SERVER)
    assert classes[0] == {
        'name': 'ipxe',
        'test': "substring(option[77].hex,0,4) == 'iPXE'",
        'next-server': SERVER,
        'boot-file-name': URL,
    }


def test_classes_follow_a_stable_architecture_order():
    classes = client_classes({'http-x64': 'ipxe.efi', 'efi-x64': 'a.efi', 'bios': 'u.kpxe'}, URL, SERVER,
                             http_base_url=HTTP_BASE)
    assert [entry['name'] for entry in classes] == ['ipxe', 'pxe-bios', 'pxe-efi-x64', 'pxe-http-x64']


def test_no_option_67_anywhere():
    classes = client_classes({'bios': 'u.kpxe', 'http-x64': 'i.efi'}, URL, SERVER, http_base_url=HTTP_BASE)
    for entry in classes:
        for option in entry.get('option-data', []):
            assert option.get('name') != 'boot-file-name' and option.get('code') != 67


def test_ipxe_options_are_attached_to_the_ipxe_class_only():
    extra = [{'space': 'ipxe', 'name': 'no-pxedhcp', 'code': 176, 'data': '1'}]
    classes = by_name(client_classes({'bios': 'u.kpxe'}, URL, SERVER, ipxe_options=extra))
    assert classes['ipxe']['option-data'] == extra
    assert 'option-data' not in classes['pxe-bios']


@pytest.mark.parametrize('boot_files, url, server, http_base, message', [
    ({'sparc': 'x'}, URL, SERVER, None, "netboot_boot_files has unknown architecture name(s) 'sparc'"),
    ({'bios': 'x', 'EFI-X64': 'y'}, URL, SERVER, None, "'EFI-X64'"),
    (['bios'], URL, SERVER, None, 'must be a mapping'),
    ({'bios': '../etc/passwd'}, URL, SERVER, None, "netboot_boot_files['bios'] must be a path relative to the TFTP root"),
    ({'bios': '/abs/undionly.kpxe'}, URL, SERVER, None, "'/abs/undionly.kpxe'"),
    ({'bios': ''}, URL, SERVER, None, 'non-empty string'),
    ({'bios': 'a b.kpxe'}, URL, SERVER, None, "'a b.kpxe'"),
    ({'bios': 'http://x/undionly.kpxe'}, URL, SERVER, None, 'must be a TFTP path'),
    ({'http-x64': 'ipxe.efi'}, URL, SERVER, None, 'needs an absolute URL or http_base_url'),
    ({'bios': 'u.kpxe'}, 'tftp://x/boot.ipxe', SERVER, None, "ipxe_script_url must be an http(s) URL, got 'tftp://x/boot.ipxe'"),
    ({'bios': 'u.kpxe'}, URL, 'server.example', None, "next_server must be an IPv4 address, got 'server.example'"),
])
def test_bad_input_names_the_value(boot_files, url, server, http_base, message):
    with pytest.raises(PxeClassError, match=None) as error:
        client_classes(boot_files, url, server, http_base_url=http_base, name='netboot_boot_files')
    assert message in str(error.value)


DEBIAN_13 = ['undionly.kpxe', 'ipxe.efi', 'snponly.efi', 'ipxe-arm64.efi']
DEBIAN_12 = ['undionly.kpxe', 'ipxe.efi', 'snponly.efi']


@pytest.mark.parametrize('staged, chosen, expected', [
    (DEBIAN_13, None, {'bios': 'undionly.kpxe', 'efi-x64': 'snponly.efi', 'efi-arm64': 'ipxe-arm64.efi',
                       'http-x64': 'ipxe.efi', 'http-arm64': 'ipxe-arm64.efi'}),
    (DEBIAN_12, {}, {'bios': 'undionly.kpxe', 'efi-x64': 'snponly.efi', 'http-x64': 'ipxe.efi'}),
    (DEBIAN_12, {'efi-x64': 'ipxe.efi'}, {'bios': 'undionly.kpxe', 'efi-x64': 'ipxe.efi', 'http-x64': 'ipxe.efi'}),
    (DEBIAN_13, {'efi-arm64': '', 'http-arm64': None},
     {'bios': 'undionly.kpxe', 'efi-x64': 'snponly.efi', 'http-x64': 'ipxe.efi'}),
    (DEBIAN_12, {'http-x64': 'http://10.0.0.9/ipxe.efi'}, {'bios': 'undionly.kpxe', 'efi-x64': 'snponly.efi',
                                                           'http-x64': 'http://10.0.0.9/ipxe.efi'}),
    (['ipxe.efi'], None, {'efi-x64': 'ipxe.efi', 'http-x64': 'ipxe.efi'}),
    ([], None, {}),
])
def test_offers_every_architecture_a_staged_binary_serves(staged, chosen, expected):
    assert boot_files(staged, chosen, name='ipxe_boot_files') == expected


@pytest.mark.parametrize('chosen, message', [
    ({'efi-x64': 'ipxe-new.efi'}, "ipxe_boot_files['efi-x64'] is 'ipxe-new.efi', which is not staged; staged: undionly.kpxe"),
    ({'efi-x65': 'snponly.efi'}, "ipxe_boot_files has unknown architecture name(s) 'efi-x65'"),
    ({'bios': 'http://10.0.0.9/undionly.kpxe'}, "ipxe_boot_files['bios'] is 'http://10.0.0.9/undionly.kpxe', which is not staged"),
    ({'bios': '../undionly.kpxe'}, "ipxe_boot_files['bios'] must be a path relative to the TFTP root"),
    ({'bios': 'undionly.kpxe\n'}, "ipxe_boot_files['bios'] must be a path relative to the TFTP root"),
    (['undionly.kpxe'], 'ipxe_boot_files must be a mapping'),
])
def test_refuses_boot_files_that_are_not_staged(chosen, message):
    with pytest.raises(PxeClassError) as error:
        boot_files(DEBIAN_12, chosen, name='ipxe_boot_files')
    assert message in str(error.value)


def test_the_secure_boot_class_comes_last_and_only_where_required():
    classes = client_classes({'efi-x64': 'snponly.efi'}, URL, SERVER, secure_boot_file='shimx64.efi')
    assert [entry['name'] for entry in classes] == ['ipxe', 'pxe-efi-x64', SECURE_BOOT_CLASS]
    assert classes[-1] == {
        'name': 'pxe-efi-x64-secure-boot',
        'test': "(option[93].hex == 0x0007 or option[93].hex == 0x0009) and not member('ipxe')",
        'only-if-required': True,
        'next-server': SERVER,
        'boot-file-name': 'shimx64.efi',
    }


@pytest.mark.parametrize('secure_boot_file, message', [
    ('http://10.0.0.2/shimx64.efi', 'kea_dhcp4_pxe_secure_boot_file must be a path relative to the TFTP root'),
    ('../shimx64.efi', 'kea_dhcp4_pxe_secure_boot_file must be a path relative to the TFTP root'),
    (5, 'kea_dhcp4_pxe_secure_boot_file must be a non-empty string, got 5'),
])
def test_a_bad_secure_boot_file_names_its_variable(secure_boot_file, message):
    with pytest.raises(PxeClassError) as error:
        client_classes({}, URL, SERVER, secure_boot_file=secure_boot_file, secure_boot_name='kea_dhcp4_pxe_secure_boot_file')
    assert message in str(error.value)


def test_the_secure_boot_class_of_uefi_http_boot_where_it_is_offered():
    classes = client_classes({'efi-x64': 'snponly.efi', 'http-x64': 'ipxe.efi'}, URL, SERVER, http_base_url=HTTP_BASE,
                             secure_boot_file='shimx64.efi')
    assert classes[-1] == {
        'name': 'pxe-http-x64-secure-boot',
        'test': "option[93].hex == 0x0010 and not member('ipxe')",
        'only-if-required': True,
        'next-server': SERVER,
        'boot-file-name': 'http://10.0.0.2/ipxe/shimx64.efi',
        'option-data': [{'name': 'vendor-class-identifier', 'data': 'HTTPClient', 'always-send': True}],
    }
