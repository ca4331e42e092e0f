# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""A machine's BMC as the inventory gives it (the host variable ``bmc``), checked: ``type``
(redfish or ipmi), ``address`` (a DNS name or an IPv4 address, for Redfish with an optional
port), ``user`` and ``password``; for Redfish ``system_id``, ``validate_certs``, ``ca_path`` and
``boot`` (pxe or http); for IPMI ``port``.

The password is never part of a message or of what is returned: the tasks that use it take it
from the host variable itself, with ``no_log``.

Private module: its API may change without notice.
"""

from __future__ import annotations

from ansible_collections.netboot.pxe.plugins.module_utils._validate import (
    BMC_ADDRESS,
    BMC_USER,
    DIGITS,
    FILE_PATH,
    REDFISH_ID,
    is_ipv4,
)

TYPES = ('redfish', 'ipmi')
COMMON_KEYS = ('type', 'address', 'user', 'password')
KEYS = {
    'redfish': COMMON_KEYS + ('system_id', 'validate_certs', 'ca_path', 'boot'),
    'ipmi': COMMON_KEYS + ('port',),
}
# The one-time boot a Redfish BMC sets: PXE, or UEFI HTTP boot.
BOOTS = {'pxe': 'Pxe', 'http': 'UefiHttp'}
IPMI_PORT = 623
HTTPS_PORT = 443
PASSWORD_MAX = 256
# The longest text of a value shown in an error.
SHOWN_MAX = 64


class BmcError(ValueError):
    """A ``bmc`` that cannot be used; the message names the field and its value (never the password's)."""


def shown(value):
    """A bounded repr of a value that is no secret."""
    if isinstance(value, str):
        return repr(value[:SHOWN_MAX]) + ('...' if len(value) > SHOWN_MAX else '')
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    return f'a {type(value).__name__}'


def _kind(value):
    """What a value is, without showing it (a password or a mistyped mapping)."""
    if isinstance(value, str):
        return f'a text of {len(value)} characters'
    return f'a {type(value).__name__}'


def _is_text(value):
    # A vaulted value reaches a filter as a string, or as Ansible's encrypted string that acts as one.
    return isinstance(value, str) or type(value).__name__ == 'EncryptedString'


def _address(value, where, bmc_type):
    match = BMC_ADDRESS.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise BmcError(f'{where}: {shown(value)} is not a host name or IPv4 address'
                       + (' with an optional :port' if bmc_type == 'redfish' else ''))
    host, port = match.group(1), match.group(2)
    if all(label.isdigit() for label in host.split('.')) and not is_ipv4(host):
        raise BmcError(f'{where}: {shown(value)} is not an IPv4 address (four numbers from 0 to 255, no leading zeros)')
    if port is not None and bmc_type == 'ipmi':
        raise BmcError(f'{where}: {shown(value)} has a port; an IPMI BMC takes it in the port field')
    return host, None if port is None else int(port)


def _port(value, where):
    if isinstance(value, str) and DIGITS.fullmatch(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise BmcError(f'{where}: {shown(value)} is not a port from 1 to 65535')
    return value


def _flag(value, where):
    if not isinstance(value, bool):
        raise BmcError(f'{where}: {shown(value)} is not true or false')
    return value


def check_bmc(value, where='bmc'):
    """``value`` (the host variable ``bmc``) checked, as a mapping without the password:
    ``type``, ``host``, ``port`` and ``user``; for Redfish also ``baseuri`` (host:port, what the
    Redfish modules take), ``system_id`` (``''``: the BMC's only system), ``validate_certs``,
    ``ca_path`` (``''``: the system's CAs) and ``boot_device`` (Pxe or UefiHttp)."""
    if not isinstance(value, dict):
        raise BmcError(f'{where}: must be a mapping with type, address, user and password, got {_kind(value)}')
    bmc_type = value.get('type')
    if bmc_type not in TYPES:
        raise BmcError(f'{where}.type: {shown(bmc_type)} is not one of {", ".join(TYPES)}')
    unknown = sorted((str(key) for key in value if key not in KEYS[bmc_type]))
    if unknown:
        # Names only: a value could be a secret typed in the wrong place.
        raise BmcError(f'{where}: unknown key(s) {", ".join(shown(key) for key in unknown)} for type {bmc_type}; '
                       f'known: {", ".join(KEYS[bmc_type])}')
    missing = [key for key in COMMON_KEYS if key not in value]
    if missing:
        raise BmcError(f'{where}: misses {", ".join(missing)}')
    host, port = _address(value['address'], f'{where}.address', bmc_type)
    user = value['user']
    if not isinstance(user, str) or not BMC_USER.fullmatch(user):
        raise BmcError(f'{where}.user: {shown(user)} is not a user name of 1 to 64 printable characters without spaces')
    password = value['password']
    if not _is_text(password) or not 1 <= len(str(password)) <= PASSWORD_MAX:
        raise BmcError(f'{where}.password: must be a text of 1 to {PASSWORD_MAX} characters (quote it in YAML, '
                       f'or vault it), got {_kind(password)}')
    checked = {'type': bmc_type, 'host': host, 'user': user}
    if bmc_type == 'ipmi':
        checked['port'] = _port(value.get('port', IPMI_PORT), f'{where}.port')
        return checked
    checked['port'] = HTTPS_PORT if port is None else port
    checked['baseuri'] = host if port is None else f'{host}:{port}'
    system_id = value.get('system_id', '')
    if system_id != '' and not (isinstance(system_id, str) and REDFISH_ID.fullmatch(system_id)):
        raise BmcError(f'{where}.system_id: {shown(system_id)} is not a Redfish Id (1 to 128 letters, digits and ._:-, '
                       'starting with a letter or digit)')
    checked['system_id'] = system_id
    checked['validate_certs'] = _flag(value.get('validate_certs', True), f'{where}.validate_certs')
    ca_path = value.get('ca_path', '')
    if ca_path != '' and not (isinstance(ca_path, str) and FILE_PATH.fullmatch(ca_path)):
        raise BmcError(f'{where}.ca_path: {shown(ca_path)} is not an absolute path on the controller')
    if ca_path and not checked['validate_certs']:
        raise BmcError(f'{where}.ca_path: is used only with validate_certs true, got validate_certs false')
    checked['ca_path'] = ca_path
    boot = value.get('boot', 'pxe')
    if boot not in BOOTS:
        raise BmcError(f'{where}.boot: {shown(boot)} is not one of {", ".join(BOOTS)} (PXE, or UEFI HTTP boot)')
    checked['boot_device'] = BOOTS[boot]
    return checked
