#!/usr/bin/env bash
# The README walkthrough against the real binary: dev-setup, serve, sign, send, tail, refusals.
# usage: cli_walkthrough.sh STAGEGATE_BINARY SAMPLES_DIR
source "$(dirname "${BASH_SOURCE[0]}")/../support/walkthrough.sh" "$@"

"$stagegate" dev-setup --var var
# The development CRL: made once, kept while current, remade within 7 days of its nextUpdate.
[ -s var/pki/ca.crl.pem ] || { echo "FAIL: dev-setup made no CRL"; exit 1; }
"$stagegate" dev-setup --var var >setup.txt
grep -q -E '^(issued|refreshed) var/pki/ca.crl.pem' setup.txt &&
  { echo "FAIL: a current CRL was remade"; cat setup.txt; exit 1; }
mkdir crl-ca && touch crl-ca/index.txt
printf '[ca]\ndefault_ca=dev\n[dev]\ndatabase=crl-ca/index.txt\ndefault_md=sha256\n' >crl-ca/openssl.cnf
openssl ca -batch -config crl-ca/openssl.cnf -gencrl -keyfile var/pki/ca.key -cert var/pki/ca.pem -crldays 3 \
  -out var/pki/ca.crl.pem 2>/dev/null
"$stagegate" dev-setup --var var | grep -q '^refreshed var/pki/ca.crl.pem' || { echo "FAIL: CRL not refreshed"; exit 1; }
openssl crl -in var/pki/ca.crl.pem -noout -nextupdate | grep -q "$(date -u -d '+30 days' '+%b %e')" ||
  { echo "FAIL: refreshed CRL is not good for 30 days"; openssl crl -in var/pki/ca.crl.pem -noout -nextupdate; exit 1; }
# Without any CRL the gateway refuses to start unless revocation checking is turned off.
mv var/pki/ca.crl.pem ca.crl.pem.kept
set +e
"$stagegate" serve --var var --listen 127.0.0.1:0 --bus 'tcp://127.0.0.1:*' 2>no-crl.log
status=$?
set -e
mv ca.crl.pem.kept var/pki/ca.crl.pem
[ "$status" -eq 2 ] && grep -q 'no CRL' no-crl.log || { echo "FAIL: started without a CRL"; cat no-crl.log; exit 1; }
# Port 0 and tcp://...:* let the kernel pick free ports; the startup line names them.
start_gateway
curl -fsS "$url?wsdl" -o wsdl.xml
grep -q 'SendMessageFault1_SendMessageFault' wsdl.xml || { echo "FAIL: no WSDL at ?wsdl"; cat serve.log; exit 1; }

"$stagegate" tail --endpoint "$bus" --count 1 --idle-timeout 20000 >tail.out 2>tail.err &
tail_pid=$!
pids+=($tail_pid)
for _ in $(seq 50); do grep -q connected tail.err 2>/dev/null && break; sleep 0.1; done

"$stagegate" sign --key var/pki/provider.key --cert var/pki/provider.pem "$samples/stage.xml" >signed.xml
"$stagegate" send --url "$url" --sender dev-provider --password dev-password signed.xml | tee reply.txt
grep -q '^status: SCSS001$' reply.txt || { echo "FAIL: not accepted"; cat serve.log; exit 1; }
grep -q '^sequence: 1$' reply.txt || { echo "FAIL: no receipt sequence"; exit 1; }

wait "$tail_pid"
grep -q '"schema":"stagegate.stage/1"' tail.out || { echo "FAIL: tail printed no stage message"; cat tail.out tail.err; exit 1; }
echo "tail: $(head -c 200 tail.out)..."

# A refusal: a wrong password is SENDER_AUTH, exit 1, and nothing more is journaled.
set +e
"$stagegate" send --url "$url" --sender dev-provider --password wrong signed.xml >refused.txt
status=$?
set -e
[ "$status" -eq 1 ] || { echo "FAIL: refused send exited $status"; exit 1; }
grep -q '^status: SENDER_AUTH$' refused.txt || { echo "FAIL: expected SENDER_AUTH"; cat refused.txt; exit 1; }

