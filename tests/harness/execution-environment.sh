#!/usr/bin/env bash
# The example execution-environment.yml makes a build context with ansible-builder create
# (nothing is built or downloaded): as written (the collection from Galaxy), and with the
# collection from a tarball of this checkout, as its comments describe. ansible-builder comes
# from the documentation site's virtual environment (tests/harness/docsite.sh setup).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
venv="$top/.cache/docsite-venv"
"$top/tests/harness/docsite.sh" setup
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# As written.
"$venv/bin/ansible-builder" create -f "$top/execution-environment.yml" --context "$work/galaxy" >/dev/null
grep -q 'name: netboot.pxe' "$work/galaxy/_build/requirements.yml"
grep -q 'ansible-galaxy collection install' "$work/galaxy/Dockerfile"

# From the tarball that ansible-galaxy collection build makes.
mkdir -p "$work/tarball/context-files"
"$venv/bin/ansible-galaxy" collection build "$top" --output-path "$work/tarball/context-files" >/dev/null
tarball=$(basename "$(ls "$work"/tarball/context-files/netboot-pxe-*.tar.gz)")
"$venv/bin/python3" - "$top/execution-environment.yml" "$work/tarball/execution-environment.yml" "$tarball" <<'PY'
import sys

import yaml

source, target, tarball = sys.argv[1:]
definition = yaml.safe_load(open(source))
definition['additional_build_files'] = [{'src': 'context-files', 'dest': 'context-files'}]
definition['dependencies']['galaxy'] = {'collections': [{'name': f'context-files/{tarball}', 'type': 'file'}]}
yaml.safe_dump(definition, open(target, 'w'), sort_keys=False)
PY
"$venv/bin/ansible-builder" create -f "$work/tarball/execution-environment.yml" --context "$work/tarball/context" >/dev/null
test -f "$work/tarball/context/_build/context-files/$tarball"
grep -q "context-files/$tarball" "$work/tarball/context/_build/requirements.yml"
echo "execution-environment.yml: build contexts made, from Galaxy and from $tarball"
