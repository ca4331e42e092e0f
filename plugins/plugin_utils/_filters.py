# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the collection's filters share.

Private module: its API may change without notice.
"""

from __future__ import annotations

import functools

from ansible.errors import AnsibleFilterError


def filter_errors(name, *errors):
    """A decorator: the decorated function becomes the filter ``name``, which raises
    AnsibleFilterError("<name>: <message>") for any of ``errors``. The signature and docstring stay."""
    def decorate(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except errors as exc:
                raise AnsibleFilterError(f'{name}: {exc}') from exc
        return wrapper
    return decorate
