#!/usr/bin/python
# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: boot_asset
short_description: Fetch a kernel, initrd or ISO into the netboot HTTP root, verified by checksum
version_added: 0.2.0
author: netboot.pxe developers (@netboot)
description:
  - Downloads one OS boot file (kernel, initrd, ISO image) from an http://, https:// or file:// URL,
    or copies it from an absolute path on the target, and verifies its SHA-256 or SHA-512 digest.
  - The expected digest is given with O(checksum) or looked up in a checksum list at O(checksum_url)
    (for example a distribution's C(SHA256SUMS), C(CHECKSUM) or C(.treeinfo) file).
  - Idempotent by checksum. When O(dest) already has the expected digest nothing is downloaded.
  - The file is streamed into C(<dest>.part) in the directory of O(dest) and hashed on the way,
    then moved into place atomically. A file with the wrong digest is removed and the task fails;
    an existing O(dest) is left as it was.
  - A C(<dest>.part) left by an interrupted run is continued with an HTTP range request; when
    the server ignores the range the download starts again from the beginning. If a continued
    download then has the wrong digest, it is restarted once from the beginning.
  - The directory of O(dest) must exist.
options:
  url:
    description:
      - Where to get the file, an V(http://), V(https://) or V(file://) URL, or an absolute path on the target.
      - Proxies from the environment (C(http_proxy), C(https_proxy), C(no_proxy)) apply.
    type: str
    required: true
  dest:
    description: Path of the file to write.
    type: path
    required: true
  checksum:
    description:
      - Expected digest as V(sha256:<64 hex digits>) or V(sha512:<128 hex digits>).
      - Exactly one of O(checksum) and O(checksum_url) is required.
    type: str
  checksum_url:
    description:
      - URL (same schemes as O(url)) or absolute path of a checksum list holding the expected digest.
      - "Understood formats: GNU coreutils (C(<hex>  name) or C(<hex> *name)), BSD tag
        (V(SHA256 (name\\) = <hex>), also with V(SHA512)) and the C([checksums]) lines of a C(.treeinfo)
        (C(images/pxeboot/vmlinuz = sha256:<hex>)). Other lines, such as PGP armor and comments, are ignored."
      - The algorithm follows from the length of the digest (64 hex digits SHA-256, 128 SHA-512) or the tag.
      - The list is read in check mode too.
    type: str
  checksum_name:
    description:
      - Name of the file in the O(checksum_url) list. Defaults to the last path component of O(url).
      - An entry with exactly that name wins (a leading C(./) is ignored on both sides);
        otherwise the one entry whose path ends with C(/<checksum_name>) is used.
        No matching entry, or several, is an error.
    type: str
  timeout:
    description: Seconds to wait for a connection and for each read from it.
    type: int
    default: 30
  retries:
    description:
      - How many times to retry after a transient error (connection refused or reset, timeout,
        HTTP 408, 429, 5xx, connection closed early), waiting 1, 2, 4... seconds in between.
      - A retry continues the partial download with an HTTP range request.
    type: int
    default: 3
  validate_certs:
    description: Verify the TLS certificates of https:// servers.
    type: bool
    default: true
extends_documentation_fragment:
  - ansible.builtin.files
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: The checksum list and the current O(dest) are read; nothing is downloaded or written.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
    details: Shows the checksum of O(dest) before and after, and changed file attributes.
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
notes:
  - Files are read and hashed in chunks; an ISO image of several gigabytes is never held in memory.
  - The C(<dest>.part) file is removed on checksum mismatch and kept on network failure, so the next run continues it.
seealso:
  - module: ansible.builtin.get_url
"""

EXAMPLES = r"""
- name: Debian installer kernel, checked against the installer's SHA256SUMS
  netboot.pxe.boot_asset:
    url: https://deb.debian.org/debian/dists/bookworm/main/installer-amd64/current/images/netboot/debian-installer/amd64/linux
    dest: /srv/http/debian/bookworm/linux
    checksum_url: https://deb.debian.org/debian/dists/bookworm/main/installer-amd64/current/images/SHA256SUMS
    checksum_name: netboot/debian-installer/amd64/linux
    mode: "0644"

- name: Fedora PXE kernel, checked against .treeinfo
  netboot.pxe.boot_asset:
    url: https://dl.fedoraproject.org/pub/fedora/linux/releases/40/Everything/x86_64/os/images/pxeboot/vmlinuz
    dest: /srv/http/fedora/40/vmlinuz
    checksum_url: https://dl.fedoraproject.org/pub/fedora/linux/releases/40/Everything/x86_64/os/.treeinfo
    checksum_name: images/pxeboot/vmlinuz

- name: An ISO with a known digest, a few retries more on a slow mirror
  netboot.pxe.boot_asset:
    url: https://mirror.example.org/alpine/v3.20/releases/x86_64/alpine-standard-3.20.3-x86_64.iso
    dest: /srv/http/alpine/alpine-standard-3.20.3-x86_64.iso
    checksum: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
    retries: 6
    timeout: 60

- name: Copy an initrd built on the server
  netboot.pxe.boot_asset:
    url: /var/lib/netboot/build/initrd.img
    dest: /srv/http/custom/initrd.img
    checksum: "sha512:{{ initrd_sha512 }}"
"""

RETURN = r"""
dest:
  description: Path of the file.
  returned: always
  type: str
  sample: /srv/http/debian/bookworm/linux
url:
  description: The O(url) the file comes from.
  returned: always
  type: str
  sample: https://deb.debian.org/debian/dists/bookworm/main/installer-amd64/current/images/netboot/debian-installer/amd64/linux
checksum:
  description:
    - Digest of the file now at O(dest), as C(algorithm:hex).
    - In check mode, when the file would be downloaded, the digest it would have.
  returned: success
  type: str
  sample: sha256:4a1c0e1c2d8d1f8e2b9a6a0a3f6f3d1a2c3b4d5e6f708192a3b4c5d6e7f80912
size:
  description: Size of the file at O(dest) in bytes.
  returned: success, except in check mode when the file would be downloaded
  type: int
  sample: 8147392
downloaded:
  description: Whether the file was downloaded (or copied) and moved into place.
  returned: success
  type: bool
  sample: true
resumed:
  description: Whether the download continued a partial C(<dest>.part) file instead of starting from the beginning.
  returned: success
  type: bool
  sample: false
diff:
  description: Checksum of O(dest) before and after (V(null) when it did not exist), and changed file attributes.
  returned: success
  type: dict
  sample: {"before": {"checksum": null}, "after": {"checksum": "sha256:4a1c0e1c..."}}
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netboot.pxe.plugins.module_utils._boot_asset import (
    BootAssetError,
    ChecksumMismatchError,
    default_checksum_name,
    fetch_verified,
    file_digest,
    find_checksum,
    format_checksum,
    is_supported_source,
    parse_checksum,
    parse_checksum_list,
    read_text,
)


def expected_checksum(params):
    """Return (algorithm, hex digest) from ``checksum`` or the ``checksum_url`` list."""
    if params['checksum']:
        return parse_checksum(params['checksum'])
    list_url = params['checksum_url']
    if not is_supported_source(list_url):
        raise BootAssetError(f'checksum_url must be an http(s):// or file:// URL or an absolute path, got {list_url!r}')
    text = read_text(list_url, params['timeout'], params['validate_certs'], params['retries'])
    name = params['checksum_name'] or default_checksum_name(params['url'])
    return find_checksum(parse_checksum_list(text), name, list_url)


def main():
    module = AnsibleModule(
        argument_spec={
            'url': {'type': 'str', 'required': True},
            'dest': {'type': 'path', 'required': True},
            'checksum': {'type': 'str'},
            'checksum_url': {'type': 'str'},
            'checksum_name': {'type': 'str'},
            'timeout': {'type': 'int', 'default': 30},
            'retries': {'type': 'int', 'default': 3},
            'validate_certs': {'type': 'bool', 'default': True},
        },
        mutually_exclusive=[('checksum', 'checksum_url')],
        required_one_of=[('checksum', 'checksum_url')],
        add_file_common_args=True,
        supports_check_mode=True,
    )
    params = module.params
    url, dest = params['url'], params['dest']
    result = {'changed': False, 'dest': dest, 'url': url, 'downloaded': False, 'resumed': False}
    if not is_supported_source(url):
        module.fail_json(msg=f'url must be an http(s):// or file:// URL or an absolute path, got {url!r}', **result)
    if params['timeout'] <= 0 or params['retries'] < 0:
        module.fail_json(msg='timeout must be positive and retries not negative', **result)
    parent = os.path.dirname(dest) or '.'
    if not os.path.isdir(parent):
        module.fail_json(msg=f'directory {parent} of dest does not exist', **result)
    if os.path.isdir(dest):
        module.fail_json(msg=f'dest {dest} is a directory', **result)

    try:
        algorithm, expected = expected_checksum(params)
        current = file_digest(dest, algorithm) if os.path.exists(dest) else None
    except BootAssetError as exc:
        module.fail_json(msg=str(exc), **result)
    after = format_checksum(algorithm, expected)
    before = format_checksum(algorithm, current) if current else None
    diff = {'before': {'checksum': before}, 'after': {'checksum': after}, 'before_header': dest, 'after_header': dest}

    if current != expected:
        result.update(changed=True, checksum=after, diff=diff)
        if module.check_mode:
            module.exit_json(**result)
        try:
            download = fetch_verified(url, dest + '.part', algorithm, expected, params['timeout'],
                                      params['validate_certs'], params['retries'])
        except ChecksumMismatchError as exc:
            result.update(changed=False, expected=exc.expected, actual=exc.actual)
            result.pop('checksum')
            module.fail_json(msg=str(exc), **result)
        except BootAssetError as exc:
            result.update(changed=False)
            result.pop('checksum')
            module.fail_json(msg=str(exc), **result)
        module.atomic_move(download.path, dest, unsafe_writes=params['unsafe_writes'])
        result.update(downloaded=True, resumed=download.resumed)

    file_args = module.load_file_common_arguments(params, path=dest)
    result['changed'] = module.set_fs_attributes_if_different(file_args, result['changed'], diff)
    result.update(checksum=after, size=os.path.getsize(dest), diff=diff)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
