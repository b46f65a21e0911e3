# Sourced by the shell tests that drive the real binary (tests/integration/*.sh):
#   source walkthrough.sh STAGEGATE_BINARY SAMPLES_DIR
# sets $stagegate and $samples, works in a temporary directory removed on exit, stops every
# process whose pid is added to `pids`, and offers start_gateway.
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

# `stagegate serve --var var` on free ports (extra arguments appended), its log in serve.log;
# sets $url and $bus from its startup line, or fails the test.
start_gateway() {
  "$stagegate" serve --var var --listen 127.0.0.1:0 --bus 'tcp://127.0.0.1:*' "$@" 2>serve.log &
  pids+=($!)
  for _ in $(seq 100); do grep -q 'SyncChannel on' serve.log 2>/dev/null && break; sleep 0.1; done
  url=$(sed -n 's|.*SyncChannel on \(http://[^ ]*/\) .*|\1|p' serve.log)
  bus=$(sed -n 's|.*, bus \(tcp://[^,]*\), journal.*|\1|p' serve.log)
  [ -n "$url" ] && [ -n "$bus" ] || { echo "FAIL: gateway did not start"; cat serve.log; exit 1; }
}