# Log injection: a senderId carrying a forged log line stays inside its quotes on one line.
forged=$'x\n2026-01-01T00:00:00.000Z accepted seq=999 sender=forged'
set +e
"$stagegate" send --url "$url" --sender "$forged" --password wrong signed.xml >/dev/null
set -e
for _ in $(seq 50); do grep -q '"sender":"x\\n2026' serve.log && break; sleep 0.1; done
grep -q '"sender":"x\\n2026-01-01T00:00:00.000Z accepted seq=999 sender=forged"' serve.log ||
  { echo "FAIL: the forged senderId is not logged escaped"; cat serve.log; exit 1; }
! grep -q '^2026-01-01T00:00:00.000Z accepted seq=999' serve.log || { echo "FAIL: a forged line reached the log"; exit 1; }

# verify: 0 for the signed document, 1 once tampered.
"$stagegate" verify --ca var/pki/ca.pem --crl var/pki/ca.crl.pem signed.xml | grep -q '^verified: '
sed 's/<receptionPlace>/<receptionPlace>X/' signed.xml >tampered.xml
set +e
"$stagegate" verify --ca var/pki/ca.pem --crl var/pki/ca.crl.pem tampered.xml >verify.txt
status=$?
set -e
[ "$status" -eq 1 ] && grep -q '^SIGNATURE_INVALID' verify.txt || { echo "FAIL: tampered verify"; cat verify.txt; exit 1; }

grep -q '^{"time":"[0-9T:.Z-]*","level":"info","event":"accepted","code":"SCSS001","sequence":1,"messageId":' serve.log ||
  { echo "FAIL: no accepted log line"; cat serve.log; exit 1; }
grep '"event":"refused"' serve.log | grep -q '"level":"warn","event":"refused","code":"SENDER_AUTH","reason":' ||
  { echo "FAIL: no refused log line"; cat serve.log; exit 1; }

# Monitoring, started after the message was accepted: a named consumer gets the history.
"$stagegate" monitor --endpoint "$bus" --store var/monitoring.db 2>monitor.log &
pids+=($!)
for _ in $(seq 100); do
  "$stagegate" status --store var/monitoring.db --application 002145678912 >status.txt 2>/dev/null && break
  sleep 0.1
done
grep -q 'SENT_FOR_EXECUTION' status.txt || { echo "FAIL: monitoring has no stage"; cat status.txt monitor.log; exit 1; }
grep -q '^planned      2026-11-27 (computed); provider declared 2026-11-25, DISAGREES' status.txt || { echo "FAIL: planned date"; cat status.txt; exit 1; }
"$stagegate" report violations --store var/monitoring.db --month 2026-11 --format html >report.html
grep -q '<svg' report.html && grep -q '2026-12-15' report.html || { echo "FAIL: report"; head -c 600 report.html; exit 1; }
# Issued once the month is over: frozen, signed with the gateway's key, verified; never twice.
"$stagegate" report violations --store var/monitoring.db --month 2026-11 --issue --today 2026-11-30 2>issue.err &&
  { echo "FAIL: a month not over was issued"; exit 1; }
grep -q 'is not over yet' issue.err || { echo "FAIL: issue refusal"; cat issue.err; exit 1; }
"$stagegate" report violations --store var/monitoring.db --month 2026-11 --issue --today 2026-12-02 | grep -q '^issued 2026-11 at ' ||
  { echo "FAIL: issue"; exit 1; }
"$stagegate" report violations --month 2026-11 --verify | grep -q 'hash and signature verify' || { echo "FAIL: verify"; exit 1; }
"$stagegate" report violations --store var/monitoring.db --month 2026-11 --issue --today 2026-12-02 2>issue.err &&
  { echo "FAIL: issued twice"; exit 1; }
grep -q 'was issued at' issue.err || { echo "FAIL: second issue refusal"; cat issue.err; exit 1; }
"$stagegate" report violations --store var/monitoring.db --month 2026-11 --format json --lang kk --today 2026-12-02 | grep -q '"corrections": \[\]' ||
  { echo "FAIL: an unchanged issued month shows no corrections"; exit 1; }
"$stagegate" consumers list --var var | grep -q '^monitoring' || { echo "FAIL: monitoring not a known consumer"; exit 1; }

# The bus is CURVE: a destination not granted to a key is refused with the reason (exit 1),
# a key the gateway does not know gets nothing, and `consumers add` registers a new one
# that the gateway picks up without a restart.
set +e
"$stagegate" tail --endpoint "$bus" --name monitoring --destination notification --key var/bus/monitoring.key \
  --count 1 >denied.out 2>denied.err
