#!/usr/bin/env bash
# strongholdd --listen and stronghold --remote: sessions over mutual TLS serve what the socket
# serves, and everything without a certificate of the cluster's CA is refused, the anonymous
# TLS that CAF falls back to among it, while the node goes on serving.
# Usage: remote_test.sh STRONGHOLD STRONGHOLDD
set -euo pipefail
cli=$1
daemon=$2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
command -v openssl >/dev/null || { echo "FAIL: the openssl command is needed" >&2; exit 1; }

dir=$(mktemp -d)
pid=
impostor=
cleanup() {
  [ -z "$pid" ] || kill -9 "$pid" 2>/dev/null || true
  [ -z "$impostor" ] || kill -9 "$impostor" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  [ -f "$dir/node.log" ] && tail -n 20 "$dir/node.log" >&2
  exit 1
}
# expect CODE COMMAND...: the command exits with CODE (within 30 s: nothing hangs).
expect() {
  local want=$1 got=0
  shift
  timeout 30 "$@" >"$dir/out" 2>"$dir/err" || got=$?
  [ "$got" = "$want" ] || fail "$* exited $got, not $want: $(cat "$dir/err")"
}

"$root/scripts/tls-certs.sh" "$dir/certs" node client
"$root/scripts/tls-certs.sh" "$dir/other" mallory
c=$dir/certs
export STRONGHOLD_PASSWORD=remote-test-password
"$cli" --snapshot "$dir/s.stronghold" init --kdf fast 2>/dev/null
node_tls=(--tls-cert "$c/node.pem" --tls-key "$c/node.key" --tls-ca "$c/ca.pem")
start=("$daemon" --snapshot "$dir/s.stronghold" --socket "$dir/s.sock")

# A node does not start without all three files, so CAF's anonymous fallback can never be used.
expect 1 "${start[@]}" --listen 127.0.0.1:0
expect 1 "${start[@]}" --listen 127.0.0.1:0 --tls-cert "$c/node.pem" --tls-key "$c/node.key"
grep -q "mutual TLS only" "$dir/err" || fail "no reason given: $(cat "$dir/err")"
expect 5 "${start[@]}" --listen 127.0.0.1:0 --tls-cert "$dir/other/mallory.pem" --tls-key "$dir/other/mallory.key" \
  --tls-ca "$c/ca.pem"
grep -q "does not verify against the CA" "$dir/err" || fail "no reason given: $(cat "$dir/err")"
expect 5 "${start[@]}" --listen 127.0.0.1:0 --tls-cert "$c/node.pem" --tls-key "$c/client.key" --tls-ca "$c/ca.pem"
openssl pkey -in "$c/node.key" -aes256 -passout pass:x -out "$dir/encrypted.key"
expect 5 "${start[@]}" --listen 127.0.0.1:0 --tls-cert "$c/node.pem" --tls-key "$dir/encrypted.key" --tls-ca "$c/ca.pem"
mkfifo "$dir/fifo"
expect 5 "${start[@]}" --listen 127.0.0.1:0 --tls-cert "$c/node.pem" --tls-key "$dir/fifo" --tls-ca "$c/ca.pem"
[ ! -e "$dir/s.sock" ] || fail "a refused start left a socket"

