#!/usr/bin/env bash
# The operators' listener of a real `serve --ops-listen`: /healthz open, /readyz with its
# reasons, /metrics only with the operator token; requests counted by code with labels a
# client cannot mint, trust anchors' and CRLs' expiry; no personal data in the metrics.
# usage: ops_endpoints.sh STAGEGATE_BINARY SAMPLES_DIR
source "$(dirname "${BASH_SOURCE[0]}")/../support/walkthrough.sh" "$@"
fail() { echo "FAIL: $*"; exit 1; }
# status code and body of GET $1 with optional extra headers
get() { /usr/bin/python3 - "$@" <<'PY'
import sys, urllib.request, urllib.error
request = urllib.request.Request(sys.argv[1])
for header in sys.argv[2:]:
    name, value = header.split(": ", 1)
    request.add_header(name, value)
try:
    with urllib.request.urlopen(request, timeout=5) as response:
        print(response.status); print(response.read().decode())
except urllib.error.HTTPError as error:
    print(error.code); print(error.read().decode())
PY
}

"$stagegate" dev-setup --var var >/dev/null
[ "$(stat -c %a var/ops.token)" = 600 ] || fail "var/ops.token is not 0600"
token=$(head -1 var/ops.token)
start_gateway --ops-listen 127.0.0.1:0
ops=$(sed -n 's|.*operators: \(http://[^/]*\)/metrics.*|\1|p' serve.log)
[ -n "$ops" ] || fail "no operators' address in the log: $(cat serve.log)"

get "$ops/healthz" >healthz.txt
[ "$(head -1 healthz.txt)" = 200 ] && grep -q '"status":"alive"' healthz.txt || fail "healthz: $(cat healthz.txt)"
get "$ops/readyz" >readyz.txt
[ "$(head -1 readyz.txt)" = 503 ] && grep -q 'no consumer connected to the bus' readyz.txt || fail "readyz without consumers: $(cat readyz.txt)"

for header in "" "Authorization: Bearer wrong-token-wrong-token" "Authorization: $token"; do
  get "$ops/metrics" ${header:+"$header"} >metrics.txt
  [ "$(head -1 metrics.txt)" = 401 ] || fail "metrics with '${header:-no token}' answered $(head -1 metrics.txt)"
done

"$stagegate" sign --key var/pki/provider.key --cert var/pki/provider.pem "$samples/stage.xml" >signed.xml
"$stagegate" send --url "$url" --sender dev-provider --password dev-password signed.xml >/dev/null
"$stagegate" send --url "$url" --sender dev-provider --password dev-password --message-id again signed.xml >/dev/null
set +e
"$stagegate" send --url "$url" --sender "who-am-i-$RANDOM" --password wrong --service-id "MADE_UP_$RANDOM" signed.xml >/dev/null
set -e

# A consumer connects: ready.
"$stagegate" tail --var var --endpoint "$bus" --idle-timeout 4000 --quiet >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do
  get "$ops/readyz" >readyz.txt
  [ "$(head -1 readyz.txt)" = 200 ] && break
  sleep 0.1
done
[ "$(head -1 readyz.txt)" = 200 ] && grep -q '"ready":true' readyz.txt || fail "readyz with a consumer: $(cat readyz.txt)"

get "$ops/metrics" "Authorization: Bearer $token" >metrics.txt
[ "$(head -1 metrics.txt)" = 200 ] || fail "metrics with the token: $(head -3 metrics.txt)"
grep -q '^stagegate_requests_total{.*code="SCSS001".*sender="dev-provider".*service_id="STAGE_NOTIFICATION".*} 2' metrics.txt ||
  fail "accepted requests not counted: $(grep requests_total metrics.txt)"
grep -q '^stagegate_requests_total{.*code="SENDER_AUTH".*sender="-".*service_id="other".*} 1' metrics.txt ||
  fail "a refused stranger is not counted under sender - and service other: $(grep requests_total metrics.txt)"
grep -q 'who-am-i\|MADE_UP' metrics.txt && fail "a client's own words became labels"
grep -q '^stagegate_request_duration_seconds_count{code="SCSS001"} 2' metrics.txt || fail "latency histogram"
grep -q '^stagegate_journal_last_sequence 2' metrics.txt || fail "journal sequence: $(grep journal metrics.txt)"
grep -q '^stagegate_consumers_connected 1' metrics.txt || fail "consumers connected"
grep -q '^stagegate_dead_letters 0' metrics.txt || fail "dead letters"
grep -Eq '^stagegate_trust_expiry_days\{.*kind="anchor".*\} (3[0-9]{3}|[0-9]{3})' metrics.txt || fail "anchor expiry: $(grep expiry metrics.txt)"
grep -Eq '^stagegate_trust_expiry_days\{.*kind="crl".*\} [0-9]' metrics.txt || fail "CRL expiry: $(grep expiry metrics.txt)"
grep -Eq '^stagegate_signer_expiry_days\{fingerprint="[0-9a-f]{16}",sender="dev-provider"\} [0-9]' metrics.txt ||
  fail "signer expiry per provider: $(grep signer metrics.txt)"
grep -q '^stagegate_step_duration_seconds_count{step="verify_signature"} 2' metrics.txt || fail "verification histogram"
grep -Eq '^stagegate_journal_bytes [1-9]' metrics.txt || fail "journal size"
grep -q '^stagegate_consumer_lag{consumer="' metrics.txt || true  # an observer has no name: no lag line
# Nothing personal: the sample's IIN, names, the signer's IIN.
grep -q '920315450126\|Сейткали\|Айгерим\|880501300451' metrics.txt serve.log && fail "personal data in metrics or log"
echo "ops endpoints: healthz, readyz (503 then 200), metrics 401 x3 then 200 with $(grep -c '^stagegate_' metrics.txt) samples"
