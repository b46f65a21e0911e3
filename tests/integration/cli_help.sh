#!/usr/bin/env bash
# Every command and subcommand answers --help with its own usage (exit 0) and refuses an
# unknown option with its usage (exit 2).
# usage: cli_help.sh STAGEGATE_BINARY SAMPLES_DIR
source "$(dirname "${BASH_SOURCE[0]}")/../support/walkthrough.sh" "$@"
commands=(
  "serve" "dev-setup" "keys new" "sign" "send" "tail" "verify" "routes check" "routes default"
  "dlq list" "dlq show" "dlq replay" "dlq drop"
  "consumers list" "consumers forget" "consumers add" "consumers remove"
  "providers add" "providers list" "providers remove" "providers passwd"
  "monitor" "status" "report violations"
  "notify consume" "notify contacts import" "notify outbox" "notify undeliverable" "notify resend" "notify templates check"
  "kb consume" "kb service" "kb record" "kb events" "kb overdue" "kb operator add"
  "config default" "check-config"
)
parents=(routes dlq consumers providers notify kb keys report config "notify contacts" "notify templates" "kb operator")
checked=0
for words in "${commands[@]}" "${parents[@]}"; do
  read -ra command <<<"$words"
  set +e
  "$stagegate" "${command[@]}" --help >help.txt 2>help.err
  status=$?
  set -e
  [ "$status" -eq 0 ] || { echo "FAIL: '$words --help' exited $status"; cat help.txt help.err; exit 1; }
  grep -q "${command[0]}" help.txt || { echo "FAIL: '$words --help' does not name the command"; cat help.txt; exit 1; }
  [ -s help.err ] && { echo "FAIL: '$words --help' wrote to stderr"; cat help.err; exit 1; }
  checked=$((checked + 1))
done
for words in "${commands[@]}"; do
  read -ra command <<<"$words"
  set +e
  "$stagegate" "${command[@]}" --no-such-option x >out.txt 2>err.txt
  status=$?
  set -e
  [ "$status" -eq 2 ] || { echo "FAIL: '$words --no-such-option' exited $status"; cat out.txt err.txt; exit 1; }
  grep -q -- '--no-such-option' err.txt && grep -qi 'usage' err.txt && grep -q "${command[0]}" err.txt ||
    { echo "FAIL: '$words --no-such-option' refused without naming it and the usage"; cat err.txt; exit 1; }
done
# The whole usage: `stagegate --help` exit 0, no command exit 2.
"$stagegate" --help >usage.txt
grep -q '^usage: stagegate <command>' usage.txt || { echo "FAIL: stagegate --help"; exit 1; }
set +e; "$stagegate" >/dev/null; status=$?; set -e
[ "$status" -eq 2 ] || { echo "FAIL: no command exited $status"; exit 1; }
echo "cli_help: $checked --help pages, ${#commands[@]} refusals: ok"
