#!/usr/bin/env bash
# Sign a fixture Debian release: dists/<codename>/InRelease listing the installer's SHA256SUMS,
# with a throwaway key kept in $GNUPGHOME; its public keyring is exported to $GNUPGHOME/keyring.gpg.
# Usage: netboot-sign-release DISTS_DIR CODENAME
set -euo pipefail
export GNUPGHOME=${GNUPGHOME:-/root/netboot-test-gnupg}
if [ ! -d "$GNUPGHOME" ]; then
  install -d -m 0700 "$GNUPGHOME"
  gpg --batch --quiet --passphrase '' --quick-gen-key 'netboot test mirror <mirror@example.invalid>' ed25519 sign never
fi
gpg --batch --yes --quiet --export --output "$GNUPGHOME/keyring.gpg"
cd "$1/$2"
list=main/installer-amd64/current/images/SHA256SUMS
{
  # Codename and Date as Debian's archive writes them: the catalog pins the release and refuses an older Date.
  printf 'Origin: netboot-test\nCodename: %s\nDate: %s\nSHA256:\n' "$2" "$(LC_ALL=C date -Ru)"
  printf ' %s %s %s\n' "$(sha256sum "$list" | cut -d' ' -f1)" "$(stat -c %s "$list")" "$list"
} | gpg --batch --yes --quiet --clearsign --output InRelease
