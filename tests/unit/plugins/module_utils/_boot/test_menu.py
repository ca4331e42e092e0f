# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._boot.menu import check_text


@pytest.mark.parametrize('value', ['plain', 'console=ttyS0,115200n8', 'a="b c"', "x='y'", '${net0/mac}', '', 'ü'])
def test_safe_text_passes(value):
    assert check_text('x', value) == value


@pytest.mark.parametrize('value', ['a;b', 'ds=nocloud-net;s=http://x/', 'a||b', 'x#y', 'a&&b'])
def test_separators_inside_words_pass(value):
    assert check_text('x', value) == value
