# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every role's meta/argument_specs.yml lists exactly its defaults, with the same values, and
its required options, which have no default."""

from __future__ import annotations

import pathlib
import re

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


# Options that hold a password or another secret: by their name, or Kea's database settings,
# which carry the database's password.
SECRET_NAME = re.compile(r'password|secret|token|passphrase|private')
SECRET_SETTINGS = {'kea_dhcp4_lease_database', 'kea_dhcp4_hosts_database'}


def test_options_that_hold_secrets_are_no_log():
    found = {}
    for role in ROLES:
        for name, spec in load(role, 'meta/argument_specs.yml')['argument_specs']['main']['options'].items():
            if SECRET_NAME.search(name) or name in SECRET_SETTINGS:
                found[name] = spec.get('no_log')
    assert found == {'ipxe_answer_password_hash': True, 'kea_database_password': True,
                     'kea_dhcp4_lease_database': True, 'kea_dhcp4_hosts_database': True}


@pytest.mark.parametrize('role', ROLES)
def test_every_entry_point_takes_the_options_of_main_and_has_its_tasks(role):
    specs = load(role, 'meta/argument_specs.yml')['argument_specs']
    # check: the role's input only; plan (ipxe, kea_dhcp4): what it writes, computed before anything changes.
    assert set(specs) - {'main'} <= {'check', 'plan'}
    assert 'check' in specs
    for entry, spec in specs.items():
        assert spec['options'] == specs['main']['options'], entry
        assert (pathlib.Path(__file__).parents[2] / 'roles' / role / 'tasks' / f'{entry}.yml').is_file(), entry
