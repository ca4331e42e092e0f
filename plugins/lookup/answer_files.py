# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: answer_files
short_description: Render the answer files of many unattended installs in one call
version_added: 0.5.0
author: netboot.pxe developers (@netboot)
description:
  - Renders every answer file of the installs that P(netboot.pxe.ipxe_host_plan#filter) returns, each from
    its template (the role's, or the machine's C(answer_template)), with the install given to the template
    as the variable O(variable).
  - One lookup for any number of machines, in linear time, instead of a task loop whose items each rebuild
    the result.
  - Templates are found as M(ansible.builtin.template) finds them (the role's C(templates/), then the
    playbook's), and rendered with the task's variables.
options:
  _terms:
    description: The C(installs) of P(netboot.pxe.ipxe_host_plan#filter); each has C(answer_files), a list of C(path) and C(template).
    required: true
  variable:
    description: The name under which a template sees its install.
    type: str
    default: __ipxe_install
notes:
  - Answer files can hold password hashes; use the result in a task with C(no_log).
"""

EXAMPLES = r"""
- name: Render the answer files of the unattended installs
  ansible.builtin.set_fact:
    __answer_files: "{{ lookup('netboot.pxe.answer_files', __plan.installs) }}"
  no_log: true
"""

RETURN = r"""
_raw:
  description: One mapping of each answer file's path (under the HTTP root) to its rendered content.
  type: list
  elements: dict
  sample:
    - answers/52-54-00-12-34-56/preseed.cfg: "d-i debian-installer/locale string en_US.UTF-8\n"
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.loader import lookup_loader
from ansible.plugins.lookup import LookupBase
from ansible_collections.netboot.pxe.plugins.module_utils._boot.hosts import IpxeHostsError, answer_file_sources


class _SharedVariables(dict):
    """The task's variables, handed to the template lookup for each file: that lookup deep-copies
    them per file (all host variables, so each file would cost as much as all machines together);
    templates only read them, so a shallow copy is the same to them."""

    def __deepcopy__(self, memo):
        return dict(self)


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        variable = self.get_option('variable')
        try:
            sources = answer_file_sources([install for term in terms for install in (term if isinstance(term, list) else [term])])
        except IpxeHostsError as exc:
            raise AnsibleLookupError(f'answer_files: {exc}') from exc
        template = lookup_loader.get('ansible.builtin.template', loader=self._loader, templar=self._templar)
        shared = _SharedVariables(variables or {})
        rendered = {}
        for path, source, install in sources:
            rendered[path] = template.run([source], shared, template_vars={variable: install})[0]
        return [rendered]
