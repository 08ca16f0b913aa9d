#!/usr/bin/env bash
# Makes throw-away certificates for a cluster on one machine (tests, demos): a CA, and for each
# NAME given a key and a certificate it signed, valid for 2 days, for localhost and 127.0.0.1.
# Usage: scripts/tls-certs.sh DIR NAME...   ->  DIR/ca.pem, DIR/NAME.pem, DIR/NAME.key
# A real cluster's CA key stays offline, and each node's key is made on its own machine.
set -euo pipefail
dir=$1
shift
mkdir -p "$dir"
chmod 700 "$dir"
cd "$dir"
curve=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
if [[ ! -e ca.pem ]]; then
  openssl req -x509 "${curve[@]}" -keyout ca.key -out ca.pem -days 2 -subj "/CN=stronghold test CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
fi
for name in "$@"; do
  openssl req "${curve[@]}" -keyout "$name.key" -out "$name.csr" -subj "/CN=$name" 2>/dev/null
  printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=DNS:localhost,IP:127.0.0.1" > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile "$name.ext" \
    -out "$name.pem" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
  chmod 600 "$name.key"
done
