# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Every result a filter's EXAMPLES state is what the filter gives.

The convention (CONTRIBUTING.md): in plugins/filter/<name>.yml, a stated result is a comment
block of a Jinja expression with literal inputs after ">>> " (without the braces, which would
break the highlighting of the example), then its result after "=> ", or "raises: " and text of
its error:

    # >>> ['snponly.efi', 'ipxe.efi'] | netboot.pxe.pxe_boot_files
    # => {efi-x64: snponly.efi, http-x64: ipxe.efi}

    # >>> {'netboot_interface': 'eth9'} | netboot.pxe.netboot_plan({'interfaces': ['lo']})
    # raises: netboot_interface 'eth9' does not exist

The expression may continue on the comment lines up to the result and may use the ``vars`` of
the example's task; the result is YAML (flow style) and may continue on comment lines indented
further. Any other comment that states a result (``==``, ``gives``, ``fails``) is refused, so
that every stated result is checked.
"""

from __future__ import annotations

import importlib
import pathlib
import re

import pytest
import yaml
from jinja2.nativetypes import NativeEnvironment

from ansible.errors import AnsibleFilterError
from ansible.plugins.filter.core import FilterModule as CoreFilters
FILTERS = pathlib.Path(__file__).parents[4] / 'plugins' / 'filter'
FILTER_DOCS = sorted(FILTERS.glob('*.yml'))
# A comment that claims a result outside the convention.
UNCHECKED_CLAIM = re.compile(r'==|\bgives\b|^fails\b|^returns\b')


def environment():
    env = NativeEnvironment()
    # Ansible's own filters (from_json, combine, ...) where Jinja has none of that name.
    for name, function in CoreFilters().filters().items():
        env.filters.setdefault(name, function)
        env.filters[f'ansible.builtin.{name}'] = function
    for source in sorted(FILTERS.glob('*.py')):
        module = importlib.import_module(f'ansible_collections.netboot.pxe.plugins.filter.{source.stem}')
        for name, function in module.FilterModule().filters().items():
            env.filters[f'netboot.pxe.{name}'] = function
    return env


def task_chunks(examples):
    """EXAMPLES split at each top-level task: (its text, its vars). Comments above the first task
    belong to it."""
    chunks, current = [], []
    for line in examples.splitlines():
        if line.startswith('- ') and any(not text.startswith('#') and text.strip() for text in current):
            chunks.append(current)
            current = []
        current.append(line)
    chunks.append(current)
    result = []
    for chunk in chunks:
        tasks = yaml.safe_load('\n'.join(chunk)) or []
        variables = {}
        for task in tasks if isinstance(tasks, list) else []:
            variables.update(task.get('vars') or {})
        result.append(('\n'.join(chunk), variables))
    return result


def stated_results(text):
    """(expression, expected YAML text or None, error text or None) for each stated result."""
    comments = [line.strip()[1:] for line in text.splitlines() if line.strip().startswith('#')]
    results, index = [], 0
    while index < len(comments):
        line = comments[index].strip()
        if not line.startswith('>>> '):
            index += 1
            continue
        expression = [line[4:]]
        index += 1
        while index < len(comments) and not comments[index].strip().startswith(('=> ', 'raises: ', '>>> ')):
            expression.append(comments[index].strip())
            index += 1
        claim = comments[index].strip() if index < len(comments) else ''
        if not claim.startswith(('=> ', 'raises: ')):
            raise AssertionError(f'>>> {" ".join(expression)} is not followed by "# => " or "# raises: "')
        value = [claim.split(' ', 1)[1]]
        index += 1
        while index < len(comments) and comments[index].startswith('   '):
            value.append(comments[index])
            index += 1
        joined = '\n'.join(value)
        template = '{{ ' + ' '.join(expression) + ' }}'
        if claim.startswith('=> '):
            results.append((template, joined, None))
        else:
            results.append((template, None, ' '.join(joined.split())))
    return results


def cases():
    for doc in FILTER_DOCS:
        examples = yaml.safe_load(doc.read_text()).get('EXAMPLES') or ''
        for text, variables in task_chunks(examples):
            for number, (expression, expected, error) in enumerate(stated_results(text)):
                yield pytest.param(expression, expected, error, variables, id=f'{doc.stem}-{number}')


@pytest.mark.parametrize('expression, expected, error, variables', list(cases()))
def test_stated_result(expression, expected, error, variables):
    template = environment().from_string(expression)
    if error is None:
        assert template.render(**variables) == yaml.safe_load(expected)
    else:
        with pytest.raises(AnsibleFilterError) as raised:
            template.render(**variables)
        assert error in ' '.join(str(raised.value).split())


@pytest.mark.parametrize('doc', FILTER_DOCS, ids=lambda doc: doc.stem)
def test_no_unchecked_claims(doc):
    examples = yaml.safe_load(doc.read_text()).get('EXAMPLES') or ''
    claims = [line.strip() for line in examples.splitlines()
              if line.strip().startswith('#') and UNCHECKED_CLAIM.search(line.strip()[1:].strip())]
    assert not claims, f'{doc.name}: state results as "# >>> expression" then "# => result" (checked), not: {claims}'


def test_the_convention_is_used():
    assert len(list(cases())) >= 10
