# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property tests: no inventory data can add a line, a command, a directive or a key to a generated file.

Each renderer or validator either refuses the data or produces a file of exactly the structure
that the data asked for, whatever text the data holds (line breaks, NUL, backslashes, comment
and command separators, quotes, expansions, Unicode line separators).
"""

from __future__ import annotations

import collections
import ipaddress
import json
import os
import re
import shlex
import string

import jinja2
import yaml
from ansible.plugins.filter.core import combine, comment, quote, regex_replace, to_nice_yaml
from ansible.plugins.filter.urlsplit import split_url
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ansible_collections.netboot.pxe.plugins.module_utils._boot.catalog import merge_layers
from ansible_collections.netboot.pxe.plugins.module_utils._boot.grub import GrubMenuError, render_grub_menu
from ansible_collections.netboot.pxe.plugins.module_utils._boot.hosts import (
    ANSWERS,
    IpxeHostsError,
    answer_problems,
    host_plan,
)
from ansible_collections.netboot.pxe.plugins.module_utils._boot.ipxe import render_menu
from ansible_collections.netboot.pxe.plugins.module_utils._boot.menu import (
    ITEM_TYPES,
    RESERVED_KEYS,
    SEPARATORS,
    MenuError,
    check_text,
)
from ansible_collections.netboot.pxe.plugins.module_utils._boot.seed import SeedError, seed
from ansible_collections.netboot.pxe.plugins.module_utils._kea.apply import (
    FINGERPRINT_KEY,
    HEADER,
    KeaApplyError,
    fingerprint,
    render,
)
from ansible_collections.netboot.pxe.plugins.module_utils._validate import (
    HOST_NAME,
    HTTP_URL,
    SSH_KEY,
    TFTP_URL,
    is_ipv4,
    normalize_mac,
    parse_pool,
    single_line,
)
from ansible_collections.netboot.pxe.tests.lib.ipxe_lint import lint_script

from role_data import ROOT, role_vars

# Deterministic (CI runs the same examples every time) and without an example database in the tree.
PROPERTY = settings(max_examples=200, deadline=None, derandomize=True, database=None)

# Pieces of text that have broken or extended a generated file somewhere: line breaks of every
# kind, NUL and other controls, continuation, comment, separators, quoting, expansion, options,
# and words that are commands or directives of the files.
TRICKY = (
    '\n', '\r', '\r\n', '\x00', '\t', '\x0b', '\x0c', '\x1b', '\x1c', '\x7f', '\x85', '\xa0', '\u2028', '\u2029',
    '\\', '#', '//', '/*', '||', '&&', ';', '|', '&', '$', '${', '}', '{', '"', "'", '`', ' ', '-', '--', ':', '=',
    ',', '@', '.', '/', 'goto start', 'shell', 'chain http://x/y', 'imgexec x', ':failed', 'item', 'd-i', '%end',
    '%pre', 'sshkey', '<?include "x"?>', 'é', '\U0001f600',
)
WIDE = st.lists(st.one_of(st.sampled_from(TRICKY), st.text(max_size=3)), max_size=8).map(''.join)
# Text that check_text lets through, most of it nasty: what the structure has to survive; and a few
# separators and comments as words, which it must refuse.
SAFE_TRICKY = ('a', 'Debian 13', ' ', '\\', 'a\\b', 'a#b', 'a||b', 'x;y', '${x}', '${a${b}}', '"a b"', "'c'", '-', '-x',
               ' -x', ' --name x', '-- x', '--key', ':start', 'goto start', 'shell', 'chain http://x/y', 'imgexec x', 'item',
               '\u2028', '\x85', '\xa0', 'é', '\U0001f600', '}', ' || shell', ' ; shell', ' && shell', ' #x')
NASTY = st.lists(st.sampled_from(SAFE_TRICKY), max_size=5).map(''.join)


# Single characters that quote, escape, separate, substitute or break lines in some file or shell.
SPECIAL = tuple('\n\r\x00"\'\\`;$ \t#|&<>(){}[]*?!~%=,@+:/.') + ('\x0b', '\x0c', '\x1c', '\x85', '\u2028', '\u2029', '\xa0')
PIECE = st.one_of(st.sampled_from(TRICKY), st.sampled_from(SPECIAL))


def spliced(plain):
    """A plain value with a tricky piece put somewhere in it, counted from its start or its end."""
    return st.tuples(plain, PIECE, st.integers(min_value=-64, max_value=64)).map(
        lambda parts: parts[0][:parts[2] % (len(parts[0]) + 1)] + parts[1] + parts[0][parts[2] % (len(parts[0]) + 1):])


# --- iPXE menus ------------------------------------------------------------------------------

KEY = st.from_regex(r'[A-Za-z0-9][A-Za-z0-9._-]{0,8}', fullmatch=True)
URL = st.one_of(st.from_regex(r'(https?://[a-z0-9.]{1,8})?/?[A-Za-z0-9._/~-]{1,12}', fullmatch=True),
                st.sampled_from(('-x', '--name=x', '--autofree', 'a${x}', 'a#b', 'a\\b', 'a"b"', '/a;b')))


@st.composite
def menu_items(draw, wide):
    """A menu item; with ``wide``, any field may be any text."""
    field = st.one_of(NASTY, WIDE) if wide else NASTY
    url = st.one_of(URL, WIDE) if wide else URL
    kind = draw(st.sampled_from(ITEM_TYPES))
    item = {'type': kind} if kind != 'boot' or draw(st.booleans()) else {}
    if draw(st.booleans()):
        item['label'] = draw(field)
    if kind == 'gap':
        return item
    item['key'] = draw(st.one_of(KEY, st.sampled_from(RESERVED_KEYS), WIDE) if wide else KEY)
    if draw(st.integers(min_value=0, max_value=3)) == 0:
        item['shortcut'] = draw(st.one_of(st.from_regex(r'[A-Za-z0-9]', fullmatch=True), WIDE) if wide else
                                st.sampled_from('abcdefghijklmnopqrstuvwxyz0123456789'))
    if kind == 'boot':
        item['kernel'] = draw(url)
        if draw(st.booleans()):
            item['kernel_efi'] = draw(url)
        item['initrd'] = draw(st.one_of(url, st.lists(url, max_size=3)))
        if draw(st.booleans()):
            item['args'] = draw(field)
    elif kind in ('iso', 'chain', 'sanboot'):
        item[kind] = draw(url)
    return item


def menus(wide):
    """The arguments of render_menu; with ``wide``, any text anywhere, else text that is mostly accepted."""
    return st.fixed_dictionaries({
        'items': st.lists(menu_items(wide), min_size=1, max_size=4),
        'title': st.one_of(NASTY, WIDE) if wide else NASTY,
        'timeout': st.integers(min_value=0, max_value=30),
        'base_url': st.one_of(st.none(), st.just('http://10.0.0.2/'), *([WIDE] if wide else [])),
        'memdisk_url': st.one_of(st.none(), st.one_of(URL, WIDE) if wide else URL),
    })


# Two menus of mostly accepted text to one of any text.
MENU = st.sampled_from((False, False, True)).flatmap(menus)
# iPXE splits a command line into words at these characters only (src/include/ctype.h isspace); the
# bytes of a non-ASCII character are never whitespace to it.
IPXE_SPACE = re.compile(r'[ \t\n\v\f\r]+')
SEPARATORS = ('||', '&&', ';')
# Options that take the next word as their value, in the commands the renderer writes.
VALUE_OPTIONS = ('--key', '--default', '--timeout')


def ipxe_words(line):
    return [word for word in IPXE_SPACE.split(line) if word]


def command_and_options(words):
    """(command, the options getopt reads before its first argument) of a command's words."""
    options = []
    arguments = words[1:]
    while arguments and arguments[0].startswith('-'):
        options.append(arguments.pop(0))
        if options[-1] == '--':
            break
        if options[-1] in VALUE_OPTIONS and arguments:
            options.append(arguments.pop(0))
    return words[0], tuple(options)


