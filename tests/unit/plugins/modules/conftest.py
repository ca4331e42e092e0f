# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible.module_utils.basic import AnsibleModule


@pytest.fixture
def module_warnings(monkeypatch):
    """The warnings modules give. Not read from the result: once a test has loaded controller code,
    Ansible shows warnings on its display instead of returning them."""
    warned = []
    monkeypatch.setattr(AnsibleModule, 'warn', lambda self, warning: warned.append(warning))
    return warned
