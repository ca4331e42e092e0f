#!/usr/bin/python
# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: os_image
short_description: Build or fetch an OS image for the netboot.pxe agent and publish it with its description
version_added: 0.5.0
author: netboot.pxe developers (@netboot)
description:
  - Puts one OS image into O(dest) (the HTTP root's C(images/<name>/)) with C(image.json) beside it,
    which the netboot.pxe agent reads - the file's name, its checksum, its form and compression, and
    the disk size it needs - before it streams the image onto a machine's disk.
  - With O(build), the image is built on this host with C(mmdebstrap) from Debian packages (a minimal
    system with Debian's kernel, systemd, cloud-init, OpenSSH and GRUB). V(archive) is a root file-system
    archive, C(root.tar.zst), which the agent unpacks onto file systems it makes and makes bootable (BIOS and
    UEFI). V(raw) is a disk image, C(disk.raw.zst) - a GPT disk with an EFI system partition holding a GRUB
    built from the image's own packages, and an ext4 root - made without loop devices; it boots UEFI only,
    and its root grows to the disk at first boot.
  - With O(url) and O(checksum), the image is downloaded (resumable, size-capped, verified by its checksum)
    and published under its own name. A C(.qcow2) image is converted once to a raw image compressed with zstd,
    C(disk.raw.zst); one that names another file (backing or data file) is refused.
  - The image is built or downloaded in O(cache_dir), outside the served tree, and takes its name in O(dest)
    by a rename once it is complete; C(image.json) is written after it, atomically. A failed step leaves what
    was published before as it was. Files in O(dest) that are neither the image nor C(image.json) are removed.
  - Idempotent by its inputs. A manifest in O(cache_dir) records what the published image was made from
    (the entry; package versions are not resolved again); when the inputs are the same and the published files
    are there, nothing is built or downloaded. A changed entry rebuilds it; to rebuild with newer packages,
    remove the manifest, C(<cache_dir>/<name>.json).
  - Files are world-readable (mode 0644, directories 0755), owned by the user the module runs as.
options:
  name:
    description: The image's name, 1 to 63 lower-case letters, digits and C(-).
    type: str
    required: true
  form:
    description: V(archive), a root file-system tar archive, or V(raw), a whole disk image.
    type: str
    required: true
    choices: [archive, raw]
  build:
    description: Build the image from Debian packages. Exactly one of O(build) and O(url) is required.
    type: dict
    suboptions:
      suite:
        description: The Debian release.
        type: str
        required: true
        choices: [trixie, bookworm]
      mirror:
        description: The Debian mirror, an http(s) URL.
        type: str
        default: https://deb.debian.org/debian
      packages:
        description: Further Debian packages to install.
        type: list
        elements: str
        default: []
  url:
    description:
      - Fetch the image from this http://, https:// or file:// URL instead. The file's name gives its compression
        (C(.zst), C(.xz), C(.gz) or none); an archive's name ends in C(.tar) with or without those.
    type: str
  checksum:
    description: The checksum of the file at O(url), V(sha256:<64 hex digits>) or V(sha512:<128 hex digits>).
    type: str
  dest:
    description: The directory the image is published in, for example V(/srv/netboot/images/debian); made when missing.
    type: path
    required: true
  cache_dir:
    description: Private directory (mode 0700) for builds, downloads and the manifests.
    type: path
    default: /var/cache/netboot-pxe/images
  keyring:
    description: The keyring that signs the release of O(build.mirror) (C(mmdebstrap --keyring)).
    type: path
    default: /usr/share/keyrings/debian-archive-keyring.gpg
  max_size:
    description: Largest file O(url) may give, in bytes; more fails the task and removes the partial file.
    type: int
    default: 17179869184
notes:
  - Builds run as root with C(mmdebstrap) (package mmdebstrap); a raw image also needs C(mkfs.ext4)
    (e2fsprogs), C(mkfs.vfat) (dosfstools), C(mmd) and C(mcopy) (mtools), C(sfdisk) (fdisk) and C(zstd); a
    C(.qcow2) image needs C(qemu-img) (qemu-utils). The role P(netboot.pxe.images#role) installs them.
  - A build takes about a minute and some hundred megabytes in O(cache_dir); a raw image takes its full size there
    while it is made.
extends_documentation_fragment:
  - netboot.pxe.attributes
  - netboot.pxe.attributes.full
attributes:
  check_mode:
    details: Compares the manifest and the published files; nothing is built, downloaded or written.
  diff_mode:
    details: By name and inputs (images are binaries).
  platform:
    platforms: debian
"""

EXAMPLES = r"""
- name: A Debian 13 root archive with nginx, built on the server
  netboot.pxe.os_image:
    name: web
    form: archive
    build:
      suite: trixie
      packages: [nginx]
    dest: /srv/netboot/images/web

- name: Debian's cloud image, converted once to a raw image
  netboot.pxe.os_image:
    name: cloud
    form: raw
    url: https://cloud.debian.org/images/cloud/trixie/latest/debian-13-genericcloud-amd64.qcow2
    checksum: sha512:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
    dest: /srv/netboot/images/cloud
"""

RETURN = r"""
path:
  description: The published image.
  returned: always
  type: str
  sample: /srv/netboot/images/web/root.tar.zst
checksum:
  description: Its checksum as C(image.json) gives it (unknown, V(""), in check mode before a build).
  returned: always
  type: str
  sample: sha256:4a1c0e1c2d8d1f8e2b9a6a0a3f6f3d1a2c3b4d5e6f708192a3b4c5d6e7f80912
size:
  description: Its size in bytes (V(0) in check mode before a build).
  returned: always
  type: int
  sample: 128803292
image:
  description: The content of C(image.json) (empty in check mode before a build).
  returned: always
  type: dict
  sample: {"file": "root.tar.zst", "checksum": "sha256:4a1c...", "form": "archive", "compression": "zst", "size": 3221225472}
built:
  description: Whether this run built or downloaded the image.
  returned: always
  type: bool
  sample: true
seconds:
  description: How long the build or download took.
  returned: always
  type: float
  sample: 42.5
"""

import gzip
import lzma
import os
import stat
import time
import uuid

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netboot.pxe.plugins.module_utils._boot.images import (
    BUILT_FILES,
    DESCRIPTION,
    ImageError,
    check_entry,
    image_description,
    published_file,
)
from ansible_collections.netboot.pxe.plugins.module_utils._files import imagebuild
from ansible_collections.netboot.pxe.plugins.module_utils._files.atomic import write_file
from ansible_collections.netboot.pxe.plugins.module_utils._files.checksums import BootAssetError, file_digest, parse_checksum
from ansible_collections.netboot.pxe.plugins.module_utils._files.fetch import fetch_verified, install_file, part_path, url_options
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
from ansible_collections.netboot.pxe.plugins.module_utils._validate import ABSOLUTE_PATH, FILE_PATH

CHUNK = 1024 * 1024
STANDALONE_CONFIG = '/tmp/netboot-grub.cfg'
STANDALONE_EFI = '/tmp/BOOTX64.EFI'


def image_inputs(entry):
    """What the published image is made from; the same inputs give the same image."""
    if 'build' in entry:
        build = entry['build']
        return {'recipe': imagebuild.os_recipe(), 'form': entry['form'], 'suite': build['suite'], 'mirror': build['mirror'],
                'packages': sorted(set(build['packages']))}
    return {'recipe': imagebuild.os_recipe(), 'form': entry['form'], 'url': entry['url'], 'checksum': entry['checksum']}


def summary(inputs):
    """One line of what an image is made from, for the diff."""
    if 'url' in inputs:
        return f'{inputs["form"]} from {inputs["url"]} ({inputs["checksum"][:15]}...)'
    packages = f', with {" ".join(inputs["packages"])}' if inputs['packages'] else ''
    return f'{inputs["form"]} built from {inputs["suite"]} of {inputs["mirror"]}{packages}'


def tree_entries(root):
    """(is a regular file, size) of everything under ``root``, links not followed."""
    for parent, directories, files in os.walk(root):
        for name in directories + files:
            info = os.lstat(os.path.join(parent, name))
            yield stat.S_ISREG(info.st_mode), info.st_size


def count_bytes(stream):
    total = 0
    for chunk in iter(lambda: stream.read(CHUNK), b''):
        total += len(chunk)
    return total


def raw_size(runner, path, kind, work):
    """The bytes of the disk in the raw image at ``path``: gzip and xz read here, zstd unpacked beside it."""
    if kind == 'none':
        return os.path.getsize(path)
    if kind in ('gz', 'xz'):
        with (gzip.open if kind == 'gz' else lzma.open)(path, 'rb') as stream:
            return count_bytes(stream)
    unpacked = os.path.join(work, 'measure.raw')
    try:
        runner.run('measure the image', imagebuild.zstd_unpack(path, unpacked))
        return os.path.getsize(unpacked)
    finally:
        discard(unpacked)


def unpacked_size(runner, path, kind, form, work):
    """The bytes a disk needs for the image at ``path``: a raw image's size, an archive's files with room."""
    if form == 'raw':
        return raw_size(runner, path, kind, work)
    listing = runner.run('measure the image', imagebuild.tar_listing(path))
    return imagebuild.archive_disk_size(imagebuild.tree_size(imagebuild.listing_entries(listing)))


def _inside(root, link):
    """The path a link in ``root`` points to, read as if ``root`` were /."""
    path = os.path.join(root, link)
    for _hop in range(40):
        if not os.path.islink(path):
            break
        target = os.readlink(path)
        path = os.path.join(root, target.lstrip('/')) if target.startswith('/') else os.path.join(os.path.dirname(path), target)
    return path


def build_archive(runner, work, entry, keyring):
    """mmdebstrap writes root.tar.zst; (its path, the disk size it needs)."""
    build = entry['build']
    output = os.path.join(work, BUILT_FILES['archive'])
    runner.run('mmdebstrap', imagebuild.mmdebstrap_os(build['suite'], build['mirror'], output, 'archive', build['packages'],
                                                      keyring), env={'TMPDIR': work})
    return output, unpacked_size(runner, output, 'zst', 'archive', work)


def build_raw(runner, work, entry, keyring, new_uuid=None):
    """A GPT disk made of an ESP and an ext4 root, each made as a file and placed into the disk (no loop
    device); (the path of disk.raw.zst, the disk's size)."""
    build = entry['build']
    root = os.path.join(work, 'root')
    runner.run('mmdebstrap', imagebuild.mmdebstrap_os(build['suite'], build['mirror'], root, 'raw', build['packages'], keyring),
               env={'TMPDIR': work})
    for link in ('vmlinuz', 'initrd.img'):
        if not os.path.isfile(_inside(root, link)):
            raise StepError('mmdebstrap', f'the image has no /{link} (the kernel package makes it)')
    root_uuid = str((new_uuid or uuid.uuid4)())
    volume_id = imagebuild.esp_volume_id(root_uuid)
    os.makedirs(os.path.join(root, 'boot/efi'), exist_ok=True)
    write_file(os.path.join(root, 'etc/fstab'), imagebuild.raw_fstab(root_uuid, volume_id).encode(), 0o644)
    write_file(os.path.join(root, STANDALONE_CONFIG.lstrip('/')), imagebuild.standalone_grub_cfg(root_uuid).encode(), 0o644)
    runner.run('grub-mkstandalone', imagebuild.grub_mkstandalone(root, STANDALONE_EFI, STANDALONE_CONFIG))
    efi = os.path.join(work, 'BOOTX64.EFI')
    os.rename(os.path.join(root, STANDALONE_EFI.lstrip('/')), efi)
    os.unlink(os.path.join(root, STANDALONE_CONFIG.lstrip('/')))
    layout = imagebuild.raw_layout(imagebuild.tree_size(tree_entries(root)))
    root_image, esp_image, disk = (os.path.join(work, name) for name in ('root.img', 'esp.img', 'disk.raw'))
    runner.run('mkfs.ext4', imagebuild.mkfs_ext4(root, root_uuid, root_image, layout))
    remove(root)
    runner.run('mkfs.vfat', imagebuild.mkfs_esp(esp_image, volume_id, layout))
    for command in imagebuild.esp_copy(esp_image, efi):
        runner.run('ESP files', command)
    runner.run('disk', imagebuild.truncate(disk, layout))
    runner.run('partition table', ['sfdisk', '--quiet', disk], data=imagebuild.sfdisk_script(layout))
    runner.run('disk', imagebuild.place(esp_image, disk, layout['esp_start']))
    runner.run('disk', imagebuild.place(root_image, disk, layout['root_start']))
    for path in (root_image, esp_image):
        os.unlink(path)
    output = disk + '.zst'
    runner.run('compress', imagebuild.zstd_file(disk, output))
    os.unlink(disk)
    return output, layout['disk_mib'] * imagebuild.MIB


def fetch_image(runner, work, downloads, entry, dest_file, max_size, fetch=fetch_verified):
    """Download and verify the URL's file; a qcow2 one converted (its download stays until the image is
    published). (path, checksum, disk size)."""
    algorithm, expected = parse_checksum(entry['checksum'])
    part = part_path(downloads, entry['url'], dest_file)
    try:
        fetch(entry['url'], part, algorithm, expected, url_options(), max_size=max_size)
    except BootAssetError as exc:
        raise StepError('download', str(exc)) from exc
    kind = published_file(entry)[1]
    if not entry['url'].lower().endswith('.qcow2'):
        return part, f'{algorithm}:{expected}', unpacked_size(runner, part, kind, entry['form'], work)
    size = imagebuild.check_qcow2(runner.run('qemu-img info', imagebuild.qcow2_info(part)), entry['url'])
    disk = os.path.join(work, 'disk.raw')
    runner.run('convert', imagebuild.qcow2_convert(part, disk))
    output = disk + '.zst'
    runner.run('compress', imagebuild.zstd_file(disk, output))
    os.unlink(disk)
    return output, f'sha256:{file_digest(output, "sha256")}', size


def names_in(path):
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def listing(name, inputs, names):
    """The diff's side: what the image is made from, and the names in its directory."""
    if not names:
        return '(absent)\n'
    made = summary(inputs) if isinstance(inputs, dict) and {'form', 'recipe'} <= set(inputs) else 'unknown origin'
    return f'{name}: {made}\n' + ''.join(f'  {entry}\n' for entry in names)


def published_state(dest, file_name, manifest, inputs):
    """current: the manifest is of these inputs and its image is published as it should be; untidy: it is
    published, but other files are in ``dest`` or a mode differs; stale: it must be built or fetched."""
    if not isinstance(manifest, dict) or manifest.get('inputs') != inputs or not isinstance(manifest.get('image'), dict):
        return 'stale'
    if read_json(os.path.join(dest, DESCRIPTION)) != manifest['image']:
        return 'stale'
    path = os.path.join(dest, file_name)
    if os.path.islink(path) or not os.path.isfile(path) or os.path.getsize(path) != manifest.get('file_size'):
        return 'stale'
    extra, wrong, wrong_directory = published(dest, {file_name: manifest['file_size'], DESCRIPTION: None})
    return 'untidy' if extra or wrong or wrong_directory else 'current'


def publish(dest, file_name, artifact, checksum, description):
    """The image takes its name in ``dest``, then image.json; then nothing else stays there. The old
    image.json goes first: a reader never finds a description of another file than the one beside it."""
    algorithm, expected = parse_checksum(checksum)
    directory(dest)
    remove(os.path.join(dest, DESCRIPTION))
    install_file(artifact, os.path.join(dest, file_name), algorithm, expected, lambda path: os.chmod(path, 0o644))
    write_file(os.path.join(dest, DESCRIPTION), json_bytes(description), 0o644)
    tidy(dest, file_name)


def tidy(dest, file_name):
    """Remove what is neither the image nor its description; give both mode 0644."""
    for name in os.listdir(dest):
        if name not in (file_name, DESCRIPTION):
            remove(os.path.join(dest, name))
    for name in (file_name, DESCRIPTION):
        os.chmod(os.path.join(dest, name), 0o644)
    directory(dest)


def main():
    module = AnsibleModule(
        argument_spec={
            'name': {'type': 'str', 'required': True},
            'form': {'type': 'str', 'required': True, 'choices': ['archive', 'raw']},
            'build': {'type': 'dict', 'options': {
                'suite': {'type': 'str', 'required': True, 'choices': ['trixie', 'bookworm']},
                'mirror': {'type': 'str', 'default': 'https://deb.debian.org/debian'},
                'packages': {'type': 'list', 'elements': 'str', 'default': []}}},
            'url': {'type': 'str'},
            'checksum': {'type': 'str'},
            'dest': {'type': 'path', 'required': True},
            'cache_dir': {'type': 'path', 'default': '/var/cache/netboot-pxe/images'},
            'keyring': {'type': 'path', 'default': '/usr/share/keyrings/debian-archive-keyring.gpg'},
            'max_size': {'type': 'int', 'default': 16 * 1024 ** 3},
        },
        mutually_exclusive=[('build', 'url')],
        required_one_of=[('build', 'url')],
        required_together=[('url', 'checksum')],
        supports_check_mode=True,
    )
    params = module.params
    given = {key: params[key] for key in ('name', 'form', 'build', 'url', 'checksum') if params[key] is not None}
    dest, cache_dir = params['dest'], params['cache_dir']
    result = {'changed': False, 'built': False, 'seconds': 0.0, 'checksum': '', 'size': 0, 'image': {}}
    try:
        entry = check_entry(given)
    except ImageError as exc:
        module.fail_json(msg=str(exc), **result)
    problems = [f'{key} must be an absolute path of names of letters, digits and ._+-, got {params[key]!r}'
                for key in ('dest', 'cache_dir') if not ABSOLUTE_PATH.fullmatch(params[key])]
    if not FILE_PATH.fullmatch(params['keyring']):
        problems.append(f'keyring must be the absolute path of a keyring file, got {params["keyring"]!r}')
    if params['max_size'] <= 0:
        problems.append(f'max_size must be a positive number of bytes, got {params["max_size"]}')
    if problems:
        module.fail_json(msg='; '.join(problems), **result)

    file_name, _kind = published_file(entry)
    inputs = image_inputs(entry)
    manifest_path = os.path.join(cache_dir, f'{entry["name"]}.json')
    manifest = read_json(manifest_path)
    result['path'] = os.path.join(dest, file_name)
    state = published_state(dest, file_name, manifest, inputs)
    if state != 'stale':
        result.update(checksum=manifest['image']['checksum'], size=manifest['file_size'], image=manifest['image'])
    if state != 'current':
        result['changed'] = True
        before = manifest['inputs'] if isinstance(manifest, dict) and isinstance(manifest.get('inputs'), dict) else None
        result['diff'] = {'before_header': dest, 'after_header': dest,
                          'before': listing(entry['name'], before, names_in(dest)),
                          'after': listing(entry['name'], inputs, [file_name, DESCRIPTION])}
    if state == 'untidy' and not module.check_mode:
        try:
            tidy(dest, file_name)
        except (StepError, OSError) as exc:
            module.fail_json(msg=f'image {entry["name"]}: {exc}', **result)
    if state != 'stale' or module.check_mode:
        module.exit_json(**result)

    started = time.monotonic()
    runner = Runner(module)
    work = os.path.join(cache_dir, 'work', entry['name'])
    try:
        directory(cache_dir, 0o700)
        directory(os.path.join(cache_dir, 'work'), 0o700)
        fresh_directory(work)
        if 'build' in entry:
            build = build_archive if entry['form'] == 'archive' else build_raw
            artifact, disk_size = build(runner, work, entry, params['keyring'])
            checksum = f'sha256:{file_digest(artifact, "sha256")}'
        else:
            downloads = os.path.join(cache_dir, 'downloads')
            directory(downloads, 0o700)
            artifact, checksum, disk_size = fetch_image(runner, work, downloads, entry, result['path'], params['max_size'])
        description = image_description(file_name, checksum, entry['form'], published_file(entry)[1], disk_size)
        file_size = os.path.getsize(artifact)
        publish(dest, file_name, artifact, checksum, description)
        if 'url' in entry:
            remove(part_path(os.path.join(cache_dir, 'downloads'), entry['url'], result['path']))
        write_json(manifest_path, {'inputs': inputs, 'image': description, 'file_size': file_size}, 0o600)
    except (StepError, BootAssetError, ValueError, OSError) as exc:
        result['changed'] = False
        module.fail_json(msg=f'image {entry["name"]}: {exc}', **result)
    finally:
        discard(work)
    result.update(built=True, seconds=round(time.monotonic() - started, 1), checksum=checksum, size=file_size, image=description)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
