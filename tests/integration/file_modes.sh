#!/usr/bin/env bash
# Files holding personal data, password hashes or keys are the owner's alone (issue 10):
# var/ 0700, the journal and its -wal/-shm, the registry and every private key 0600, even
# when the operator's umask is permissive; a var/ left 0755 by an older version is closed.
# usage: file_modes.sh STAGEGATE_BINARY SAMPLES_DIR
source "$(dirname "${BASH_SOURCE[0]}")/../support/walkthrough.sh" "$@"
umask 022

mkdir -m 0755 var
"$stagegate" dev-setup --var var >setup.out
grep -q 'closed var to its owner' setup.out || { echo "FAIL: dev-setup did not say it closed var/"; cat setup.out; exit 1; }
start_gateway
"$stagegate" sign --key var/pki/provider.key --cert var/pki/provider.pem "$samples/stage.xml" >signed.xml
"$stagegate" send --url "$url" --sender dev-provider --password dev-password signed.xml | grep -q '^status: SCSS001$' \
  || { echo "FAIL: not accepted"; cat serve.log; exit 1; }

failures=0
expect_mode() {
  local mode
  mode=$(stat -c %a "$2")
  if [ "$mode" != "$1" ]; then echo "FAIL: $2 has mode $mode, expected $1"; failures=$((failures + 1)); else echo "ok: $2 $mode"; fi
}
expect_mode 700 var
expect_mode 700 var/pki
for file in var/journal.db var/journal.db-wal var/journal.db-shm var/providers.conf; do expect_mode 600 "$file"; done
for key in var/pki/*.key; do expect_mode 600 "$key"; done
# Nothing under var/ may be readable or writable by group or others.
loose=$(find var \( -perm -g=r -o -perm -o=r -o -perm -g=w -o -perm -o=w \) -print)
[ -z "$loose" ] || { echo "FAIL: readable by others: $loose"; failures=$((failures + 1)); }
[ "$failures" -eq 0 ] || exit 1
echo "file modes: PASS"
