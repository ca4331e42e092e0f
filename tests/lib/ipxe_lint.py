# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""A syntax check of iPXE scripts, to catch a broken script before a machine boots it.

It follows how iPXE reads a script (src/image/script.c, src/core/exec.c): lines
joined at a trailing backslash, an optional ``:label`` first on a line, words
split at whitespace without quoting, ``||``, ``&&`` and ``;`` between commands,
a word starting with ``#`` commenting out the rest of the line.  On top of
that it applies the rules our scripts keep: known commands only, balanced
quotes, closed ``${...}``, unique labels, and every ``goto`` target, ``item``
key and ``choose --default`` with a label or item to go to.

A test helper (unit tests and molecule verifiers); not shipped in the collection.
"""

from __future__ import annotations

from ansible_collections.netboot.pxe.plugins.module_utils._boot.menu import has_unclosed_expansion

# The commands of https://ipxe.org/cmd (a build may leave some out).
COMMANDS = frozenset((
    'autoboot', 'boot', 'certfree', 'certstat', 'certstore', 'chain', 'choose', 'clear', 'colour',
    'config', 'console', 'cpair', 'cpuid', 'dhcp', 'digest', 'echo', 'exit', 'fcels', 'fcstat',
    'fdt', 'form', 'gdbstub', 'goto', 'help', 'ibstat', 'ifclose', 'ifconf', 'iflinkwait', 'ifopen',
    'ifstat', 'imgargs', 'imgdecrypt', 'imgexec', 'imgextract', 'imgfetch', 'imgfree', 'imgload',
    'imgmem', 'imgselect', 'imgstat', 'imgtrust', 'imgverify', 'inc', 'initrd', 'ipstat', 'iseq',
    'isset', 'item', 'kernel', 'login', 'lotest', 'md4sum', 'md5sum', 'menu', 'module', 'nslookup',
    'nstat', 'ntp', 'param', 'params', 'pciscan', 'ping', 'poweroff', 'present', 'profstat', 'prompt',
    'pxebs', 'read', 'reboot', 'route', 'sanboot', 'sanhook', 'sanunhook', 'set', 'sha1sum',
    'sha224sum', 'sha256sum', 'sha384sum', 'sha512sum', 'shell', 'shim', 'show', 'sleep', 'sync',
    'time', 'usbscan', 'vcreate', 'vdestroy',
))
SEPARATORS = ('||', '&&', ';')
# Options that take a value, per command, so that the positional arguments can be found.
_VALUE_OPTIONS = {
    'item': ('--menu', '-m', '--key', '-k'),
    'choose': ('--menu', '-m', '--default', '-d', '--timeout', '-t'),
}
# Positional argument counts (minimum, maximum) of commands whose count we check.
_ARGUMENTS = {'goto': (1, 1), 'iseq': (2, 2), 'isset': (1, 1), 'choose': (1, 1), 'sleep': (1, 1)}


def _logical_lines(text):
    """Yield (number of the first physical line, line) after joining backslash continuations."""
    pending = None
    start = 1
    for number, line in enumerate(text.split('\n'), 1):
        if pending is None:
            start = number
            pending = ''
        if line.endswith('\r'):
            line = line[:-1]
        if line.endswith('\\'):
            pending += line[:-1]
            continue
        yield start, pending + line
        pending = None
    if pending:
        yield start, pending


def _text_problems(line):
    problems = []
    for char in line:
        if (ord(char) < 32 and char != '\t') or ord(char) == 127:
            problems.append(f'control character {char!r}')
            break
    for quote in ('"', "'"):
        if line.count(quote) % 2:
            problems.append(f'unbalanced {quote} quoting')
    if has_unclosed_expansion(line):
        problems.append('unclosed ${...} expansion')
    return problems


def _positional(command, words):
    """The arguments of a command that are not options (or option values)."""
    takes_value = _VALUE_OPTIONS.get(command, ())
    result = []
    options = {}
    index = 0
    while index < len(words):
        word = words[index]
        if word == '--':
            result += words[index + 1:]
            break
        if word.startswith('-') and len(word) > 1 and not result:
            if word in takes_value and index + 1 < len(words):
                options[word] = words[index + 1]
                index += 2
                continue
            options[word] = True
            index += 1
            continue
        result.append(word)
        index += 1
    return result, options


def _split_commands(words):
    """Split the words of a line into commands at the separators; stop at a comment word."""
    commands = [[]]
    separators = []
    comment = False
    for word in words:
        if word.startswith('#'):
            comment = True
            break
        if word in SEPARATORS:
            separators.append(word)
            commands.append([])
        else:
            commands[-1].append(word)
    return commands, separators, comment


def lint_script(text):
    """Return a list of problems found in the iPXE script ``text`` (empty when it looks right)."""
    if not isinstance(text, str):
        return [f'script must be text, got {type(text).__name__}']
    problems = []
    lines = text.split('\n')
    if lines[0].rstrip('\r') != '#!ipxe':
        problems.append(f'line 1: the first line must be "#!ipxe", got {lines[0]!r}')
    labels = {}
    gotos = []
    items = []
    defaults = []
    for number, line in _logical_lines(text):
        where = f'line {number}'
        problems += [f'{where}: {problem}' for problem in _text_problems(line)]
        words = line.split()
        if not words:
            continue
        if words[0].startswith(':'):
            label = words[0][1:]
            if not label:
                problems.append(f'{where}: a label needs a name after ":"')
            elif label in labels:
                problems.append(f'{where}: label {label!r} is already defined on line {labels[label]}')
            else:
                labels[label] = number
            words = words[1:]
            if not words:
                continue
        if words[0].startswith('#'):
            continue
        commands, separators, comment = _split_commands(words)
        if comment:
            problems.append(f'{where}: a word starting with "#" comments out the rest of the line')
        for position, command in enumerate(commands):
            if not command:
                # "cmd ||" at the end of a line is the usual way to ignore a failure.
                if position == 0:
                    problems.append(f'{where}: line starts with {separators[0]!r} instead of a command')
                elif position < len(commands) - 1:
                    problems.append(f'{where}: no command between {separators[position - 1]!r} and {separators[position]!r}')
                continue
            name, arguments = command[0], command[1:]
            if name not in COMMANDS:
                problems.append(f'{where}: unknown command {name!r}')
                continue
            positional, options = _positional(name, arguments)
            low, high = _ARGUMENTS.get(name, (0, None))
            if len(positional) < low or (high is not None and len(positional) > high):
                expected = str(low) if low == high else f'{low} to {high}'
                problems.append(f'{where}: {name} takes {expected} argument(s), got {len(positional)}: {" ".join(arguments)!r}')
                continue
            if name == 'goto':
                gotos.append((where, positional[0]))
            elif name == 'item' and '--gap' not in options and '-g' not in options:
                if not positional:
                    problems.append(f'{where}: item needs a key (or --gap)')
                else:
                    items.append((where, positional[0]))
            elif name == 'choose':
                default = options.get('--default', options.get('-d'))
                if isinstance(default, str):
                    defaults.append((where, default))
    for where, target in gotos:
        if '${' not in target and target not in labels:
            problems.append(f'{where}: goto {target!r} has no label :{target}')
    keys = {key for _where, key in items}
    for where, key in items:
        if '${' not in key and key not in labels:
            problems.append(f'{where}: item {key!r} has no label :{key} to go to when chosen')
    for where, default in defaults:
        if '${' not in default and default not in keys:
            problems.append(f'{where}: choose --default {default!r} is not the key of an item')
    return problems
