# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Kea DHCPv6 client classes that hand each UEFI client its boot file URL (option 59), by the
client architecture it sends (option 61): the iPXE binary over TFTP for UEFI PXE over IPv6, its
http URL for UEFI HTTP boot over IPv6 (with the HTTPClient vendor class, option 16), and the
iPXE script to iPXE itself (user class iPXE, option 15).

Private module: its API may change without notice.
"""

from __future__ import annotations

from ansible_collections.netboot.pxe.plugins.module_utils._dhcp.pxe_classes import (
    ARCHITECTURES,
    IPXE_CLASS,
    PxeClassError,
    arch_test,
    check_boot_file,
)
from ansible_collections.netboot.pxe.plugins.module_utils._validate import HTTP_URL, is_ipv6, url_host

# The firmware of these architectures boots over IPv6; BIOS PXE has no IPv6 at all.
ARCHITECTURES6 = {name: value for name, value in ARCHITECTURES.items() if name != 'bios'}
# DHCPv6 option 15 (user class) is a list of (length, data): iPXE sends one item, "iPXE".
IPXE_TEST6 = "substring(option[15].hex,2,4) == 'iPXE'"
# UEFI HTTP boot takes an offer only with option 16 saying HTTPClient: enterprise 343 (as the
# firmware sends it), one item of 10 bytes. In wire form: Kea 2.2 and 2.6 define the option apart.
HTTP_CLIENT_OPTION = {'name': 'vendor-class', 'csv-format': False, 'data': '00000157000a48545450436c69656e74',
                      'always-send': True}


def _boot_url(where, url):
    """A URL for option 59 as Kea takes it: a comma would split Kea's option data."""
    if not isinstance(url, str) or not HTTP_URL.fullmatch(url) or ',' in url:
        raise PxeClassError(f'{where} must be an http(s) URL without commas, got {url!r}')
    return url


def tftp_boot_file_option(tftp_server, boot_file):
    """Option 59 as Kea's option-data: ``boot_file`` over TFTP from ``tftp_server`` (in brackets)."""
    return {'name': 'bootfile-url', 'data': f'tftp://{url_host(tftp_server)}/{boot_file}'}


def client_classes6(boot_files, ipxe_script_url, tftp_server, http_base_url=None, name='boot files'):
    """Return the Kea DHCPv6 ``client-classes`` list for UEFI PXE, UEFI HTTP boot and iPXE clients.

    ``boot_files`` maps an architecture name of ``ARCHITECTURES6`` to a boot file: a TFTP path,
    handed out as ``tftp://[tftp_server]/path``, or for the HTTP boot architectures a path under
    ``http_base_url`` (or an absolute URL). iPXE gets ``ipxe_script_url``. The iPXE class comes
    first: Kea applies the first class's option and ``member()`` sees only classes defined
    earlier. Errors about ``boot_files`` name it ``name``.
    """
    if not isinstance(boot_files, dict):
        raise PxeClassError(f'{name} must be a mapping of architecture name to file, got {boot_files!r}')
    _boot_url('ipxe_script_url', ipxe_script_url)
    if not is_ipv6(tftp_server):
        raise PxeClassError(f'tftp_server must be a global or unique local IPv6 address, got {tftp_server!r}')
    unknown = sorted(str(arch) for arch in boot_files if arch not in ARCHITECTURES6)
    if unknown:
        raise PxeClassError(f'{name} has unknown architecture name(s) {", ".join(map(repr, unknown))} for IPv6; '
                            f'known: {", ".join(ARCHITECTURES6)}')
    classes = [{
        'name': IPXE_CLASS,
        'test': IPXE_TEST6,
        'option-data': [{'name': 'bootfile-url', 'data': ipxe_script_url}],
    }]
    for arch, (codes, http_boot) in ARCHITECTURES6.items():
        if arch not in boot_files:
            continue
        where = f'{name}[{arch!r}]'
        boot_file = boot_files[arch]
        check_boot_file(where, boot_file)
        test = arch_test(codes).replace('option[93]', 'option[61]')
        entry = {'name': f'pxe-{arch}', 'test': f"{test} and not member('{IPXE_CLASS}')"}
        if http_boot:
            if HTTP_URL.fullmatch(boot_file):
                url = boot_file
            elif isinstance(http_base_url, str) and HTTP_URL.fullmatch(http_base_url):
                url = http_base_url.rstrip('/') + '/' + boot_file.lstrip('/')
            else:
                raise PxeClassError(f'{where} is for UEFI HTTP boot: the boot file {boot_file!r} needs an absolute '
                                    f'URL or http_base_url, got http_base_url={http_base_url!r}')
            entry['option-data'] = [{'name': 'bootfile-url', 'data': _boot_url(where, url)}, dict(HTTP_CLIENT_OPTION)]
        else:
            if HTTP_URL.fullmatch(boot_file):
                raise PxeClassError(f'{where} is for firmware PXE over TFTP: it must be a TFTP path, got {boot_file!r}')
            entry['option-data'] = [tftp_boot_file_option(tftp_server, boot_file)]
        classes.append(entry)
    return classes
