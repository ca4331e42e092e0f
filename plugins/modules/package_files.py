#!/usr/bin/python
# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: package_files
short_description: Files unpacked from Debian packages, without installing the packages
version_added: 0.5.0
author: netboot.pxe developers (@netboot)
description:
  - Puts files out of Debian packages into directories, without installing the packages (for
    example Debian's signed shim, whose package scripts would change this host's own boot loader).
  - For each package, the version apt offers is downloaded with C(apt-get download) (which checks
    it against the signed package lists) and the file unpacked into O(cache), once per version.
  - Each file is then copied into every directory of O(dest), atomically (a private temporary file
    in the same directory gets the content, owner root, group root and mode 0644, then the name),
    when its content or attributes differ. A symbolic link there is replaced, never written through.
  - With O(suite), apt reads private package lists of that release of O(mirror) under O(apt_dir),
    updated on every run (not in check mode; an update alone is no change); the host's own package
    sources stay as they are. Without it, the host's own lists give the versions.
  - The private source is signed by the keys of O(keyring) only (C(signed-by)), not by any key the
    host trusts for its own sources.
  - In check mode nothing is downloaded or written; a version not unpacked yet, or private lists
    not made yet, count as changes.
options:
  files:
    description: The files to unpack.
    type: list
    elements: dict
    required: true
    suboptions:
      package:
        description: The Debian package.
        type: str
        required: true
      path:
        description: The file's path in the package, without the leading C(/).
        type: str
        required: true
      name:
        description: The file's name in each directory of O(dest).
        type: str
        required: true
  dest:
    description: Directories that get every file; they must exist (in check mode they may be made by an earlier task).
    type: list
    elements: path
    required: true
  cache:
    description: Where the unpacked files are kept, as C(<package>/<version>/<name>).
    type: path
    default: /var/cache/netboot-pxe/signed
  suite:
    description: A release whose package lists apt reads privately (for example C(trixie) on a Debian 12 host); empty for the host's own lists.
    type: str
    default: ""
  mirror:
    description: The Debian mirror of O(suite), http or https (apt checks the packages against the signed lists either way).
    type: str
    default: https://deb.debian.org/debian
  keyring:
    description:
      - The keyring whose keys alone may sign the release of O(suite) (the C(signed-by) of the private source).
      - An absolute path; it must exist (package C(debian-archive-keyring) for the default). Not used without O(suite).
    type: path
    default: /usr/share/keyrings/debian-archive-keyring.gpg
  apt_dir:
    description: The private package lists and downloads of O(suite).
    type: path
    default: /var/cache/netboot-pxe/apt
notes:
  - apt checks each package against the release's signed lists, with the host's own trusted keys for
    the host's own sources, with O(keyring) only for the private lists of O(suite).
extends_documentation_fragment:
  - netboot.pxe.attributes
  - netboot.pxe.attributes.full
attributes:
  diff_mode:
    details: By name and package version (the files are binaries).
  platform:
    platforms: debian
"""

EXAMPLES = r"""
- name: Stage Debian's signed shim and network GRUB for TFTP and UEFI HTTP boot
  netboot.pxe.package_files:
    files:
      - {package: shim-signed, path: usr/lib/shim/shimx64.efi.signed, name: shimx64.efi}
      - {package: grub-efi-amd64-signed, path: usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed, name: grubx64.efi}
    dest: [/srv/tftp, /srv/netboot/ipxe]

