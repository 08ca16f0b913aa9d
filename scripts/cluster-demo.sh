#!/usr/bin/env bash
# Builds the project if needed, then shows a cluster on one machine: three etcd members and two
# strongholdd nodes on loopback, all in a temporary folder, the nodes and etcd reached over mutual
# TLS with throw-away certificates (scripts/tls-certs.sh). A key made on one node signs on the other; a node is killed in the middle of writes and loses nothing it acknowledged; etcd loses
# one member and writes go on. Then everything stops and the folder is removed. Installs missing
# Debian packages (etcd among them).
set -euo pipefail
STRONGHOLD_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$STRONGHOLD_ROOT/scripts/deps.sh"
source "$STRONGHOLD_ROOT/scripts/etcd-members.sh"

ensure_packages etcd-server etcd-client
bin=$STRONGHOLD_ROOT/build/interfaces
if [ ! -x "$bin/strongholdd" ] || [ ! -x "$bin/stronghold" ]; then
  configure_and_build "$STRONGHOLD_ROOT/build" -DSTRONGHOLD_BUILD_TESTS=OFF -DSTRONGHOLD_BUILD_BENCH=OFF
fi

dir=$(mktemp -d)
declare -A node_pid=() node_port=()
cleanup() {
  local node
  for node in "${!node_pid[@]}"; do
    kill "${node_pid[$node]}" 2>/dev/null || true  # SIGTERM: a node syncs and removes its socket
    wait "${node_pid[$node]}" 2>/dev/null || true
  done
  stop_etcd_members
  rm -rf "$dir"
}
trap cleanup EXIT
export STRONGHOLD_PASSWORD=demo-only-password
say() { printf '\n== %s\n' "$*"; }
run() {  # prints the command, then runs it
  printf '$ %s\n' "$*"
  "$@"
}
tls() { echo --tls-cert "$dir/certs/$1.pem" --tls-key "$dir/certs/$1.key" --tls-ca "$dir/certs/ca.pem"; }
# node NAME COMMAND...: the command in that node, over TLS with the client's certificate.
node() { "$bin/stronghold" --remote "127.0.0.1:${node_port[$1]}" $(tls client) "${@:2}"; }
start_node() {
  : >"$dir/$1.log"
  "$bin/strongholdd" --snapshot "$dir/$1.stronghold" --socket "$dir/$1.sock" --cluster "$ETCD_ENDPOINTS" \
    --node-name "$1" --listen 127.0.0.1:0 $(tls "$1") \
    --etcd-ca "$dir/certs/ca.pem" --etcd-cert "$dir/certs/$1.pem" --etcd-key "$dir/certs/$1.key" >>"$dir/$1.log" 2>&1 &
  node_pid[$1]=$!
  for _ in $(seq 1 300); do
    node_port[$1]=$(sed -n 's/.*listens on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/$1.log")
    [ -n "${node_port[$1]}" ] && [ -S "$dir/$1.sock" ] && node "$1" list >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "node $1 did not start:" >&2
  cat "$dir/$1.log" >&2
  exit 1
}
until_there() {  # waits until node $1 has the key at $2
  for _ in $(seq 1 50); do
    node "$1" key public --at "$2" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "node $1 never got $2" >&2
  exit 1
}

say "three etcd members on loopback, serving clients over TLS only, with client certificates"
"$STRONGHOLD_ROOT/scripts/tls-certs.sh" "$dir/certs" etcd a b client
TLS_FOR_ETCD=$dir/certs
start_etcd_members "$dir/etcd"
echo "etcd client URLs: $ETCD_ENDPOINTS"

say "one snapshot file, copied for each node; two nodes share its journal through etcd"
"$bin/stronghold" --snapshot "$dir/a.stronghold" init --kdf fast 2>/dev/null
cp "$dir/a.stronghold" "$dir/b.stronghold"
start_node a
start_node b
echo "strongholdd --snapshot a.stronghold --socket a.sock --cluster $ETCD_ENDPOINTS \\"
echo "  --etcd-ca ca.pem --etcd-cert a.pem --etcd-key a.key \\"
echo "  --node-name a --listen 127.0.0.1:${node_port[a]} --tls-cert a.pem --tls-key a.key --tls-ca ca.pem   (and b)"
echo "clients: stronghold --remote 127.0.0.1:PORT --tls-cert client.pem --tls-key client.key --tls-ca ca.pem COMMAND"

say "a key made on node a signs on node b"
run node a key generate --type ed25519 --at treasury/hot
until_there b treasury/hot
run node b sign --at treasury/hot --hex 48656c6c6f
echo "(Ed25519 is deterministic: node a gives the same signature)"
run node a sign --at treasury/hot --hex 48656c6c6f

say "node a is killed (SIGKILL) in the middle of writes"
: >"$dir/acked"
(for i in $(seq 1 100); do
  node a key generate --type secp256k1 --at "deposits/d$i" >/dev/null 2>&1 && echo "deposits/d$i" >>"$dir/acked"
done) &
writes=$!
sleep 0.5
kill -9 "${node_pid[a]}"
unset "node_pid[a]"
wait "$writes" 2>/dev/null || true
echo "node a acknowledged $(wc -l <"$dir/acked") writes before it died"
missing=0
while read -r at; do
  until_there b "$at" || missing=$((missing + 1))
done <"$dir/acked"
echo "node b holds all of them ($missing missing)"
rm -f "$dir/a.sock"
start_node a
echo "node a restarted from its file and caught up: $(node a list | grep -c "^deposits/") deposits listed (a write it had not yet answered may be among them)"

say "one etcd member is killed: a majority remains, writes go on"
stop_etcd_member 1
run node b key generate --type ed25519 --at treasury/cold
until_there a treasury/cold
echo "node a has treasury/cold too"

say "everything stops; the temporary folder is removed"
