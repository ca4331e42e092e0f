#!/usr/bin/env bash
# Create the tools' virtual environment from test-requirements.txt (once per change), check
# the test collections against tests/requirements.yml, and make this checkout resolvable as
# the collection netboot.pxe.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
venv="$top/.cache/venv"
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$top/test-requirements.txt" | cut -d' ' -f1)
# Host tools the unit tests run: gpg (with its agent) signs throwaway releases, gpgv checks them;
# grub-script-check checks the GRUB configurations rendered.
"$(dirname "$0")/apt-install.sh" gpg gpg-agent gpgv grub-common
# nginx -t checks the nginx locations rendered: Debian's binary unpacked, not installed (no daemon on the host).
nginx_dir="$top/.cache/tools/nginx"
if [ ! -x "$nginx_dir/usr/sbin/nginx" ]; then
  rm -rf "$nginx_dir" && mkdir -p "$nginx_dir"
  (cd "$nginx_dir" && apt-get download -q nginx >/dev/null && dpkg-deb -x nginx_*.deb . && rm -f nginx_*.deb)
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$top/test-requirements.txt" 2> >(grep -v "^WARNING: Location" >&2)
  echo "$want" >"$stamp"
fi
PATH="$venv/bin:$PATH" "$venv/bin/python3" "$top/tests/harness/check_collections.py" "$top/tests/requirements.yml"
mkdir -p "$top/.cache/collections/ansible_collections/netboot"
ln -sfn "$top" "$top/.cache/collections/ansible_collections/netboot/pxe"