# The log exists before the node's shell opens it: the loop below reads it at once.
: >"$dir/node.log"
"${start[@]}" --listen 127.0.0.1:0 "${node_tls[@]}" >"$dir/node.log" 2>&1 &
pid=$!
port=
for _ in $(seq 1 100); do
  port=$(sed -n 's/.*listens on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/node.log")
  [ -n "$port" ] && [ -S "$dir/s.sock" ] && break
  kill -0 "$pid" 2>/dev/null || fail "the node exited at start"
  sleep 0.1
done
[ -n "$port" ] || fail "the node printed no port"
remote=("$cli" --remote "127.0.0.1:$port" --tls-cert "$c/client.pem" --tls-key "$c/client.key" --tls-ca "$c/ca.pem")

# What the socket serves, the port serves: a key made remotely signs locally, the same signature.
expect 0 "${remote[@]}" key generate --type ed25519 --at w/k
expect 0 "${remote[@]}" sign --at w/k --hex 00ff
remote_signature=$(cat "$dir/out")
expect 0 "$cli" --socket "$dir/s.sock" sign --at w/k --hex 00ff
[ "$(cat "$dir/out")" = "$remote_signature" ] || fail "the signatures differ"
printf 'a secret value' | timeout 30 "${remote[@]}" secret put db || fail "secret put"
expect 0 "${remote[@]}" secret get db
[ "$(cat "$dir/out")" = "a secret value" ] || fail "secret get gave $(cat "$dir/out")"
expect 0 "${remote[@]}" lock
expect 6 "${remote[@]}" list
expect 0 "${remote[@]}" unlock
expect 0 "${remote[@]}" list
grep -q "w/k" "$dir/out" || fail "the key is not listed"
# The watch stream, through the tunnel.
timeout 30 "${remote[@]}" watch --count 1 >"$dir/watched" 2>&1 &
watcher=$!
sleep 2
for _ in $(seq 1 50); do
  expect 0 "${remote[@]}" key generate --type ed25519 --at "w/doomed"
  expect 0 "$cli" --socket "$dir/s.sock" delete --at w/doomed
  grep -q "deleted" "$dir/watched" && break
  sleep 0.1
done
wait "$watcher" || fail "the watch over TLS failed: $(cat "$dir/watched")"
grep -qP "\tdeleted\t.*\tw/doomed\t" "$dir/watched" || fail "the watch over TLS saw: $(cat "$dir/watched")"
# A request larger than one chunk of the tunnel (64 KiB) and its answer.
head -c 200000 /dev/zero | tr '\0' 'x' >"$dir/big"
expect 0 "${remote[@]}" sign --at w/k --file "$dir/big"
expect 0 "$cli" --socket "$dir/s.sock" sign --at w/k --file "$dir/big"

# Refused: a client whose certificate another CA signed, one that trusts another CA, one with
# no certificate, anonymous TLS, and bytes that are not TLS.
expect 6 "$cli" --remote "127.0.0.1:$port" --tls-cert "$dir/other/mallory.pem" --tls-key "$dir/other/mallory.key" \
  --tls-ca "$dir/other/ca.pem" list
grep -q "cannot reach the node" "$dir/err" || fail "no reason given: $(cat "$dir/err")"
expect 5 "$cli" --remote "127.0.0.1:$port" --tls-cert "$c/client.pem" --tls-key "$c/client.key" \
  --tls-ca "$dir/other/ca.pem" list
grep -q "does not verify against the CA" "$dir/err" || fail "no reason given: $(cat "$dir/err")"
expect 1 "$cli" --remote "127.0.0.1:$port" list
handshake() { sleep 1 | timeout 10 openssl s_client -connect "127.0.0.1:$port" "$@" 2>&1 || true; }
anonymous=$(handshake -tls1_2 -cipher 'AECDH-AES256-SHA@SECLEVEL=0')
# The node's alert, not the client's own refusal to offer the cipher, is what shows.
grep -q "alert handshake failure" <<<"$anonymous" || fail "anonymous TLS was not refused: $anonymous"
no_certificate=$(handshake -CAfile "$c/ca.pem")
grep -q "alert certificate required\|alert handshake failure" <<<"$no_certificate" ||
  fail "a client without a certificate was not refused: $no_certificate"
head -c 20000 /dev/urandom >"$dir/garbage"
timeout 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port; cat '$dir/garbage' >&3; sleep 0.2" 2>/dev/null || true
expect 0 "${remote[@]}" sign --at w/k --hex 00ff
[ "$(cat "$dir/out")" = "$remote_signature" ] || fail "the node answers differently after the refusals"
kill -0 "$pid" || fail "the node died"

# Clients connecting at once each get their session, while others are refused or vanish beside
# them. CAF 0.17.6 took one connection's TLS error for the next one's (openssl_error_queue.hpp):
# without the guard, several of these clients failed or their watches went silent.
for round in 1 2 3; do
  clients=()
  for i in 1 2 3; do
    timeout 30 "${remote[@]}" watch --count 1 >"$dir/watch$i" 2>&1 &
    clients+=($!)
  done
  for i in 1 2 3 4 5 6; do
    timeout 30 "${remote[@]}" key generate --type ed25519 --at "w/c$round-$i" >/dev/null 2>"$dir/concurrent$i" &
    clients+=($!)
  done
  timeout 10 "$cli" --remote "127.0.0.1:$port" --tls-cert "$dir/other/mallory.pem" \
    --tls-key "$dir/other/mallory.key" --tls-ca "$dir/other/ca.pem" list >/dev/null 2>&1 &
  refused=$!
  timeout 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null &
  vanished=$!
  for client in "${clients[@]:3}"; do
    wait "$client" || fail "round $round: a concurrent client failed: $(cat "$dir"/concurrent*)"
  done
  # Each watcher sees the next deletion once its session is open.
  for try in $(seq 1 50); do
    expect 0 "$cli" --socket "$dir/s.sock" key generate --type ed25519 --at "w/c$round-gone$try"
    expect 0 "$cli" --socket "$dir/s.sock" delete --at "w/c$round-gone$try"
    [ "$(cat "$dir"/watch[123] | grep -c deleted)" -eq 3 ] && break
    sleep 0.1
  done
  for i in 1 2 3; do
    wait "${clients[$((i - 1))]}" || fail "round $round: watcher $i failed: $(cat "$dir/watch$i")"
    grep -qP "\tdeleted\t.*\tw/c$round-gone" "$dir/watch$i" || fail "round $round: watcher $i saw: $(cat "$dir/watch$i")"
  done
  wait "$refused" "$vanished" || true
done
kill -0 "$pid" || fail "the node died"

# A node whose certificate another CA signed is refused by the client: the client authenticates
# the node too.
"$cli" --snapshot "$dir/impostor.stronghold" init --kdf fast 2>/dev/null
: >"$dir/impostor.log"
"$daemon" --snapshot "$dir/impostor.stronghold" --socket "$dir/impostor.sock" --listen 127.0.0.1:0 \
  --tls-cert "$dir/other/mallory.pem" --tls-key "$dir/other/mallory.key" --tls-ca "$dir/other/ca.pem" \
  >"$dir/impostor.log" 2>&1 &
impostor=$!
impostor_port=
for _ in $(seq 1 100); do
  impostor_port=$(sed -n 's/.*listens on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/impostor.log")
  [ -n "$impostor_port" ] && break
  sleep 0.1
done
[ -n "$impostor_port" ] || fail "the impostor printed no port"
expect 6 "$cli" --remote "127.0.0.1:$impostor_port" --tls-cert "$c/client.pem" --tls-key "$c/client.key" \
  --tls-ca "$c/ca.pem" list
{ kill -9 "$impostor" && wait "$impostor"; } 2>/dev/null || true
impostor=

# Stopping: SIGTERM, exit 0.
kill -TERM "$pid"
code=0
wait "$pid" || code=$?
pid=
[ "$code" = 0 ] || fail "the node exited $code on SIGTERM"
echo "remote_test: passed"
