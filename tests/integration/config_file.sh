#!/usr/bin/env bash
# The gateway's configuration file: `config default` is a valid file with every setting,
# `serve --config` reads it, command-line options override it, and `check-config` reports
# every problem at once as FILE:LINE:COLUMN.
# usage: config_file.sh STAGEGATE_BINARY SAMPLES_DIR
source "$(dirname "${BASH_SOURCE[0]}")/../support/walkthrough.sh" "$@"
fail() { echo "FAIL: $*"; exit 1; }

"$stagegate" dev-setup --var var >/dev/null
"$stagegate" config default >gateway.toml
for key in listen public-url workers journal providers ca crl tls-cert bus bus-key consumers max-backlog keep-receipt-days; do
  grep -q "^#\? \?$key = " gateway.toml || fail "config default lacks $key"
done
# Every option of serve has its setting (a new option needs its line in config_file.cpp).
"$stagegate" serve --help >serve-help.txt
for option in $(sed -n 's/^  --\([a-z-]*\).*/\1/p' serve-help.txt); do
  [ "$option" = help ] || [ "$option" = config ] && continue
  grep -q "^#\? \?$option = " gateway.toml || fail "serve --$option has no setting in config default"
done
"$stagegate" check-config gateway.toml | grep >/dev/null '^gateway.toml: ok' || fail "the default file does not check"

# serve reads the file (its public URL reaches the WSDL) ...
sed -i 's|^# public-url = "..."|public-url = "https://from-file.example.kz/"|' gateway.toml
start_gateway --config gateway.toml
curl -fsS "$url?wsdl" | grep >/dev/null 'location="https://from-file.example.kz/"' || fail "the file's public-url is not used"
kill "${pids[@]}"; wait 2>/dev/null || true; pids=()
# ... and the command line overrides it (start_gateway's --listen already overrode the file's).
start_gateway --config gateway.toml --public-url https://from-argv.example.kz/
curl -fsS "$url?wsdl" | grep >/dev/null 'location="https://from-argv.example.kz/"' || fail "--public-url does not override the file"
kill "${pids[@]}"; wait 2>/dev/null || true; pids=()

cat >bad.toml <<'TOML'
[gateway]
listen = "nohost"
workers = "four"
colour = 1
[trust]
ca = ["missing-ca.pem"]
[tls]
tls-cert = "missing-cert.pem"
[delivery]
max-backlog = -1
[journal]
commit-window-ms = 250
journal-page-size = 1000
TOML
set +e
"$stagegate" check-config bad.toml >problems.txt
status=$?
set -e
[ "$status" -eq 1 ] || fail "check-config exited $status"
cat >expected.txt <<'TEXT'
bad.toml:2:10: listen: listen takes HOST:PORT, got "nohost"
bad.toml:3:11: workers: must be an integer
bad.toml:4:1: unknown key 'colour' in [gateway]
bad.toml:6:7: ca: no file or directory missing-ca.pem
bad.toml:8:12: tls-cert: no certificate or key file missing-cert.pem
bad.toml:10:15: max-backlog: must not be negative
bad.toml:12:20: commit-window-ms: at most 100 ms
bad.toml:13:21: journal-page-size: a power of two from 512 to 65536
TEXT
diff expected.txt problems.txt || fail "check-config's report differs"
printf '[gateway\n' >syntax.toml
set +e; "$stagegate" check-config syntax.toml >syntax.txt; status=$?; set -e
[ "$status" -eq 1 ] && grep -q '^syntax.toml:1:9: ' syntax.txt || fail "syntax error: $(cat syntax.txt)"
# serve refuses the same file with the same report, and names missing certificates by option.
set +e; "$stagegate" serve --config bad.toml 2>serve-bad.txt; status=$?; set -e
[ "$status" -eq 2 ] && grep -q 'bad.toml:8:12: tls-cert: no certificate' serve-bad.txt || fail "serve took a bad file"
set +e; "$stagegate" serve --var var --tls-cert nocert.pem --tls-key nokey.pem 2>serve-tls.txt; status=$?; set -e
[ "$status" -eq 2 ] && grep -q 'tls-cert: no certificate or key file nocert.pem' serve-tls.txt &&
  grep -q 'tls-key: no certificate or key file nokey.pem' serve-tls.txt || fail "missing certificates: $(cat serve-tls.txt)"
