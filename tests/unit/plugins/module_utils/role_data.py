# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles' own data files, for tests that run the code on what the roles ship."""

from __future__ import annotations

import os
import shutil

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
# Debian's nginx binary (nginx -t), unpacked by tests/harness/venv.sh where nginx is not installed.
NGINX = shutil.which('nginx') or os.path.join(ROOT, '.cache', 'tools', 'nginx', 'usr', 'sbin', 'nginx')


def role_vars(role):
    """The variables of ``roles/<role>/vars/main.yml``."""
    with open(os.path.join(ROOT, 'roles', role, 'vars', 'main.yml'), encoding='utf-8') as handle:
        return yaml.safe_load(handle)