def ipxe_commands(script):
    """(command, its options) of every command iPXE reads in ``script``, and the labels, in order.

    As iPXE reads a script (src/image/script.c, src/core/exec.c): a line ending in a backslash
    goes on on the next; a first word ":name" is a label, the rest of its line a command; a word
    starting with "#" comments out the rest of the line; "||", "&&" and ";" separate commands;
    getopt reads options up to the first word not starting with "-" (or up to "--").
    """
    commands = []
    labels = []
    pending = ''
    for line in script.split('\n'):
        if line.endswith('\\'):
            pending += line[:-1]
            continue
        words = ipxe_words(pending + line)
        pending = ''
        if words and words[0].startswith(':'):
            labels.append(words.pop(0)[1:])
        command = []
        for word in words + [';']:
            if word in SEPARATORS or word.startswith('#'):
                if command:
                    commands.append(command_and_options(command))
                command = []
                if word.startswith('#'):
                    break
            else:
                command.append(word)
    return commands, labels


def expected_structure(menu):
    """What render_menu must write for ``menu``: the commands (with options), the labels, the lines, the item lines."""
    items = menu['items']
    keys = [item['key'] for item in items if item.get('type') != 'gap']
    default = keys[0]
    commands = collections.Counter({('menu', ()): 1, ('goto', ()): 3, ('echo', ()): 1, ('prompt', ()): 1})
    choose = ('--default', default) + (('--timeout', str(menu['timeout'] * 1000)) if menu['timeout'] else ())
    commands[('choose', choose)] += 1
    lines = 4 + len(items) + 3 + 5
    item_lines = []
    for item in items:
        kind = item.get('type', 'boot')
        label = item.get('label', '')
        if kind == 'gap':
            commands[('item', ('--gap', '--') if label else ('--gap',))] += 1
            item_lines.append(f'item --gap -- {label}' if label else 'item --gap')
            continue
        shortcut = ('--key', item['shortcut']) if 'shortcut' in item else ()
        commands[('item', shortcut)] += 1
        item_lines.append(' '.join(('item',) + shortcut + (item['key'], label or item['key'])))
        if kind == 'boot':
            initrds = item['initrd'] if isinstance(item['initrd'], list) else [item['initrd']] if item['initrd'] else []
            kernels = 2 if item.get('kernel_efi') is not None else 1
            if kernels == 2:
                commands[('iseq', ())] += 2
            commands.update({('kernel', ()): kernels, ('initrd', ()): len(initrds), ('boot', ()): 1,
                             ('goto', ()): kernels + len(initrds) + 1})
            body = kernels + len(initrds) + 1
        elif kind == 'iso':
            commands.update({('iseq', ()): 2, ('sanboot', ('--no-describe',)): 1, ('kernel', ()): 1, ('initrd', ()): 1,
                             ('boot', ()): 1, ('goto', ()): 5})
            body = 5
        elif kind == 'chain':
            commands.update({('chain', ('--autofree',)): 1, ('goto', ()): 1})
            body = 1
        elif kind == 'sanboot':
            commands.update({('sanboot', ('--no-describe',)): 1, ('goto', ()): 1})
            body = 1
        elif kind == 'shell':
            commands.update({('shell', ()): 1, ('goto', ()): 1})
            body = 2
        else:
            commands[('exit', ())] += 1
            body = 1
        lines += 1 + body + 1
    return +commands, ['start'] + keys + ['failed'], lines, item_lines


