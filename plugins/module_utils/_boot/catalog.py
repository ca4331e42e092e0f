# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The catalog of installers and tools the server offers: merge, validate, and derive
the files to fetch, the menu items and the per-host install items from it.

An entry describes one bootable thing (an installer, a live system, a tool, a
chained menu) by the URLs of its files, each with the checksum it is verified
against when copied to the server.  Catalog layers (built-in entries, then the
user's) are merged by name, field by field.

Private module: its API may change without notice.
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import urlsplit

from ansible_collections.netboot.pxe.plugins.module_utils._boot.menu import MenuError, check_text
from ansible_collections.netboot.pxe.plugins.module_utils._validate import (
    CATALOG_NAME,
    CHECKSUM,
    FILE_NAME,
    FILE_PATH,
    FILE_URL,
    HTTP_URL,
    PACKAGE_NAME,
)

FAMILIES = ('debian', 'ubuntu', 'fedora', 'el', 'opensuse', 'arch', 'memtest', 'chain')
ARCHITECTURES = ('x86_64', 'arm64')
ANSWERS = ('preseed', 'autoinstall', 'kickstart', 'none')
STATES = ('present', 'absent')
# Files of an entry, in the order they are fetched and booted.
ASSET_FIELDS = ('kernel', 'kernel_efi', 'initrd', 'iso', 'chain')
ASSET_KEYS = ('url', 'checksum', 'checksum_url', 'checksum_name')
FIELDS = ('name', 'label', 'family', 'version', 'architecture') + ASSET_FIELDS + (
    'args', 'answer', 'answer_args', 'download', 'enabled', 'mirror', 'packages', 'release_url', 'keyring',
    'authenticity', 'signed', 'state')
ARGS_PLACEHOLDERS = ('base_url', 'entry_url', 'iso_url', 'mirror')
ANSWER_PLACEHOLDERS = ARGS_PLACEHOLDERS + ('answer_url',)
OS_DIR = 'os'

_PLACEHOLDER = re.compile(r'(?<!\$)\{([^{}]*)\}')
_MIRROR_PREFIX = '{mirror}'


class CatalogError(ValueError):
    """A catalog entry, layer or setting that cannot be used; the message names where."""


def _text(where, value):
    """check_text, with the message in the catalog's form."""
    try:
        return check_text(where, value)
    except MenuError as exc:
        raise CatalogError(str(exc).replace(f'{where} ', f'{where}: ', 1)) from exc


def _has_dotdot(path):
    return any(part.lower() in ('..', '%2e%2e', '.%2e', '%2e.') for part in path.split('/'))


def _check_location(where, value, placeholder):
    """Validate a URL (http, https, file) or an absolute path, optionally starting with {mirror}/."""
    if not isinstance(value, str) or not value:
        raise CatalogError(f'{where}: must be a non-empty URL or absolute path, got {value!r}')
    _text(where, value)
    if any(char.isspace() for char in value):
        raise CatalogError(f'{where}: {value!r} has whitespace')
    mirrored = placeholder and value.startswith(_MIRROR_PREFIX)
    rest = value[len(_MIRROR_PREFIX):] if mirrored else value
    if mirrored and not rest.startswith('/'):
        raise CatalogError(f'{where}: {value!r} must continue with "/" after {_MIRROR_PREFIX}')
    if '{' in rest or '}' in rest:
        allowed = f'only a leading {_MIRROR_PREFIX}' if placeholder else 'no placeholders'
        raise CatalogError(f'{where}: {value!r} has braces; {allowed} may be used here')
    if not mirrored and not (HTTP_URL.fullmatch(value) or FILE_URL.fullmatch(value) or value.startswith('/')):
        raise CatalogError(f'{where}: {value!r} is not an http://, https:// or file:// URL or an absolute path')
    path = re.sub(r'^[a-z]+://[^/]*', '', rest)
    if _has_dotdot(path):
        raise CatalogError(f'{where}: {value!r} has a ".." path component')
    return value


def _is_local(url):
    return url.startswith('/') or url.startswith('file://')


def _basename(url):
    """The file name at the end of a URL's path ('' for a directory or a bare host)."""
    return posixpath.basename(urlsplit(url).path)


def _where(origins, field, default):
    """``variable[index].field`` of the layer that set the field (``field`` may be ``initrd[1]``)."""
    return f"{origins.get(field.split('[')[0], default)}.{field}"


def _normalize_asset(where, value):
    if isinstance(value, str):
        value = {'url': value}
    if not isinstance(value, dict):
        raise CatalogError(f'{where}: must be a URL or a mapping with url and checksum or checksum_url, got {value!r}')
    unknown = sorted(set(value) - set(ASSET_KEYS))
    if unknown:
        raise CatalogError(f'{where}: unknown field(s) {", ".join(map(str, unknown))}; known: {", ".join(ASSET_KEYS)}')
    result = {'url': _check_location(f'{where}.url', value.get('url'), True)}
    checksum = value.get('checksum')
    checksum_url = value.get('checksum_url')
    checksum_name = value.get('checksum_name')
    if checksum is not None and checksum_url is not None:
        raise CatalogError(f'{where}: has both checksum and checksum_url; give one')
    if checksum is not None:
        if not isinstance(checksum, str) or not CHECKSUM.fullmatch(checksum):
            raise CatalogError(f'{where}.checksum: {checksum!r} is not sha256:<64 hex> or sha512:<128 hex>')
        result['checksum'] = checksum.lower()
    if checksum_url is not None:
        result['checksum_url'] = _check_location(f'{where}.checksum_url', checksum_url, True)
    if checksum_name is not None:
        if checksum_url is None:
            raise CatalogError(f'{where}.checksum_name: only goes with checksum_url, got {checksum_name!r}')
        if not isinstance(checksum_name, str) or not checksum_name or any(c.isspace() for c in checksum_name):
            raise CatalogError(f'{where}.checksum_name: must be a file name as the checksum list has it, got {checksum_name!r}')
        result['checksum_name'] = _text(f'{where}.checksum_name', checksum_name)
    return result


def _check_placeholders(where, text, allowed):
    for match in _PLACEHOLDER.finditer(text):
        if match.group(1) not in allowed:
            known = ', '.join('{' + name + '}' for name in allowed)
            raise CatalogError(f'{where}: unknown placeholder {match.group(0)!r} in {text!r}; known: {known}')


def _string(where, value, default=''):
    if value is None:
        return default
    if not isinstance(value, str):
        raise CatalogError(f'{where}: must be a string (quote numbers such as "12"), got {value!r}')
    return _text(where, value)


def _boolean(where, value, default):
    if value is None:
        return default
    if not isinstance(value, bool):
        raise CatalogError(f'{where}: must be true or false, got {value!r}')
    return value


def _choice(where, value, choices, default):
    if value is None:
        return default
    if value not in choices:
        raise CatalogError(f'{where}: {value!r} is not one of {", ".join(choices)}')
    return value


def normalize_entry(fields, origins, where):
    """Validate a merged entry and return it complete, with defaults and assets as mappings.

    ``origins`` maps each field to where it was set (``variable[index]``);
    ``where`` names the entry as a whole.  Normalizing a normalized entry
    returns it unchanged.
    """
    name = fields.get('name')
    at_entry = where
    where = f'{where} (name {name!r})'
    unknown = sorted(set(fields) - set(FIELDS), key=str)
    if unknown:
        raise CatalogError(f'{where}: unknown field(s) {", ".join(map(str, unknown))}; known: {", ".join(FIELDS)}')
    family = fields.get('family')
    if family is None:
        raise CatalogError(f'{where}: needs a family ({", ".join(FAMILIES)})')
    result = {
        'name': name,
        'label': _string(_where(origins, 'label', at_entry), fields.get('label'), name) or name,
        'family': _choice(_where(origins, 'family', at_entry), family, FAMILIES, None),
        'version': _string(_where(origins, 'version', at_entry), fields.get('version')),
        'architecture': _choice(_where(origins, 'architecture', at_entry), fields.get('architecture'), ARCHITECTURES, 'x86_64'),
    }
    for field in ASSET_FIELDS:
        value = fields.get(field)
        if value is None or (isinstance(value, list) and not value):
            continue
        at = _where(origins, field, at_entry)
        if field == 'initrd':
            values = value if isinstance(value, list) else [value]
            result['initrd'] = [_normalize_asset(f'{at}[{index}]', item) for index, item in enumerate(values)]
        else:
            result[field] = _normalize_asset(at, value)
    if not any(field in result for field in ('kernel', 'iso', 'chain')):
        raise CatalogError(f'{where}: needs a kernel, an iso or a chain URL')
    if 'chain' in result and ('kernel' in result or 'iso' in result):
        raise CatalogError(f'{where}: a chain entry has no kernel or iso')
    for field in ('kernel_efi', 'initrd'):
        if field in result and 'kernel' not in result:
            raise CatalogError(f'{_where(origins, field, at_entry)}: only goes with a kernel')

    args = _string(_where(origins, 'args', at_entry), fields.get('args'))
    _check_placeholders(_where(origins, 'args', at_entry), args, ARGS_PLACEHOLDERS)
    answer = _choice(_where(origins, 'answer', at_entry), fields.get('answer'), ANSWERS, 'none')
    answer_args = _string(_where(origins, 'answer_args', at_entry), fields.get('answer_args'))
    _check_placeholders(_where(origins, 'answer_args', at_entry), answer_args, ANSWER_PLACEHOLDERS)
    if (args or answer != 'none') and 'kernel' not in result:
        raise CatalogError(f'{where}: args and answer need a kernel to pass them to')
    if '{iso_url}' in args + answer_args and 'iso' not in result:
        raise CatalogError(f'{where}: {{iso_url}} is used but the entry has no iso')
    if answer == 'none' and answer_args:
        raise CatalogError(f'{_where(origins, "answer_args", at_entry)}: needs an answer kind ({", ".join(ANSWERS[:-1])}), answer is none')
    if answer != 'none' and '{answer_url}' not in answer_args:
        raise CatalogError(f'{_where(origins, "answer_args", at_entry)}: answer {answer} needs answer_args with {{answer_url}}, got {answer_args!r}')
    result.update(args=args, answer=answer, answer_args=answer_args)

    download = _boolean(_where(origins, 'download', at_entry), fields.get('download'), True)
    for field, asset in _assets(result):
        at = _where(origins, field, at_entry)
        if not download and _is_local(asset['url']):
            raise CatalogError(f'{at}.url: {asset["url"]!r} is a file on the server; clients can boot it only with download: true')
        if download and not _is_local(asset['url']) and 'checksum' not in asset and 'checksum_url' not in asset:
            raise CatalogError(f'{at}: {asset["url"]!r} is copied to the server (download: true) and needs a checksum or checksum_url')
    if download:
        seen = {}
        for field, asset in _assets(result):
            at = _where(origins, field, at_entry)
            base = _basename(asset['url'].replace(_MIRROR_PREFIX, '', 1))
            if not FILE_NAME.fullmatch(base):
                raise CatalogError(f'{at}.url: {asset["url"]!r} does not end in a file name to store it under')
            if base in seen:
                raise CatalogError(f'{at}.url: file name {base!r} is also the one of {seen[base]}; the files would overwrite each other')
            seen[base] = field
    mirror = _string(_where(origins, 'mirror', at_entry), fields.get('mirror'), family)
    if not CATALOG_NAME.fullmatch(mirror or ''):
        raise CatalogError(f'{_where(origins, "mirror", at_entry)}: {mirror!r} is not a mirror name like "debian"')
    packages = fields.get('packages') or []
    if not isinstance(packages, list) or not all(isinstance(p, str) and PACKAGE_NAME.fullmatch(p) for p in packages):
        raise CatalogError(f'{_where(origins, "packages", at_entry)}: must be a list of Debian package names, got {packages!r}')
    result.update(
        download=download,
        enabled=_boolean(_where(origins, 'enabled', at_entry), fields.get('enabled'), True),
        # Whether its (UEFI) kernel is signed for Secure Boot through Debian's shim.
        signed=_boolean(_where(origins, 'signed', at_entry), fields.get('signed'), False),
        mirror=mirror,
        packages=list(packages),
    )
    _signature_fields(result, fields, origins, at_entry)
    computed = _authenticity(result)
    given = fields.get('authenticity')
    if given is not None and given != computed:
        raise CatalogError(f'{_where(origins, "authenticity", at_entry)}: is computed from the entry ({computed}), got {given!r}')
    result['authenticity'] = computed
    return result


def _signature_fields(result, fields, origins, at_entry):
    """Validate keyring and release_url into ``result``."""
    keyring = fields.get('keyring')
    if keyring is not None:
        at = _where(origins, 'keyring', at_entry)
        if not isinstance(keyring, str) or not FILE_PATH.fullmatch(keyring) or _has_dotdot(keyring):
            raise CatalogError(f'{at}: must be the absolute path of an OpenPGP keyring on the server, got {keyring!r}')
        result['keyring'] = keyring
    release_url = fields.get('release_url')
    if release_url is None:
        return
    at = _where(origins, 'release_url', at_entry)
    result['release_url'] = _check_location(at, release_url, True)
    if keyring is None:
        raise CatalogError(f'{at}: {release_url!r} needs a keyring to check its signature')
    base = posixpath.dirname(release_url) + '/'
    for field, asset in _assets(result):
        if 'checksum_url' in asset and not asset['checksum_url'].startswith(base):
            raise CatalogError(f'{_where(origins, field, at_entry)}.checksum_url: {asset["checksum_url"]!r} is not below '
                               f'the directory of release_url {release_url!r}')


def _authenticity(entry):
    """authenticated: every copied file is checked through a signature (release_url and keyring, or a
    keyring for clearsigned checksum lists), a checksum written in the catalog, or the dpkg
    database; unauthenticated: some file is checked only against an unsigned checksum list;
    not-downloaded: nothing is copied to the server."""
    if not entry['download']:
        return 'not-downloaded'
    for _field, asset in _assets(entry):
        if 'checksum_url' in asset and 'keyring' not in entry:
            return 'unauthenticated'
    return 'authenticated'


def _assets(entry):
    """Yield (field, asset mapping) for every file of a normalized entry."""
    for field in ASSET_FIELDS:
        if field == 'initrd':
            for index, asset in enumerate(entry.get('initrd', [])):
                yield f'initrd[{index}]', asset
        elif field in entry:
            yield field, entry[field]


def _layer(layer):
    if isinstance(layer, dict) and set(layer) == {'name', 'entries'}:
        return layer['name'], layer['entries']
    if isinstance(layer, (list, tuple)) and len(layer) == 2:
        return layer[0], layer[1]
    raise CatalogError(f'each catalog layer must be (variable name, entries) or {{name, entries}}, got {layer!r}')


def merge_layers(layers):
    """Merge catalog layers into one validated list of entries.

    ``layers`` is a list of (variable name, list of entries), lowest precedence
    first (built-in, then the user's defaults, group and host entries).  An
    entry overrides the fields it sets of the entry with the same name; one
    with ``state: absent`` removes it.  Entries keep the order in which their
    names first appeared.
    """
    if not isinstance(layers, (list, tuple)):
        raise CatalogError(f'catalog layers must be a list of (variable name, entries), got {layers!r}')
    merged = {}
    for layer in layers:
        variable, entries = _layer(layer)
        if not isinstance(variable, str) or not variable:
            raise CatalogError(f'a catalog layer needs the name of its variable, got {variable!r}')
        if entries is None:
            entries = []
        if not isinstance(entries, list):
            raise CatalogError(f'{variable}: must be a list of entries, got {entries!r}')
        names = {}
        for index, entry in enumerate(entries):
            where = f'{variable}[{index}]'
            if not isinstance(entry, dict):
                raise CatalogError(f'{where}: must be a mapping, got {entry!r}')
            unknown = sorted(set(entry) - set(FIELDS), key=str)
            if unknown:
                raise CatalogError(f'{where}: unknown field(s) {", ".join(map(str, unknown))}; known: {", ".join(FIELDS)}')
            name = entry.get('name')
            if not isinstance(name, str) or not CATALOG_NAME.fullmatch(name):
                raise CatalogError(f'{where}.name: {name!r} is not lowercase letters, digits, ".", "-" or "_" (first a letter or digit)')
            if name in names:
                raise CatalogError(f'{where}.name: {name!r} is already the name of {names[name]}')
            names[name] = where
            state = _choice(f'{where}.state', entry.get('state'), STATES, 'present')
            if state == 'absent':
                merged.pop(name, None)
                continue
            fields, origins, _last = merged.get(name, ({}, {}, None))
            for field, value in entry.items():
                if field != 'state':
                    fields[field] = value
                    origins[field] = where
            merged[name] = (fields, origins, where)
    return [normalize_entry(fields, origins, last) for fields, origins, last in merged.values()]


def validate_catalog(catalog, name='os catalog'):
    """Validate a (merged) catalog again, naming its entries ``name[index]``."""
    if not isinstance(catalog, list):
        raise CatalogError(f'{name}: must be a list of entries, got {catalog!r}')
    result = []
    seen = set()
    for index, entry in enumerate(catalog):
        where = f'{name}[{index}]'
        if not isinstance(entry, dict):
            raise CatalogError(f'{where}: must be a mapping, got {entry!r}')
        if not isinstance(entry.get('name'), str) or not CATALOG_NAME.fullmatch(entry['name']) or entry['name'] in seen:
            raise CatalogError(f'{where}.name: {entry.get("name")!r} is not a valid, unique entry name')
        seen.add(entry['name'])
        if entry.get('state', 'present') != 'present':
            raise CatalogError(f'{where}.state: a merged catalog has only present entries, got {entry.get("state")!r}')
        fields = {key: value for key, value in entry.items() if key != 'state'}
        result.append(normalize_entry(fields, {}, where))
    return result


def _mirrors(mirrors, mirrors_name):
    if mirrors is None:
        return {}
    if not isinstance(mirrors, dict):
        raise CatalogError(f'{mirrors_name}: must be a mapping of mirror name to URL, got {mirrors!r}')
    result = {}
    for key, value in mirrors.items():
        where = f'{mirrors_name}[{key!r}]'
        if not isinstance(key, str) or not CATALOG_NAME.fullmatch(key):
            raise CatalogError(f'{mirrors_name}: {key!r} is not a mirror name like "debian"')
        result[key] = _check_location(where, value, False).rstrip('/')
    return result


def _resolve(where, url, entry, mirrors, mirrors_name):
    """The URL with {mirror} replaced."""
    if url.startswith(_MIRROR_PREFIX):
        mirror = mirrors.get(entry['mirror'])
        if mirror is None:
            raise CatalogError(f'{where}: {url!r} needs {mirrors_name}[{entry["mirror"]!r}], which is not set')
        url = mirror + url[len(_MIRROR_PREFIX):]
    return url


def _http_root(http_root):
    if not isinstance(http_root, str) or not http_root.startswith('/') or _has_dotdot(http_root):
        raise CatalogError(f'http_root: must be an absolute path without "..", got {http_root!r}')
    _text('http_root', http_root)
    return http_root.rstrip('/') or '/'


def asset_list(catalog, http_root, mirrors=None, name='os catalog', mirrors_name='os mirrors'):
    """One dict per file to copy to the server, for enabled entries with download: true.

    Each has ``entry`` (the entry name), ``url``, ``dest``
    (``<http_root>/os/<name>/<file name>``) and ``checksum``, or
    ``checksum_url`` and, when set, ``checksum_name``, ``release_url`` and
    ``keyring`` - the parameters of the boot_asset module.  Files already on the
    server (absolute paths or file:// URLs) without a checksum get
    ``checksum: dpkg``: they are checked against the md5sums of the Debian
    package that installed them.
    """
    root = _http_root(http_root)
    mirrors = _mirrors(mirrors, mirrors_name)
    result = []
    for index, entry in enumerate(validate_catalog(catalog, name)):
        if not entry['enabled'] or not entry['download']:
            continue
        for field, asset in _assets(entry):
            where = f'{name}[{index}].{field}'
            url = _resolve(f'{where}.url', asset['url'], entry, mirrors, mirrors_name)
            item = {'entry': entry['name'], 'url': url,
                    'dest': posixpath.join(root, OS_DIR, entry['name'], _basename(url))}
            if 'checksum' in asset:
                item['checksum'] = asset['checksum']
            elif 'checksum_url' not in asset:
                item['checksum'] = 'dpkg'   # a local file without a checksum: from a Debian package
            if 'checksum_url' in asset:
                item['checksum_url'] = _resolve(f'{where}.checksum_url', asset['checksum_url'], entry, mirrors, mirrors_name)
                if 'release_url' in entry:
                    item['release_url'] = _resolve(f'{name}[{index}].release_url', entry['release_url'], entry,
                                                   mirrors, mirrors_name)
                if 'keyring' in entry:
                    item['keyring'] = entry['keyring']
            if 'checksum_name' in asset:
                item['checksum_name'] = asset['checksum_name']
            result.append(item)
    return result


def _base_url(base_url):
    if base_url is None:
        return None
    if not isinstance(base_url, str) or not HTTP_URL.fullmatch(base_url):
        raise CatalogError(f'base_url: must be the http(s) URL of the HTTP root, got {base_url!r}')
    _text('base_url', base_url)
    return base_url.rstrip('/')


def _fill(where, text, values, missing):
    def replace(match):
        key = match.group(1)
        if values.get(key) is None:
            raise CatalogError(f'{where}: {{{key}}} {missing.get(key, "cannot be filled in here")}')
        return values[key]
    return _PLACEHOLDER.sub(replace, text)


def _item(entry, where, mirrors, mirrors_name, base_url, answer_url=None):
    """The ipxe_menu item of a validated entry (args with placeholders filled in)."""
    def location(field, asset):
        if entry['download']:
            return f"{OS_DIR}/{entry['name']}/{_basename(asset['url'].replace(_MIRROR_PREFIX, '', 1))}"
        return _resolve(f'{where}.{field}.url', asset['url'], entry, mirrors, mirrors_name)

    item = {'key': entry['name'], 'label': entry['label']}
    if 'chain' in entry:
        item.update(type='chain', chain=location('chain', entry['chain']))
        return item
    if 'kernel' not in entry:
        item.update(type='iso', iso=location('iso', entry['iso']))
        return item
    values = {'base_url': base_url, 'mirror': mirrors.get(entry['mirror']), 'answer_url': answer_url}
    if base_url is not None:
        values['entry_url'] = f"{base_url}/{OS_DIR}/{entry['name']}"
    if 'iso' in entry:
        iso = location('iso', entry['iso'])
        values['iso_url'] = iso if not entry['download'] else (f'{base_url}/{iso}' if base_url else None)
    missing = {'base_url': 'needs base_url, the URL of the HTTP root', 'entry_url': 'needs base_url, the URL of the HTTP root',
               'iso_url': 'needs base_url, the URL of the HTTP root (the iso is copied to the server)',
               'mirror': f'needs {mirrors_name}[{entry["mirror"]!r}], which is not set'}
    args = _fill(f'{where}.args', entry['args'], values, missing)
    if answer_url is not None:
        args = ' '.join(part for part in (args, _fill(f'{where}.answer_args', entry['answer_args'], values, missing)) if part)
    item.update(type='boot', kernel=location('kernel', entry['kernel']),
                initrd=[location(f'initrd[{index}]', asset) for index, asset in enumerate(entry.get('initrd', []))],
                args=args)
    if entry['signed']:
        item['signed'] = True
    if 'kernel_efi' in entry:
        item['kernel_efi'] = location('kernel_efi', entry['kernel_efi'])
    return item


def menu_items(catalog, mirrors=None, base_url=None, name='os catalog', mirrors_name='os mirrors'):
    """ipxe_menu items (boot, iso or chain) for the enabled entries of ``catalog``.

    Files of entries with download: true are referred to as ``os/<name>/<file>``,
    relative to the menu's base URL; the others by their remote URLs.
    ``base_url`` (the URL of the HTTP root) fills {base_url}, {entry_url} and
    a downloaded {iso_url} in kernel arguments.
    """
    mirrors = _mirrors(mirrors, mirrors_name)
    base_url = _base_url(base_url)
    return [_item(entry, f'{name}[{index}]', mirrors, mirrors_name, base_url)
            for index, entry in enumerate(validate_catalog(catalog, name)) if entry['enabled']]


def host_items(catalog, os_name, answer_url, mirrors=None, name='os', base_url=None,
               catalog_name='os catalog', mirrors_name='os mirrors'):
    """Items for a per-host script that installs ``os_name`` unattended.

    The one item boots the entry with its args and its answer_args, where
    {answer_url} is ``answer_url``.  ``name`` names the setting that chose the
    entry, for error messages.
    """
    # Only the chosen entry is validated again: a script per host stays linear in the hosts.
    if not isinstance(catalog, list) or not all(isinstance(entry, dict) for entry in catalog):
        raise CatalogError(f'{catalog_name}: must be a list of entries, got {catalog!r}')
    enabled = [entry.get('name') for entry in catalog if entry.get('enabled', True) is True]
    if not isinstance(os_name, str) or os_name not in enabled:
        raise CatalogError(f'{name}: {os_name!r} is not an enabled entry of the OS catalog; enabled: {", ".join(enabled) or "none"}')
    if not isinstance(answer_url, str) or not HTTP_URL.fullmatch(answer_url):
        raise CatalogError(f'{name}: the answer file URL must be an http(s) URL, got {answer_url!r}')
    _text(f'{name}: answer file URL', answer_url)
    index = [entry.get('name') for entry in catalog].index(os_name)
    where = f'{catalog_name}[{index}]'
    entry = normalize_entry({key: value for key, value in catalog[index].items() if key != 'state'}, {}, where)
    if entry['answer'] == 'none':
        raise CatalogError(f'{name}: {os_name!r} does not install unattended (its answer is none)')
    return [_item(entry, where, _mirrors(mirrors, mirrors_name), mirrors_name,
                  _base_url(base_url), answer_url)]
