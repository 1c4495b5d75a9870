#!/usr/bin/env bash
# Throwaway PostgreSQL for tests.  Usage (as root, no TTY needed):
#   out=$(./pg.sh start) && eval "$out"; ...; ./pg.sh stop   # (bare eval "$(..)" hides failure)
#   ./pg.sh run -- cargo test                        # start, run, always stop (trap)
#   source pg.sh; pg_start; trap pg_stop EXIT         # as functions
# Env: PG_STATE (state file, default /tmp/pg-test.env), PG_DB (default testdb),
#      PG_TLS_DIR: a TLS-only cluster (ssl=on, pg_hba.conf with hostssl lines
#      only, so a plain TCP connection is refused) serving the server certificate
#      from this directory (made there by tls-certs.sh if missing; clients trust
#      $PG_TLS_DIR/ca.crt). Unset: plain TCP, ssl=off, as before.
PG_STATE="${PG_STATE:-/tmp/pg-test.env}"
PG_DB="${PG_DB:-testdb}"
PG_OS_USER="${PG_OS_USER:-postgres}"
_PG_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

_pg_log() { echo "pg.sh: $*" >&2; }

_pg_bindir() {   # echo dir containing initdb+pg_ctl, or fail
  local d
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"; return 0
  fi
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  return 1
}

_pg_install() {
  local t0=$SECONDS
  _pg_log "server not found; installing postgresql via apt-get (this takes a while)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || return 1
  # Install postgresql-common first and switch off the automatic "main" cluster,
  # so no system cluster/service on :5432 gets created (same trick as the docker image).
  apt-get install -y -qq --no-install-recommends postgresql-common >&2 || return 1
  sed -ri 's/^#?\s*create_main_cluster\s*=.*/create_main_cluster = false/' /etc/postgresql-common/createcluster.conf || return 1
  apt-get install -y -qq --no-install-recommends postgresql >&2 || return 1
  _pg_log "installed in $((SECONDS - t0))s"
}

_pg_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
    || echo $(( 20000 + RANDOM % 20000 ))
}

pg_ensure() {   # the server installed and its OS user made (once, before clusters start in parallel)
  { _pg_bindir >/dev/null || { _pg_install && _pg_bindir >/dev/null; }; } || { _pg_log "no initdb/pg_ctl"; return 1; }
  id -u "$PG_OS_USER" >/dev/null 2>&1 || useradd --system --no-create-home "$PG_OS_USER"
}

# ssl=on with the certificate of $PG_TLS_DIR, and TCP only over TLS.
_pg_tls() {
  local data="$1"
  declare -F tls_certs >/dev/null || . "$_PG_HERE/tls-certs.sh"
  tls_certs "$PG_TLS_DIR" || return 1
  install -o "$PG_OS_USER" -m 644 "$PG_TLS_DIR/server.crt" "$data/server.crt" || return 1
  install -o "$PG_OS_USER" -m 600 "$PG_TLS_DIR/server.key" "$data/server.key" || return 1
  printf '%s\n' "ssl = on" "ssl_cert_file = 'server.crt'" "ssl_key_file = 'server.key'" >>"$data/postgresql.conf"
  # TCP without TLS matches no line and is refused.
  printf '%s\n' "local   all all              trust" \
                 "hostssl all all 127.0.0.1/32 trust" \
                 "hostssl all all ::1/128      trust" >"$data/pg_hba.conf"
}

pg_start() {
  local t0=$SECONDS bin dir port ok=
  pg_ensure || return 1
  bin=$(_pg_bindir) || return 1
  # /tmp, not $TMPDIR: the postgres user must be able to traverse the parents.
  dir=$(mktemp -d /tmp/pgtest.XXXXXX) || return 1
  chown "$PG_OS_USER": "$dir" && chmod 700 "$dir" || return 1
  _as_pg() { (cd / && runuser -u "$PG_OS_USER" -- "$@"); }   # initdb/pg_ctl refuse root
  _as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C -N >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; rm -rf "$dir"; return 1; }
  if [ -n "${PG_TLS_DIR:-}" ]; then _pg_tls "$dir/data" || { rm -rf "$dir"; return 1; }; fi
  for _ in 1 2 3 4 5; do   # retry on port race
    port=$(_pg_free_port)
    cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF
    if _as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null 2>&1; then ok=1; break; fi
    _pg_log "start on port $port failed, retrying"; tail -n 5 "$dir/server.log" >&2 || true
  done
  [ -n "$ok" ] || { _pg_log "could not start postgres"; rm -rf "$dir"; return 1; }
  # (libpq's default sslmode=prefer: over TLS on a TLS-only cluster)
  "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$PG_DB" \
    || { PG_TEST_DIR=$dir PG_TEST_BIN=$bin pg_stop; return 1; }
  export PGURL="postgres://postgres@127.0.0.1:$port/$PG_DB"
  export PG_TEST_DIR="$dir" PG_TEST_BIN="$bin" PGHOST=127.0.0.1 PGPORT="$port" PGUSER=postgres PGDATABASE="$PG_DB"
  printf 'export PGURL=%q PG_TEST_DIR=%q PG_TEST_BIN=%q PGHOST=127.0.0.1 PGPORT=%q PGUSER=postgres PGDATABASE=%q\n' \
    "$PGURL" "$dir" "$bin" "$port" "$PG_DB" >"$PG_STATE"
  _pg_log "up at $PGURL${PG_TLS_DIR:+ (TLS only)} in $((SECONDS - t0))s (data $dir)"
}

pg_stop() {
  local dir="${PG_TEST_DIR:-}" bin="${PG_TEST_BIN:-}"
  if [ -z "$dir" ] && [ -f "$PG_STATE" ]; then eval "$(cat "$PG_STATE")"; dir=$PG_TEST_DIR; bin=$PG_TEST_BIN; fi
  [ -n "$dir" ] && [ -d "$dir" ] || return 0
  (cd / && runuser -u "$PG_OS_USER" -- "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1) || true
  rm -rf "$dir" "$PG_STATE"
  unset PG_TEST_DIR
  _pg_log "stopped and removed $dir"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  case "${1:-}" in
    start) pg_start >&2 || exit 1; cat "$PG_STATE" ;;         # stdout = export lines for eval
    stop)  pg_stop ;;
    run)   shift; [ "${1:-}" = "--" ] && shift
           trap pg_stop EXIT; pg_start || exit 1; "$@" ;;
    *) echo "usage: $0 start|stop|run -- cmd..." >&2; exit 2 ;;
  esac
fi