status=$?
set -e
[ "$status" -eq 1 ] && grep -q 'refused by the gateway: destination notification is not granted to consumer monitoring' denied.err ||
  { echo "FAIL: ungranted destination (exit $status)"; cat denied.err; exit 1; }
grep -q 'denied a HELLO from peer [0-9a-f]*: destination notification is not granted to consumer monitoring' serve.log ||
  { echo "FAIL: no denied log line"; cat serve.log; exit 1; }
"$stagegate" keys new --out stranger >/dev/null
[ "$(stat -c %a stranger.key)" = 600 ] || { echo "FAIL: secret key mode $(stat -c %a stranger.key)"; exit 1; }
set +e
timeout 10 "$stagegate" tail --endpoint "$bus" --key stranger.key --server-key var/bus/gateway.pub --count 1 \
  >stranger.out 2>stranger.err
status=$?
"$stagegate" serve --var var --listen 127.0.0.1:0 --bus 'tcp://0.0.0.0:*' --bus-plaintext >plaintext.out 2>&1
plaintext_status=$?
set -e
[ "$status" -eq 1 ] && [ ! -s stranger.out ] && grep -q "refused by the gateway: the gateway refused this consumer's key" stranger.err &&
  grep -q 'refused .* CURVE handshake(s) with unregistered keys' serve.log ||
  { echo "FAIL: unregistered key (exit $status)"; cat stranger.out stranger.err; exit 1; }
[ "$plaintext_status" -eq 2 ] && grep -q 'bus-plaintext is only allowed on a loopback or ipc endpoint' plaintext.out ||
  { echo "FAIL: plaintext bus on every interface (exit $plaintext_status)"; cat plaintext.out; exit 1; }
"$stagegate" consumers add audit --destinations knowledge_base --out var/bus/audit --var var >/dev/null
for _ in $(seq 60); do grep -q 'bus consumers var/bus/consumers.conf' serve.log && break; sleep 0.1; done
"$stagegate" tail --endpoint "$bus" --name audit --destination knowledge_base --var var --count 1 --idle-timeout 500 \
  2>audit.err >/dev/null
grep -q 'connected to .* as consumer audit' audit.err || { echo "FAIL: added consumer"; cat audit.err serve.log; exit 1; }

# Routing rules: the built-in file checks, a mistake is reported with its position, exit 1.
"$stagegate" routes default >routes.toml
"$stagegate" routes check routes.toml | grep -q 'ok, destinations knowledge_base monitoring notification'
sed 's/"recipient.lastName"/"recipient.surname"/' routes.toml >broken-routes.toml
set +e
"$stagegate" routes check broken-routes.toml >routes-check.txt
status=$?
set -e
[ "$status" -eq 1 ] && grep -q "^broken-routes.toml:[0-9]*:[0-9]*: unknown field 'recipient.surname'" routes-check.txt ||
  { echo "FAIL: routes check"; cat routes-check.txt; exit 1; }
# Citizen notification: a development mailbox (aiosmtpd), the sample's contact, the consumer;
# the stage already accepted arrives as one mail in Kazakh and Russian.
/usr/bin/python3 "$(dirname "$samples")/../tests/support/smtp_sink.py" --dir var/mailbox --port-file smtp.port 2>smtp.log &
pids+=($!)
for _ in $(seq 100); do [ -s smtp.port ] && break; sleep 0.1; done
"$stagegate" notify contacts import "$samples/contacts.csv" --var var | grep -q '^1 contact(s) imported'
"$stagegate" notify consume --var var --endpoint "$bus" --smtp "smtp://127.0.0.1:$(cat smtp.port)" 2>notify.log &
pids+=($!)
for _ in $(seq 100); do ls var/mailbox/*.json >/dev/null 2>&1 && break; sleep 0.1; done
grep -q 'Ваша заявка направлена на исполнение' var/mailbox/*.json && grep -q 'Құрметті' var/mailbox/*.json ||
  { echo "FAIL: no notification mail"; cat notify.log smtp.log; exit 1; }
"$stagegate" notify outbox --var var 2>&1 | grep -q '^0 waiting' || { echo "FAIL: outbox not empty"; exit 1; }
echo "walkthrough: 1 passed, 0 failed"
