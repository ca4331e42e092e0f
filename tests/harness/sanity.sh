#!/usr/bin/env bash
# ansible-test sanity on a copy of the collection at ansible_collections/netboot/pxe.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
tree="$top/.cache/sanity/ansible_collections/netboot/pxe"
rm -rf "$tree" && mkdir -p "$tree"
(cd "$top" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$tree")
cd "$tree"
ansible-test sanity --venv --python 3.11 --color no
