#!/usr/bin/python
# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: agent_image
short_description: Build the netboot.pxe agent's boot image (kernel and initramfs) and publish it
version_added: 0.5.0
author: netboot.pxe developers (@netboot)
description:
  - Builds the boot image of the netboot.pxe agent, which provisions a machine from an OS image, and puts
    C(vmlinuz), C(initrd.img) and C(agent.json) into O(dest) (the HTTP root's C(agent/)).
  - The kernel is Debian's signed kernel (package C(linux-image-amd64) of O(suite)). The initramfs is a minimal
    Debian system made with C(mmdebstrap) - Python, util-linux, fdisk, e2fsprogs, dosfstools, the compressors,
    iproute2, busybox, kmod, tar and O(packages) - with the kernel's network, storage and file-system modules,
    and the agent's three O(files); what the agent never runs (perl, apt, dpkg, locales, much of Python's library)
    is removed, and the rest packed into a cpio archive compressed with zstd.
  - Both files are built in O(cache_dir) and take their names in O(dest) by a rename; C(agent.json) (the version,
    the kernel's version and the sizes) is written last.
  - Idempotent by its inputs. The version is a digest of O(suite), O(mirror), O(packages) and the content of
    O(files); a manifest in O(cache_dir) records the version published. Changing the agent's files builds it
    again; the same inputs build nothing (package versions are not resolved again). To rebuild with newer
    packages, remove C(<cache_dir>/agent.json).
  - Files are world-readable (mode 0644, directories 0755). Other files in O(dest) are removed.
options:
  dest:
    description: The directory the boot image is published in, for example V(/srv/netboot/agent); made when missing.
    type: path
    required: true
  suite:
    description: The Debian release the kernel and the initramfs come from.
    type: str
    choices: [trixie, bookworm]
    default: trixie
  mirror:
    description: The Debian mirror, an http(s) URL.
    type: str
    default: https://deb.debian.org/debian
  keyring:
    description: The keyring that signs the release of O(mirror) (C(mmdebstrap --keyring)).
    type: path
    default: /usr/share/keyrings/debian-archive-keyring.gpg
  packages:
    description: Further Debian packages in the initramfs.
    type: list
    elements: str
    default: []
  files:
    description:
      - The agent's files, one each of C(netboot-agent.py) (the agent), C(agent-init) (the initramfs's C(/init))
        and C(udhcpc.script) (busybox udhcpc's hook), by those names, as the role P(netboot.pxe.images#role) ships them.
    type: list
    elements: path
    required: true
  cache_dir:
    description: Private directory (mode 0700) for the build and the manifest.
    type: path
    default: /var/cache/netboot-pxe/agent
notes:
  - Runs as root with C(mmdebstrap) (package mmdebstrap), C(dpkg-deb) and C(zstd); a build takes about half a
    minute and some hundred megabytes in O(cache_dir).
  - The boot image is about 55 MB (kernel 12 MB, initramfs 41 MB for trixie); RV(sizes) gives both.
extends_documentation_fragment:
  - netboot.pxe.attributes
  - netboot.pxe.attributes.full
attributes:
  check_mode:
    details: Compares the manifest, the files' digests and the published files; nothing is built or written.
  diff_mode:
    details: By version (the files are binaries).
  platform:
    platforms: debian
"""

EXAMPLES = r"""
- name: The agent's boot image, from Debian 13
  netboot.pxe.agent_image:
    dest: /srv/netboot/agent
    files:
      - "{{ role_path }}/files/netboot-agent.py"
      - "{{ role_path }}/files/agent-init"
      - "{{ role_path }}/files/udhcpc.script"
"""

RETURN = r"""
version:
  description: The agent's version, a digest of its inputs.
  returned: always
  type: str
  sample: 3f5a0c1e9b7d4e2a8c6b0f1d3e5a7c9b2d4f6e8a0c2b4d6f8e0a2c4b6d8f0e2a
kernel_version:
  description: The kernel's version (empty in check mode before a build).
  returned: always
  type: str
  sample: 6.12.117+deb13-amd64
sizes:
  description: The sizes of C(vmlinuz) and C(initrd.img) and their total, in bytes (empty in check mode before a build).
  returned: always
  type: dict
  sample: {"vmlinuz": 12171200, "initrd.img": 40886439, "total": 53057639}
built:
  description: Whether this run built the boot image.
  returned: always
  type: bool
  sample: true
seconds:
  description: How long the build took.
  returned: always
  type: float
  sample: 31.2
"""

import glob
import os
import shutil
import stat
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netboot.pxe.plugins.module_utils._boot.images import ImageError, check_packages
from ansible_collections.netboot.pxe.plugins.module_utils._files import imagebuild
from ansible_collections.netboot.pxe.plugins.module_utils._files.atomic import write_file
from ansible_collections.netboot.pxe.plugins.module_utils._files.checksums import BootAssetError, file_digest
from ansible_collections.netboot.pxe.plugins.module_utils._files.fetch import install_file
from ansible_collections.netboot.pxe.plugins.module_utils._files.steps import (
    Runner,
    StepError,
    directory,
    discard,
    fresh_directory,
    json_bytes,
    published,
    read_json,
    remove,
    write_json,
)
from ansible_collections.netboot.pxe.plugins.module_utils._validate import ABSOLUTE_PATH, FILE_PATH, MIRROR_URL

KERNEL = 'vmlinuz'
INITRD = 'initrd.img'
DESCRIPTION = 'agent.json'
CHUNK = 1024 * 1024


def agent_inputs(params, digests):
    return {'recipe': imagebuild.agent_recipe(), 'suite': params['suite'], 'mirror': params['mirror'],
            'packages': sorted(set(params['packages'])), 'files': digests}


def file_problems(files, missing_ok=False):
    """Problems of ``files``: exactly one readable file of each name of imagebuild.AGENT_FILES (with
    ``missing_ok``, a file may be missing)."""
    names = [os.path.basename(path) for path in files]
    problems = [f'files must hold one file named {name}, got {files!r}' for name in imagebuild.AGENT_FILES
                if names.count(name) != 1]
    problems += [f'files: {path} is not one of the agent\'s files ({", ".join(imagebuild.AGENT_FILES)})'
                 for path in files if os.path.basename(path) not in imagebuild.AGENT_FILES]
    problems += [f'files: {path} is not a readable file' for path in files
                 if os.path.basename(path) in imagebuild.AGENT_FILES and not (missing_ok and not os.path.lexists(path))
                 and not (os.path.isfile(path) and os.access(path, os.R_OK))]
    return problems


def write_newc(root, out):
    """Pack the tree ``root`` into ``out`` as a cpio newc archive: parents before children, in name
    order, everything owned by root; links as links, hard links as separate files."""
    inode = 0
    for parent, directories, files in os.walk(root):
        directories.sort()
        for name in sorted(directories + files):
            path = os.path.join(parent, name)
            info = os.lstat(path)
            inode += 1
            member = os.path.relpath(path, root)
            if stat.S_ISREG(info.st_mode):
                out.write(imagebuild.newc_header(member, info.st_mode, info.st_size, inode, info.st_mtime))
                written = 0
                with open(path, 'rb') as handle:
                    while written < info.st_size:
                        chunk = handle.read(min(CHUNK, info.st_size - written))
                        if not chunk:
                            break
                        out.write(chunk)
                        written += len(chunk)
                if written != info.st_size:
                    raise StepError('initramfs', f'{path} changed while it was packed')
                out.write(imagebuild.newc_padding(info.st_size))
            elif stat.S_ISLNK(info.st_mode):
                target = os.fsencode(os.readlink(path))
                out.write(imagebuild.newc_header(member, info.st_mode, len(target), inode, info.st_mtime))
                out.write(target + imagebuild.newc_padding(len(target)))
            else:
                device = stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
                rdev = (os.major(info.st_rdev), os.minor(info.st_rdev)) if device else (0, 0)
                out.write(imagebuild.newc_header(member, info.st_mode, 0, inode, info.st_mtime, rdev))
    out.write(imagebuild.newc_trailer())


def _remove_glob(root, pattern):
    for path in glob.glob(os.path.join(root, pattern)):
        remove(path)


def trim(root):
    """Remove what the agent never runs or reads (imagebuild.trim_globs) and Python's compiled caches."""
    python_dirs = [os.path.relpath(path, root) for path in glob.glob(os.path.join(root, 'usr/lib/python3.*'))
                   if os.path.isdir(path) and not os.path.islink(path)]
    for pattern in imagebuild.trim_globs(python_dirs):
        _remove_glob(root, pattern)
    for directory_path in python_dirs + ['usr/lib/python3']:
        for cache in glob.glob(os.path.join(root, directory_path, '**', '__pycache__'), recursive=True):
            remove(cache)


def add_modules(kernel_root, root, kernel_version):
    """Copy the kernel modules the agent loads from the unpacked kernel package into the root."""
    source = os.path.join(kernel_root, 'usr/lib/modules', kernel_version)
    target = os.path.join(root, 'usr/lib/modules', kernel_version)
    for relative in imagebuild.AGENT_MODULES:
        path = os.path.join(source, relative)
        if not os.path.lexists(path):
            continue
        os.makedirs(os.path.dirname(os.path.join(target, relative)), exist_ok=True)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.copytree(path, os.path.join(target, relative), symlinks=True)
        else:
            shutil.copy2(path, os.path.join(target, relative), follow_symlinks=False)
    for pattern in imagebuild.AGENT_MODULES_SKIPPED:
        _remove_glob(target, pattern)
    for name in imagebuild.AGENT_MODULE_FILES:
        if os.path.isfile(os.path.join(source, name)):
            shutil.copy2(os.path.join(source, name), os.path.join(target, name))


def install_agent_files(root, files):
    for path in files:
        relative, mode = imagebuild.AGENT_FILES[os.path.basename(path)]
        target = os.path.join(root, relative)
        os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
        with open(path, 'rb') as handle:
            write_file(target, handle.read(), mode)


def build(runner, work, params):
    """Build the kernel and the initramfs in ``work``; (kernel path, initrd path, kernel version)."""
    root, debs, kernel_root = (os.path.join(work, name) for name in ('root', 'debs', 'kernel'))
    os.makedirs(debs)
    runner.run('mmdebstrap', imagebuild.mmdebstrap_agent(params['suite'], params['mirror'], root, debs, params['packages'],
                                                         params['keyring']), env={'TMPDIR': work})
    kernels = sorted(path for path in glob.glob(os.path.join(debs, '**', '*.deb'), recursive=True)
                     if imagebuild.is_kernel_package(os.path.basename(path)))
    if len(kernels) != 1:
        raise StepError('kernel package', f'expected one linux-image-<version> package from linux-image-amd64, got '
                                          f'{[os.path.basename(path) for path in kernels]}')
    runner.run('kernel package', ['dpkg-deb', '-x', kernels[0], kernel_root])
    modules = os.path.join(kernel_root, 'usr/lib/modules')
    versions = sorted(os.listdir(modules)) if os.path.isdir(modules) else []
    if len(versions) != 1 or not os.path.isfile(os.path.join(kernel_root, 'boot', f'vmlinuz-{versions[0]}')):
        raise StepError('kernel package', f'{os.path.basename(kernels[0])} holds no single kernel and modules')
    kernel_version = versions[0]
    trim(root)
    remove(os.path.join(root, 'usr/lib/modules'))
    add_modules(kernel_root, root, kernel_version)
    runner.run('depmod', ['chroot', root, 'depmod', kernel_version])
    install_agent_files(root, params['files'])
    kernel = os.path.join(kernel_root, 'boot', f'vmlinuz-{kernel_version}')
    initrd = os.path.join(work, INITRD)
    archive = os.path.join(work, 'initrd.cpio')
    with open(archive, 'wb') as out:
        write_newc(root, out)
    remove(root)
    runner.run('initramfs', imagebuild.INITRD_ZSTD + [initrd, archive])
    os.unlink(archive)
    return kernel, initrd, kernel_version


def published_state(dest, manifest, version):
    """current, untidy (other files or modes differ) or stale, as os_image tells them."""
    if not isinstance(manifest, dict) or manifest.get('version') != version or not isinstance(manifest.get('agent'), dict):
        return 'stale'
    description = manifest['agent']
    if read_json(os.path.join(dest, DESCRIPTION)) != description:
        return 'stale'
    sizes = description.get('sizes') or {}
    for name in (KERNEL, INITRD):
        path = os.path.join(dest, name)
        if os.path.islink(path) or not os.path.isfile(path) or os.path.getsize(path) != sizes.get(name):
            return 'stale'
    extra, wrong, wrong_directory = published(dest, {KERNEL: sizes[KERNEL], INITRD: sizes[INITRD], DESCRIPTION: None})
    return 'untidy' if extra or wrong or wrong_directory else 'current'


def tidy(dest):
    for name in os.listdir(dest):
        if name not in (KERNEL, INITRD, DESCRIPTION):
            remove(os.path.join(dest, name))
    for name in (KERNEL, INITRD, DESCRIPTION):
        os.chmod(os.path.join(dest, name), 0o644)
    directory(dest)


def publish(dest, kernel, initrd, description):
    """The kernel and the initramfs take their names, then agent.json (the old one removed first)."""
    directory(dest)
    remove(os.path.join(dest, DESCRIPTION))
    for source, name in ((kernel, KERNEL), (initrd, INITRD)):
        install_file(source, os.path.join(dest, name), 'sha256', file_digest(source, 'sha256'),
                     lambda path: os.chmod(path, 0o644))
    write_file(os.path.join(dest, DESCRIPTION), json_bytes(description), 0o644)
    tidy(dest)


def sizes_of(description):
    sizes = dict(description.get('sizes') or {})
    if sizes:
        sizes['total'] = sum(sizes.values())
    return sizes


def main():
    module = AnsibleModule(
        argument_spec={
            'dest': {'type': 'path', 'required': True},
            'suite': {'type': 'str', 'choices': ['trixie', 'bookworm'], 'default': 'trixie'},
            'mirror': {'type': 'str', 'default': 'https://deb.debian.org/debian'},
            'keyring': {'type': 'path', 'default': '/usr/share/keyrings/debian-archive-keyring.gpg'},
            'packages': {'type': 'list', 'elements': 'str', 'default': []},
            'files': {'type': 'list', 'elements': 'path', 'required': True},
            'cache_dir': {'type': 'path', 'default': '/var/cache/netboot-pxe/agent'},
        },
        supports_check_mode=True,
    )
    params = module.params
    dest, cache_dir = params['dest'], params['cache_dir']
    result = {'changed': False, 'built': False, 'seconds': 0.0, 'version': '', 'kernel_version': '', 'sizes': {}}
    problems = [f'{key} must be an absolute path of names of letters, digits and ._+-, got {params[key]!r}'
                for key in ('dest', 'cache_dir') if not ABSOLUTE_PATH.fullmatch(params[key])]
    if not FILE_PATH.fullmatch(params['keyring']):
        problems.append(f'keyring must be the absolute path of a keyring file, got {params["keyring"]!r}')
    if not MIRROR_URL.fullmatch(params['mirror']):
        problems.append(f'mirror must be the http(s) URL of a Debian mirror, got {params["mirror"]!r}')
    try:
        check_packages(params['packages'], 'packages')
    except ImageError as exc:
        problems.append(str(exc))
    problems += file_problems(params['files'], missing_ok=module.check_mode)
    if problems:
        module.fail_json(msg='; '.join(problems), **result)
    missing = [path for path in params['files'] if not os.path.lexists(path)]
    if missing:
        # In check mode on a new server: an earlier task copies them.
        module.warn(f'{", ".join(missing)} not there yet: in check mode the agent counts as changed')
        result['changed'] = True
        module.exit_json(**result)

    digests = {os.path.basename(path): file_digest(path, 'sha256') for path in params['files']}
    version = imagebuild.agent_version(agent_inputs(params, digests))
    result['version'] = version
    manifest_path = os.path.join(cache_dir, DESCRIPTION)
    manifest = read_json(manifest_path)
    state = published_state(dest, manifest, version)
    if state != 'stale':
        result.update(kernel_version=manifest['agent']['kernel_version'], sizes=sizes_of(manifest['agent']))
    if state != 'current':
        result['changed'] = True
        before = read_json(os.path.join(dest, DESCRIPTION))
        result['diff'] = {'before_header': dest, 'after_header': dest,
                          'before': f'agent {before.get("version")}\n' if isinstance(before, dict) else '(absent)\n',
                          'after': f'agent {version}\n'}
    if state == 'untidy' and not module.check_mode:
        try:
            tidy(dest)
        except (StepError, OSError) as exc:
            module.fail_json(msg=f'agent: {exc}', **result)
    if state != 'stale' or module.check_mode:
        module.exit_json(**result)

    started = time.monotonic()
    work = os.path.join(cache_dir, 'work')
    try:
        directory(cache_dir, 0o700)
        fresh_directory(work)
        kernel, initrd, kernel_version = build(Runner(module), work, params)
        description = {'version': version, 'kernel_version': kernel_version,
                       'sizes': {KERNEL: os.path.getsize(kernel), INITRD: os.path.getsize(initrd)}}
        publish(dest, kernel, initrd, description)
        write_json(manifest_path, {'version': version, 'inputs': agent_inputs(params, digests), 'agent': description}, 0o600)
    except (StepError, BootAssetError, OSError) as exc:
        result['changed'] = False
        module.fail_json(msg=f'agent: {exc}', **result)
    finally:
        discard(work)
    result.update(built=True, seconds=round(time.monotonic() - started, 1), kernel_version=kernel_version,
                  sizes=sizes_of(description))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
