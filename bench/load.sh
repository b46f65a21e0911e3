#!/usr/bin/env bash
# Load against a real `stagegate serve` process: a throwaway var/ with the development PKI,
# provider and bus keys (`stagegate dev-setup`, as ./ops/run makes them) plus one observer
# key for the benchmark (`stagegate consumers add bench --observe`), then for each scenario a
# fresh gateway (own journal, so peak RSS and journal size belong to that scenario) loaded by
# build/bench/bench_load with the observer attached over the CURVE bus:
#   closed loop (as fast as answered) with 32 and 256 connections, then open loop at 5000 msg/s.
# usage: bench/load.sh [seconds=10]
# environment: BUILD=build  STAGEGATE=BUILD/app/stagegate  CONNECTIONS="32 256"  RATES="5000"  RATE_CONNECTIONS=64
#              DOCUMENTS=1000  GATEWAY_ARGS="..." (extra `serve` options, e.g. --workers 8 or --quiet)
#              BENCH_ARGS="..." (extra bench_load options, e.g. --no-perf or --warmup 2)
#              KEEP=1 keeps the var/ directory (journals, gateway logs)
# On a shared machine the figures follow what else runs: each scenario prints the load average
# and the CPU pressure (/proc/pressure/cpu, share of time runnable work waited for a core).
# The gateway logs one line per message as in production; the log goes to the var/ directory.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
build=${BUILD:-build}
stagegate=${STAGEGATE:-$build/app/stagegate}  # STAGEGATE=: another build's gateway against this bench_load
bench=$build/bench/bench_load
for binary in "$stagegate" "$bench"; do
  [ -x "$binary" ] || { echo "load.sh: $binary is missing: cmake --build $build --target stagegate bench_load" >&2; exit 2; }
done

var=$(mktemp -d "${TMPDIR:-/tmp}/stagegate-load.XXXXXX")
gateway=
stop_gateway() {
  if [ -n "$gateway" ]; then
    kill -TERM "$gateway" 2>/dev/null || true
    wait "$gateway" 2>/dev/null || true
    gateway=
  fi
}
cleanup() {
  stop_gateway
  if [ -n "${KEEP:-}" ]; then echo "kept $var"; else rm -rf "$var"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$stagegate" dev-setup --var "$var" >/dev/null
"$stagegate" consumers add bench --observe --out "$var/bus/bench" --var "$var" >/dev/null

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
bus_port=$(free_port)

# One gateway per scenario; waits until it serves the WSDL.
start_gateway() {
  local name=$1
  # shellcheck disable=SC2086 # GATEWAY_ARGS is a list of options
  "$stagegate" serve --var "$var" --listen "127.0.0.1:$port" --bus "tcp://127.0.0.1:$bus_port" \
    --journal "$var/journal-$name.db" ${GATEWAY_ARGS:-} >"$var/gateway-$name.log" 2>&1 &
  gateway=$!
  for _ in $(seq 100); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/?wsdl" && return 0
    kill -0 "$gateway" 2>/dev/null || break
    sleep 0.1
  done
  echo "load.sh: the gateway did not start; its log:" >&2
  cat "$var/gateway-$name.log" >&2
  exit 1
}

run() {
  local name=$1
  shift
  start_gateway "$name"
  echo
  echo "== $name: gateway pid $gateway, $(nproc) cores, load average $(cut -d" " -f1-3 /proc/loadavg)," \
    "CPU pressure $(awk '/^some/ { print $2 }' /proc/pressure/cpu 2>/dev/null || echo unknown)"
  # shellcheck disable=SC2086 # BENCH_ARGS is a list of options
  "$bench" --url "http://127.0.0.1:$port/" --seconds "$seconds" --documents "${DOCUMENTS:-1000}" \
    --key "$var/pki/provider.key" --cert "$var/pki/provider.pem" --sender dev-provider --password dev-password \
    --gateway-pid "$gateway" --bus "tcp://127.0.0.1:$bus_port" \
    --consumer-key "$var/bus/bench.key" --server-key "$var/bus/gateway.pub" ${BENCH_ARGS:-} "$@" \
    | tee "$var/out-$name.txt" || echo "(bench_load exit $?)"
  stop_gateway
  scenarios+=("$name")
}

# One line per scenario from bench_load's output.
summary() {
  echo
  printf '%-12s %8s %9s %9s %9s %9s %9s %8s %9s %8s %7s\n' scenario "msg/s" "p50 ms" "p99 ms" "p99.9 ms" \
    "dlv p50" "dlv p99" "CPU us" "syscalls" "fsyncs" "RSS MiB"
  for name in "${scenarios[@]}"; do
    awk -v name="$name" '
      /accepted msg\/s/ { rate = $3 }
      /NOT SUSTAINED/ { rate = rate "*" }
      /latency to SCSS001 ms/ { p50 = $6; p99 = $8; p999 = $10 }
      /latency to delivery ms/ { d50 = $6; d99 = $8 }
      /gateway CPU us\/msg/ { cpu = $4 }
      /gateway syscalls\/msg/ { sys = $3 }
      /gateway fsyncs\/msg/ { fs = $3 }
      /gateway peak RSS/ { rss = $4 }
      END { printf "%-12s %8s %9s %9s %9s %9s %9s %8s %9s %8s %7s\n", name, rate, p50, p99, p999, d50, d99, cpu, sys, fs, rss }
    ' "$var/out-$name.txt"
  done
  echo "(per message: gateway CPU us, syscalls, fsyncs; dlv: latency to delivery to the observer; * rate not sustained)"
}
scenarios=()

echo "stagegate load: $seconds s per scenario, var $var, gateway ${GATEWAY_ARGS:-with default options}"
for connections in ${CONNECTIONS-32 256}; do
  run "closed-$connections" --connections "$connections"
done
for rate in ${RATES-5000}; do
  run "rate-$rate" --connections "${RATE_CONNECTIONS:-64}" --rate "$rate"
done
summary
