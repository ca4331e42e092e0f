# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Render iPXE menu scripts from structured items, refusing unsafe strings.

Private module: its API may change without notice.
"""

from __future__ import annotations

import collections
import re

from ansible_collections.netboot.pxe.plugins.module_utils._validate import HTTP_URL, MENU_KEY, TFTP_URL

ITEM_TYPES = ('boot', 'iso', 'chain', 'sanboot', 'shell', 'exit', 'gap')
_SCHEME = re.compile(r'^[a-z][a-z0-9+.-]*://')
# Labels of our own in the script; item keys must not collide with them.
RESERVED_KEYS = ('start', 'failed', 'selected', 'own-disk')
# Boot the machine's own disk. UEFI: leave iPXE, the firmware tries its next boot option;
# BIOS: boot the first disk.
OWN_DISK_LINES = ['iseq ${platform} efi && exit ||', 'sanboot --no-describe --drive 0x80 || exit']
# Words iPXE reads as the end of a command: what follows would run as another command.
SEPARATORS = ('||', '&&', ';')
DEFAULT_MEMDISK = 'ipxe/memdisk'
_FIELDS = {
    'boot': {'key', 'label', 'type', 'kernel', 'kernel_efi', 'initrd', 'args', 'shortcut', 'signed'},
    'iso': {'key', 'label', 'type', 'iso', 'shortcut'},
    'chain': {'key', 'label', 'type', 'chain', 'shortcut'},
    'sanboot': {'key', 'label', 'type', 'sanboot', 'shortcut'},
    'shell': {'key', 'label', 'type', 'shortcut'},
    'exit': {'key', 'label', 'type', 'shortcut'},
    'gap': {'label', 'type'},
}


class IpxeScriptError(ValueError):
    """Input that would not render into a valid, safe iPXE script."""


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
        raise IpxeScriptError(f'{where} must be a string, got {value!r}')
    for char in value:
        if ord(char) < 32 or ord(char) == 127:
            raise IpxeScriptError(f'{where} contains a control character {char!r}: {value!r}')
    for quote in ('"', "'"):
        if value.count(quote) % 2:
            raise IpxeScriptError(f'{where} has unbalanced {quote} quoting: {value!r}')
    if has_unclosed_expansion(value):
        raise IpxeScriptError(f'{where} has an unclosed ${{...}} expansion: {value!r}')
    if value.endswith('\\'):
        raise IpxeScriptError(f'{where} ends with a backslash, which joins the next line of the script to it: {value!r}')
    for word in value.split():
        if word in SEPARATORS:
            raise IpxeScriptError(f'{where} has the word {word!r}, which iPXE reads as the start of another command: {value!r}')
        if word.startswith('#'):
            raise IpxeScriptError(f'{where} has a word starting with "#", which iPXE reads as a comment to the end of the line: {value!r}')
    return value


def resolve_url(where, value, base_url):
    """``value`` as a URL (under ``base_url`` when relative), refused if it would break an iPXE line."""
    check_text(where, value)
    if not value or any(c.isspace() for c in value):
        raise IpxeScriptError(f'{where} must be a non-empty URL or path without spaces, got {value!r}')
    url = value if _SCHEME.match(value) or not base_url else base_url.rstrip('/') + '/' + value.lstrip('/')
    if url.startswith('-'):
        raise IpxeScriptError(f'{where} must not start with "-" (iPXE would read an option), got {value!r}')
    # The URLs of the HTTP and TFTP servers, whole: a host, a port that is a number, a plain path.
    for scheme, pattern in (('http', HTTP_URL), ('https', HTTP_URL), ('tftp', TFTP_URL)):
        if url.lower().startswith(scheme + ':') and not pattern.fullmatch(url):
            raise IpxeScriptError(f'{where} must be a whole {scheme} URL: a host, an optional port (1-65535) and a path '
                                  f'of letters, digits and ._~%+=,:@/- (no query, quote or "$"), got {url!r}')
    return url


def _basename(url):
    return url.rstrip('/').rsplit('/', 1)[-1]


def normalize_item(item, index, base_url=None, name='menu items'):
    """Validate one menu item and return it with its type and URLs resolved.

    Errors name the item as ``name[index]`` (and its key once known), so that
    a message can point at the Ansible variable the item came from.
    """
    where = f'{name}[{index}]'
    if not isinstance(item, dict):
        raise IpxeScriptError(f'{where}: must be a mapping, got {item!r}')
    kind = item.get('type', 'boot')
    if kind not in ITEM_TYPES:
        raise IpxeScriptError(f'{where}: unknown type {kind!r}; known: {", ".join(ITEM_TYPES)}')
    unknown = sorted(set(item) - _FIELDS[kind])
    if unknown:
        raise IpxeScriptError(f'{where}: type {kind} has unknown field(s) {", ".join(unknown)}')
    if kind == 'gap':
        return {'type': kind, 'label': check_text(f'{where}: label', item.get('label', ''))}
    key = item.get('key')
    if not isinstance(key, str) or not MENU_KEY.fullmatch(key) or key in RESERVED_KEYS:
        raise IpxeScriptError(
            f'{where}: key must be letters, digits, ".", "-" or "_" (not {", ".join(RESERVED_KEYS)}), got {key!r}')
    where = f'{where} (key {key!r})'
    result = {'type': kind, 'key': key, 'label': check_text(f'{where}: label', item.get('label', '')) or key}
    shortcut = item.get('shortcut')
    if shortcut is not None:
        if not isinstance(shortcut, str) or not re.fullmatch(r'[A-Za-z0-9]', shortcut):
            raise IpxeScriptError(f'{where}: shortcut must be one letter or digit, got {shortcut!r}')
        result['shortcut'] = shortcut
    if kind == 'boot':
        if not item.get('kernel'):
            raise IpxeScriptError(f'{where}: type boot needs a kernel')
        result['kernel'] = resolve_url(f'{where}: kernel', item['kernel'], base_url)
        if item.get('kernel_efi') is not None:
            result['kernel_efi'] = resolve_url(f'{where}: kernel_efi', item['kernel_efi'], base_url)
        initrds = item.get('initrd') or []
        if isinstance(initrds, str):
            initrds = [initrds]
        if not isinstance(initrds, list):
            raise IpxeScriptError(f'{where}: initrd must be a string or a list, got {initrds!r}')
        result['initrd'] = [resolve_url(f'{where}: initrd', value, base_url) for value in initrds]
        result['args'] = check_text(f'{where}: args', item.get('args', '') or '')
        # Whether the (UEFI) kernel is signed for Secure Boot: only such items go into the GRUB menu.
        signed = item.get('signed', False)
        if not isinstance(signed, bool):
            raise IpxeScriptError(f'{where}: signed must be true or false, got {signed!r}')
        result['signed'] = signed
    elif kind in ('iso', 'chain', 'sanboot'):
        result[kind] = resolve_url(f'{where}: {kind}', item.get(kind) or '', base_url)
    return result


def _kernel_line(item, kernel):
    # UEFI kernels find an initrd loaded by iPXE only when named on the command line.
    names = [_basename(url) for url in item['initrd']]
    words = [f'initrd={name}' for name in names if f'initrd={name}' not in item['args']]
    if item['args']:
        words.append(item['args'])
    return ' '.join(['kernel', kernel] + words)


def _boot_lines(entry, memdisk_url):
    """The commands under an item's label (each failure goes to :failed)."""
    kind = entry['type']
    if kind == 'boot':
        if 'kernel_efi' in entry:
            # ${platform} is pcbios or efi: exactly one of the two kernels is loaded.
            lines = [f"iseq ${{platform}} efi || {_kernel_line(entry, entry['kernel'])} || goto failed",
                     f"iseq ${{platform}} pcbios || {_kernel_line(entry, entry['kernel_efi'])} || goto failed"]
        else:
            lines = [_kernel_line(entry, entry['kernel']) + ' || goto failed']
        lines += [f'initrd {url} || goto failed' for url in entry['initrd']]
        return lines + ['boot || goto failed']
    if kind == 'iso':
        # UEFI boots the image as a SAN disk; BIOS loads it into memory through memdisk.
        return [f"iseq ${{platform}} pcbios || sanboot --no-describe {entry['iso']} || goto failed",
                'iseq ${platform} pcbios || goto start',
                f'kernel {memdisk_url} iso raw || goto failed',
                f"initrd {entry['iso']} || goto failed",
                'boot || goto failed']
    if kind == 'chain':
        return [f"chain --autofree {entry['chain']} || goto failed"]
    if kind == 'sanboot':
        return [f"sanboot --no-describe {entry['sanboot']} || goto failed"]
    if kind == 'shell':
        return ['shell', 'goto start']
    return ['exit']


