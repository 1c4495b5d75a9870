#!/usr/bin/env bash
# Recording SMTP sink (aiosmtpd in a private venv) for tests.  As root, no TTY.
#   out=$(./smtp.sh start) && eval "$out"   # exports SMTP_HOST SMTP_PORT SMTP_URL SMTP_MAIL_DIR
#   ./smtp.sh stop                   # server down (connection refused); port+dir kept in state
#   ./smtp.sh restart [--delay 5]    # up again on the same port+dir (after 5 s: "down then up")
#   ./smtp.sh start --delay 5        # fresh instance whose port is known now but listens 5 s later
#   ./smtp.sh purge                  # stop + forget state (+ rm mail dir if we created it)
#   ./smtp.sh run -- cargo test      # start, run, purge on exit (trap)
#   source smtp.sh; smtp_start; trap smtp_purge EXIT
# With SMTP_TLS_DIR (certificates from tls-certs.sh, made there if missing) the
# server offers STARTTLS on SMTP_PORT (plain still allowed) and listens with
# implicit TLS on SMTP_TLS_PORT (default: free port); AUTH user `relay-user`,
# password `relay-pass` is accepted under TLS. Tests trust $SMTP_TLS_DIR/ca.crt.
# Env: SMTP_MAIL_DIR (default: new /tmp/smtpmail.*), SMTP_PORT (default: free port),
#      SMTP_VENV (default /tmp/smtp-test-venv), SMTP_STATE (default /tmp/smtp-test.env),
#      SMTP_SERVER_PY (default: smtp_server.py next to this script)
SMTP_STATE="${SMTP_STATE:-/tmp/smtp-test.env}"
SMTP_VENV="${SMTP_VENV:-/tmp/smtp-test-venv}"
SMTP_SERVER_PY="${SMTP_SERVER_PY:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/smtp_server.py}"
_SMTP_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

_smtp_log() { echo "smtp.sh: $*" >&2; }

_smtp_venv() {
  [ -x "$SMTP_VENV/bin/python" ] && "$SMTP_VENV/bin/python" -c 'import aiosmtpd' 2>/dev/null && return 0
  local t0=$SECONDS
  if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then   # Debian: python3-venv is separate
    _smtp_log "installing python3 + python3-venv via apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || return 1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv >&2 || return 1
  fi
  rm -rf "$SMTP_VENV"
  python3 -m venv "$SMTP_VENV" >&2 || return 1
  "$SMTP_VENV/bin/pip" install -q --disable-pip-version-check 'aiosmtpd>=1.4,<2' >&2 \
    || { _smtp_log "pip install aiosmtpd failed"; rm -rf "$SMTP_VENV"; return 1; }
  _smtp_log "venv ready in $((SECONDS - t0))s"
}

smtp_start() {   # [--delay SECS]   fresh instance (stale state from a crashed run is purged)
  local p="${SMTP_PORT:-}" d="${SMTP_MAIL_DIR:-}" t="${SMTP_TLS_PORT:-}" c="${SMTP_TLS_DIR:-}"   # caller-pinned values survive, stale ones don't
  if [ -f "$SMTP_STATE" ]; then
    . "$SMTP_STATE"; [ "$p" = "$SMTP_PORT" ] && p=; [ "$d" = "$SMTP_MAIL_DIR" ] && d=; [ "$t" = "${SMTP_TLS_PORT:-}" ] && t=
    smtp_purge
  fi
  SMTP_PORT="$p" SMTP_MAIL_DIR="$d" SMTP_TLS_PORT="$t" SMTP_TLS_DIR="$c" SMTP_CREATED_DIR= _smtp_up "$@"
}

smtp_restart() {  # [--delay SECS]   same port + mail dir as the stopped instance
  [ -f "$SMTP_STATE" ] || { _smtp_log "nothing to restart"; return 1; }
  smtp_stop; . "$SMTP_STATE"
  _smtp_up "$@"
}

