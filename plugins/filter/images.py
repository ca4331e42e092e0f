# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters of the images role (documented in the sidecar files named after each filter)."""

from __future__ import annotations

from ansible_collections.netboot.pxe.plugins.module_utils._boot.images import (
    DEFAULT_MIRROR,
    ImageError,
    check_packages,
    planned_images,
)
from ansible_collections.netboot.pxe.plugins.plugin_utils._filters import filter_errors


@filter_errors('images_check', ImageError)
def images_check(entries, mirror=DEFAULT_MIRROR, agent_packages=None, name='images_entries',
                 agent_packages_name='images_agent_packages'):
    check_packages([] if agent_packages is None else agent_packages, agent_packages_name)
    return planned_images(entries, mirror, name)


class FilterModule:
    def filters(self):
        return {'images_check': images_check}
