# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Whole-string checks for the roles' check tasks, and how a socket is written (documented in the sidecar
files named after each filter)."""

from __future__ import annotations

from ansible_collections.netboot.pxe.plugins.module_utils._validate import host_port, is_ipv4, single_line, valid, whole_match


def _whole_match(value, pattern):
    return whole_match(pattern, value)


class FilterModule:
    def filters(self):
        return {
            'valid': valid,
            # Deprecated (meta/runtime.yml): valid with a named pattern replaces them.
            'whole_match': _whole_match,
            'single_line': single_line,
            'ipv4': is_ipv4,
            'host_port': host_port,
        }
