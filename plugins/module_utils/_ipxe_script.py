# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Render iPXE menu scripts from structured items, refusing unsafe strings.

Private module: its API may change without notice.
"""

from __future__ import annotations

import re

ITEM_TYPES = ('boot', 'chain', 'sanboot', 'shell', 'exit', 'gap')
_KEY = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$')
_SCHEME = re.compile(r'^[a-z][a-z0-9+.-]*://')
# Labels of our own in the script; item keys must not collide with them.
RESERVED_KEYS = ('start', 'failed', 'selected')
_FIELDS = {
    'boot': {'key', 'label', 'type', 'kernel', 'initrd', 'args', 'shortcut'},
    'chain': {'key', 'label', 'type', 'chain', 'shortcut'},
    'sanboot': {'key', 'label', 'type', 'sanboot', 'shortcut'},
    'shell': {'key', 'label', 'type', 'shortcut'},
    'exit': {'key', 'label', 'type', 'shortcut'},
    'gap': {'label', 'type'},
}


class IpxeScriptError(ValueError):
    """Input that would not render into a valid, safe iPXE script."""


def check_text(where, value):
    """Refuse a string that could break or inject into an iPXE script line."""
    if not isinstance(value, str):
        raise IpxeScriptError(f'{where} must be a string, got {value!r}')
    for char in value:
        if ord(char) < 32 or ord(char) == 127:
            raise IpxeScriptError(f'{where} contains a control character {char!r}: {value!r}')
    for quote in ('"', "'"):
        if value.count(quote) % 2:
            raise IpxeScriptError(f'{where} has unbalanced {quote} quoting: {value!r}')
    depth = 0
    index = 0
    while index < len(value):
        if value.startswith('${', index):
            depth += 1
            index += 2
            continue
        if value[index] == '}' and depth:
            depth -= 1
        index += 1
    if depth:
        raise IpxeScriptError(f'{where} has an unclosed ${{...}} expansion: {value!r}')
    return value


def _url(where, value, base_url):
    check_text(where, value)
    if not value or any(c.isspace() for c in value):
        raise IpxeScriptError(f'{where} must be a non-empty URL or path without spaces, got {value!r}')
    if _SCHEME.match(value) or not base_url:
        return value
    return base_url.rstrip('/') + '/' + value.lstrip('/')


def _basename(url):
    return url.rstrip('/').rsplit('/', 1)[-1]


def normalize_item(item, index, base_url=None):
    """Validate one menu item and return it with its type and URLs resolved."""
    where = f'menu item #{index + 1}'
    if not isinstance(item, dict):
        raise IpxeScriptError(f'{where} must be a mapping, got {item!r}')
    kind = item.get('type', 'boot')
    if kind not in ITEM_TYPES:
        raise IpxeScriptError(f'{where} has unknown type {kind!r}; known: {", ".join(ITEM_TYPES)}')
    unknown = sorted(set(item) - _FIELDS[kind])
    if unknown:
        raise IpxeScriptError(f'{where} (type {kind}) has unknown field(s) {", ".join(unknown)}')
    result = {'type': kind, 'label': check_text(f'{where} label', item.get('label', ''))}
    if kind == 'gap':
        return result
    key = item.get('key')
    if not isinstance(key, str) or not _KEY.match(key) or key in RESERVED_KEYS:
        raise IpxeScriptError(
            f'{where} key must be letters, digits, "-" or "_" (not {", ".join(RESERVED_KEYS)}), got {key!r}')
    where = f'menu item {key!r}'
    result['key'] = key
    if not result['label']:
        result['label'] = key
    shortcut = item.get('shortcut')
    if shortcut is not None:
        if not isinstance(shortcut, str) or not re.match(r'^[A-Za-z0-9]$', shortcut):
            raise IpxeScriptError(f'{where} shortcut must be one letter or digit, got {shortcut!r}')
        result['shortcut'] = shortcut
    if kind == 'boot':
        if not item.get('kernel'):
            raise IpxeScriptError(f'{where} (type boot) needs a kernel')
        result['kernel'] = _url(f'{where} kernel', item['kernel'], base_url)
        initrds = item.get('initrd') or []
        if isinstance(initrds, str):
            initrds = [initrds]
        if not isinstance(initrds, list):
            raise IpxeScriptError(f'{where} initrd must be a string or a list, got {initrds!r}')
        result['initrd'] = [_url(f'{where} initrd', value, base_url) for value in initrds]
        result['args'] = check_text(f'{where} args', item.get('args', '') or '')
    elif kind in ('chain', 'sanboot'):
        result[kind] = _url(f'{where} {kind}', item.get(kind) or '', base_url)
    return result


def _kernel_line(item):
    # UEFI kernels find an initrd loaded by iPXE only when named on the command line.
    names = [_basename(url) for url in item['initrd']]
    words = [f'initrd={name}' for name in names if f'initrd={name}' not in item['args']]
    if item['args']:
        words.append(item['args'])
    return ' '.join(['kernel', item['kernel']] + words)


def render_menu(items, title='Network boot', default=None, timeout=10, base_url=None):
    """Return an iPXE script (text) with a menu of ``items``.

    ``timeout`` is in seconds; 0 waits for a choice forever.  ``default`` is the
    key of the item chosen on timeout (the first selectable item when unset).
    """
    if not isinstance(items, list) or not items:
        raise IpxeScriptError(f'menu items must be a non-empty list, got {items!r}')
    check_text('menu title', title)
    if base_url is not None:
        _url('menu base_url', base_url, None)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 0:
        raise IpxeScriptError(f'menu timeout must be a whole number of seconds >= 0, got {timeout!r}')
    entries = [normalize_item(item, index, base_url) for index, item in enumerate(items)]
    keys = [entry['key'] for entry in entries if 'key' in entry]
    if not keys:
        raise IpxeScriptError('menu needs at least one item that is not a gap')
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise IpxeScriptError(f'menu item keys must be unique; duplicated: {", ".join(duplicates)}')
    if default is None:
        default = keys[0]
    if default not in keys:
        raise IpxeScriptError(f'menu default {default!r} is not the key of an item; keys: {", ".join(keys)}')
    shortcuts = [entry['shortcut'] for entry in entries if 'shortcut' in entry]
    if len(shortcuts) != len(set(shortcuts)):
        raise IpxeScriptError(f'menu item shortcuts must be unique, got {shortcuts!r}')

    lines = ['#!ipxe', '', ':start', f'menu {title}' if title else 'menu']
    for entry in entries:
        if entry['type'] == 'gap':
            lines.append(f"item --gap -- {entry['label']}" if entry['label'] else 'item --gap')
            continue
        shortcut = f"--key {entry['shortcut']} " if 'shortcut' in entry else ''
        lines.append(f"item {shortcut}{entry['key']} {entry['label']}")
    choose = f'choose --default {default}'
    if timeout:
        choose += f' --timeout {timeout * 1000}'
    lines += [f'{choose} selected || goto start', 'goto ${selected}', '']
    for entry in entries:
        if entry['type'] == 'gap':
            continue
        lines.append(f":{entry['key']}")
        kind = entry['type']
        if kind == 'boot':
            lines.append(_kernel_line(entry) + ' || goto failed')
            lines += [f'initrd {url} || goto failed' for url in entry['initrd']]
            lines.append('boot || goto failed')
        elif kind == 'chain':
            lines.append(f"chain --autofree {entry['chain']} || goto failed")
        elif kind == 'sanboot':
            lines.append(f"sanboot --no-describe {entry['sanboot']} || goto failed")
        elif kind == 'shell':
            lines += ['shell', 'goto start']
        elif kind == 'exit':
            lines.append('exit')
        lines.append('')
    lines += [':failed', 'echo Boot failed: ${errno}. Press a key to return to the menu.', 'prompt', 'goto start', '']
    return '\n'.join(lines)
