# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The module agent_image with a stand-in for the commands it runs: mmdebstrap writes a small root
and the kernel packages, dpkg-deb unpacks a small kernel, zstd keeps the cpio archive as it is,
which the tests read back."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.netboot.pxe.plugins.module_utils._files import imagebuild
from ansible_collections.netboot.pxe.plugins.module_utils._files.steps import StepError
from ansible_collections.netboot.pxe.plugins.modules import agent_image

KERNEL = '6.12.117+deb13-amd64'
ROOT_FILES = {
    'usr/bin/python3.13': b'python',
    'usr/bin/perl': b'perl',
    'usr/lib/python3.13/json/__init__.py': b'json',
    'usr/lib/python3.13/json/__pycache__/__init__.cpython-313.pyc': b'pyc',
    'usr/lib/python3.13/test/test_os.py': b'test',
    'usr/lib/python3.13/lib-dynload/_sqlite3.cpython-313-x86_64-linux-gnu.so': b'so',
    'usr/lib/python3/dist-packages/__pycache__/x.pyc': b'pyc',
    'usr/lib/x86_64-linux-gnu/gconv/UTF-16.so': b'gconv',
    'usr/lib/x86_64-linux-gnu/libc.so.6': b'libc',
    'var/lib/dpkg/status': b'Package: x\n',
    'var/cache/apt/pkgcache.bin': b'cache',
    'etc/hostname': b'agent\n',
}
KERNEL_FILES = {
    f'boot/vmlinuz-{KERNEL}': b'kernel' * 100,
    f'usr/lib/modules/{KERNEL}/kernel/drivers/net/ethernet/intel/e1000/e1000.ko.xz': b'e1000',
    f'usr/lib/modules/{KERNEL}/kernel/drivers/scsi/sd_mod.ko.xz': b'sd',
    f'usr/lib/modules/{KERNEL}/kernel/drivers/scsi/lpfc/lpfc.ko.xz': b'lpfc',
    f'usr/lib/modules/{KERNEL}/kernel/drivers/md/raid1.ko.xz': b'raid1',
    f'usr/lib/modules/{KERNEL}/kernel/drivers/gpu/drm/drm.ko.xz': b'drm',
    f'usr/lib/modules/{KERNEL}/kernel/lib/test_bpf.ko.xz': b'test',
    f'usr/lib/modules/{KERNEL}/kernel/fs/ext4/ext4.ko.xz': b'ext4',
    f'usr/lib/modules/{KERNEL}/modules.order': b'kernel/fs/ext4/ext4.ko\n',
    f'usr/lib/modules/{KERNEL}/modules.builtin': b'kernel/fs/vfat.ko\n',
    f'usr/lib/modules/{KERNEL}/modules.dep': b'from the package\n',
}


def write_tree(base, files):
    for name, content in files.items():
        path = os.path.join(base, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'wb') as handle:
            handle.write(content)


class FakeRunner:
    calls = []
    fail = None
    kernels = ('linux-image-6.12.117+deb13-amd64_6.12.117-1_amd64.deb',)

    def __init__(self, module):
        self.module = module

    def _record(self, step, argv):
        FakeRunner.calls.append((step, argv))
        if step == FakeRunner.fail:
            raise StepError(step, f'{argv[0]} failed (exit status 1): E: Unable to locate package lvm3')

    def run(self, step, argv, data=None, cwd=None, env=None):
        self._record(step, argv)
        if argv[0] == 'mmdebstrap':
            assert env == {'TMPDIR': os.path.dirname(argv[-2])}
            root = argv[-2]
            write_tree(root, ROOT_FILES)
            os.symlink('usr/bin', os.path.join(root, 'bin'))
            debs = argv[-4].split()[-1]
            for name in FakeRunner.kernels + ('linux-image-amd64_6.12.117-1_amd64.deb', 'kmod_34.2-2_amd64.deb'):
                write_tree(debs, {f'archives/{name}': b'deb'})
        elif argv[0] == 'dpkg-deb':
            write_tree(argv[-1], KERNEL_FILES)
        elif argv[0] == 'zstd':
            shutil.copyfile(argv[-1], argv[-2])
        return ''


