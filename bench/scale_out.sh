#!/usr/bin/env bash
# Scale-out on one machine (docs/scaling.md), measured in one run:
#   one:  one gateway loaded by one bench_load with 2 x CONNECTIONS connections;
#   two:  two gateway instances (each its own journal and bus port, the same var/ keys and
#         registry) loaded at the same time by one bench_load each with CONNECTIONS connections.
# In both, one consumer follows every instance: `stagegate tail --endpoint A --endpoint B`
# writing each message as a JSON line to a file; at the end its lines are counted against the
# messages the instances accepted.
# usage: bench/scale_out.sh [seconds=10]    environment: BUILD=build CONNECTIONS=32 GATEWAY_ARGS=...
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
build=${BUILD:-build}
connections=${CONNECTIONS:-32}
stagegate=$build/app/stagegate
bench=$build/bench/bench_load
for binary in "$stagegate" "$bench"; do
  [ -x "$binary" ] || { echo "scale_out.sh: $binary is missing: cmake --build $build --target stagegate bench_load" >&2; exit 2; }
done

var=$(mktemp -d "${TMPDIR:-/tmp}/stagegate-scale.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$var"
}
trap cleanup EXIT
"$stagegate" dev-setup --var "$var" >/dev/null
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_instance NAME: sets port_NAME, bus_NAME, pid_NAME
start_instance() {
  local name=$1 port bus
  port=$(free_port)
  bus=$(free_port)
  # shellcheck disable=SC2086 # GATEWAY_ARGS is a list of options
  "$stagegate" serve --var "$var" --listen "127.0.0.1:$port" --bus "tcp://127.0.0.1:$bus" --quiet \
    --journal "$var/journal-$name.db" ${GATEWAY_ARGS:-} >"$var/gateway-$name.log" 2>&1 &
  pids+=($!)
  printf -v "pid_$name" '%s' "$!"
  printf -v "port_$name" '%s' "$port"
  printf -v "bus_$name" '%s' "$bus"
  for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/?wsdl" && return 0; sleep 0.1; done
  echo "scale_out.sh: instance $name did not start" >&2
  cat "$var/gateway-$name.log" >&2
  exit 1
}

load() {  # load NAME CONNECTIONS OUT
  local name=$1 port_var="port_$1" pid_var="pid_$1"
  "$bench" --url "http://127.0.0.1:${!port_var}/" --seconds "$seconds" --connections "$2" \
    --key "$var/pki/provider.key" --cert "$var/pki/provider.pem" --sender dev-provider --password dev-password \
    --gateway-pid "${!pid_var}" --no-perf >"$3"
}

# stop_all: ends the instances and the consumer after it has drained.
stop_all() {
  sleep 2
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
}

accepted() { awk '/accepted \(SCSS001\)/ { gsub(",", "", $5); print $5 }' "$1"; }
rate() { awk '/accepted msg\/s/ { print $3 }' "$1"; }
p99() { awk '/latency to SCSS001 ms/ { print $6 " / " $8 }' "$1"; }
cpu() { awk '/gateway CPU us\/msg/ { print $4 }' "$1"; }

echo "stagegate scale-out: $seconds s, $(nproc) cores, load average $(cut -d" " -f1-3 /proc/loadavg)"
printf '%-6s %-10s %10s %16s %14s %20s\n' run instance "msg/s" "p50 / p99 ms" "CPU us/msg" "consumer got/accepted"

start_instance one
"$stagegate" tail --var "$var" --endpoint "tcp://127.0.0.1:$bus_one" >"$var/consumer-one.jsonl" 2>"$var/consumer-one.err" &
pids+=($!)
sleep 1
load one $((2 * connections)) "$var/one.txt"
stop_all
got=$(wc -l <"$var/consumer-one.jsonl")
printf '%-6s %-10s %10s %16s %14s %20s\n' one A "$(rate "$var/one.txt")" "$(p99 "$var/one.txt")" "$(cpu "$var/one.txt")" \
  "$got/$(accepted "$var/one.txt")"

start_instance a
start_instance b
"$stagegate" tail --var "$var" --endpoint "tcp://127.0.0.1:$bus_a" --endpoint "tcp://127.0.0.1:$bus_b" \
  >"$var/consumer-two.jsonl" 2>"$var/consumer-two.err" &
pids+=($!)
sleep 1
load a "$connections" "$var/a.txt" &
first=$!
load b "$connections" "$var/b.txt"
wait "$first"
stop_all
got=$(wc -l <"$var/consumer-two.jsonl")
total=$(($(accepted "$var/a.txt") + $(accepted "$var/b.txt")))
sum=$(awk -v a="$(rate "$var/a.txt")" -v b="$(rate "$var/b.txt")" 'BEGIN { print a + b }')
printf '%-6s %-10s %10s %16s %14s %20s\n' two A "$(rate "$var/a.txt")" "$(p99 "$var/a.txt")" "$(cpu "$var/a.txt")" ""
printf '%-6s %-10s %10s %16s %14s %20s\n' two B "$(rate "$var/b.txt")" "$(p99 "$var/b.txt")" "$(cpu "$var/b.txt")" ""
printf '%-6s %-10s %10s %16s %14s %20s\n' two "A + B" "$sum" "" "" "$got/$total"
