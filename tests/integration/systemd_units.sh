#!/usr/bin/env bash
# The systemd units in ops/systemd: `systemd-analyze verify` accepts each (with the built
# binary in place of /usr/bin/stagegate, since verify checks that ExecStart exists), each
# carries the hardening docs/packaging.md promises, and the sample configuration has no
# problem but the files a real host provides.
# usage: systemd_units.sh STAGEGATE_BINARY SAMPLES_DIR
units_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../ops/systemd" && pwd)
source "$(dirname "${BASH_SOURCE[0]}")/../support/walkthrough.sh" "$@"
fail() { echo "FAIL: $*"; exit 1; }
units=(stagegate-gateway stagegate-monitor stagegate-kb stagegate-notify)
for unit in "${units[@]}"; do
  file="$units_dir/$unit.service"
  for setting in User=stagegate ProtectSystem=strict PrivateTmp=yes NoNewPrivileges=yes StateDirectory=stagegate \
      ReadWritePaths=/var/lib/stagegate ProtectHome=yes CapabilityBoundingSet= UMask=0077; do
    grep -qx "$setting" "$file" || fail "$unit lacks $setting"
  done
  sed "s|/usr/bin/stagegate|$stagegate|" "$file" >"$unit.service"
done
if command -v systemd-analyze >/dev/null; then
  # --man=no: the Documentation= page is on the installed host, not here.
  SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no "${units[@]/%/.service}" >verify.txt 2>&1 ||
    { cat verify.txt; fail "systemd-analyze verify refused the units"; }
  # verify exits 0 on some warnings; an unknown or misspelled setting is one of them.
  grep -E 'Unknown key|Unknown section|Failed to parse|Invalid|ignoring' verify.txt && fail "systemd-analyze warned"
  echo "systemd-analyze verify: ${#units[@]} units ok"
else
  echo "systemd-analyze not installed: checked the hardening settings only"
fi
# The sample production configuration: every problem is a file only the real host has.
set +e
"$stagegate" check-config "$units_dir/gateway.toml" >sample.txt
set -e
grep -v -E ': (no (file|directory|certificate)|cannot write)' sample.txt && fail "the sample configuration has problems"
echo "systemd_units: ok"
