# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""README's lab commands work from a fresh clone in which the collection was never installed:
playbooks/collections/ resolves netboot.pxe to the clone itself."""

from __future__ import annotations

import importlib.util
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PLAYBOOK = pathlib.Path(sys.executable).parent / 'ansible-playbook'


# README's lab commands rely on the ansible package for these; ansible-core alone lacks them.
NEEDED = ('community.crypto', 'community.general', 'community.postgresql')


def collection_installed(name):
    try:
        return importlib.util.find_spec(f'ansible_collections.{name}') is not None
    except ModuleNotFoundError:
        return False


@pytest.fixture(scope='module')
def clone(tmp_path_factory):
    """The checkout's files as a clone has them (tracked and new, not ignored), links kept as links."""
    # Every test environment (the tools' venv and the core matrix) installs the ansible package, which brings them.
    missing = [name for name in NEEDED if not collection_installed(name)]
    assert not missing, f'the ansible package is not installed (no {", ".join(missing)})'
    if not shutil.which('git'):
        pytest.fail('this test needs git')
    tree = tmp_path_factory.mktemp('clone') / 'pxe'
    names = subprocess.run(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], cwd=ROOT,
                           capture_output=True, check=True).stdout.decode().split('\0')
    for name in filter(None, names):
        source, target = ROOT / name, tree / name
        if not os.path.lexists(source):  # deleted in the working tree
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, target)
    shutil.copy(tree / 'playbooks' / 'lab.ini.example', tree / 'lab.ini')
    return tree


def syntax_check(tree, playbook, home):
    """ansible-playbook --syntax-check as README runs it, with no collection path of the user's."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith('ANSIBLE_') and name != 'HOME'}
    env['HOME'] = str(home)  # no ~/.ansible/collections
    return subprocess.run([str(PLAYBOOK), playbook, '-i', 'lab.ini', '--syntax-check'], cwd=tree, env=env,
                          capture_output=True, text=True, check=False)


@pytest.mark.parametrize('playbook', ['playbooks/site.yml', 'playbooks/report.yml', 'playbooks/provision.yml'])
def test_lab_commands_from_a_fresh_clone(clone, playbook, tmp_path):
    result = syntax_check(clone, playbook, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_without_the_clone_path_the_roles_are_not_found(clone, tmp_path):
    """The check above proves something: nothing else on this machine provides netboot.pxe."""
    bare = tmp_path / 'bare'
    shutil.copytree(clone, bare, symlinks=True)
    shutil.rmtree(bare / 'playbooks' / 'collections')
    result = syntax_check(bare, 'playbooks/site.yml', tmp_path)
    assert result.returncode != 0
    assert 'netboot.pxe.' in result.stdout + result.stderr
