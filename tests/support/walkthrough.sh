# Sourced by the shell tests that drive the real binary (tests/integration/*.sh):
#   source walkthrough.sh STAGEGATE_BINARY SAMPLES_DIR
# sets $stagegate and $samples, works in a temporary directory removed on exit, stops every
# process whose pid is added to `pids`, and offers start_gateway.
set -euo pipefail
stagegate=$1
samples=$2
work=$(mktemp -d)
pids=()
# The sample's personal data (the recipient's IIN and names, the signer's IIN) must never reach
# a log: every test that drives the binary checks every log and error output it kept.
personal_data_in_logs() {
  grep -l -r --include='*.log' --include='*.err' -e '920315450126' -e 'Сейткали' -e 'Айгерим' -e 'Нурлановна' \
    -e '880501300451' "$work" 2>/dev/null || true
}
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  local leaked
  leaked=$(personal_data_in_logs)
  if [ -n "$leaked" ]; then
    echo "FAIL: personal data in $(echo "$leaked" | tr '\n' ' ')"
    grep -n -e '920315450126' -e 'Сейткали' -e 'Айгерим' -e 'Нурлановна' -e '880501300451' $leaked | head -5
    status=1
  fi
  rm -rf "$work"
  exit "$status"
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
