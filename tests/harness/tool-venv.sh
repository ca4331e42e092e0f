#!/usr/bin/env bash
# Create a tools' virtual environment from a pinned requirements file, once per change of that file.
# Usage: tool-venv.sh VENV REQUIREMENTS
set -euo pipefail
venv=$1 requirements=$2
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements" 2> >(grep -v "^WARNING: Location" >&2)
  echo "$want" >"$stamp"
fi
