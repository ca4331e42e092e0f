# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The module os_image with a stand-in for the commands it runs: mmdebstrap writes a small root
(a plain tar for an archive, a directory for a raw image), the raw image's tools make files,
zstd copies, the decompressors are Python's; downloads are real (file:// URLs)."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import lzma
import os
import shutil
import stat
import subprocess
import tarfile
import uuid

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.netboot.pxe.plugins.module_utils._files import imagebuild
from ansible_collections.netboot.pxe.plugins.module_utils._files.steps import StepError
from ansible_collections.netboot.pxe.plugins.modules import os_image

UUID = uuid.UUID('0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0')
MMDEBSTRAP_ERRORS = ''.join(f'I: step {number}\n' for number in range(30)) + 'E: cannot resolve mirror.lab\n'


class FakeRunner:
    """Records (step, argv); ``fail`` names a step that fails as the command would."""

    calls = []
    fail = None

    def __init__(self, module):
        self.module = module

    def _record(self, step, argv):
        FakeRunner.calls.append((step, argv))
        if step == FakeRunner.fail:
            raise StepError(step, f'{argv[0]} failed (exit status 1): {MMDEBSTRAP_ERRORS.strip()[-200:]}')

    def run(self, step, argv, data=None, cwd=None, env=None):
        self._record(step, argv)
        command = argv[0]
        if command == 'mmdebstrap':
            FakeRunner.mmdebstrap_env = env
            target = argv[-2]
            if target.endswith('.tar.zst'):
                with tarfile.open(target, 'w') as archive:
                    for name, content in (('etc/hostname', b'localhost\n'), ('boot/vmlinuz-6.12', b'k' * 5000)):
                        info = tarfile.TarInfo(name)
                        info.size = len(content)
                        archive.addfile(info, io.BytesIO(content))
            else:
                os.makedirs(os.path.join(target, 'boot'))
                os.makedirs(os.path.join(target, 'etc'))
                os.makedirs(os.path.join(target, 'tmp'))
                for name in ('vmlinuz-6.12', 'initrd.img-6.12'):
                    with open(os.path.join(target, 'boot', name), 'wb') as handle:
                        handle.write(b'k' * 3000)
                os.symlink('boot/vmlinuz-6.12', os.path.join(target, 'vmlinuz'))
                os.symlink('/boot/initrd.img-6.12', os.path.join(target, 'initrd.img'))
        elif command == 'chroot' and argv[2] == 'grub-mkstandalone':
            with open(os.path.join(argv[1], argv[argv.index('-o') + 1].lstrip('/')), 'wb') as handle:
                handle.write(b'EFI')
        elif command in ('mkfs.ext4', 'mkfs.vfat'):
            image = argv[-2]
            with open(image, 'wb') as handle:
                handle.write(command.encode())
        elif command == 'truncate':
            with open(argv[-1], 'wb') as handle:
                handle.truncate(int(argv[2][:-1]) * imagebuild.MIB)
        elif command == 'sfdisk':
            FakeRunner.calls[-1] = (step, argv, data)
        elif command in ('tar', 'zstd') and '-o' not in argv[:2] and argv[1] in ('--numeric-owner', '-dq'):
            # Text, as AnsibleModule.run_command gives it.
            return subprocess.run(argv, check=True, capture_output=True, text=True).stdout
        elif command == 'zstd':
            with open(argv[argv.index('-o') + 1], 'w', encoding='utf-8') as handle:
                handle.write(f'zstd of {os.path.getsize(argv[-1])} bytes')
        elif command == 'qemu-img' and argv[1] == 'info':
            return json.dumps({'format': 'qcow2', 'virtual-size': 8 * imagebuild.MIB})
        elif command == 'qemu-img':
            shutil.copyfile(argv[-2], argv[-1])
        return ''


@pytest.fixture
def runner(monkeypatch):
    FakeRunner.calls = []
    FakeRunner.fail = None
    monkeypatch.setattr(os_image, 'Runner', FakeRunner)
    monkeypatch.setattr(os_image.uuid, 'uuid4', lambda: UUID)
    return FakeRunner