- name: The same from Debian 13 on a Debian 12 host (its own sources stay Debian 12's)
  netboot.pxe.package_files:
    files:
      - {package: shim-signed, path: usr/lib/shim/shimx64.efi.signed, name: shimx64.efi}
    dest: [/srv/tftp]
    suite: trixie
"""

RETURN = r"""
versions:
  description: The version of each package the files come from (in check mode, those apt could tell).
  returned: always
  type: dict
  sample: {shim-signed: 1.47+15.8-1, grub-efi-amd64-signed: 1+2.12+9}
unpacked:
  description: Files unpacked into O(cache) by this run.
  returned: always
  type: list
  elements: str
  sample: [/var/cache/netboot-pxe/signed/shim-signed/1.47+15.8-1/shimx64.efi]
copied:
  description: Files of O(dest) written (new, another content or other attributes).
  returned: always
  type: list
  elements: str
  sample: [/srv/tftp/shimx64.efi]
"""

import glob
import os
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netboot.pxe.plugins.module_utils._files.atomic import read_nofollow, write_file
from ansible_collections.netboot.pxe.plugins.module_utils._files.packages import (
    APT_DIRECTORIES,
    PackageFilesError,
    apt_options,
    candidate_version,
    check_files,
    check_source,
    member,
    sources_list,
)
from ansible_collections.netboot.pxe.plugins.module_utils._validate import ABSOLUTE_PATH

MODE = 0o644
SANDBOX = ['-o', 'APT::Sandbox::User=root']


def _read(path):
    """(content, mode, uid, gid) of the regular file at ``path`` (a link is not followed), else None."""
    found = read_nofollow(path)
    return None if found is None else (found[0], stat.S_IMODE(found[1].st_mode), found[1].st_uid, found[1].st_gid)


class Apt:
    """apt-get and apt-cache with the private lists, or the host's own."""

    def __init__(self, module):
        self.module = module
        self.options = apt_options(module.params['apt_dir'], module.params['suite'])

    def run(self, argv, cwd=None, binary=False):
        rc, out, err = self.module.run_command(argv, cwd=cwd, encoding=None if binary else 'utf-8',
                                               environ_update={'LC_ALL': 'C'})
        if rc != 0:
            text = err.decode(errors='replace') if isinstance(err, bytes) else err
            raise PackageFilesError(f'{" ".join(argv[:1] + argv[-2:])} failed: {text.strip()[-2000:]}')
        return out

    def update(self):
        """Fetch the private lists; apt only warns about a list it could not fetch: that fails here."""
        argv = ['apt-get'] + self.options + SANDBOX + ['-q', 'update']
        rc, out, err = self.module.run_command(argv, environ_update={'LC_ALL': 'C'})
        failed = [line.strip() for line in (out + err).splitlines() if line.startswith(('Err:', 'W: Failed to fetch', 'E:'))]
        if rc != 0 or failed:
            raise PackageFilesError(f'apt-get update of the private lists from {self.module.params["mirror"]} failed: '
                                    + ('; '.join(failed) or err.strip())[-2000:])

    def version(self, package):
        return candidate_version(self.run(['apt-cache'] + self.options + ['show', '--no-all-versions', package]), package)

    def unpack(self, package, version, path):
        """The content of ``path`` in ``package`` ``version``, downloaded into a private directory."""
        with tempfile.TemporaryDirectory(prefix='package-files-') as work:
            self.run(['apt-get'] + self.options + SANDBOX + ['-q', 'download', f'{package}={version}'], cwd=work)
            debs = glob.glob(os.path.join(work, '*.deb'))
            if len(debs) != 1:
                raise PackageFilesError(f'apt-get download of {package}={version} gave {len(debs)} packages')
            return member(self.run(['dpkg-deb', '--fsys-tarfile', debs[0]], binary=True), path)


def _private_lists(module, result):
    """Make the private lists' directories and sources.list; update the lists (not in check mode)."""
    apt_dir, changed = module.params['apt_dir'], False
    for relative, mode in APT_DIRECTORIES:
        path = os.path.join(apt_dir, relative) if relative else apt_dir
        if os.path.islink(path) or (os.path.lexists(path) and not os.path.isdir(path)):
            raise PackageFilesError(f'{path} must be a directory')
        info = os.stat(path) if os.path.isdir(path) else None
        if info is None or (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) != (mode, 0, 0):
            changed = True
            if not module.check_mode:
                os.makedirs(path, mode=mode, exist_ok=True)
                os.chown(path, 0, 0)
                os.chmod(path, mode)
    wanted = sources_list(module.params['mirror'], module.params['suite'], module.params['keyring']).encode()
    found = _read(os.path.join(apt_dir, 'sources.list'))
    if found is None or found != (wanted, MODE, 0, 0):
        changed = True
        result['diff'].append({'before_header': f'{apt_dir}/sources.list', 'after_header': f'{apt_dir}/sources.list',
                               'before': found[0].decode(errors='replace') if found else '', 'after': wanted.decode()})
        if not module.check_mode:
            write_file(os.path.join(apt_dir, 'sources.list'), wanted, MODE, 0, 0)
    if not module.check_mode:
        Apt(module).update()
    return changed


def main():
    module = AnsibleModule(
        argument_spec={
            'files': {'type': 'list', 'elements': 'dict', 'required': True,
                      'options': {'package': {'type': 'str', 'required': True}, 'path': {'type': 'str', 'required': True},
                                  'name': {'type': 'str', 'required': True}}},
            'dest': {'type': 'list', 'elements': 'path', 'required': True},
            'cache': {'type': 'path', 'default': '/var/cache/netboot-pxe/signed'},
            'suite': {'type': 'str', 'default': ''},
            'mirror': {'type': 'str', 'default': 'https://deb.debian.org/debian'},
            'keyring': {'type': 'path', 'default': '/usr/share/keyrings/debian-archive-keyring.gpg'},
            'apt_dir': {'type': 'path', 'default': '/var/cache/netboot-pxe/apt'},
        },
        supports_check_mode=True,
    )
    params = module.params
    problems = check_files(params['files']) + check_source(params['mirror'], params['suite'], params['keyring'])
    problems += [f'{key} must be an absolute path of plain names, got {params[key]!r}' for key in ('cache', 'apt_dir')
                 if not ABSOLUTE_PATH.fullmatch(params[key])]
    problems += [f'dest[{index}] must be an absolute path of plain names, got {path!r}'
                 for index, path in enumerate(params['dest']) if not ABSOLUTE_PATH.fullmatch(path)]
    if not problems and params['suite'] and not os.path.isfile(params['keyring']):
        missing = (f"keyring {params['keyring']} must be an existing keyring file (the default is package "
                   f"debian-archive-keyring's)")
        # In check mode the package that brings it may be installed by an earlier task.
        if not module.check_mode:
            problems.append(missing)
        else:
            module.warn(missing)
    if problems:
        module.fail_json(msg='; '.join(problems))
    result = {'changed': False, 'versions': {}, 'unpacked': [], 'copied': [], 'diff': []}
    apt = Apt(module)
    try:
        if params['suite']:
            result['changed'] = _private_lists(module, result)
        for entry in params['files']:
            package, name = entry['package'], entry['name']
            try:
                version = result['versions'].get(package) or apt.version(package)
            except PackageFilesError:
                if not module.check_mode:
                    raise
                # On a fresh host the private lists are not there yet.
                module.warn(f'apt cannot tell the version of {package} yet: in check mode its files count as new')
                result['changed'] = True
                continue
            result['versions'][package] = version
            cached = os.path.join(params['cache'], package, version, name)
            found = _read(cached)
            content = found[0] if found else None
            if content is None:
                result['changed'] = True
                result['unpacked'].append(cached)
                if not module.check_mode:
                    content = apt.unpack(package, version, entry['path'])
                    os.makedirs(os.path.dirname(cached), mode=0o755, exist_ok=True)
                    write_file(cached, content, MODE, 0, 0)
            for directory in params['dest']:
                target = os.path.join(directory, name)
                if not os.path.isdir(directory) and not (module.check_mode and not os.path.lexists(directory)):
                    raise PackageFilesError(f'dest {directory} must be an existing directory')
                present = _read(target)
                if content is not None and present == (content, MODE, 0, 0):
                    continue
                result['changed'] = True
                result['copied'].append(target)
                result['diff'].append({'before_header': target, 'after_header': target,
                                       'before': '(absent)\n' if present is None else '(another file)\n',
                                       'after': f'{name} of {package} {version}\n'})
                if not module.check_mode:
                    write_file(target, content, MODE, 0, 0)
    except (PackageFilesError, OSError) as exc:
        module.fail_json(msg=str(exc), **result)
    if not module._diff:
        result.pop('diff')
    module.exit_json(**result)


if __name__ == '__main__':
    main()
