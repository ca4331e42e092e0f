# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles' own data files, for tests that run the code on what the roles ship."""

from __future__ import annotations

import os
import shutil
import socket

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
# Debian's nginx binary (nginx -t), unpacked by tests/harness/venv.sh where nginx is not installed.
NGINX = shutil.which('nginx') or os.path.join(ROOT, '.cache', 'tools', 'nginx', 'usr', 'sbin', 'nginx')


def free_port():
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def nginx_command(directory, http):
    """Write ``directory``/nginx.conf around ``http`` (directives of the http block), with every file nginx
    writes under ``directory``; return the command line that runs nginx with it (add -t, or -s stop)."""
    temporary = ''.join(f'{kind}_temp_path {directory}/{kind};\n' for kind in ('client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'))
    with open(os.path.join(directory, 'nginx.conf'), 'w', encoding='utf-8') as handle:
        handle.write(f'user root;\npid {directory}/nginx.pid;\nerror_log stderr;\nevents {{}}\nhttp {{\naccess_log off;\n'
                     f'{temporary}{http}\n}}\n')
    return [NGINX, '-e', 'stderr', '-p', str(directory), '-c', os.path.join(directory, 'nginx.conf')]


def role_vars(role):
    """The variables of ``roles/<role>/vars/main.yml``, or of every file of ``vars/main/`` (as Ansible loads them)."""
    path = os.path.join(ROOT, 'roles', role, 'vars', 'main')
    files = [os.path.join(path, name) for name in sorted(os.listdir(path))] if os.path.isdir(path) else [path + '.yml']
    variables = {}
    for name in files:
        with open(name, encoding='utf-8') as handle:
            variables.update(yaml.safe_load(handle))
    return variables
