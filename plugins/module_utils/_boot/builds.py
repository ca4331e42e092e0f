# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The install lifecycle of the machines in ipxe_hosts: each install is a build with a secret
token. While it is pending, the machine boots its installer, which finds its answer files under
``answers/<token>/`` and, as its last step, deletes the marker ``builds/<token>`` over HTTP
(nginx allows DELETE there and nothing else). A pending build whose marker is gone is installed:
the machine boots its own disk from then on. A new ``build`` number asks for a reinstall with a
new token.

Private module: its API may change without notice.
"""

from __future__ import annotations

import json
import re

from ansible_collections.netboot.pxe.plugins.module_utils._validate import BUILD_TOKEN, MAC_KEY

PENDING = 'pending'
INSTALLED = 'installed'
# The marker builds/<token> is a GRUB environment block (the size grub-editenv writes) that sets
# this variable to the token: GRUB's load_env reads it (iPXE only fetches it).
PENDING_VARIABLE = 'netboot_pending'
ENV_BLOCK_SIZE = 1024
# A token in text that is shown (a path in a result, a diff or a message, a request in a log).
_TOKEN_IN_TEXT = re.compile(r'(?<![0-9a-f])([0-9a-f]{4})[0-9a-f]{28}(?![0-9a-f])')


def mask_tokens(text):
    """``text`` with each build token (32 lower-case hexadecimal digits, no more) shown by its first
    4 digits and an ellipsis (U+2026): enough to tell builds apart, not to fetch their files or end them."""
    return _TOKEN_IN_TEXT.sub('\\1\u2026', text)


def marker_content(token):
    """The content of the marker of the build ``token``."""
    if not isinstance(token, str) or not BUILD_TOKEN.fullmatch(token):
        raise BuildError(f'a build token is 32 hexadecimal digits, got {token!r}')
    text = f'# GRUB Environment Block\n{PENDING_VARIABLE}={token}\n'.encode()
    return text + b'#' * (ENV_BLOCK_SIZE - len(text))


class BuildError(ValueError):
    """Build input or a state file that cannot be used."""


def check_hosts(hosts):
    """``hosts`` ({MAC with hyphens: build number >= 1}), checked."""
    if not isinstance(hosts, dict):
        raise BuildError(f'hosts must be a mapping of MAC (with hyphens) to build number, got {hosts!r}')
    for key, build in hosts.items():
        if not isinstance(key, str) or not MAC_KEY.fullmatch(key):
            raise BuildError(f'hosts: {key!r} is not a MAC with hyphens like 52-54-00-12-34-56')
        if isinstance(build, bool) or not isinstance(build, int) or build < 1:
            raise BuildError(f'hosts[{key!r}] must be a whole number >= 1, got {build!r}')
    return dict(hosts)


def check_state(state, where):
    """The records of a state file: {key: {'build', 'token', 'state', 'since'}}."""
    if not isinstance(state, dict):
        raise BuildError(f'{where} must hold a mapping of MAC to build, got {state!r}')
    for key, record in state.items():
        if (not MAC_KEY.fullmatch(str(key)) or not isinstance(record, dict)
                or set(record) != {'build', 'token', 'state', 'since'}
                or not isinstance(record['token'], str) or not BUILD_TOKEN.fullmatch(record['token'])
                or record['state'] not in (PENDING, INSTALLED)):
            raise BuildError(mask_tokens(f'{where}: the record of {key!r} is not a build record, got {record!r}'))
    return state


def load_state(path):
    """The checked records of the state file ``path``; none when it does not exist yet."""
    try:
        with open(path, encoding='utf-8') as handle:
            return check_state(json.load(handle), path)
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise BuildError(f'{path} is not a build state file: {exc}') from exc


def check_renew(renew, builds):
    """``renew`` (MAC keys whose build starts again under a new token), checked against ``builds``."""
    if not isinstance(renew, (list, tuple)):
        raise BuildError(f'renew must be a list of MACs with hyphens, got {renew!r}')
    for key in renew:
        if not isinstance(key, str) or not MAC_KEY.fullmatch(key):
            raise BuildError(f'renew: {key!r} is not a MAC with hyphens like 52-54-00-12-34-56')
        if key not in builds:
            raise BuildError(f'renew: {key} is not among the machines that install (hosts)')
    return sorted(set(renew))


def next_state(previous, builds, markers, now, new_token, renew=()):
    """The builds after this run, and what changed.

    ``previous`` is the state file's records, ``builds`` {key: build number} of the inventory,
    ``markers`` the tokens whose marker file exists, ``now`` an ISO time and ``new_token()``
    makes a token; the keys of ``renew`` start their build again under a new token (what a new
    build number does, the number kept). Returns ``(records, create, remove, events)``: the new
    records, the marker tokens to create and to remove, and one line per change.
    """
    records = {}
    events = []
    for key, build in sorted(builds.items()):
        record = previous.get(key)
        if record is None or record['build'] != build:
            records[key] = {'build': build, 'token': new_token(), 'state': PENDING, 'since': now}
            events.append(f'{key}: build {build} pending' + ('' if record is None else f' (was build {record["build"]})'))
        elif key in renew:
            was = INSTALLED if record['state'] == PENDING and record['token'] not in markers else record['state']
            records[key] = {'build': build, 'token': new_token(), 'state': PENDING, 'since': now}
            events.append(f'{key}: build {build} pending again under a new token (was {was})')
        elif record['state'] == PENDING and record['token'] not in markers:
            records[key] = dict(record, state=INSTALLED, since=now)
            events.append(f'{key}: build {build} installed')
        else:
            records[key] = dict(record)
    for key in sorted(set(previous) - set(builds)):
        events.append(f'{key}: no longer listed')
    wanted = {record['token'] for record in records.values() if record['state'] == PENDING}
    create = sorted(wanted - set(markers))
    remove = sorted(set(markers) - wanted)
    return records, create, remove, events
