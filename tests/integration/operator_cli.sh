#!/usr/bin/env bash
# Operators' commands against the real binary: `providers` and `consumers` manage the registry
# files of a running gateway, which reloads them; the WSDL names the address a client came to,
# and a third-party SOAP client (zeep) generated from it reaches the gateway.
# usage: operator_cli.sh STAGEGATE_BINARY SAMPLES_DIR
source "$(dirname "${BASH_SOURCE[0]}")/../support/walkthrough.sh" "$@"
support=$(cd "$(dirname "${BASH_SOURCE[0]}")/../support" && pwd)
fail() { echo "FAIL: $*"; cat serve.log 2>/dev/null | tail -5; exit 1; }
expect_exit() {  # expect_exit CODE command...
  local want=$1; shift
  set +e; "$@" >out.txt 2>err.txt; local got=$?; set -e
  [ "$got" -eq "$want" ] || { cat out.txt err.txt; fail "'$*' exited $got, not $want"; }
}

"$stagegate" dev-setup --var var >/dev/null
start_gateway --reload-poll 0.2
"$stagegate" sign --key var/pki/provider.key --cert var/pki/provider.pem "$samples/stage.xml" >signed.xml
send_as() { "$stagegate" send --url "$url" --sender "$1" --password "$2" signed.xml 2>&1 | sed -n 's/^status: //p'; }
# Waits (up to 5 s) for the reloading gateway to give this answer.
await_status() {
  local want=$1; shift
  for _ in $(seq 50); do [ "$(send_as "$@")" = "$want" ] && return 0; sleep 0.1; done
  fail "sender $1 never got $want (last: $(send_as "$@"))"
}

# providers add: the password from stdin, never argv; the file stays 0600 and loadable.
printf 'first-secret\n' | "$stagegate" providers add akimat-ast --var var --bin 050140001238 \
  --services STAGE_NOTIFICATION,SERVICE_INFO --password-stdin
[ "$(stat -c %a var/providers.conf)" = 600 ] || fail "providers.conf is $(stat -c %a var/providers.conf)"
grep -q '^akimat-ast 050140001238 pbkdf2-sha256\$' var/providers.conf || fail "no registry line"
grep -q 'first-secret' var/providers.conf && fail "the password itself is in the file"
await_status SCSS001 akimat-ast first-secret
"$stagegate" providers list --var var | grep >/dev/null $'^akimat-ast\t050140001238\tSTAGE_NOTIFICATION,SERVICE_INFO\t-$' ||
  fail "list: $("$stagegate" providers list --var var)"
# Refusals: an existing sender, a BIN with a wrong check digit, a password on the command line,
# no terminal and no --password-stdin.
echo x | expect_exit 2 "$stagegate" providers add akimat-ast --var var --bin 050140001238 --services S --password-stdin
grep -q 'already' err.txt || fail "duplicate sender: $(cat err.txt)"
echo x | expect_exit 2 "$stagegate" providers add other --var var --bin 050140001230 --services S --password-stdin
grep -q 'check digit' err.txt || fail "bad BIN: $(cat err.txt)"
expect_exit 2 "$stagegate" providers add other --var var --bin 050140001238 --services S --password p
expect_exit 2 setsid "$stagegate" providers add other --var var --bin 050140001238 --services S </dev/null
grep -q 'password-stdin' err.txt || fail "no terminal: $(cat err.txt)"
# At a terminal: asked twice, never echoed.
"$support/tty_password.py" typed-secret "$stagegate" providers add typed --var var --bin 050140001238 \
  --services STAGE_NOTIFICATION >tty.txt || fail "tty add: $(cat tty.txt)"
grep -q 'typed-secret' tty.txt && fail "the password was echoed: $(cat tty.txt)"
grep -q '^again: ' tty.txt || fail "not asked twice: $(cat tty.txt)"
await_status SCSS001 typed typed-secret
# With a TLS binding: the list says so.
printf 'p\n' | "$stagegate" providers add bound --var var --bin 050140001238 --services SERVICE_INFO --password-stdin \
  --tls-sha256 "$(printf 'ab%.0s' $(seq 32))" --tls-subject 'CN=Bound Sender,O=Akimat'
"$stagegate" providers list --var var | grep >/dev/null $'^bound\t.*\t1 fingerprint(s), subject$' || fail "binding not listed"
grep -q 'tls-subject=CN=Bound%20Sender,O=Akimat' var/providers.conf || fail "subject not written"

# passwd: the old password stops working, the new one works; other fields kept.
printf 'second-secret\n' | "$stagegate" providers passwd akimat-ast --var var --password-stdin
await_status SENDER_AUTH akimat-ast first-secret
await_status SCSS001 akimat-ast second-secret
grep -q '^akimat-ast 050140001238 pbkdf2-sha256\$.* STAGE_NOTIFICATION,SERVICE_INFO$' var/providers.conf || fail "passwd lost fields"
# remove: refused from the next reload; the development provider untouched.
"$stagegate" providers remove akimat-ast --var var
await_status SENDER_AUTH akimat-ast second-secret
[ "$(send_as dev-provider dev-password)" = SCSS001 ] || fail "dev-provider lost"
expect_exit 1 "$stagegate" providers remove akimat-ast --var var
[ "$(stat -c %a var/providers.conf)" = 600 ] || fail "providers.conf is $(stat -c %a var/providers.conf) after edits"

# consumers: remove takes the key out of the consumers file; list shows who holds a key.
"$stagegate" consumers list --var var | grep >/dev/null $'^archive\t-\t-\t-\t-\tregistered$' || fail "consumers list: $("$stagegate" consumers list --var var)"
"$stagegate" consumers remove archive --var var >/dev/null
grep -q '^archive ' var/bus/consumers.conf && fail "archive still registered"
"$stagegate" consumers list --var var | grep >/dev/null '^archive' && fail "archive still listed"
[ "$(stat -c %a var/bus/consumers.conf)" = 600 ] || fail "consumers.conf mode"
expect_exit 1 "$stagegate" consumers remove archive --var var

# The WSDL's address is where the client came to (a hostile Host changes nothing)...
port=${url##*:}; port=${port%/}
curl -fsS "http://localhost:$port/?wsdl" | grep >/dev/null "<soap:address location=\"http://localhost:$port/\"/>" || fail "WSDL address"
curl -fsS -H 'Host: x"/><evil' "$url?wsdl" | grep >/dev/null "<soap:address location=\"$url\"/>" || fail "hostile Host reached the WSDL"
# ... and zeep, generated from it on this non-default port, is accepted through it.
/usr/bin/python3 "$support/zeep_send.py" "http://localhost:$port/?wsdl" dev-provider dev-password signed.xml >zeep.txt ||
  fail "zeep: $(cat zeep.txt)"
grep -qx "address: http://localhost:$port/" zeep.txt || fail "zeep address: $(cat zeep.txt)"
grep -qx 'status: SCSS001' zeep.txt || fail "zeep: $(cat zeep.txt)"
# --public-url: behind a proxy, the WSDL names the public address whatever the Host.
kill "${pids[@]}"; wait 2>/dev/null || true; pids=()
expect_exit 2 "$stagegate" serve --var var --listen 127.0.0.1:0 --public-url 'ftp://x/'
grep -q 'public-url' err.txt || fail "bad public URL: $(cat err.txt)"
start_gateway --public-url 'https://sync.example.kz/bus'
curl -fsS "$url?wsdl" | grep >/dev/null '<soap:address location="https://sync.example.kz/bus"/>' || fail "public URL"
echo "operator_cli: ok"
