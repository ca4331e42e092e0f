# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Kea DHCPv4 client classes that hand each PXE client the right boot file.

Private module: its API may change without notice.
"""

from __future__ import annotations


from ansible_collections.netboot.pxe.plugins.module_utils._validate import BOOT_FILE, HTTP_URL, is_ipv4

IPXE_CLASS = 'ipxe'
IPXE_TEST = "substring(option[77].hex,0,4) == 'iPXE'"

# Architecture name -> (option 93 values, HTTP boot?). RFC 4578 and the IANA
# "Processor Architecture Types" registry; 0x0009 is sent by some x64 firmware.
ARCHITECTURES = {
    'bios': ((0x0000,), False),
    'efi-ia32': ((0x0006,), False),
    'efi-x64': ((0x0007, 0x0009), False),
    'efi-arm64': ((0x000B,), False),
    'http-x64': ((0x0010,), True),
    'http-arm64': ((0x0013,), True),
}

# UEFI x64 machines of the subnets that require them (require-client-classes) get the Secure
# Boot shim instead of iPXE, over TFTP or by UEFI HTTP boot: Kea evaluates these classes after
# choosing the subnet, and their boot file comes last. (A required class without a definition,
# the HTTP one where HTTP boot is not offered, is skipped by Kea.)
SECURE_BOOT_CLASS = 'pxe-efi-x64-secure-boot'
SECURE_HTTP_BOOT_CLASS = 'pxe-http-x64-secure-boot'
SECURE_BOOT_CLASSES = (SECURE_BOOT_CLASS, SECURE_HTTP_BOOT_CLASS)
# Kea takes the boot file of the first class that has one, and evaluates required classes last:
# with Secure Boot per subnet, the UEFI x64 iPXE classes are required classes too, each subnet
# requiring either these or SECURE_BOOT_CLASSES.
UEFI_X64_CLASSES = ('pxe-efi-x64', 'pxe-http-x64')


class PxeClassError(ValueError):
    """Input that cannot become a correct Kea client-classes list."""


def check_boot_file(where, boot_file, tftp_only=False):
    """Refuse a boot file that is neither a TFTP path (without "..") nor, unless ``tftp_only``, an http(s) URL."""
    if not isinstance(boot_file, str) or not boot_file:
        raise PxeClassError(f'{where} must be a non-empty string, got {boot_file!r}')
    if HTTP_URL.fullmatch(boot_file) and not tftp_only:
        return
    if not BOOT_FILE.fullmatch(boot_file) or '..' in boot_file.split('/'):
        raise PxeClassError(
            f'{where} must be a path relative to the TFTP root without ".."'
            f'{"" if tftp_only else ", or an http(s) URL"}; got {boot_file!r}')


def _join_url(base, path):
    if HTTP_URL.fullmatch(path):
        return path
    return base.rstrip('/') + '/' + path.lstrip('/')


def arch_test(codes):
    """Kea expression matching option 93 against any of ``codes``."""
    terms = [f'option[93].hex == 0x{code:04x}' for code in codes]
    return terms[0] if len(terms) == 1 else '(' + ' or '.join(terms) + ')'


def client_classes(boot_files, ipxe_script_url, next_server, http_base_url=None, ipxe_options=None,
                   name='boot files', secure_boot_file=None, secure_boot_name='secure boot file'):
    """Return the Kea ``client-classes`` list for PXE and iPXE clients.

    ``boot_files`` maps an architecture name (see ``ARCHITECTURES``) to a boot
    file: a TFTP path for firmware PXE, or a path under ``http_base_url`` (or an
    absolute URL) for UEFI HTTP boot.  The iPXE class comes first: Kea applies
    the first matching class, and ``member()`` only sees classes defined earlier.
    Errors about ``boot_files`` name it ``name``.
    ``secure_boot_file`` (a TFTP path, the signed shim) adds the class ``SECURE_BOOT_CLASS`` and,
    where ``boot_files`` has http-x64, ``SECURE_HTTP_BOOT_CLASS`` (the file under ``http_base_url``),
    evaluated only for the subnets that require them, and makes ``UEFI_X64_CLASSES`` required
    classes as well (each subnet requires one pair); errors about it name ``secure_boot_name``.
    """
    if not isinstance(boot_files, dict):
        raise PxeClassError(f'{name} must be a mapping of architecture name to file, got {boot_files!r}')
    if not isinstance(ipxe_script_url, str) or not HTTP_URL.fullmatch(ipxe_script_url):
        raise PxeClassError(f'ipxe_script_url must be an http(s) URL, got {ipxe_script_url!r}')
    if not isinstance(next_server, str) or not is_ipv4(next_server):
        raise PxeClassError(f'next_server must be an IPv4 address, got {next_server!r}')
    unknown = sorted(str(name) for name in boot_files if name not in ARCHITECTURES)
    if unknown:
        raise PxeClassError(
            f'{name} has unknown architecture name(s) {", ".join(map(repr, unknown))}; '
            f'known: {", ".join(ARCHITECTURES)}')

    ipxe = {
        'name': IPXE_CLASS,
        'test': IPXE_TEST,
        'next-server': next_server,
        'boot-file-name': ipxe_script_url,
    }
    if ipxe_options:
        ipxe['option-data'] = list(ipxe_options)
    classes = [ipxe]
    for arch, (codes, http_boot) in ARCHITECTURES.items():
        if arch not in boot_files:
            continue
        boot_file = boot_files[arch]
        where = f'{name}[{arch!r}]'
        check_boot_file(where, boot_file)
        entry = {
            'name': f'pxe-{arch}',
            'test': f"{arch_test(codes)} and not member('{IPXE_CLASS}')",
            'next-server': next_server,
        }
        if http_boot:
            if not HTTP_URL.fullmatch(boot_file) and not (isinstance(http_base_url, str) and HTTP_URL.fullmatch(http_base_url)):
                raise PxeClassError(
                    f'{where} is for UEFI HTTP boot: the boot file {boot_file!r} needs an absolute URL '
                    f'or http_base_url, got http_base_url={http_base_url!r}')
            entry['boot-file-name'] = _join_url(http_base_url or '', boot_file)
            entry['option-data'] = [{'name': 'vendor-class-identifier', 'data': 'HTTPClient', 'always-send': True}]
        else:
            if HTTP_URL.fullmatch(boot_file):
                raise PxeClassError(f'{where} is for firmware PXE over TFTP: it must be a TFTP path, got {boot_file!r}')
            entry['boot-file-name'] = boot_file
        if secure_boot_file and entry['name'] in UEFI_X64_CLASSES:
            entry['only-if-required'] = True
        classes.append(entry)
    if secure_boot_file:
        check_boot_file(secure_boot_name, secure_boot_file, tftp_only=True)
        classes.append({
            'name': SECURE_BOOT_CLASS,
            'test': f"{arch_test(ARCHITECTURES['efi-x64'][0])} and not member('{IPXE_CLASS}')",
            'only-if-required': True,
            'next-server': next_server,
            'boot-file-name': secure_boot_file,
        })
        # UEFI HTTP boot of the shim, where this server offers UEFI HTTP boot at all.
        if 'http-x64' in boot_files:
            classes.append({
                'name': SECURE_HTTP_BOOT_CLASS,
                'test': f"{arch_test(ARCHITECTURES['http-x64'][0])} and not member('{IPXE_CLASS}')",
                'only-if-required': True,
                'next-server': next_server,
                'boot-file-name': _join_url(http_base_url or '', secure_boot_file),
                'option-data': [{'name': 'vendor-class-identifier', 'data': 'HTTPClient', 'always-send': True}],
            })
    return classes


# The iPXE binary each architecture gets, in order of preference, among those staged. The
# snponly builds use the firmware's own network driver; HTTP boot clients get a full build.
PREFERRED_BINARIES = {
    'bios': ('undionly.kpxe', 'ipxe.pxe'),
    'efi-ia32': ('snponly-ia32.efi', 'ipxe-ia32.efi'),
    'efi-x64': ('snponly.efi', 'ipxe.efi'),
    'efi-arm64': ('snponly-arm64.efi', 'ipxe-arm64.efi'),
    'http-x64': ('ipxe.efi', 'snponly.efi'),
    'http-arm64': ('ipxe-arm64.efi', 'snponly-arm64.efi'),
}


def boot_files(staged, chosen=None, name='boot files', http_boot=True):
    """The boot file of every architecture that one of the ``staged`` binaries serves.

    ``chosen`` maps an architecture to the binary it must get instead (a staged file name, or
    for UEFI HTTP boot an absolute URL), or to '' to leave it out. A chosen file that is not
    staged is refused: it would be handed out and never found. Errors name ``name``. Without
    ``http_boot``, the UEFI HTTP boot architectures are left out (for a proxyDHCP server).
    """
    chosen = {} if chosen is None else chosen
    if not isinstance(chosen, dict):
        raise PxeClassError(f'{name} must be a mapping of architecture name to file, got {chosen!r}')
    unknown = sorted(str(arch) for arch in chosen if arch not in ARCHITECTURES)
    if unknown:
        raise PxeClassError(f'{name} has unknown architecture name(s) {", ".join(map(repr, unknown))}; '
                            f'known: {", ".join(ARCHITECTURES)}')
    staged = list(staged or [])
    result = {}
    for arch, preferred in PREFERRED_BINARIES.items():
        if ARCHITECTURES[arch][1] and not http_boot:
            continue
        if arch in chosen:
            boot_file = chosen[arch]
            if boot_file in ('', None):
                continue
            where = f'{name}[{arch!r}]'
            check_boot_file(where, boot_file)
            if not (HTTP_URL.fullmatch(boot_file) and ARCHITECTURES[arch][1]) and boot_file not in staged:
                raise PxeClassError(f'{where} is {boot_file!r}, which is not staged; staged: {", ".join(staged) or "none"}')
            result[arch] = boot_file
            continue
        found = next((binary for binary in preferred if binary in staged), None)
        if found:
            result[arch] = found
    return result