_smtp_up() {
  local delay=0 t0=$SECONDS pid created="${SMTP_CREATED_DIR:-}" tls_args=() free
  [ "${1:-}" = "--delay" ] && delay="$2"
  _smtp_venv || return 1
  free='import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
  [ -n "${SMTP_PORT:-}" ] || SMTP_PORT=$("$SMTP_VENV/bin/python" -c "$free") || return 1
  if [ -n "${SMTP_TLS_DIR:-}" ]; then
    declare -F tls_certs >/dev/null || . "$_SMTP_HERE/tls-certs.sh"
    tls_certs "$SMTP_TLS_DIR" || return 1
    [ -n "${SMTP_TLS_PORT:-}" ] || SMTP_TLS_PORT=$("$SMTP_VENV/bin/python" -c "$free") || return 1
    tls_args=(--tls-cert "$SMTP_TLS_DIR/server.crt" --tls-key "$SMTP_TLS_DIR/server.key"
              --tls-port "$SMTP_TLS_PORT" --auth relay-user:relay-pass)
  else
    SMTP_TLS_PORT=
  fi
  if [ -z "${SMTP_MAIL_DIR:-}" ]; then SMTP_MAIL_DIR=$(mktemp -d /tmp/smtpmail.XXXXXX); created=1; fi
  mkdir -p "$SMTP_MAIL_DIR"
  local log="${SMTP_STATE%.env}.log"
  # stdin/stdout/stderr detached so `eval "$(smtp.sh start)"` does not hang
  nohup "$SMTP_VENV/bin/python" -u "$SMTP_SERVER_PY" --host 127.0.0.1 --port "$SMTP_PORT" \
        --dir "$SMTP_MAIL_DIR" --delay "$delay" "${tls_args[@]}" </dev/null >>"$log" 2>&1 &
  pid=$!
  export SMTP_HOST=127.0.0.1 SMTP_PORT SMTP_MAIL_DIR SMTP_PID=$pid SMTP_URL="smtp://127.0.0.1:$SMTP_PORT" SMTP_TLS_PORT
  printf 'export SMTP_HOST=127.0.0.1 SMTP_PORT=%q SMTP_URL=%q SMTP_MAIL_DIR=%q SMTP_PID=%q SMTP_CREATED_DIR=%q SMTP_LOG=%q SMTP_TLS_PORT=%q SMTP_TLS_DIR=%q\n' \
    "$SMTP_PORT" "$SMTP_URL" "$SMTP_MAIL_DIR" "$pid" "$created" "$log" "$SMTP_TLS_PORT" "${SMTP_TLS_DIR:-}" >"$SMTP_STATE"
  if [ "$delay" = 0 ]; then   # wait until listening
    for _ in $(seq 1 100); do   # the implicit-TLS port, when there is one, is opened after SMTP_PORT
      (exec 3<>"/dev/tcp/127.0.0.1/${SMTP_TLS_PORT:-$SMTP_PORT}") 2>/dev/null && break
      kill -0 "$pid" 2>/dev/null || { _smtp_log "server died:"; tail -n 20 "$log" >&2; rm -f "$SMTP_STATE"; return 1; }
      sleep 0.1
    done
    (exec 3<>"/dev/tcp/127.0.0.1/$SMTP_PORT") 2>/dev/null || { _smtp_log "not listening after 10s"; smtp_stop; return 1; }
  fi
  _smtp_log "pid $pid on $SMTP_URL (delay ${delay}s) mail dir $SMTP_MAIL_DIR, $((SECONDS - t0))s"
}

smtp_stop() {
  SMTP_PID=; [ -f "$SMTP_STATE" ] && . "$SMTP_STATE"   # state file is authoritative
  local pid="${SMTP_PID:-}"
  [ -n "$pid" ] || return 0
  # only kill it if it is still our server (guards against pid reuse)
  grep -qa smtp_server "/proc/$pid/cmdline" 2>/dev/null || { sed -i 's/ SMTP_PID=[^ ]*//' "$SMTP_STATE"; return 0; }
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do grep -qa smtp_server "/proc/$pid/cmdline" 2>/dev/null || break; sleep 0.1; done  # zombie => empty cmdline
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [ -f "$SMTP_STATE" ] && sed -i 's/ SMTP_PID=[^ ]*//' "$SMTP_STATE"
  unset SMTP_PID
  _smtp_log "stopped pid $pid (port ${SMTP_PORT:-?} now refuses connections)"
}

smtp_purge() {
  smtp_stop
  [ -f "$SMTP_STATE" ] && . "$SMTP_STATE"
  if [ -n "${SMTP_CREATED_DIR:-}" ] && [ -n "${SMTP_MAIL_DIR:-}" ]; then
    rm -rf "$SMTP_MAIL_DIR"
  fi
  rm -f "$SMTP_STATE" "${SMTP_LOG:-}"
  unset SMTP_PORT SMTP_MAIL_DIR SMTP_CREATED_DIR SMTP_LOG SMTP_TLS_PORT
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  cmd="${1:-}"; shift || true
  case "$cmd" in
    start)   smtp_start "$@" >&2 || exit 1; cat "$SMTP_STATE" ;;
    restart) smtp_restart "$@" >&2 || exit 1; cat "$SMTP_STATE" ;;
    stop)  smtp_stop ;;
    purge) smtp_purge ;;
    run)   [ "${1:-}" = "--" ] && shift
           trap smtp_purge EXIT; smtp_start || exit 1; "$@" ;;
    *) echo "usage: $0 start|restart [--delay S]|stop|purge|run -- cmd..." >&2; exit 2 ;;
  esac
fi
