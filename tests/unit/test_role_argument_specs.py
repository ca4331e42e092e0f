# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every role's meta/argument_specs.yml lists exactly its defaults, with the same values, and
its required options, which have no default."""

from __future__ import annotations

import pathlib

import pytest
import yaml

ROLES = sorted(path.name for path in (pathlib.Path(__file__).parents[2] / 'roles').iterdir() if path.is_dir())


def load(role, name):
    path = pathlib.Path(__file__).parents[2] / 'roles' / role / name
    return yaml.safe_load(path.read_text()) or {}


@pytest.mark.parametrize('role', ROLES)
def test_argument_specs_equal_defaults(role):
    defaults = load(role, 'defaults/main.yml')
    options = load(role, 'meta/argument_specs.yml')['argument_specs']['main']['options']
    required = [name for name, spec in options.items() if spec.get('required')]
    assert sorted(set(options) - set(required)) == sorted(defaults)
    for name in required:
        assert 'default' not in options[name], name
    for name, value in defaults.items():
        assert options[name].get('default') == value, name


@pytest.mark.parametrize('role', ROLES)
def test_public_variables_carry_the_role_prefix(role):
    for name in load(role, 'defaults/main.yml'):
        assert name.startswith(role + '_'), name
