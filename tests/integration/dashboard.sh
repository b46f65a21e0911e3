#!/usr/bin/env bash
# The dashboard driven in headless Chromium against a real gateway and monitoring consumer
# (tests/integration/dashboard_browser.py does the clicking).
# usage: dashboard.sh STAGEGATE_BINARY SAMPLES_DIR
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../support/walkthrough.sh" "$@"
fail() { echo "FAIL: $*"; exit 1; }

"$stagegate" dev-setup --var var >/dev/null
# Service information also goes to monitoring, which refuses it: a dead letter at once.
{ "$stagegate" routes default; printf '\n[[routes]]\nservice_ids = ["SERVICE_INFO"]\nto = ["monitoring"]\n'; } >routes.toml
start_gateway --ops-listen 127.0.0.1:0 --max-failures 1 --routes routes.toml
ops=$(sed -n 's|.*operators: \(http://[^/]*\)/metrics.*|\1|p' serve.log)
[ -n "$ops" ] || fail "no operators' address: $(cat serve.log)"
"$stagegate" monitor --var var --endpoint "$bus" --store var/monitoring.db 2>monitor.log &
pids+=($!)

"$stagegate" sign --key var/pki/provider.key --cert var/pki/provider.pem "$samples/stage.xml" >stage.signed.xml
"$stagegate" sign --key var/pki/provider.key --cert var/pki/provider.pem "$samples/service-info.xml" >info.signed.xml
send="$stagegate send --url $url --sender dev-provider --password dev-password"
/usr/bin/python3 "$here/dashboard_browser.py" "$ops" "$(head -1 var/ops.token)" \
  "$send $work/stage.signed.xml" "$send --service-id SERVICE_INFO $work/info.signed.xml" ||
  { cat serve.log monitor.log; fail "the browser test failed"; }
grep -q 'replayed from the dashboard' serve.log || fail "the gateway did not log the replay"