@PROPERTY
@given(MENU)
def test_menu_is_refused_or_has_exactly_the_items_structure(menu):
    try:
        script = render_menu(**menu)
    except MenuError:
        return
    commands, labels, line_count, item_lines = expected_structure(menu)
    lines = script.split('\n')
    assert len(lines) == line_count
    assert not any(line.endswith('\\') for line in lines), 'a line is continued on the next'
    assert all(ord(char) >= 32 and ord(char) != 127 for char in script.replace('\n', '')), 'a control character'
    assert [line for line in lines if line.startswith('#')] == ['#!ipxe']
    assert [line for line in lines if line.split(' ', 1)[0] == 'item'] == item_lines
    found, found_labels = ipxe_commands(script)
    assert found_labels == labels
    assert collections.Counter(found) == commands
    assert lint_script(script) == []


@PROPERTY
@given(st.one_of(NASTY, WIDE))
def test_check_text_accepts_only_text_that_stays_in_its_words(value):
    try:
        check_text('value', value)
    except MenuError:
        return
    assert not any(ord(char) < 32 or ord(char) == 127 for char in value)
    assert not value.endswith('\\')
    words = ipxe_words(value)
    assert not any(word in SEPARATORS or word.startswith('#') for word in words)
    script = f'#!ipxe\necho {value}\n'
    commands, labels = ipxe_commands(script)
    assert [name for name, _options in commands] == ['echo'] and labels == []
    assert ipxe_words(script.split('\n')[1]) == ['echo'] + words
    assert lint_script(script) == []


# --- Answers of unattended installs ---------------------------------------------------------

# What no accepted answer may hold: line breaks and NUL, and the quoting, escaping and separators
# of the files and of the shell commands in them; "$" only in the password hash (crypt's "$6$...").
FORBIDDEN = set('\n\r\x00"\'\\`;$')
PASSWORD = 'ipxe_answer_password_hash'
SSH_KEYS = 'ipxe_answer_ssh_keys'
ALNUM = string.ascii_letters + string.digits
LOWER = string.ascii_lowercase + string.digits


def chars(alphabet, low, high):
    return st.text(alphabet, min_size=low, max_size=high)


def joined(*parts):
    return st.tuples(*(st.just(part) if isinstance(part, str) else part for part in parts)).map(''.join)


def maybe(*parts):
    return st.one_of(st.just(''), joined(*parts))


# Values of every character that the patterns of ANSWERS allow (st.text draws them much faster than
# st.from_regex); the template test checks that all of them are accepted.
DNS_LABEL = joined(chars(LOWER, 1, 1), maybe(chars(LOWER + '-', 0, 8), chars(LOWER, 1, 1)))
ZONE = chars(ALNUM + '_+-', 1, 12)
PLAIN = {
    'ipxe_answer_locale': joined(chars(string.ascii_letters, 2, 3), maybe('_', chars(string.ascii_uppercase, 2, 2)),
                                 maybe('.', chars(ALNUM + '-', 1, 16)), maybe('@', chars(string.ascii_lowercase, 1, 16))),
    'ipxe_answer_keyboard': chars(ALNUM + '_-', 1, 32),
    'ipxe_answer_timezone': joined(ZONE, maybe('/', ZONE), maybe('/', ZONE)),
    'ipxe_answer_domain': st.lists(DNS_LABEL, min_size=1, max_size=3).map('.'.join),
    'ipxe_answer_user': joined(chars(string.ascii_lowercase + '_', 1, 1), chars(LOWER + '_-', 0, 31)),
    'ipxe_answer_password_hash': st.one_of(st.sampled_from(('!', '*')),
                                           joined('$6$', chars(ALNUM + './', 1, 16), '$', chars(ALNUM + './', 1, 86)),
                                           joined(st.sampled_from(('$1$', '$2b$', '$5$', '$y$', '$gy$', '$7$')),
                                                  chars(ALNUM + './$=,+_-', 1, 64))),
}
PLAIN_SSH_KEY = st.builds(
    lambda kind, body, pad, comments: ' '.join([kind, body + pad] + comments),
    st.sampled_from(('ssh-ed25519', 'ssh-rsa', 'ssh-dss', 'ecdsa-sha2-nistp384', 'sk-ssh-ed25519@openssh.com')),
    chars(ALNUM + '+/', 16, 64), st.sampled_from(('', '=', '==', '===')), st.lists(chars(ALNUM + '@._+:=,-', 1, 12), max_size=2))


