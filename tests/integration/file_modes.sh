#!/usr/bin/env bash
# Files holding personal data, password hashes or keys are the owner's alone (issue 10):
# var/ 0700, the journal and its -wal/-shm, the registry and every private key 0600, even
# when the operator's umask is permissive; a var/ left 0755 by an older version is closed.
# usage: file_modes.sh STAGEGATE_BINARY SAMPLES_DIR
set -euo pipefail
stagegate=$1
samples=$2
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
umask 022

mkdir -m 0755 var
"$stagegate" dev-setup --var var >setup.out
grep -q 'closed var to its owner' setup.out || { echo "FAIL: dev-setup did not say it closed var/"; cat setup.out; exit 1; }
"$stagegate" serve --var var --listen 127.0.0.1:0 --bus 'tcp://127.0.0.1:*' 2>serve.log &
pids+=($!)
for _ in $(seq 100); do grep -q 'SyncChannel on' serve.log 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's|.*SyncChannel on \(http://[^ ]*/\) .*|\1|p' serve.log)
[ -n "$url" ] || { echo "FAIL: gateway did not start"; cat serve.log; exit 1; }
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