def run(capsys, tmp_path, check=False, **args):
    module_args = {'name': 'web', 'form': 'archive', 'dest': str(tmp_path / 'http/images/web'), 'cache_dir': str(tmp_path / 'cache'),
                   '_ansible_check_mode': check, '_ansible_diff': True}
    if 'url' not in args:
        module_args['build'] = {'suite': 'trixie', 'packages': ['nginx']}
    module_args.update(args)
    with patch_module_args(module_args), pytest.raises(SystemExit):
        os_image.main()
    return json.loads(capsys.readouterr().out)


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def sha256(path):
    return 'sha256:' + hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_archive_is_built_once_and_published_with_its_description(capsys, tmp_path, runner):
    dest = tmp_path / 'http/images/web'
    result = run(capsys, tmp_path)
    assert (result['changed'], result['built']) == (True, True)
    assert [call[0] for call in runner.calls] == ['mmdebstrap', 'measure the image']
    argv = runner.calls[0][1]
    assert argv[-3:] == ['trixie', str(tmp_path / 'cache/work/web/root.tar.zst'), 'https://deb.debian.org/debian']
    assert argv[4].endswith(',zstd,iproute2,sudo,locales,tzdata,e2fsprogs,dosfstools,nginx')
    assert '--keyring=/usr/share/keyrings/debian-archive-keyring.gpg' in argv
    # mmdebstrap builds in the work directory, not in /tmp.
    assert runner.mmdebstrap_env == {'TMPDIR': str(tmp_path / 'cache/work/web')}
    image = json.loads((dest / 'image.json').read_text())
    assert image == {'file': 'root.tar.zst', 'checksum': sha256(dest / 'root.tar.zst'), 'form': 'archive',
                     'compression': 'zst', 'size': imagebuild.archive_disk_size(4096 * 2 + 4096 * 2)}
    assert result['image'] == image and result['checksum'] == image['checksum']
    assert result['path'] == str(dest / 'root.tar.zst') and result['size'] == (dest / 'root.tar.zst').stat().st_size
    assert sorted(os.listdir(dest)) == ['image.json', 'root.tar.zst']
    assert (mode(dest), mode(dest / 'image.json'), mode(dest / 'root.tar.zst'), mode(tmp_path / 'cache')) == (
        0o755, 0o644, 0o644, 0o700)
    assert result['diff']['before'] == '(absent)\n'
    assert result['diff']['after'] == ('web: archive built from trixie of https://deb.debian.org/debian, with nginx\n'
                                       '  root.tar.zst\n  image.json\n')
    assert os.listdir(tmp_path / 'cache/work') == []

    runner.calls = []
    again = run(capsys, tmp_path)
    assert (again['changed'], again['built'], runner.calls) == (False, False, [])
    assert (again['image'], again['checksum'], again['size']) == (image, image['checksum'], result['size'])
    assert 'diff' not in again


def test_check_mode_predicts_without_building(capsys, tmp_path, runner):
    result = run(capsys, tmp_path, check=True)
    assert (result['changed'], result['built'], result['image'], runner.calls) == (True, False, {}, [])
    assert not (tmp_path / 'http').exists() and not (tmp_path / 'cache').exists()
    run(capsys, tmp_path)
    runner.calls = []
    assert run(capsys, tmp_path, check=True)['changed'] is False
    changed = run(capsys, tmp_path, check=True, build={'suite': 'trixie', 'packages': ['nginx', 'curl']})
    assert changed['changed'] is True and runner.calls == []
    assert changed['diff']['before'].startswith('web: archive built from trixie of https://deb.debian.org/debian, with nginx\n')
    assert changed['diff']['after'].startswith('web: archive built from trixie of https://deb.debian.org/debian, with curl nginx\n')


def test_other_inputs_rebuild_the_same_packages_in_another_order_do_not(capsys, tmp_path, runner):
    run(capsys, tmp_path, build={'suite': 'trixie', 'packages': ['nginx', 'curl']})
    runner.calls = []
    assert run(capsys, tmp_path, build={'suite': 'trixie', 'packages': ['curl', 'nginx']})['changed'] is False
    assert run(capsys, tmp_path, build={'suite': 'bookworm', 'packages': ['curl', 'nginx']})['built'] is True
    assert runner.calls[0][1][-3] == 'bookworm'