def answer(plain):
    """A plain answer, or one with one or two tricky pieces put in, or any text."""
    return st.one_of(plain, spliced(plain), spliced(spliced(plain)), WIDE)


def assert_clean(variable, value):
    """An accepted answer: one line for any reader's idea of a line break, one word (but an SSH key), none of FORBIDDEN."""
    assert value.splitlines() == [value]
    if variable == SSH_KEYS:
        assert SSH_KEY.fullmatch(value) and not FORBIDDEN & set(value)
    else:
        assert value.split() == [value]
        assert not (FORBIDDEN - ({'$'} if variable == PASSWORD else set())) & set(value)


@PROPERTY
@given(st.sampled_from(sorted(PLAIN)).flatmap(lambda variable: st.tuples(st.just(variable), answer(PLAIN[variable]))))
def test_an_accepted_answer_is_one_word_without_quotes_or_breaks(case):
    variable, value = case
    if not answer_problems({variable: value}):
        assert_clean(variable, value)


@PROPERTY
@given(st.lists(answer(PLAIN_SSH_KEY), max_size=3))
def test_an_accepted_ssh_key_is_one_line_without_quotes(keys):
    if not answer_problems({SSH_KEYS: keys}):
        for key in keys:
            assert_clean(SSH_KEYS, key)


GOOD_ANSWERS = {
    'ipxe_answer_locale': 'en_US.UTF-8', 'ipxe_answer_keyboard': 'us', 'ipxe_answer_timezone': 'America/New_York',
    'ipxe_answer_domain': 'lab.example', 'ipxe_answer_user': 'netboot', PASSWORD: '$6$salt$0123456789abcdefABCDEF./',
    SSH_KEYS: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0 admin@lab',
}