@pytest.fixture
def runner(monkeypatch):
    FakeRunner.calls = []
    FakeRunner.fail = None
    FakeRunner.kernels = ('linux-image-6.12.117+deb13-amd64_6.12.117-1_amd64.deb',)
    monkeypatch.setattr(agent_image, 'Runner', FakeRunner)
    return FakeRunner


@pytest.fixture
def files(tmp_path):
    source = tmp_path / 'files'
    source.mkdir()
    contents = {'netboot-agent.py': b'# agent\n', 'agent-init': b'#!/bin/sh\n', 'udhcpc.script': b'#!/bin/sh\nexit 0\n'}
    for name, content in contents.items():
        (source / name).write_bytes(content)
    return [str(source / name) for name in contents]


def run(capsys, tmp_path, files, check=False, **args):
    module_args = {'dest': str(tmp_path / 'http/agent'), 'cache_dir': str(tmp_path / 'cache'), 'files': files,
                   '_ansible_check_mode': check, '_ansible_diff': True}
    module_args.update(args)
    with patch_module_args(module_args), pytest.raises(SystemExit):
        agent_image.main()
    return json.loads(capsys.readouterr().out)


def members(data):
    """{name: (mode, content)} of a newc archive."""
    found, offset = {}, 0
    while True:
        fields = imagebuild.newc_fields(data[offset:offset + 110])
        name_size, size = fields[11], fields[6]
        name = data[offset + 110:offset + 110 + name_size - 1].decode()
        offset += 110 + name_size
        offset += -offset % 4
        if name == 'TRAILER!!!':
            assert data[offset:].strip(b'\0') == b''
            return found
        found[name] = (fields[1], data[offset:offset + size])
        offset += size
        offset += -offset % 4