def test_a_missing_or_changed_published_file_is_built_again(capsys, tmp_path, runner):
    dest = tmp_path / 'http/images/web'
    run(capsys, tmp_path)
    (dest / 'root.tar.zst').write_bytes(b'truncated')
    assert run(capsys, tmp_path)['built'] is True
    (dest / 'image.json').unlink()
    assert run(capsys, tmp_path)['built'] is True
    (dest / 'root.tar.zst').unlink()
    (dest / 'root.tar.zst').symlink_to('/etc/passwd')
    assert run(capsys, tmp_path)['built'] is True
    assert not (dest / 'root.tar.zst').is_symlink()


def test_other_files_and_modes_are_made_right_without_a_build(capsys, tmp_path, runner):
    dest = tmp_path / 'http/images/web'
    run(capsys, tmp_path)
    runner.calls = []
    (dest / 'disk.raw.zst').write_bytes(b'old form')
    os.chmod(dest / 'image.json', 0o600)
    result = run(capsys, tmp_path)
    assert (result['changed'], result['built'], runner.calls) == (True, False, [])
    assert sorted(os.listdir(dest)) == ['image.json', 'root.tar.zst'] and mode(dest / 'image.json') == 0o644
    assert run(capsys, tmp_path)['changed'] is False


def test_a_raw_image_is_assembled_without_loop_devices(capsys, tmp_path, runner):
    dest = tmp_path / 'http/images/db'
    result = run(capsys, tmp_path, name='db', form='raw', dest=str(dest), build={'suite': 'bookworm'})
    assert result['changed'] and result['built']
    assert [call[0] for call in runner.calls] == [
        'mmdebstrap', 'grub-mkstandalone', 'mkfs.ext4', 'mkfs.vfat', 'ESP files', 'ESP files', 'disk', 'partition table',
        'disk', 'disk', 'compress']
    work = tmp_path / 'cache/work/db'
    root_uuid = str(UUID)
    calls = {call[0]: call[1] for call in runner.calls}
    assert calls['mkfs.ext4'][7:14] == ['-d', str(work / 'root'), '-U', root_uuid, '-L', 'root', str(work / 'root.img')]
    assert calls['grub-mkstandalone'][:2] == ['chroot', str(work / 'root')]
    table = [call for call in runner.calls if call[0] == 'partition table'][0]
    assert table[1] == ['sfdisk', '--quiet', str(work / 'disk.raw')] and 'type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709' in table[2]
    places = [call[1] for call in runner.calls if call[1][0] == 'dd']
    assert [argv[1:5] for argv in places] == [[f'if={work}/esp.img', f'of={work}/disk.raw', 'bs=1M', 'seek=1'],
                                              [f'if={work}/root.img', f'of={work}/disk.raw', 'bs=1M', 'seek=65']]
    image = json.loads((dest / 'image.json').read_text())
    layout_mib = int(next(call[1] for call in runner.calls if call[1][0] == 'truncate')[2][:-1])
    assert image == {'file': 'disk.raw.zst', 'checksum': sha256(dest / 'disk.raw.zst'), 'form': 'raw', 'compression': 'zst',
                     'size': layout_mib * imagebuild.MIB}
    assert (dest / 'disk.raw.zst').read_text() == f'zstd of {layout_mib * imagebuild.MIB} bytes'
    assert not work.exists()


def test_the_raw_root_gets_an_fstab_and_the_standalone_menu(tmp_path, runner):
    work = tmp_path / 'work'
    work.mkdir()
    seen = {}

    class Peek(FakeRunner):
        def run(self, step, argv, data=None, cwd=None, env=None):
            if step == 'mkfs.ext4':
                seen['fstab'] = (work / 'root/etc/fstab').read_text()
                seen['tmp'] = sorted(os.listdir(work / 'root/tmp'))
                seen['efi'] = (work / 'root/boot/efi').is_dir()
            if step == 'grub-mkstandalone':
                seen['menu'] = (work / 'root/tmp/netboot-grub.cfg').read_text()
            return super().run(step, argv, data, cwd, env)

    entry = {'name': 'db', 'form': 'raw', 'build': {'suite': 'trixie', 'mirror': 'http://m/debian', 'packages': []}}
    output, size = os_image.build_raw(Peek(None), str(work), entry, '/k.gpg', new_uuid=lambda: UUID)
    assert output == str(work / 'disk.raw.zst')
    assert seen['fstab'] == imagebuild.raw_fstab(str(UUID), 'C3D2E1F0')
    assert seen['menu'] == imagebuild.standalone_grub_cfg(str(UUID))
    assert seen['tmp'] == [] and seen['efi']
    assert sorted(os.listdir(work)) == ['BOOTX64.EFI', 'disk.raw.zst']