def test_no_special_character_gets_into_an_accepted_answer():
    """Every control and special character, at the start, inside and at the end of each answer (all of them, not a sample)."""
    characters = SPECIAL + tuple(chr(code) for code in range(32)) + ('\x7f',)
    for variable, good in GOOD_ANSWERS.items():
        for char in characters:
            for index in sorted({0, 1, len(good) // 2, len(good) - 1, len(good)}):
                value = good[:index] + char + good[index:]
                if not answer_problems({variable: [value] if variable == SSH_KEYS else value}):
                    assert_clean(variable, value)


ROLE_VARS = role_vars('ipxe')
with open(os.path.join(ROOT, 'roles', 'ipxe', 'defaults', 'main.yml'), encoding='utf-8') as _handle:
    DEFAULTS = {key: value for key, value in yaml.safe_load(_handle).items() if key in ANSWERS or key == SSH_KEYS}
CATALOG = merge_layers([('__ipxe_os_builtin_entries', ROLE_VARS['__ipxe_os_builtin_entries']),
                        ('ipxe_os_entries', [{'name': 'debian-13', 'enabled': True}])])
MAC = '52:54:00:12:34:56'
# As the ipxe role renders its templates: trim_blocks, a trailing newline kept, and Ansible's filters.
TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(ROOT, 'roles', 'ipxe', 'templates', 'answers')),
                               trim_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
TEMPLATES.filters.update(comment=comment, urlsplit=split_url, to_nice_yaml=to_nice_yaml, regex_replace=regex_replace,
                         combine=combine, quote=quote)
HOSTNAME = DNS_LABEL
# Path segments that are not "..", even %-encoded, which the catalog refuses.
MIRROR = joined(st.sampled_from(('http://', 'https://')), DNS_LABEL, maybe('.', DNS_LABEL),
                maybe(':', st.integers(min_value=1, max_value=65535).map(str)),
                st.lists(joined('/', chars(ALNUM + '_~+-', 1, 1), chars(ALNUM + '._~%+-', 0, 7)), max_size=3).map(''.join),
                st.sampled_from(('', '/')))


def install_data(wide):
    """(wide, answers, host name, mirror) of an install: plain values, or with ``wide`` any of them may be tricky."""
    values = answer if wide else (lambda plain: plain)
    return st.tuples(
        st.just(wide),
        st.fixed_dictionaries(dict({variable: values(plain) for variable, plain in PLAIN.items()},
                                   **{SSH_KEYS: st.lists(values(PLAIN_SSH_KEY), max_size=2)})),
        st.one_of(st.none(), values(HOSTNAME)),
        values(MIRROR))


# Two installs of plain values (of every character the patterns allow) to one of tricky values.
INSTALL_DATA = st.sampled_from((False, False, True)).flatmap(install_data)


BUILD_TOKEN = '0123456789abcdef0123456789abcdef'


def install_of(hostname, mirror, answers, base_url='http://10.0.0.2'):
    """The unattended install of a Debian host, as the role's plan describes it to the templates."""
    host = {'mac': MAC, 'os': 'debian-13'}
    if hostname is not None:
        host['hostname'] = hostname
    mirrors = dict(ROLE_VARS['__ipxe_os_builtin_mirrors'], debian=mirror)
    plan = host_plan([host], CATALOG, mirrors=mirrors, builtin_mirrors=ROLE_VARS['__ipxe_os_builtin_mirrors'],
                     base_url=base_url, answer_templates=ROLE_VARS['__ipxe_answer_templates'],
                     answer_url_files=ROLE_VARS['__ipxe_answer_url_files'], answers=answers,
                     builds={MAC.replace(':', '-'): {'token': BUILD_TOKEN, 'state': 'pending'}})
    return plan['installs'][0]


def render_answers(name, install, answers):
    values = dict(DEFAULTS, **answers)
    return TEMPLATES.get_template(name).render(ansible_managed='Ansible managed', __ipxe_install=install, **values)


def directives(text, words):
    """The first ``words`` words of every line that is not blank or a comment."""
    return [tuple(line.split()[:words]) for line in text.split('\n') if line.strip() and not line.startswith('#')]


def shell_shape(command):
    """The operators of a shell command (";", ">>", ...) in order, and how many words it has."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    tokens = list(lexer)
    return [token for token in tokens if set(token) <= set('();<>|&')], len(tokens)


@PROPERTY
@given(INSTALL_DATA)
def test_accepted_answers_add_no_line_or_directive_to_an_answer_file(data):
    wide, answers, hostname, mirror = data
    try:
        install = install_of(hostname, mirror, answers)
    except IpxeHostsError:
        assert wide, 'a plain value was refused'
        return
    keys = answers[SSH_KEYS]
    # The same files with plain values: the defaults, as many plain keys, the same branch of the password.
    plain_answers = {SSH_KEYS: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0 admin@lab'] * len(keys),
                     PASSWORD: '!' if answers[PASSWORD] == '!' else '$6$salt$hash'}
    scheme = split_url(install['mirror'], 'scheme')
    plain_install = dict(install, hostname='host', mirror=f'{scheme}://deb.debian.org/debian')
    for name, words in (('preseed.cfg.j2', 3), ('ks.cfg.j2', 1), ('meta-data.j2', 1)):
        text = render_answers(name, install, answers)
        plain = render_answers(name, plain_install, plain_answers)
        assert len(text.split('\n')) == len(plain.split('\n')) == len(text.splitlines()) + 1
        assert directives(text, words) == directives(plain, words)
        if name == 'ks.cfg.j2':
            # Kickstart splits its lines as the shell does.
            assert [len(shlex.split(line)) for line in text.split('\n')] == [len(shlex.split(line)) for line in plain.split('\n')]
        elif name == 'preseed.cfg.j2':
            late, plain_late = (next(line for line in each.split('\n') if line.startswith('d-i preseed/late_command string '))
                                for each in (text, plain))
            assert shell_shape(late) == shell_shape(plain_late)
    user_data = render_answers('user-data.j2', install, answers)
    assert user_data.startswith('#cloud-config\n')
    assert yaml.safe_load(user_data) == {'autoinstall': {
        'version': 1, 'locale': answers['ipxe_answer_locale'], 'keyboard': {'layout': answers['ipxe_answer_keyboard']},
        'timezone': answers['ipxe_answer_timezone'],
        'identity': {'hostname': install['hostname'], 'username': answers['ipxe_answer_user'], 'password': answers[PASSWORD]},
        'ssh': {'install-server': True, 'allow-pw': False, 'authorized-keys': keys},
        'storage': {'layout': {'name': 'direct'}},
        'late-commands': [f'curl -fsS --retry 5 -X DELETE http://10.0.0.2/builds/{BUILD_TOKEN}']}}
    assert set(yaml.safe_load(render_answers('meta-data.j2', install, answers))) == {'instance-id', 'local-hostname'}


# --- The cloud-init seed of an image deploy ---------------------------------------------------
# JSON in a YAML file: whatever the inventory holds, the seed is refused or yaml.safe_load (as
# cloud-init reads it) gives exactly the keys and values meant, and no line more.

PROXY = st.one_of(st.just(''), joined('http://', DNS_LABEL, maybe(':', st.integers(min_value=1, max_value=65535).map(str)), '/'))
# Any text, and printable ASCII with every character JSON or YAML could read as syntax.
SEED_TEXT = st.one_of(WIDE, st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=12),
                      st.sampled_from(('#', ': x', '- a', '"', "'", '\\', '{}', '[', '&a', '*a', '!!python/object x', '? x',
                                       '%YAML 1.1', '---', '...', '|', '>', 'null', 'true', '0x10', '~', '', ' ')))


def seed_data(wide):
    """(answers, host name): plain values, or with ``wide`` any text, plain values with tricky pieces put in, or YAML syntax."""
    values = (lambda plain: st.one_of(answer(plain), SEED_TEXT)) if wide else (lambda plain: plain)
    return st.tuples(
        st.fixed_dictionaries(dict({variable: values(plain) for variable, plain in PLAIN.items()},
                                   **{SSH_KEYS: st.lists(values(PLAIN_SSH_KEY), max_size=3),
                                      'ipxe_answer_proxy': values(PROXY)})),
        values(HOSTNAME))


SEED_DATA = st.sampled_from((False, False, True)).flatmap(seed_data)


def intended_user_data(answers, hostname):
    """What the user-data must say: the answers, as they are."""
    locked = answers[PASSWORD] in ('!', '*')
    user = {'name': answers['ipxe_answer_user'], 'shell': '/bin/bash', 'groups': ['sudo'], 'lock_passwd': locked}
    user.update({'sudo': 'ALL=(ALL) NOPASSWD:ALL'} if locked else {'passwd': answers[PASSWORD]})
    user['ssh_authorized_keys'] = answers[SSH_KEYS]
    document = {'hostname': hostname, 'fqdn': f'{hostname}.{answers["ipxe_answer_domain"]}' if answers['ipxe_answer_domain'] else hostname,
                'manage_etc_hosts': True, 'users': [user], 'disable_root': True, 'ssh_pwauth': False,
                'timezone': answers['ipxe_answer_timezone'], 'locale': answers['ipxe_answer_locale']}
    locale = answers['ipxe_answer_locale']
    if not locale.startswith(('C.', 'POSIX')) and locale not in ('C', 'POSIX'):
        charset = locale.split('.', 1)[1].split('@')[0] if '.' in locale else 'UTF-8'
        document['write_files'] = [{'path': '/etc/locale.gen', 'content': f'{locale} {charset}\n', 'permissions': '0644'}]
    if answers['ipxe_answer_proxy']:
        document['apt'] = {'proxy': answers['ipxe_answer_proxy']}
    return document


# The answers a seed holds (the keyboard is the installers' only).
SEEDED = ('ipxe_answer_locale', 'ipxe_answer_timezone', 'ipxe_answer_domain', 'ipxe_answer_user', PASSWORD, 'ipxe_answer_proxy')


def printable_ascii(answers, hostname):
    texts = [answers[variable] for variable in SEEDED] + list(answers[SSH_KEYS]) + [hostname]
    return all(isinstance(text, str) and re.fullmatch(r'[ -~]*', text) for text in texts)


@PROPERTY
@given(SEED_DATA)
@example(({**GOOD_ANSWERS, SSH_KEYS: ['a"\n#cloud-config\nruncmd: [reboot]'], 'ipxe_answer_proxy': ''}, 'web1'))
@example(({**GOOD_ANSWERS, SSH_KEYS: [], PASSWORD: '*', 'ipxe_answer_proxy': 'http://x/\u2028bootcmd: [x]'}, 'web1'))
def test_a_seed_is_refused_or_says_exactly_the_answers(data):
    answers, hostname = data
    try:
        files = seed(answers, hostname, BUILD_TOKEN)
    except SeedError:
        assert not (printable_ascii(answers, hostname) and HOST_NAME.fullmatch(hostname)), 'printable ASCII was refused'
        # The answers the installers take are never refused here.
        assert answer_problems({variable: answers[variable] for variable in SEEDED + (SSH_KEYS,)}) or not HOST_NAME.fullmatch(hostname)
        return
    assert printable_ascii(answers, hostname) and HOST_NAME.fullmatch(hostname)
    user_data = files['user-data']
    assert user_data.startswith('#cloud-config\n') and user_data.endswith('}\n')
    assert yaml.safe_load(user_data) == intended_user_data(answers, hostname)
    assert yaml.safe_load(files['meta-data']) == {'instance-id': 'netboot-0123456789ab', 'local-hostname': hostname}
    # No line more than the same seed of plain values has.
    plain = dict(answers, **{variable: 'x' for variable in PLAIN if variable != PASSWORD},
                 **{SSH_KEYS: ['k'] * len(answers[SSH_KEYS]), 'ipxe_answer_proxy': 'p' if answers['ipxe_answer_proxy'] else ''})
    plain[PASSWORD] = answers[PASSWORD] if answers[PASSWORD] in ('!', '*') else '$6$x'
    for name, text in files.items():
        assert len(text.split('\n')) == len(seed(plain, 'web1', BUILD_TOKEN)[name].split('\n')), name


@PROPERTY
@given(st.sampled_from(('!', '*')), st.booleans())
def test_a_locked_password_locks_the_user_and_sets_no_password(password, keys):
    answers = dict(GOOD_ANSWERS, **{PASSWORD: password, SSH_KEYS: [GOOD_ANSWERS[SSH_KEYS]] if keys else []})
    (user,) = yaml.safe_load(seed(answers, 'web1', BUILD_TOKEN)['user-data'])['users']
    assert user['lock_passwd'] is True and 'passwd' not in user
    (user,) = yaml.safe_load(seed(dict(answers, **{PASSWORD: '$6$salt$hash'}), 'web1', BUILD_TOKEN)['user-data'])['users']
    assert user['lock_passwd'] is False and user['passwd'] == '$6$salt$hash' and 'sudo' not in user


def test_a_refused_password_hash_is_not_shown():
    for value in ('pass\nword', 'caf\xe9 secret', 12345):
        try:
            seed(dict(GOOD_ANSWERS, **{PASSWORD: value, SSH_KEYS: []}), 'web1', BUILD_TOKEN)
        except SeedError as error:
            assert str(value) not in str(error) and repr(value) not in str(error) and PASSWORD in str(error)
        else:
            raise AssertionError(f'{value!r} was taken')


# --- URLs ------------------------------------------------------------------------------------
# A URL reaches an iPXE script, a GRUB configuration and shell commands of the answer files: each
# renderer refuses it, or it stays one word there, whatever its host, port and path hold.

# The security review's inputs: shell commands in a path, iPXE and GRUB commands in a port.
REVIEW_URLS = ('http://10.0.0.2/x$(touch${IFS}/tmp/PWNED)y', 'http://10.0.0.2:80;reboot;',
               "http://10.0.0.2:80;};set;default=1;set;timeout=0;menuentry'x'{/vmlinuz", 'http://10.0.0.2:8x')
URL_HOST = st.one_of(st.sampled_from(('10.0.0.2', 'boot.lab', '[fd00::2]')), DNS_LABEL, spliced(DNS_LABEL))
URL_PORT = st.one_of(st.just(''), st.integers(min_value=0, max_value=70000).map(lambda port: f':{port}'),
                     st.sampled_from((':80;reboot;', ':8x', ':080', ':', ':80 ', ':80}')), joined(':', PIECE))
URL_PATH = st.lists(joined('/', st.one_of(chars(ALNUM + '._~%+=,:@-', 0, 6), spliced(chars(ALNUM, 1, 4)))),
                    max_size=3).map(''.join)
URL_TEXT = st.one_of(
    joined(st.sampled_from(('http://', 'https://', 'tftp://', 'ftp://', 'HTTP://', '')), URL_HOST, URL_PORT, URL_PATH),
    st.sampled_from(REVIEW_URLS))


def one_word_in_shell(command, word):
    """Whether the shell reads ``word`` as one word of ``command``, with no operator or expansion around it."""
    operators, _count = shell_shape(command)
    return not operators and word in shlex.split(command) and not set('$`') & set(command)


@PROPERTY
@given(URL_TEXT)
@example(REVIEW_URLS[2])
def test_a_kernel_url_is_refused_or_one_word_of_the_ipxe_script(url):
    item = {'key': 'k', 'kernel': url, 'args': 'a=1'}
    try:
        script = render_menu([item], base_url='http://10.0.0.2')
    except MenuError:
        return
    kernel = next(line for line in script.split('\n') if line.startswith('kernel '))
    words = kernel.split()
    assert words[0] == 'kernel' and words[2:] == ['a=1', '||', 'goto', 'failed']
    assert words[1] not in SEPARATORS and not words[1].startswith('#')
    if words[1].lower().startswith(('http:', 'https:')):
        assert HTTP_URL.fullmatch(words[1])
    if words[1].lower().startswith('tftp:'):
        assert TFTP_URL.fullmatch(words[1])
    assert not lint_script(script)


@PROPERTY
@given(URL_TEXT)
@example(REVIEW_URLS[2])
def test_a_kernel_url_is_refused_or_one_word_of_the_grub_menu(url):
    item = {'key': 'k', 'kernel': url, 'args': 'a=1', 'signed': True}
    try:
        menu = render_grub_menu([item], base_url='http://10.0.0.2')
    except GrubMenuError:
        return
    assert url.startswith('http://') or not url.startswith(('https://', 'tftp://', 'ftp://'))
    linux = next(line for line in menu.split('\n') if line.startswith('    linux '))
    words = linux.split()
    assert len(words) == 3 and words[2] == 'a=1' and words[1].startswith('(http,')
    # Nothing GRUB reads as syntax: quotes, expansion, separators, braces, comments.
    assert not set(words[1]) & set('\'"$;|&<>{}#\\ ')
    assert menu.count('menuentry ') == 1 and menu.count('{') == menu.count('}') == 1


@PROPERTY
@given(URL_TEXT)
def test_a_base_url_is_refused_or_one_word_of_the_answer_files(url):
    try:
        install = install_of(None, 'http://deb.debian.org/debian', {}, base_url=url)
    except IpxeHostsError:
        return
    done = install['done_url']
    assert done == url.removesuffix('/') + f'/builds/{BUILD_TOKEN}'
    kickstart = render_answers('ks.cfg.j2', install, {})
    assert one_word_in_shell(next(line for line in kickstart.split('\n') if line.startswith('curl ')), done)
    user_data = yaml.safe_load(render_answers('user-data.j2', install, {}))
    assert one_word_in_shell(user_data['autoinstall']['late-commands'][-1], done)
    preseed = render_answers('preseed.cfg.j2', install, {})
    late = next(line for line in preseed.split('\n') if line.startswith('d-i preseed/late_command string '))
    plain = render_answers('preseed.cfg.j2', install_of(None, 'http://deb.debian.org/debian', {}), {})
    plain_late = next(line for line in plain.split('\n') if line.startswith('d-i preseed/late_command string '))
    assert shell_shape(late) == shell_shape(plain_late)


# --- Kea configuration files ----------------------------------------------------------------

JSON_TEXT = st.one_of(st.text(max_size=8), WIDE)
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), JSON_TEXT),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(JSON_TEXT, children, max_size=3)),
    max_leaves=12)
CONTEXT = st.one_of(st.dictionaries(JSON_TEXT, JSON, max_size=3), JSON)
DHCP4 = st.dictionaries(JSON_TEXT, JSON, max_size=4).flatmap(
    lambda server: st.one_of(st.just(server), CONTEXT.map(lambda context: dict(server, **{'user-context': context}))))


@PROPERTY
@given(DHCP4)
def test_a_kea_file_is_its_header_and_the_stamped_document(server):
    document = {'Dhcp4': server}
    try:
        text, digest = render(document)
    except KeaApplyError:
        assert not isinstance(server.get('user-context'), dict)
        return
    assert text.startswith(HEADER) and HEADER.count('\n') == 1 and HEADER.endswith('\n')
    body = text[len(HEADER):]
    # No raw control character: Kea's lexer refuses them in strings, and a line break could end a // comment.
    assert all(char == '\n' or ord(char) >= 32 for char in body)
    stamped = json.loads(body)
    context = server.get('user-context', {})
    assert stamped == {'Dhcp4': dict(server, **{'user-context': dict(context, **{FINGERPRINT_KEY: digest})})}
    assert fingerprint(stamped) == digest == fingerprint(document)


# --- Validators -----------------------------------------------------------------------------

MAC_TEXT = st.one_of(st.from_regex(r'[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}', fullmatch=True),
                     st.from_regex(r'[0-9A-Fa-f]{4}(\.[0-9A-Fa-f]{4}){2}', fullmatch=True),
                     st.from_regex(r'[0-9A-Fa-f]{12}', fullmatch=True))
# Octets at the edges of what is_ipv4 accepts (leading zeros, 255 and 256, four digits), two to one.
EDGE_OCTETS = st.sampled_from(('0', '00', '01', '010', '9', '99', '100', '199', '200', '249', '250', '255', '256', '0255'))
OCTET = st.one_of(EDGE_OCTETS, EDGE_OCTETS, chars(string.digits, 1, 4))
IPV4_TEXT = st.one_of(st.integers(min_value=0, max_value=2**32 - 1).map(lambda number: str(ipaddress.IPv4Address(number))),
                      st.lists(OCTET, min_size=4, max_size=4).map('.'.join))
POOL_TEXT = st.one_of(st.builds('{} - {}'.format, IPV4_TEXT, IPV4_TEXT), st.builds('{}-{}'.format, IPV4_TEXT, IPV4_TEXT),
                      st.builds('{}/{}'.format, IPV4_TEXT, st.integers(min_value=0, max_value=33)),
                      st.builds(lambda number, prefix: str(ipaddress.IPv4Network((number, prefix), strict=False)),
                                st.integers(min_value=0, max_value=2**32 - 1), st.integers(min_value=0, max_value=32)))


def text_like(plain):
    """Plain values (half of the examples), with one or two tricky pieces put in, or any text."""
    return st.one_of(plain, plain, plain, spliced(plain), spliced(spliced(plain)), WIDE)


@PROPERTY
@given(text_like(MAC_TEXT))
def test_normalize_mac_gives_a_colon_mac_or_none(value):
    mac = normalize_mac(value)
    assert mac is None or re.fullmatch(r'([0-9a-f]{2}:){5}[0-9a-f]{2}', mac) and normalize_mac(mac) == mac


@PROPERTY
@given(text_like(IPV4_TEXT))
def test_is_ipv4_means_the_canonical_form_of_an_address(value):
    try:
        canonical = str(ipaddress.IPv4Address(value)) == value
    except ValueError:
        canonical = False
    assert is_ipv4(value) == canonical


@PROPERTY
@given(st.one_of(NASTY, WIDE))
def test_single_line_means_no_line_break(value):
    if single_line(value):
        assert '\n' not in value and '\r' not in value
        assert len(value.splitlines()) <= 1 and not value.endswith(('\n', '\r'))


@PROPERTY
@given(text_like(POOL_TEXT))
def test_parse_pool_refuses_a_line_break(value):
    try:
        first, last = parse_pool(value)
    except ValueError:
        return
    assert single_line(value) and len(value.splitlines()) == 1
    assert first <= last
