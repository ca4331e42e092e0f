"""Write a Sphinx inventory (objects.inv) of the few pages of Ansible's own documentation that the
collection's docs refer to, so that the site builds offline with every reference resolved.

Usage: docsite_inventory.py OUTPUT
"""

import sys
import zlib

# Label, page under https://docs.ansible.com/projects/ansible/devel/, title.
PAGES = (
    ('common_return_values', 'reference_appendices/common_return_values.html', 'Return Values'),
    ('ansible_configuration_settings', 'reference_appendices/config.html', 'Ansible Configuration Settings'),
    ('collections_installing', 'collections_guide/collections_installing.html', 'Installing collections'),
    ('ansible_collections.ansible.builtin.template_module',
     'collections/ansible/builtin/template_module.html', 'ansible.builtin.template module'),
    ('ansible_collections.ansible.builtin.get_url_module',
     'collections/ansible/builtin/get_url_module.html', 'ansible.builtin.get_url module'),
    ('ansible_collections.community.postgresql.postgresql_query_module',
     'collections/community/postgresql/postgresql_query_module.html', 'community.postgresql.postgresql_query module'),
)


def inventory():
    lines = ''.join(f'{label} std:label -1 {page}#{label.replace(".", "-").replace("_", "-")} {title}\n'
                    for label, page, title in PAGES)
    header = ('# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n'
              '# The remainder of this file is compressed using zlib.\n')
    return header.encode() + zlib.compress(lines.encode())


if __name__ == '__main__':
    with open(sys.argv[1], 'wb') as output:
        output.write(inventory())