def test_the_boot_image_is_built_trimmed_and_published(capsys, tmp_path, files, runner):
    dest = tmp_path / 'http/agent'
    result = run(capsys, tmp_path, files, packages=['lvm2'])
    assert (result['changed'], result['built'], result['kernel_version']) == (True, True, KERNEL)
    work = tmp_path / 'cache/work'
    assert [(step, argv[0]) for step, argv in runner.calls] == [
        ('mmdebstrap', 'mmdebstrap'), ('kernel package', 'dpkg-deb'), ('depmod', 'chroot'), ('initramfs', 'zstd')]
    assert runner.calls[0][1][-3:] == ['trixie', str(work / 'root'), 'https://deb.debian.org/debian']
    assert runner.calls[0][1][4].endswith(',tar,efibootmgr,lvm2')
    assert runner.calls[1][1] == ['dpkg-deb', '-x', str(work / 'debs/archives/linux-image-6.12.117+deb13-amd64_6.12.117-1_amd64.deb'),
                                  str(work / 'kernel')]
    assert runner.calls[2][1] == ['chroot', str(work / 'root'), 'depmod', KERNEL]
    assert runner.calls[3][1] == ['zstd', '-q', '-T0', '-12', '-f', '-o', str(work / 'initrd.img'), str(work / 'initrd.cpio')]
    assert (dest / 'vmlinuz').read_bytes() == KERNEL_FILES[f'boot/vmlinuz-{KERNEL}']
    packed = members((dest / 'initrd.img').read_bytes())
    assert packed['init'] == (0o100755, b'#!/bin/sh\n')
    assert packed['usr/lib/netboot-agent/agent.py'] == (0o100644, b'# agent\n')
    assert packed['usr/lib/netboot-agent/udhcpc.script'][0] == 0o100755
    assert packed['bin'] == (0o120777, b'usr/bin')
    assert stat.S_ISDIR(packed['usr'][0])
    names = list(packed)
    assert names.index('usr') < names.index('usr/bin') < names.index('usr/bin/python3.13')
    modules = f'usr/lib/modules/{KERNEL}/'
    for kept in ('usr/bin/python3.13', 'usr/lib/python3.13/json/__init__.py', 'usr/lib/x86_64-linux-gnu/libc.so.6',
                 'etc/hostname', modules + 'kernel/drivers/net/ethernet/intel/e1000/e1000.ko.xz',
                 modules + 'kernel/drivers/scsi/sd_mod.ko.xz', modules + 'kernel/fs/ext4/ext4.ko.xz', modules + 'modules.order',
                 modules + 'modules.builtin'):
        assert kept in packed, kept
    for gone in ('usr/bin/perl', 'usr/lib/python3.13/json/__pycache__', 'usr/lib/python3.13/test',
                 'usr/lib/python3.13/lib-dynload/_sqlite3.cpython-313-x86_64-linux-gnu.so', 'usr/lib/python3/dist-packages/__pycache__',
                 'usr/lib/x86_64-linux-gnu/gconv', 'var/lib/dpkg', 'var/cache/apt', modules + 'kernel/drivers/scsi/lpfc',
                 modules + 'kernel/drivers/md', modules + 'kernel/drivers/gpu', modules + 'kernel/lib/test_bpf.ko.xz',
                 modules + 'modules.dep'):
        assert gone not in packed, gone
    description = json.loads((dest / 'agent.json').read_text())
    sizes = {'vmlinuz': (dest / 'vmlinuz').stat().st_size, 'initrd.img': (dest / 'initrd.img').stat().st_size}
    assert description == {'version': result['version'], 'kernel_version': KERNEL, 'sizes': sizes}
    assert result['sizes'] == dict(sizes, total=sum(sizes.values()))
    assert sorted(os.listdir(dest)) == ['agent.json', 'initrd.img', 'vmlinuz']
    assert {name: stat.S_IMODE(os.stat(dest / name).st_mode) for name in os.listdir(dest)} == dict.fromkeys(os.listdir(dest), 0o644)
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o755 and stat.S_IMODE(os.stat(tmp_path / 'cache').st_mode) == 0o700
    assert result['diff'] == {'before_header': str(dest), 'after_header': str(dest), 'before': '(absent)\n',
                              'after': f'agent {result["version"]}\n'}
    assert not work.exists()

    runner.calls = []
    again = run(capsys, tmp_path, files, packages=['lvm2'])
    assert (again['changed'], again['built'], runner.calls, again['version']) == (False, False, [], result['version'])
    assert again['sizes'] == result['sizes'] and again['kernel_version'] == KERNEL


def test_a_changed_agent_file_or_package_list_builds_it_again(capsys, tmp_path, files, runner):
    first = run(capsys, tmp_path, files)
    with open(files[0], 'ab') as handle:
        handle.write(b'# changed\n')
    assert run(capsys, tmp_path, files, check=True)['changed'] is True
    second = run(capsys, tmp_path, files)
    assert second['built'] and second['version'] != first['version']
    assert run(capsys, tmp_path, files, packages=['lvm2'])['built'] is True
    assert run(capsys, tmp_path, files, packages=['lvm2'], suite='bookworm')['built'] is True


def test_check_mode_predicts_without_building(capsys, tmp_path, files, runner):
    result = run(capsys, tmp_path, files, check=True)
    assert (result['changed'], result['built'], result['sizes'], runner.calls) == (True, False, {}, [])
    assert not (tmp_path / 'http').exists() and not (tmp_path / 'cache').exists()


def test_other_files_are_removed_without_a_build(capsys, tmp_path, files, runner):
    dest = tmp_path / 'http/agent'
    run(capsys, tmp_path, files)
    runner.calls = []
    (dest / 'linux').write_bytes(b'old')
    result = run(capsys, tmp_path, files)
    assert (result['changed'], result['built'], runner.calls) == (True, False, [])
    assert sorted(os.listdir(dest)) == ['agent.json', 'initrd.img', 'vmlinuz']
    (dest / 'initrd.img').write_bytes(b'other')
    assert run(capsys, tmp_path, files)['built'] is True


