#!/usr/bin/env bash
# Two gateway instances on one machine, each with its own journal (docs/scaling.md), and one
# consumer connected to both: every message accepted by either reaches it exactly once,
# marked with the instance it came from, and a durable consumer is remembered by each.
source "$(dirname "$0")/../support/walkthrough.sh" "$@"

"$stagegate" dev-setup --var var >/dev/null
"$stagegate" sign --key var/pki/provider.key --cert var/pki/provider.pem "$samples/stage.xml" >signed.xml

start_gateway --journal var/a.db
mv serve.log a.log
url_a=$url bus_a=$bus
start_gateway --journal var/b.db
url_b=$url bus_b=$bus

"$stagegate" tail --var var --endpoint "$bus_a" --endpoint "$bus_b" --count 6 --idle-timeout 20000 >both.out 2>tail.err &
pids+=($!)
tail_pid=$!
for _ in $(seq 100); do [ "$(grep -c 'connected to' tail.err)" = 2 ] && break; sleep 0.1; done
[ "$(grep -c 'connected to' tail.err)" = 2 ] || { echo "FAIL: tail did not connect to both"; cat tail.err; exit 1; }

for i in 1 2 3; do
  "$stagegate" send --url "$url_a" --sender dev-provider --password dev-password --message-id "a-$i" signed.xml >send.out
  grep -q 'status: SCSS001' send.out || { echo "FAIL: instance A refused a-$i"; cat send.out; exit 1; }
  "$stagegate" send --url "$url_b" --sender dev-provider --password dev-password --message-id "b-$i" signed.xml >send.out
  grep -q 'status: SCSS001' send.out || { echo "FAIL: instance B refused b-$i"; cat send.out; exit 1; }
done
wait "$tail_pid" || { echo "FAIL: tail exited with an error"; cat tail.err; exit 1; }

[ "$(wc -l <both.out)" = 6 ] || { echo "FAIL: expected 6 lines"; cat both.out; exit 1; }
[ "$(grep -c "\"gateway\":\"$bus_a\"" both.out)" = 3 ] || { echo "FAIL: 3 from A expected"; cat both.out; exit 1; }
[ "$(grep -c "\"gateway\":\"$bus_b\"" both.out)" = 3 ] || { echo "FAIL: 3 from B expected"; cat both.out; exit 1; }
# Each instance numbers its own journal from 1.
[ "$(grep -c '"sequence":1,' both.out)" = 2 ] || { echo "FAIL: each journal starts at 1"; cat both.out; exit 1; }

# One archive keeps one position: several instances need one consumer store each.
if "$stagegate" tail --var var --name tail --store x.db --endpoint "$bus_a" --endpoint "$bus_b" 2>err.txt; then
  echo "FAIL: --store with two endpoints accepted"; exit 1
fi
grep -q 'one --endpoint' err.txt || { echo "FAIL: no reason given"; cat err.txt; exit 1; }
echo "scale_out: ok"
