# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""No document names a netboot.pxe.<name> that the collection does not have (a removed or
renamed plugin, documentation fragment, role or playbook)."""

from __future__ import annotations

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
NAME = re.compile(r'netboot\.pxe\.([A-Za-z0-9_]+)')


def collection_names():
    names = {path.stem for pattern in ('plugins/modules/*.py', 'plugins/lookup/*.py', 'plugins/inventory/*.py', 'plugins/filter/*.yml',
                                       'plugins/doc_fragments/*.py', 'playbooks/*.yml') for path in ROOT.glob(pattern)}
    names |= {path.name for path in (ROOT / 'roles').iterdir() if path.is_dir()}
    return names | {'plugins'}  # Python imports: ansible_collections.netboot.pxe.plugins...


def documents():
    patterns = ('*.md', 'docs/*.md', 'roles/*/README.md', 'docs/**/*.rst', 'docs/**/*.yml', 'plugins/**/*.yml',
                'plugins/**/*.py', 'roles/*/meta/argument_specs.yml')
    # The changelog may name what a release removed.
    return sorted({path for pattern in patterns for path in ROOT.glob(pattern)
                   if path.is_file() and path.name != 'CHANGELOG.md'})


@pytest.mark.parametrize('document', documents(), ids=lambda path: str(path.relative_to(ROOT)))
def test_names_exist(document):
    unknown = sorted(set(NAME.findall(document.read_text())) - collection_names())
    assert not unknown, f'{document.relative_to(ROOT)} names netboot.pxe.{", netboot.pxe.".join(unknown)}'
