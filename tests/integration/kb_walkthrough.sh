#!/usr/bin/env bash
# The knowledge-base commands against the real binary: a gateway, `kb consume` on the bus,
# signed SERVICE_INFO and stage messages, the operator lookup with curl (200 / 404 / 401),
# `kb service`, `kb record` and `kb overdue`, and owner-only files.
# usage: kb_walkthrough.sh STAGEGATE_BINARY SAMPLES_DIR
source "$(dirname "${BASH_SOURCE[0]}")/../support/walkthrough.sh" "$@"
fail() { echo "FAIL: $*"; cat serve.log kb.log 2>/dev/null || true; exit 1; }

"$stagegate" dev-setup --var var >/dev/null
start_gateway

"$stagegate" kb consume --var var --endpoint "$bus" --listen 127.0.0.1:0 2>kb.log &
pids+=($!)
for _ in $(seq 100); do grep -q 'stage lookup on' kb.log 2>/dev/null && break; sleep 0.1; done
lookup=$(sed -n 's|.*stage lookup on \(http://127.0.0.1:[0-9]*\)/.*|\1|p' kb.log)
[ -n "$lookup" ] || fail "kb consume did not start"

"$stagegate" sign --key var/pki/provider.key --cert var/pki/provider.pem "$samples/stage.xml" >stage.xml
"$stagegate" sign --key var/pki/provider.key --cert var/pki/provider.pem "$samples/service-info.xml" >info.xml
"$stagegate" send --url "$url" --sender dev-provider --password dev-password stage.xml | grep -q '^status: SCSS001$' || fail "stage"
"$stagegate" send --url "$url" --sender dev-provider --password dev-password --service-id SERVICE_INFO info.xml \
  | grep -q '^status: SCSS001$' || fail "service info"

token=$("$stagegate" kb operator add operator-1 --var var 2>/dev/null)
[[ "$token" =~ ^[0-9a-f]{64}$ ]] || fail "token is not 64 hex digits: $token"
grep -q "$token" var/kb-operators.conf && fail "the token itself is stored"
path='/api/v1/applications/002145678912'
status=""
for _ in $(seq 100); do
  status=$(curl -s -o found.json -w '%{http_code}' -H "Authorization: Bearer $token" "$lookup$path?iin=920315450126")
  [ "$status" = 200 ] && break
  sleep 0.1
done
[ "$status" = 200 ] || fail "lookup: $status"
grep -q '"ru":"отправлено на исполнение"' found.json || fail "no Russian stage wording: $(cat found.json)"
grep -q '"kk":"орындауға жіберілді"' found.json || fail "no Kazakh stage wording"
[ "$(curl -s -H "Authorization: Bearer $token" "$lookup$path?iin=920315450127")" = '{"error":"not found"}' ] || fail "wrong iin"
[ "$(curl -s -H "Authorization: Bearer $token" "$lookup/api/v1/applications/999999999999?iin=920315450126")" \
  = '{"error":"not found"}' ] || fail "unknown id"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$lookup$path?iin=920315450126")" = 401 ] || fail "no token"
grep -q 920315450126 kb.log && fail "the IIN is in the log"

for _ in $(seq 100); do "$stagegate" kb service Z22-74 --var var >service.out 2>&1 && break; sleep 0.1; done
grep -q 'name (kk):     Сотталғандығының' service.out || fail "kb service: $(cat service.out)"
"$stagegate" kb service Z22-74 --var var --at 2020-01-01 >/dev/null 2>&1 && fail "a form before any was received"

"$stagegate" kb record request --var var --body 050140001238 --service Z22-74 --date 2026-10-22 >/dev/null
"$stagegate" kb record refusal --var var --body 050140001238 --date 2026-11-03 >/dev/null
"$stagegate" kb record refusal --var var --body 050140001238 --date 2026-11-10 >/dev/null
set +e
"$stagegate" kb record request --var var --body 12345 --service Z22-74 --date 2026-11-02 >/dev/null 2>&1
[ $? = 2 ] || fail "a bad BIN is a usage error"
set -e
"$stagegate" kb events --var var >events.out
[ "$(wc -l <events.out)" = 3 ] && grep -q '^#1 2026-10-22 request body 050140001238 service Z22-74 (recorded ' events.out \
  || fail "events: $(cat events.out)"
"$stagegate" kb overdue --var var --today 2026-11-02 >overdue.out
grep -q 'appointment due 2026-10-28 (request 2026-10-22), not done, late 3 working days (5 calendar days)' overdue.out \
  || fail "overdue: $(cat overdue.out)"
"$stagegate" kb overdue --var var --today 2026-11-20 >overdue.out
grep -q 'body 050140001238: refusals 2026-11-03 2026-11-10; report due 2026-11-13, not reported' overdue.out \
  || fail "refusals: $(cat overdue.out)"

for file in var/knowledge_base.db var/kb-secret var/kb-operators.conf; do
  [ "$(stat -c %a "$file")" = 600 ] || fail "$file is $(stat -c %a "$file")"
done
echo "kb walkthrough: ok"
