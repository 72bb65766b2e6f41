#!/usr/bin/env bash
# pg.sh - a throw-away PostgreSQL server for tests.
#
#   scripts/pg.sh start DIR   initdb a fresh cluster in DIR, start it on a free
#                             127.0.0.1 port, create database "parkline", print
#                             postgresql://postgres@127.0.0.1:PORT/parkline
#   scripts/pg.sh stop DIR    stop that server and remove DIR
#
# PostgreSQL refuses to run as root, so when we are root every server
# command runs as the unprivileged "postgres" user (runuser) and DIR is
# chowned to it. The server listens on 127.0.0.1 only, keeps its unix
# socket inside DIR, trusts local connections (it is a test cluster that
# lives for one run) and keeps fsync on, so tests see real durability
# costs. Everything else it prints goes to DIR/server.log.
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}; dir=${2:-}
usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ -n "$cmd" ] && [ -n "$dir" ] || usage
[ -x "$PGBIN/initdb" ] || { echo "pg.sh: no PostgreSQL in $PGBIN (install postgresql-15)" >&2; exit 1; }

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A loopback port nobody listens on right now. The kernel picks it (bind to
# port 0), so two harnesses started at once do not race on a guess.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null ||
    node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

case "$cmd" in
start)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [ -e "$dir/data" ] && { echo "pg.sh: $dir/data exists; stop it first" >&2; exit 1; }
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$dir"
    # The server user must be able to reach DIR through its parents; we
    # do not loosen anyone's permissions for it, use a dir under /tmp.
    runuser -u postgres -- test -w "$dir" ||
      { echo "pg.sh: user postgres cannot reach $dir (pick a dir under /tmp)" >&2; exit 1; }
  fi
  as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  port=$(free_port)
  [ -n "$port" ] || { echo "pg.sh: cannot pick a free port (needs python3 or node)" >&2; exit 1; }
  # listen_addresses: loopback only; unix socket inside DIR, not /run.
  as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=on -c max_connections=200" \
    start >"$dir/pg_ctl.log" 2>&1 || { cat "$dir/pg_ctl.log" "$dir/server.log" >&2; exit 1; }
  echo "$port" >"$dir/port"
  # pg_ctl -w returned only once the server accepted connections; confirm
  # over TCP on the port the tests will use.
  "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" || { cat "$dir/server.log" >&2; exit 1; }
  "$PGBIN/createdb" -h 127.0.0.1 -p "$port" -U postgres parkline
  echo "postgresql://postgres@127.0.0.1:$port/parkline"
  ;;
stop)
  [ -d "$dir" ] || exit 0
  # Remove only what `start` made: a DIR holding a cluster (or the logs of
  # one that failed to start), never an arbitrary directory.
  if [ ! -f "$dir/data/PG_VERSION" ] && [ ! -f "$dir/initdb.log" ]; then
    echo "pg.sh: $dir was not made by 'pg.sh start'; not removing it" >&2; exit 1
  fi
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 ||
      as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  ;;
*) usage ;;
esac
