# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import inspect

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.netboot.pxe.plugins.plugin_utils._filters import filter_errors


def scale(value, factor=2):
    """Multiply, refusing negatives."""
    if value < 0:
        raise ValueError(f'value must not be negative, got {value!r}')
    return value * factor


SCALE = filter_errors('scale', ValueError)(scale)


def test_the_filter_keeps_signature_and_docstring():
    assert inspect.signature(SCALE) == inspect.signature(scale)
    assert SCALE.__doc__ == scale.__doc__
    assert SCALE(3, factor=3) == 9


def test_the_errors_become_filter_errors_named_after_the_filter():
    with pytest.raises(AnsibleFilterError) as error:
        SCALE(-1)
    assert str(error.value) == 'scale: value must not be negative, got -1'
    assert isinstance(error.value.__cause__, ValueError)


def test_other_errors_pass_unchanged():
    with pytest.raises(TypeError):
        SCALE('a', factor=None)
