#!/usr/bin/python
# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: kea_schema
short_description: Create or upgrade Kea's schema in a PostgreSQL database, with kea-admin
version_added: 0.5.0
description:
  - Asks C(kea-admin db-version pgsql) for the schema version of the database and compares it with
    the version the installed upgrade scripts of Kea reach. An empty database gets the schema with
    C(kea-admin db-init pgsql); an older one is upgraded with C(kea-admin db-upgrade pgsql).
  - A database whose schema is newer than this Kea's (made by a newer Kea) is refused; kea-admin
    cannot downgrade.
  - The password reaches kea-admin in its environment (C(KEA_ADMIN_DB_PASSWORD)), never on a
    command line, and never appears in the module's output.
author: netboot.pxe developers (@netboot)
options:
  host:
    description: Address or name of the PostgreSQL server.
    type: str
    required: true
  port:
    description: Its TCP port.
    type: int
    default: 5432
  name:
    description: The database.
    type: str
    required: true
  user:
    description: The PostgreSQL role Kea logs in as; it owns the schema.
    type: str
    required: true
  password:
    description: That role's password.
    type: str
    required: true
  kea_admin:
    description: The C(kea-admin) program.
    type: path
    default: /usr/sbin/kea-admin
  scripts:
    description: Kea's PostgreSQL scripts, whose C(upgrade_*_to_*.sh) names tell the schema version this Kea needs.
    type: path
    default: /usr/share/kea/scripts/pgsql
extends_documentation_fragment:
  - netboot.pxe.attributes
  - netboot.pxe.attributes.full
attributes:
  check_mode:
    details: The version is read; neither db-init nor db-upgrade runs. Without kea-admin yet, V(init) is predicted.
notes:
  - Needs the C(kea-admin) and C(postgresql-client) packages (kea-admin runs C(psql)).
"""

EXAMPLES = r"""
- name: Give the reservations database Kea's schema
  netboot.pxe.kea_schema:
    host: 10.0.0.5
    name: kea
    user: kea
    password: "{{ vault_kea_database_password }}"
  register: schema

- name: Show what was done
  ansible.builtin.debug:
    msg: "{{ schema.action }}: {{ schema.before }} -> {{ schema.after }}"
"""

RETURN = r"""
action:
  description: V(init), V(upgrade), or V(none) when the schema was current.
  returned: always
  type: str
  sample: init
before:
  description: The schema version before the module ran, V(none) for an empty database (V(unknown) in check mode without kea-admin).
  returned: always
  type: str
  sample: "12.0"
after:
  description: The schema version afterwards (in check mode, the one it would have).
  returned: always
  type: str
  sample: "13.0"
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netboot.pxe.plugins.module_utils._kea.database import schema_action, schema_version, scripts_version


def _text(version):
    return 'none' if version is None else f'{version[0]}.{version[1]}'


def main():
    module = AnsibleModule(
        argument_spec={
            'host': {'type': 'str', 'required': True},
            'port': {'type': 'int', 'default': 5432},
            'name': {'type': 'str', 'required': True},
            'user': {'type': 'str', 'required': True},
            'password': {'type': 'str', 'required': True, 'no_log': True},
            'kea_admin': {'type': 'path', 'default': '/usr/sbin/kea-admin'},
            'scripts': {'type': 'path', 'default': '/usr/share/kea/scripts/pgsql'},
        },
        supports_check_mode=True,
    )
    params = module.params
    where = f'database {params["name"]} on {params["host"]}:{params["port"]}'
    environment = {'KEA_ADMIN_DB_PASSWORD': params['password']}
    connection = ['-h', params['host'], '-P', str(params['port']), '-n', params['name'], '-u', params['user']]

    def kea_admin(command):
        return module.run_command([params['kea_admin'], command, 'pgsql'] + connection, environ_update=environment)

    try:
        expected = scripts_version(os.listdir(params['scripts']))
    except OSError as exc:
        if module.check_mode:
            # kea-admin is not installed yet: a run would install it and then give the schema.
            module.exit_json(changed=True, action='init', before='unknown', after='unknown')
        module.fail_json(msg=f'cannot read Kea\'s scripts in {params["scripts"]}: {exc} (is kea-admin installed?)')
    rc, out, err = kea_admin('db-version')
    current = schema_version(out) if rc == 0 else None
    if rc != 0 and 'schema_version' not in err + out:
        module.fail_json(msg=f'kea-admin db-version cannot read the {where}: {(err or out).strip()[-2000:]}')
    action = schema_action(current, expected)
    if action == 'newer':
        module.fail_json(msg=f'the {where} has schema {_text(current)}, newer than this Kea\'s {_text(expected)}: '
                             'a newer Kea made it; install that Kea here or give this server another database')
    result = {'changed': action is not None, 'action': action or 'none', 'before': _text(current),
              'after': _text(current if action is None else expected)}
    if module._diff:
        result['diff'] = {'before': f'{where}: schema {_text(current)}\n', 'after': f'{where}: schema {result["after"]}\n'}
    if action is None or module.check_mode:
        module.exit_json(**result)
    rc, out, err = kea_admin(f'db-{action}')
    if rc != 0:
        module.fail_json(msg=f'kea-admin db-{action} failed on the {where}: {(err or out).strip()[-2000:]}', **result)
    rc, out, err = kea_admin('db-version')
    result['after'] = _text(schema_version(out) if rc == 0 else None)
    if rc != 0 or (expected is not None and result['after'] != _text(expected)):
        module.fail_json(msg=f'after kea-admin db-{action} the {where} has schema {result["after"]}, '
                             f'not {_text(expected)}: {(err or out).strip()[-2000:]}', **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
