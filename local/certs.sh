#!/usr/bin/env bash
# Generates, once, the TLS material the local stack serves: a local certificate authority and a
# server certificate for 127.0.0.1, ::1 and localhost signed by it, plus a CA bundle (the system
# roots and the local CA) for SSL_CERT_FILE so that rustls' platform verifier trusts the stack.
#
#   local/certs.sh [DIR]      DIR defaults to $OFFBOARD_CERTS_DIR or local/.run/certs
#
# Idempotent and safe to run concurrently (an flock guards generation): an existing, complete and
# unexpired set is kept, so tests and `offboard local` share one CA. Delete DIR to regenerate.
#
# Files: ca.pem (trust this), ca.key (0600), server.pem + server.key (0600, what Azurite and the
# Cosmos wrapper serve), bundle.pem (system roots + ca.pem, for SSL_CERT_FILE).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="${1:-${OFFBOARD_CERTS_DIR:-$here/.run/certs}}"

if ! command -v openssl >/dev/null 2>&1; then
    echo "certs: openssl is required (apt-get install -y openssl)" >&2
    exit 1
fi

mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
exec 9>"$dir/.lock"
flock 9

complete() {
    local f
    for f in ca.pem ca.key server.pem server.key bundle.pem; do
        [ -s "$dir/$f" ] || return 1
    done
    # Still valid for at least a day, and still signed by this CA.
    openssl x509 -checkend 86400 -noout -in "$dir/server.pem" >/dev/null 2>&1 || return 1
    openssl verify -CAfile "$dir/ca.pem" "$dir/server.pem" >/dev/null 2>&1 || return 1
}

if complete; then
    exit 0
fi

work="$(mktemp -d "$dir/.gen.XXXXXX")"
trap 'rm -rf "$work"' EXIT
umask 077

# The CA: an EC P-256 key, basicConstraints CA:TRUE, keyCertSign — what rustls (webpki) accepts as
# a trust anchor.
openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -keyout "$work/ca.key" -out "$work/ca.pem" -days 3650 -sha256 \
    -subj "/O=offboard local stack/CN=offboard local CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" 2>/dev/null

# The server certificate: a leaf (CA:FALSE) with the subjectAltNames rustls checks — it ignores the
# CN — for every name the stack is reached by.
openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -keyout "$work/server.key" -out "$work/server.csr" \
    -subj "/O=offboard local stack/CN=127.0.0.1" 2>/dev/null
cat >"$work/server.ext" <<'EOF'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost
authorityKeyIdentifier=keyid
subjectKeyIdentifier=hash
EOF
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
    -CAcreateserial -out "$work/server.pem" -days 825 -sha256 \
    -extfile "$work/server.ext" 2>/dev/null

# The bundle: the system roots (so the same SSL_CERT_FILE still reaches real Azure) plus ours.
system_roots=""
for f in /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt /etc/ssl/cert.pem; do
    if [ -s "$f" ]; then
        system_roots="$f"
        break
    fi
done
{
    if [ -n "$system_roots" ]; then
        cat "$system_roots"
        echo
    fi
    cat "$work/ca.pem"
} >"$work/bundle.pem"

chmod 0644 "$work/ca.pem" "$work/server.pem" "$work/bundle.pem"
chmod 0600 "$work/ca.key" "$work/server.key"
for f in ca.key ca.pem server.key server.pem bundle.pem; do
    mv -f "$work/$f" "$dir/$f"
done
openssl verify -CAfile "$dir/ca.pem" "$dir/server.pem" >/dev/null
echo "certs: generated a local CA and a server certificate for 127.0.0.1, ::1, localhost in $dir" >&2
