# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The menu model that the iPXE and GRUB renderers share: the item types and their fields, and
the checks of an item, a text and a URL that go into a boot script line.

Private module: its API may change without notice.
"""

from __future__ import annotations

import re

from ansible_collections.netboot.pxe.plugins.module_utils._validate import HTTP_URL, MENU_KEY, TFTP_URL

ITEM_TYPES = ('boot', 'iso', 'chain', 'sanboot', 'shell', 'exit', 'gap')
_SCHEME = re.compile(r'^[a-z][a-z0-9+.-]*://')
# Labels of our own in the script; item keys must not collide with them.
RESERVED_KEYS = ('start', 'failed', 'selected', 'own-disk')
# Words iPXE reads as the end of a command: what follows would run as another command.
SEPARATORS = ('||', '&&', ';')
_FIELDS = {
    'boot': {'key', 'label', 'type', 'kernel', 'kernel_efi', 'initrd', 'args', 'shortcut', 'signed'},
    'iso': {'key', 'label', 'type', 'iso', 'shortcut'},
    'chain': {'key', 'label', 'type', 'chain', 'shortcut'},
    'sanboot': {'key', 'label', 'type', 'sanboot', 'shortcut'},
    'shell': {'key', 'label', 'type', 'shortcut'},
    'exit': {'key', 'label', 'type', 'shortcut'},
    'gap': {'label', 'type'},
}


class MenuError(ValueError):
    """Menu items that would not render into a valid, safe boot script."""


def has_unclosed_expansion(text):
    """Whether ``text`` opens a ${...} expansion that it does not close."""
    depth = 0
    index = 0
    while index < len(text):
        if text.startswith('${', index):
            depth += 1
            index += 2
            continue
        if text[index] == '}' and depth:
            depth -= 1
        index += 1
    return depth > 0


def check_text(where, value):
    """Refuse a string that could break or inject into an iPXE script line.

    iPXE splits a line into words at whitespace, without quoting; the words
    ``||``, ``&&`` and ``;`` end a command and a word starting with ``#``
    comments out the rest of the line, so none of these may appear.
    """
    if not isinstance(value, str):
        raise MenuError(f'{where} must be a string, got {value!r}')
    for char in value:
        if ord(char) < 32 or ord(char) == 127:
            raise MenuError(f'{where} contains a control character {char!r}: {value!r}')
    for quote in ('"', "'"):
        if value.count(quote) % 2:
            raise MenuError(f'{where} has unbalanced {quote} quoting: {value!r}')
    if has_unclosed_expansion(value):
        raise MenuError(f'{where} has an unclosed ${{...}} expansion: {value!r}')
    if value.endswith('\\'):
        raise MenuError(f'{where} ends with a backslash, which joins the next line of the script to it: {value!r}')
    for word in value.split():
        if word in SEPARATORS:
            raise MenuError(f'{where} has the word {word!r}, which iPXE reads as the start of another command: {value!r}')
        if word.startswith('#'):
            raise MenuError(f'{where} has a word starting with "#", which iPXE reads as a comment to the end of the line: {value!r}')
    return value


def resolve_url(where, value, base_url):
    """``value`` as a URL (under ``base_url`` when relative), refused if it would break an iPXE line."""
    check_text(where, value)
    if not value or any(c.isspace() for c in value):
        raise MenuError(f'{where} must be a non-empty URL or path without spaces, got {value!r}')
    url = value if _SCHEME.match(value) or not base_url else base_url.rstrip('/') + '/' + value.lstrip('/')
    if url.startswith('-'):
        raise MenuError(f'{where} must not start with "-" (iPXE would read an option), got {value!r}')
    # The URLs of the HTTP and TFTP servers, whole: a host, a port that is a number, a plain path.
    for scheme, pattern in (('http', HTTP_URL), ('https', HTTP_URL), ('tftp', TFTP_URL)):
        if url.lower().startswith(scheme + ':') and not pattern.fullmatch(url):
            raise MenuError(f'{where} must be a whole {scheme} URL: a host, an optional port (1-65535) and a path '
                            f'of letters, digits and ._~%+=,:@/- (no query, quote or "$"), got {url!r}')
    return url


def normalize_item(item, index, base_url=None, name='menu items'):
    """Validate one menu item and return it with its type and URLs resolved.

    Errors name the item as ``name[index]`` (and its key once known), so that
    a message can point at the Ansible variable the item came from.
    """
    where = f'{name}[{index}]'
    if not isinstance(item, dict):
        raise MenuError(f'{where}: must be a mapping, got {item!r}')
    kind = item.get('type', 'boot')
    if kind not in ITEM_TYPES:
        raise MenuError(f'{where}: unknown type {kind!r}; known: {", ".join(ITEM_TYPES)}')
    unknown = sorted(set(item) - _FIELDS[kind])
    if unknown:
        raise MenuError(f'{where}: type {kind} has unknown field(s) {", ".join(unknown)}')
    if kind == 'gap':
        return {'type': kind, 'label': check_text(f'{where}: label', item.get('label', ''))}
    key = item.get('key')
    if not isinstance(key, str) or not MENU_KEY.fullmatch(key) or key in RESERVED_KEYS:
        raise MenuError(
            f'{where}: key must be letters, digits, ".", "-" or "_" (not {", ".join(RESERVED_KEYS)}), got {key!r}')
    where = f'{where} (key {key!r})'
    result = {'type': kind, 'key': key, 'label': check_text(f'{where}: label', item.get('label', '')) or key}
    shortcut = item.get('shortcut')
    if shortcut is not None:
        if not isinstance(shortcut, str) or not re.fullmatch(r'[A-Za-z0-9]', shortcut):
            raise MenuError(f'{where}: shortcut must be one letter or digit, got {shortcut!r}')
        result['shortcut'] = shortcut
    if kind == 'boot':
        if not item.get('kernel'):
            raise MenuError(f'{where}: type boot needs a kernel')
        result['kernel'] = resolve_url(f'{where}: kernel', item['kernel'], base_url)
        if item.get('kernel_efi') is not None:
            result['kernel_efi'] = resolve_url(f'{where}: kernel_efi', item['kernel_efi'], base_url)
        initrds = item.get('initrd') or []
        if isinstance(initrds, str):
            initrds = [initrds]
        if not isinstance(initrds, list):
            raise MenuError(f'{where}: initrd must be a string or a list, got {initrds!r}')
        result['initrd'] = [resolve_url(f'{where}: initrd', value, base_url) for value in initrds]
        result['args'] = check_text(f'{where}: args', item.get('args', '') or '')
        # Whether the (UEFI) kernel is signed for Secure Boot: only such items go into the GRUB menu.
        signed = item.get('signed', False)
        if not isinstance(signed, bool):
            raise MenuError(f'{where}: signed must be true or false, got {signed!r}')
        result['signed'] = signed
    elif kind in ('iso', 'chain', 'sanboot'):
        result[kind] = resolve_url(f'{where}: {kind}', item.get(kind) or '', base_url)
    return result
