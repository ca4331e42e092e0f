# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The cloud-init NoCloud seed of a machine deployed from an OS image, from the answers the
unattended installers take (the ipxe role's ``ipxe_answer_*`` variables).

Both files are JSON, which YAML reads as the same document: a value is a quoted string, so no
value can add a key or a line. user-data starts with ``#cloud-config`` (a YAML comment).

Private module: its API may change without notice.
"""

from __future__ import annotations

import json
import re

from ansible_collections.netboot.pxe.plugins.module_utils._validate import BUILD_TOKEN, HOST_NAME

# What JSON writes as it is and YAML reads back as the same text: printable ASCII. (YAML does not
# join the surrogate pairs JSON writes for other characters, and reads some controls as line breaks.)
_PLAIN = re.compile(r'[ -~]*')
# A crypt(3) hash that locks password login: no password matches it.
LOCKED = ('!', '*')
# The user may run any command as root: with a locked password (log in with SSH keys only) there
# is no other way to administer the machine.
SUDO_WITHOUT_PASSWORD = 'ALL=(ALL) NOPASSWD:ALL'


class SeedError(ValueError):
    """A value that cannot go into the seed; the message names its variable."""


def _plain(variable, value, secret=False):
    if isinstance(value, str) and _PLAIN.fullmatch(value):
        return value
    shown = 'its value is not shown' if secret else f'got {value!r}'
    raise SeedError(f'{variable} must be printable ASCII text on one line for the cloud-init seed; {shown}')


def instance_id(token):
    """The seed's instance-id: new for each build, so cloud-init runs again on a redeploy."""
    if not isinstance(token, str) or not BUILD_TOKEN.fullmatch(token):
        raise SeedError(f'a build token is 32 hexadecimal digits, got {token!r}')
    return f'netboot-{token[:12]}'


def user_data(answers, hostname):
    """The user-data document (a dict) of the machine ``hostname`` from ``answers`` ({ipxe_answer_*: value})."""
    if not isinstance(hostname, str) or not HOST_NAME.fullmatch(hostname):
        raise SeedError(f'hostname must be a host name (lowercase letters, digits and "-"), got {hostname!r}')
    domain = _plain('ipxe_answer_domain', answers.get('ipxe_answer_domain', ''))
    user = _plain('ipxe_answer_user', answers.get('ipxe_answer_user', 'netboot'))
    password = _plain('ipxe_answer_password_hash', answers.get('ipxe_answer_password_hash', '!'), secret=True)
    keys = answers.get('ipxe_answer_ssh_keys', [])
    if not isinstance(keys, list):
        raise SeedError(f'ipxe_answer_ssh_keys must be a list of SSH public keys, got {keys!r}')
    keys = [_plain(f'ipxe_answer_ssh_keys[{index}]', key) for index, key in enumerate(keys)]
    account = {'name': user, 'shell': '/bin/bash', 'groups': ['sudo'], 'lock_passwd': password in LOCKED}
    if password in LOCKED:
        account['sudo'] = SUDO_WITHOUT_PASSWORD
    else:
        account['passwd'] = password
    account['ssh_authorized_keys'] = keys
    document = {
        'hostname': hostname,
        'fqdn': f'{hostname}.{domain}' if domain else hostname,
        'manage_etc_hosts': True,
        'users': [account],
        'disable_root': True,
        'ssh_pwauth': False,
        'timezone': _plain('ipxe_answer_timezone', answers.get('ipxe_answer_timezone', 'Etc/UTC')),
        'locale': _plain('ipxe_answer_locale', answers.get('ipxe_answer_locale', 'C.UTF-8')),
    }
    generated = locale_gen(document['locale'])
    if generated:
        # Debian's locale-gen builds what /etc/locale.gen names (cloud-init's locale module runs it later).
        document['write_files'] = [{'path': '/etc/locale.gen', 'content': generated, 'permissions': '0644'}]
    proxy = _plain('ipxe_answer_proxy', answers.get('ipxe_answer_proxy', ''))
    if proxy:
        document['apt'] = {'proxy': proxy}
    return document


def locale_gen(locale):
    """The /etc/locale.gen line that makes ``locale`` (e.g. "en_US.UTF-8 UTF-8"); '' for C and POSIX, built in."""
    if locale.partition('.')[0] in ('C', 'POSIX'):
        return ''
    charset = locale.partition('.')[2].partition('@')[0] or 'UTF-8'
    return f'{locale} {charset}\n'


def meta_data(hostname, token):
    """The meta-data document (a dict): the build's instance-id and the host name."""
    if not isinstance(hostname, str) or not HOST_NAME.fullmatch(hostname):
        raise SeedError(f'hostname must be a host name (lowercase letters, digits and "-"), got {hostname!r}')
    return {'instance-id': instance_id(token), 'local-hostname': hostname}


def seed(answers, hostname, token):
    """The NoCloud seed files of a build: ``{'meta-data': text, 'user-data': text}``."""
    if not isinstance(answers, dict):
        raise SeedError(f'answers must be a mapping of ipxe_answer_* variables, got {answers!r}')
    return {
        'meta-data': json.dumps(meta_data(hostname, token), indent=2) + '\n',
        'user-data': '#cloud-config\n' + json.dumps(user_data(answers, hostname), indent=2) + '\n',
    }