def render_menu(items, title='Network boot', default=None, timeout=10, base_url=None, memdisk_url=None,
                name='menu items', only_while=None):
    """Return an iPXE script (text) with a menu of ``items``.

    ``timeout`` is in seconds; 0 waits for a choice forever.  ``default`` is the
    key of the item chosen on timeout (the first selectable item when unset).
    ``memdisk_url`` is where BIOS clients fetch memdisk for ``iso`` items
    (default ``ipxe/memdisk`` under ``base_url``).  ``name`` is how errors
    about the items name them, e.g. the Ansible variable they came from.
    ``only_while`` is a URL (absolute, or under ``base_url``): the menu runs only while
    that file can be fetched; once it is gone the machine boots its own disk.
    """
    check_text('menu items name', name)
    if not isinstance(items, list) or not items:
        raise IpxeScriptError(f'{name}: must be a non-empty list, got {items!r}')
    check_text('menu title', title)
    if title.lstrip().startswith('-'):
        raise IpxeScriptError(f'menu title must not start with "-", even after spaces (iPXE would read an option), got {title!r}')
    if base_url is not None:
        resolve_url('menu base_url', base_url, None)
    memdisk_url = resolve_url('menu memdisk_url', DEFAULT_MEMDISK if memdisk_url is None else memdisk_url, base_url)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 0:
        raise IpxeScriptError(f'menu timeout must be a whole number of seconds >= 0, got {timeout!r}')
    entries = [normalize_item(item, index, base_url, name) for index, item in enumerate(items)]
    keys = [entry['key'] for entry in entries if 'key' in entry]
    if not keys:
        raise IpxeScriptError(f'{name}: needs at least one item that is not a gap')
    duplicates = sorted(key for key, count in collections.Counter(keys).items() if count > 1)
    if duplicates:
        raise IpxeScriptError(f'{name}: keys must be unique; duplicated: {", ".join(duplicates)}')
    if default is None:
        default = keys[0]
    if default not in keys:
        raise IpxeScriptError(f'menu default {default!r} is not the key of an item of {name}; keys: {", ".join(keys)}')
    shortcuts = [entry['shortcut'] for entry in entries if 'shortcut' in entry]
    if len(shortcuts) != len(set(shortcuts)):
        raise IpxeScriptError(f'{name}: shortcuts must be unique, got {shortcuts!r}')

    lines = ['#!ipxe', '']
    if only_while is not None:
        only_while = resolve_url('menu only_while', only_while, base_url)
        lines += [f'imgfetch --name only-while {only_while} || goto own-disk', 'imgfree only-while', '']
    lines += [':start', f'menu {title}' if title else 'menu']
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
        lines += _boot_lines(entry, memdisk_url)
        lines.append('')
    lines += [':failed', 'echo Boot failed: ${errno}. Press a key to return to the menu.', 'prompt', 'goto start', '']
    if only_while is not None:
        lines += [':own-disk'] + OWN_DISK_LINES + ['']
    return '\n'.join(lines)
