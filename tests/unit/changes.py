# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build test cases as copies of good input with one value changed."""

from __future__ import annotations

import copy


def changed_copy(data, path, value):
    """A deep copy of ``data`` with the item at ``path`` set to ``value`` (deleted when it is KeyError)."""
    result = copy.deepcopy(data)
    target = result
    for step in path[:-1]:
        target = target[step]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return result