# The journal's settings reach it: a new journal gets the file's page size, the command line's
# commit window too (serve starts with both), and values out of range are refused by serve as by
# check-config.
printf '[journal]\njournal-page-size = 1024\ncommit-window-ms = 0.5\n' >journal.toml
start_gateway --config journal.toml --journal var/journal-1k.db --commit-window-ms 2
page_size=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA page_size").fetchone()[0])' var/journal-1k.db)
[ "$page_size" = 1024 ] || fail "journal-page-size: the new journal has pages of $page_size bytes"
kill "${pids[@]}"; wait 2>/dev/null || true; pids=()
set +e; "$stagegate" serve --var var --commit-window-ms 500 2>serve-window.txt; status=$?; set -e
[ "$status" -eq 2 ] && grep -q 'commit-window-ms takes 0 to 100' serve-window.txt || fail "--commit-window-ms 500: $status $(cat serve-window.txt)"
set +e; "$stagegate" serve --var var --journal-page-size 3000 2>serve-page.txt; status=$?; set -e
[ "$status" -eq 2 ] && grep -q 'journal-page-size takes a power of two' serve-page.txt || fail "--journal-page-size 3000: $status $(cat serve-page.txt)"
# Numbers on the command line are checked like the file's: whole where whole, never negative.
set +e; "$stagegate" serve --var var --workers four 2>serve-workers.txt; status=$?; set -e
[ "$status" -eq 2 ] && grep -q -- '--workers takes a whole number of 0 or more, got "four"' serve-workers.txt || fail "--workers four: $status $(cat serve-workers.txt)"
set +e; "$stagegate" serve --var var --max-backlog -1 2>serve-backlog.txt; status=$?; set -e
[ "$status" -eq 2 ] && grep -q -- '--max-backlog takes a whole number of 0 or more, got "-1"' serve-backlog.txt || fail "--max-backlog -1: $status $(cat serve-backlog.txt)"
set +e; "$stagegate" serve --var var --reload-poll 2s 2>serve-poll.txt; status=$?; set -e
[ "$status" -eq 2 ] && grep -q -- '--reload-poll takes a number of 0 or more, got "2s"' serve-poll.txt || fail "--reload-poll 2s: $status $(cat serve-poll.txt)"
# The consumers read their own table of the same file; the command line still wins.
printf '[gateway]\nworkers = 2\n\n[monitor]\ntime-zone = "Nowhere/Land"\n\n[notification]\nbogus = 1\n' >consumers.toml
set +e; "$stagegate" check-config consumers.toml >consumers.txt; status=$?; set -e
[ "$status" -eq 1 ] && grep -qx "consumers.toml:8:1: unknown key 'bogus' in \[notification\]" consumers.txt ||
  fail "consumer table problems: $(cat consumers.txt)"
printf '[gateway]\nworkers = 2\n\n[monitor]\ntime-zone = "Nowhere/Land"\n' >monitor.toml
set +e; "$stagegate" monitor --config monitor.toml --plaintext 2>monitor-tz.txt; status=$?; set -e
[ "$status" -eq 2 ] && grep -q 'time zone Nowhere/Land is not in the tz database' monitor-tz.txt ||
  fail "monitor did not read [monitor]: $status $(cat monitor-tz.txt)"
"$stagegate" config default >all.toml
grep -q '^\[notification\]' all.toml || fail "config default lacks the consumers' tables"
echo "config_file: ok"
