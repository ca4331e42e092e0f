# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters of the playbook provision.yml (documented in the sidecar files named after each filter)."""

from __future__ import annotations

from ansible_collections.netboot.pxe.plugins.module_utils._bmc.provision import (
    ProvisionError,
    provision_keys,
    provision_plan,
    provision_progress,
    provision_report,
    provision_update,
    provision_wait,
)
from ansible_collections.netboot.pxe.plugins.plugin_utils._filters import filter_errors


class FilterModule:
    def filters(self):
        return {
            'provision_plan': filter_errors('provision_plan', ProvisionError)(provision_plan),
            'provision_update': filter_errors('provision_update', ProvisionError)(provision_update),
            'provision_keys': filter_errors('provision_keys', ProvisionError)(provision_keys),
            'provision_progress': filter_errors('provision_progress', ProvisionError)(provision_progress),
            'provision_report': filter_errors('provision_report', ProvisionError)(provision_report),
            'provision_wait': filter_errors('provision_wait', ProvisionError)(provision_wait),
        }