def test_a_root_without_its_kernel_links_fails_the_build(tmp_path, runner):
    class NoLinks(FakeRunner):
        def run(self, step, argv, data=None, cwd=None, env=None):
            result = super().run(step, argv, data, cwd, env)
            if step == 'mmdebstrap':
                os.unlink(os.path.join(argv[-2], 'initrd.img'))
            return result

    entry = {'name': 'db', 'form': 'raw', 'build': {'suite': 'trixie', 'mirror': 'http://m/debian', 'packages': []}}
    with pytest.raises(StepError, match=r'^mmdebstrap: the image has no /initrd.img'):
        os_image.build_raw(NoLinks(None), str(tmp_path), entry, '/k.gpg')


def test_a_failed_step_is_named_and_leaves_the_published_image(capsys, tmp_path, runner):
    dest = tmp_path / 'http/images/web'
    run(capsys, tmp_path)
    before = {name: (dest / name).read_bytes() for name in os.listdir(dest)}
    runner.fail = 'mmdebstrap'
    result = run(capsys, tmp_path, build={'suite': 'bookworm'})
    assert result['failed'] and not result['changed']
    assert result['msg'].startswith('image web: mmdebstrap: mmdebstrap failed (exit status 1): ')
    assert result['msg'].endswith('E: cannot resolve mirror.lab')
    assert {name: (dest / name).read_bytes() for name in os.listdir(dest)} == before
    assert os.listdir(tmp_path / 'cache/work') == []
    runner.fail = None
    assert run(capsys, tmp_path, build={'suite': 'bookworm'})['built'] is True


def image_file(tmp_path, name, content):
    source = tmp_path / 'source' / name
    source.parent.mkdir(exist_ok=True)
    source.write_bytes(content)
    return f'file://{source}', 'sha256:' + hashlib.sha256(content).hexdigest()


def test_a_url_image_is_fetched_verified_and_measured(capsys, tmp_path, runner):
    disk = b'\0' * 3000 + b'data'
    url, checksum = image_file(tmp_path, 'disk.img.gz', gzip.compress(disk))
    dest = tmp_path / 'http/images/cloud'
    result = run(capsys, tmp_path, name='cloud', form='raw', url=url, checksum=checksum.upper().replace('SHA256', 'sha256'),
                 dest=str(dest))
    assert result['changed'] and result['built']
    assert json.loads((dest / 'image.json').read_text()) == {'file': 'disk.img.gz', 'checksum': checksum, 'form': 'raw',
                                                             'compression': 'gz', 'size': len(disk)}
    assert sha256(dest / 'disk.img.gz') == checksum and result['checksum'] == checksum
    assert runner.calls == []
    assert os.listdir(tmp_path / 'cache/downloads') == []
    runner.calls = []
    assert run(capsys, tmp_path, name='cloud', form='raw', url=url, checksum=checksum, dest=str(dest))['changed'] is False


def test_a_plain_archive_url_is_measured_from_its_members(capsys, tmp_path, runner):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode='w') as archive:
        info = tarfile.TarInfo('etc/hostname')
        info.size = 5
        archive.addfile(info, io.BytesIO(b'host\n'))
    url, checksum = image_file(tmp_path, 'root.tar', buffer.getvalue())
    result = run(capsys, tmp_path, url=url, checksum=checksum)
    assert result['image']['size'] == imagebuild.archive_disk_size(2 * 4096) and result['image']['compression'] == 'none'
    (measured,) = [argv for _step, argv in runner.calls]
    assert measured[:3] == ['tar', '--numeric-owner', '-tvf'] and measured[3].endswith('-root.tar.part')


def test_a_qcow2_image_is_converted_once(capsys, tmp_path, runner):
    url, checksum = image_file(tmp_path, 'debian.qcow2', b'QFI\xfb' + b'\0' * 100)
    dest = tmp_path / 'http/images/cloud'
    result = run(capsys, tmp_path, name='cloud', form='raw', url=url, checksum=checksum, dest=str(dest))
    assert [step for step, _argv in runner.calls] == ['qemu-img info', 'convert', 'compress']
    assert runner.calls[0][1][:5] == ['qemu-img', 'info', '--output=json', '-f', 'qcow2']
    assert result['image'] == {'file': 'disk.raw.zst', 'checksum': sha256(dest / 'disk.raw.zst'), 'form': 'raw',
                               'compression': 'zst', 'size': 8 * imagebuild.MIB}
    assert sorted(os.listdir(dest)) == ['disk.raw.zst', 'image.json'] and os.listdir(tmp_path / 'cache/downloads') == []


