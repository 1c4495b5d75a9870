#!/usr/bin/env bash
# Test certificates, made fresh with openssl (never committed).  Usage:
#   ./tls-certs.sh DIR            # or: source tls-certs.sh; tls_certs DIR
# Writes into DIR (created if missing):
#   ca.crt        a test CA (P-256), the root the tests trust
#   server.crt    signed by ca.crt, for DNS name `localhost` only (no IP
#   server.key    address: a client checking names rejects `127.0.0.1`)
#   other-ca.crt  a second CA that signed nothing here ("wrong CA" tests)
# Keys stay in DIR (mode 600); ca.key is removed once the server is signed.
# Nothing is written when DIR already holds all four certificates.

_tls_log() { echo "tls-certs.sh: $*" >&2; }

tls_certs() {
  local dir="${1:?usage: tls_certs DIR}" t0=$SECONDS
  if [ -s "$dir/ca.crt" ] && [ -s "$dir/server.crt" ] && [ -s "$dir/server.key" ] && [ -s "$dir/other-ca.crt" ]; then
    return 0
  fi
  command -v openssl >/dev/null 2>&1 || {
    _tls_log "openssl not found; installing it via apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 && \
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssl >&2 || return 1
  }
  mkdir -p "$dir" && chmod 700 "$dir" || return 1
  (
    set -e
    cd "$dir"
    umask 077
    cat >ext.cnf <<'EOF'
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
    for ca in ca other-ca; do
      openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=partner-benefits test $ca" -keyout "$ca.key" -out "$ca.crt" \
        -extensions ca -config <(printf '[req]\ndistinguished_name=dn\n[dn]\n'; cat ext.cnf) 2>/dev/null
    done
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
      -keyout server.key -out server.csr 2>/dev/null
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -extfile ext.cnf -extensions server -out server.crt 2>/dev/null
    openssl verify -CAfile ca.crt server.crt >/dev/null
    rm -f ca.key other-ca.key server.csr ca.srl ext.cnf
    chmod 644 ca.crt other-ca.crt server.crt
  ) || { _tls_log "could not make certificates in $dir"; return 1; }
  _tls_log "CA and server certificate (localhost) in $dir, $((SECONDS - t0))s"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  tls_certs "${1:?usage: $0 DIR}"
fi