def test_a_failed_step_is_named_and_publishes_nothing(capsys, tmp_path, files, runner):
    runner.fail = 'mmdebstrap'
    result = run(capsys, tmp_path, files, packages=['lvm3'])
    assert result['failed'] and not result['changed']
    assert result['msg'] == 'agent: mmdebstrap: mmdebstrap failed (exit status 1): E: Unable to locate package lvm3'
    assert not (tmp_path / 'http/agent').exists() and not (tmp_path / 'cache/work').exists()


@pytest.mark.parametrize('kernels', [(), ('linux-image-6.1.0-40-amd64_1_amd64.deb', 'linux-image-6.12.1-amd64_1_amd64.deb')])
def test_one_kernel_package_is_needed(capsys, tmp_path, files, runner, kernels):
    runner.kernels = kernels
    result = run(capsys, tmp_path, files)
    assert result['msg'].startswith('agent: kernel package: expected one linux-image-<version> package from linux-image-amd64')


@pytest.mark.parametrize('change, message', [
    (lambda files: files[:2], "files must hold one file named udhcpc.script, got ["),
    (lambda files: files + [files[0]], 'files must hold one file named netboot-agent.py'),
    (lambda files: files + ['/etc/passwd'], "files: /etc/passwd is not one of the agent's files "
                                            "(agent-init, netboot-agent.py, udhcpc.script)"),
    (lambda files: [files[0], files[1], '/nonexistent/udhcpc.script'],
     'files: /nonexistent/udhcpc.script is not a readable file'),
])
def test_the_three_files_are_needed(capsys, tmp_path, files, runner, change, message):
    result = run(capsys, tmp_path, change(files))
    assert result['failed'] and message in result['msg'] and runner.calls == []


@pytest.mark.parametrize('args, message', [
    ({'mirror': 'http://m/debian trixie'}, "mirror must be the http(s) URL of a Debian mirror, got 'http://m/debian trixie'"),
    ({'packages': ['ok', 'not ok']}, "packages[1] must be a Debian package name, got 'not ok'"),
    ({'cache_dir': '/var/cache/../x'}, "cache_dir must be an absolute path of names of letters, digits and ._+-, got '/var/cache/../x'"),
])
def test_input_is_refused_naming_the_option(capsys, tmp_path, files, runner, args, message):
    result = run(capsys, tmp_path, files, **args)
    assert result['failed'] and message in result['msg'] and runner.calls == []


def test_write_newc_packs_what_is_there(tmp_path):
    write_tree(tmp_path / 'root', {'a/b': b'12345', 'c': b''})
    os.symlink('a/b', tmp_path / 'root' / 'link')
    os.chmod(tmp_path / 'root/a/b', 0o640)
    out = io.BytesIO()
    agent_image.write_newc(str(tmp_path / 'root'), out)
    packed = members(out.getvalue())
    assert list(packed) == ['a', 'c', 'link', 'a/b']
    assert packed['a/b'] == (0o100640, b'12345')
    assert packed['link'] == (0o120777, b'a/b')


def test_check_mode_on_a_new_server_predicts_a_build_before_the_files_are_copied(
        capsys, tmp_path, files, runner, module_warnings):
    missing = [str(tmp_path / 'copies' / os.path.basename(path)) for path in files]
    result = run(capsys, tmp_path, missing, check=True)
    assert (result['changed'], result['built'], runner.calls) == (True, False, [])
    assert module_warnings == [f'{", ".join(missing)} not there yet: in check mode the agent counts as changed']
    assert run(capsys, tmp_path, missing)['msg'].startswith(f'files: {missing[0]} is not a readable file')


def test_a_changed_recipe_builds_it_again(capsys, tmp_path, files, runner, monkeypatch):
    first = run(capsys, tmp_path, files)
    monkeypatch.setattr(imagebuild, 'AGENT_TRIM', imagebuild.AGENT_TRIM + ('usr/share/doc',))
    second = run(capsys, tmp_path, files)
    assert second['built'] and second['version'] != first['version']
