# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The text of a Kea configuration file, and the fingerprint that ties Kea's running
configuration to it.

Kea's ``config-get`` answers the configuration with every default filled in and some values
rewritten (a pool ``a - b`` comes back as ``a-b``), so it cannot be compared with the file
directly. The file carries, in the server's ``user-context``, a SHA-256 fingerprint of its own
content; Kea keeps user contexts as they are, so the running configuration is the file's when
``config-get`` answers the same fingerprint.

Private module: its API may change without notice.
"""

from __future__ import annotations

import copy
import hashlib
import json

FINGERPRINT_KEY = 'netboot-fingerprint'
HEADER = '// Written by the netboot.pxe collection; changes made here are overwritten.\n'


class KeaApplyError(ValueError):
    """A document that cannot be written as a Kea configuration."""


def server_key(document):
    """The one top-level key of a Kea document (``Dhcp4``, ``Control-agent``, ...)."""
    if not isinstance(document, dict) or len(document) != 1 or not isinstance(next(iter(document.values())), dict):
        raise KeaApplyError(f'a Kea configuration has one top-level key (for example Dhcp4) holding a mapping, got {document!r:.200}')
    return next(iter(document))


def fingerprint(document):
    """SHA-256 of the document's canonical JSON, without any fingerprint it already carries."""
    bare = copy.deepcopy(document)
    context = bare[server_key(bare)].get('user-context')
    if isinstance(context, dict):
        context.pop(FINGERPRINT_KEY, None)
        if not context:
            del bare[server_key(bare)]['user-context']
    canonical = json.dumps(bare, sort_keys=True, separators=(',', ':'), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def with_fingerprint(document):
    """A copy of ``document`` whose server user-context carries its fingerprint; and the fingerprint."""
    digest = fingerprint(document)
    result = copy.deepcopy(document)
    server = result[server_key(result)]
    context = server.get('user-context', {})
    if not isinstance(context, dict):
        raise KeaApplyError(f'user-context must be a mapping, got {context!r}')
    server['user-context'] = dict(context, **{FINGERPRINT_KEY: digest})
    return result, digest


def render(document, secrets=None):
    """The file text of ``document`` with its fingerprint, and the fingerprint. ``secrets`` maps
    a top-level key of the server (``hosts-database``) to the password written into it: in the
    file only, not in the fingerprint (which config-get shows)."""
    stamped, digest = with_fingerprint(document)
    server = stamped[server_key(stamped)]
    for key, password in (secrets or {}).items():
        if not isinstance(server.get(key), dict):
            raise KeaApplyError(f'secrets: {key} is not a mapping of the configuration, so it takes no password')
        server[key]['password'] = password
    return HEADER + json.dumps(stamped, indent=2, sort_keys=True) + '\n', digest


def running_digest(config_get_arguments, key):
    """SHA-256 of the server's part of a config-get answer (Kea's own view of what it runs)."""
    server = (config_get_arguments or {}).get(key) or {}
    return hashlib.sha256(json.dumps(server, sort_keys=True, separators=(',', ':')).encode()).hexdigest()


def running_problem(config_get_arguments, key, digest, record, path):
    """Why the running server does not run the file of fingerprint ``digest``, or None.

    ``record`` is what was noted when the file was last loaded: {'fingerprint', 'running'}. A
    server given another configuration by hand (config-set of an edited config-get answer keeps
    the file's fingerprint) answers config-get differently from what was noted.
    """
    if config_get_arguments is None:
        return 'Kea does not answer on its control socket'
    if running_fingerprint(config_get_arguments, key) != digest:
        return f'Kea runs another configuration than {path}'
    if not isinstance(record, dict) or record.get('fingerprint') != digest \
            or record.get('running') != running_digest(config_get_arguments, key):
        return f'Kea\'s running configuration is not the one it loaded from {path} (changed by hand, or not noted)'
    return None


def running_fingerprint(config_get_arguments, key):
    """The fingerprint in the ``arguments`` of Kea's config-get answer, or None."""
    server = (config_get_arguments or {}).get(key) or {}
    context = server.get('user-context') or {}
    return context.get(FINGERPRINT_KEY) if isinstance(context, dict) else None


def hook_libraries(config_get_arguments, key):
    """File names of the hook libraries a running configuration loads."""
    server = (config_get_arguments or {}).get(key) or {}
    return sorted(str(hook.get('library', '')).rsplit('/', 1)[-1]
                  for hook in server.get('hooks-libraries') or [] if isinstance(hook, dict))
