#!/usr/bin/env bash
# A throwaway PostgreSQL server for the store tests: `start DIR` creates a cluster in DIR
# that listens on a unix socket in DIR only (trust authentication, user stagegate), and
# `stop DIR` stops it. Needs Debian's postgresql package (ops/install-deps installs it).
# The server refuses to run as root, so as root it runs as the postgres user.
set -euo pipefail
action=${1:?start|stop}
dir=${2:?directory}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/pg_ctl" ] || { echo "postgres_server: no PostgreSQL server installed (apt-get install postgresql)" >&2; exit 1; }
as_owner=()
[ "$(id -u)" -eq 0 ] && as_owner=(runuser -u postgres --)

case "$action" in
  start)
    [ -d "$dir/data" ] && "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    "${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U stagegate --auth=trust -E UTF8 --no-locale >"$dir/initdb.log"
    # fsync off: the cluster lives for one test run; durability is not what is tested here.
    "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses='' -k $dir -c fsync=off -c max_connections=50" start >/dev/null
    echo "postgres_server: running, connect with host=$dir user=stagegate dbname=postgres"
    ;;
  stop)
    [ -d "$dir/data" ] && "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    echo "postgres_server: stopped"
    ;;
  *) echo "usage: postgres_server.sh start|stop DIR" >&2; exit 2 ;;
esac