def test_a_download_stays_until_its_conversion_is_published(capsys, tmp_path, runner):
    url, checksum = image_file(tmp_path, 'debian.qcow2', b'QFI\xfb' + b'\0' * 100)
    runner.fail = 'convert'
    result = run(capsys, tmp_path, name='cloud', form='raw', url=url, checksum=checksum, dest=str(tmp_path / 'http/images/cloud'))
    assert result['msg'].startswith('image cloud: convert: qemu-img failed')
    assert len(os.listdir(tmp_path / 'cache/downloads')) == 1
    runner.fail = None
    assert run(capsys, tmp_path, name='cloud', form='raw', url=url, checksum=checksum,
               dest=str(tmp_path / 'http/images/cloud'))['built'] is True
    assert os.listdir(tmp_path / 'cache/downloads') == []


def test_a_wrong_checksum_publishes_nothing(capsys, tmp_path, runner):
    url, _checksum = image_file(tmp_path, 'disk.raw', b'tampered')
    result = run(capsys, tmp_path, name='cloud', form='raw', url=url, checksum='sha256:' + '0' * 64,
                 dest=str(tmp_path / 'http/images/cloud'))
    assert result['failed'] and result['msg'].startswith('image cloud: download: checksum mismatch for file://')
    assert not (tmp_path / 'http/images/cloud/disk.raw').exists()
    assert os.listdir(tmp_path / 'cache/downloads') == []


@pytest.mark.parametrize('args, message', [
    ({'name': 'Web'}, 'name must be 1-63 lower-case letters'),
    ({'url': 'https://images.lab/root.zst', 'checksum': 'sha256:' + 'a' * 64},
     'url of an archive must name a tar archive'),
    ({'build': {'suite': 'trixie', 'packages': ['a b']}}, "build.packages[0] must be a Debian package name, got 'a b'"),
    ({'build': {'suite': 'trixie', 'mirror': 'http://m/debian main'}}, 'build.mirror must be the http(s) URL of a Debian mirror'),
    ({'dest': 'images/web'}, "dest must be an absolute path of names of letters, digits and ._+-, got 'images/web'"),
    ({'keyring': '/k ring.gpg'}, "keyring must be the absolute path of a keyring file, got '/k ring.gpg'"),
    ({'max_size': 0}, 'max_size must be a positive number of bytes, got 0'),
])
def test_input_is_refused_naming_the_option(capsys, tmp_path, runner, args, message):
    result = run(capsys, tmp_path, **args)
    assert result['failed'] and message in result['msg']
    assert runner.calls == []


def test_a_changed_recipe_builds_it_again(capsys, tmp_path, runner, monkeypatch):
    run(capsys, tmp_path)
    monkeypatch.setattr(imagebuild, 'ARCHIVE_ROOM_MIB', 2048)
    assert run(capsys, tmp_path)['built'] is True


# zstd is a package of its own: a test machine may not have it (the server installs it with the images role).
@pytest.mark.parametrize('kind', ['none', 'gz', 'xz', pytest.param('zst', marks=pytest.mark.skipif(
    shutil.which('zstd') is None, reason='no zstd here'))])
def test_a_raw_image_is_measured_unpacked(tmp_path, runner, kind):
    disk = b'\0' * 300000 + b'data' + b'\0' * 5000
    path = tmp_path / f'disk.{kind}'
    if kind == 'zst':
        path.write_bytes(subprocess.run(['zstd', '-q', '-c'], input=disk, check=True, capture_output=True).stdout)
    else:
        path.write_bytes({'none': bytes, 'gz': gzip.compress, 'xz': lzma.compress}[kind](disk))
    assert os_image.raw_size(FakeRunner(None), str(path), kind, str(tmp_path)) == len(disk)
    assert sorted(os.listdir(tmp_path)) == [path.name]
    assert [argv[:3] for _step, argv in runner.calls] == ([['zstd', '-dq', '--sparse']] if kind == 'zst' else [])
