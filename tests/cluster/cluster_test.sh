#!/usr/bin/env bash
# Two strongholdd nodes sharing their journal through a real three-member etcd cluster on loopback:
# replication both ways, concurrent writes through both nodes ending in one state, a node killed
# in the middle of a write load losing nothing it acknowledged, a third node cut off from etcd
# (writes refused with exit 6, signing goes on, it catches up once healed), and etcd losing one
# member (writes go on) then two (writes refused with exit 6, signing goes on, and writes come
# back once a majority is); then two nodes forwarding signing to each other (--forward-to): one
# gives the other's signatures, keeps a client identity's requests, never hands a peer's requests
# back, is not answered by a peer that lacks what it had applied (a deleted key), and signs itself
# once its peer is gone.
# Usage: cluster_test.sh STRONGHOLD STRONGHOLDD TCP_RELAY
set -euo pipefail
cli=$1
daemon=$2
relay=$3
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/scripts/etcd-members.sh"
source "$root/tests/cluster/nodes.sh"
command -v etcd >/dev/null && command -v etcdctl >/dev/null || { echo "FAIL: etcd and etcdctl are needed (Debian: etcd-server etcd-client; scripts/test.sh installs them)" >&2; exit 1; }

dir=$(mktemp -d)
declare -A node_pid=()
relay_pid=
cleanup() {
  local node
  if [ -n "$relay_pid" ]; then
    kill -9 "$relay_pid" 2>/dev/null || true
  fi
  for node in "${!node_pid[@]}"; do
    kill -9 "${node_pid[$node]}" 2>/dev/null || true
  done
  stop_etcd_members
  rm -rf "$dir"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for log in "$dir"/*.log; do
    echo "--- $log" >&2
    tail -n 20 "$log" >&2
  done
  exit 1
}

export STRONGHOLD_PASSWORD=cluster-test-password
export STRONGHOLD_TIMEOUT=30
tls() { echo --tls-cert "$dir/certs/$1.pem" --tls-key "$dir/certs/$1.key" --tls-ca "$dir/certs/ca.pem"; }
declare -A node_port=() node_cluster=() node_listen=() node_options=()
# start_node NAME: etcd's members as node_cluster[NAME] names them, or directly; on the port
# node_listen[NAME] or any free one; with node_options[NAME] besides.
# Up to 30 s: a restart after SIGKILL waits for the killed node's lease (up to 10 s).
start_node() {
  : >"$dir/$1.log"
  "$daemon" --snapshot "$dir/$1.stronghold" --socket "$dir/$1.sock" --cluster "${node_cluster[$1]:-$ETCD_ENDPOINTS}" \
    --node-name "$1" --listen "127.0.0.1:${node_listen[$1]:-0}" $(tls "$1") ${node_options[$1]:-} >>"$dir/$1.log" 2>&1 &
  node_pid[$1]=$!
  for _ in $(seq 1 300); do
    node_port[$1]=$(sed -n 's/.*listens on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/$1.log")
    [ -n "${node_port[$1]}" ] && [ -S "$dir/$1.sock" ] && on "$1" list >/dev/null 2>&1 && return 0
    kill -0 "${node_pid[$1]}" 2>/dev/null || fail "node $1 exited at start"
    sleep 0.1
  done
  fail "node $1 did not start"
}
kill_node() {  # kill_node NAME [SIGNAL]: SIGKILL unless named
  kill "-${2:-9}" "${node_pid[$1]}"
  wait "${node_pid[$1]}" 2>/dev/null || true
  unset "node_pid[$1]"
  rm -f "$dir/$1.sock"
}
# A write through NODE, tried again while refused for a conflict or a restart (exit 6). A write
# refused as unavailable may have been appended all the same (its answer was lost in a restart):
# when its next try finds it there (exit 5), it is done.
write() {
  local node=$1 rc refused=false
  shift
  for _ in $(seq 1 100); do
    rc=0
    on "$node" "$@" >/dev/null 2>>"$dir/writes.log" || rc=$?
    if [ "$rc" -eq 5 ] && $refused; then
      return 0
    fi
    [ "$rc" -ne 6 ] && return "$rc"
    refused=true
    sleep 0.05
  done
  return 6
}

start_etcd_members "$dir/etcd" || exit 1
"$root/scripts/tls-certs.sh" "$dir/certs" a b c d client
"$cli" --snapshot "$dir/a.stronghold" init --kdf fast 2>/dev/null
cp "$dir/a.stronghold" "$dir/b.stronghold"
cp "$dir/a.stronghold" "$dir/c.stronghold"
cp "$dir/a.stronghold" "$dir/d.stronghold"
start_node a
start_node b

echo "a key made on one node signs on the other, and a secret put there reads back"
on a key generate --type ed25519 --at w/first >"$dir/first.pub"
eventually b key public --at w/first || fail "node b never got w/first"
[ "$(on b key public --at w/first)" = "$(cat "$dir/first.pub")" ] || fail "the public keys differ"
# Ed25519 is deterministic: the same signature from both nodes is the same private key.
[ "$(on a sign --at w/first --hex 00ff)" = "$(on b sign --at w/first --hex 00ff)" ] || fail "the signatures differ"
echo -n "kept on b" | on b secret put from-b
eventually a secret get from-b || fail "node a never got the secret"
[ "$(on a secret get from-b)" = "kept on b" ] || fail "the secret reads back differently"

echo "concurrent writes through both nodes end with the same state on both"
writers=()
for node in a b; do
  (for i in $(seq 1 40); do write "$node" key generate --type ed25519 --at "w/$node$i" || exit 1; done) &
  writers+=($!)
done
wait "${writers[0]}" || fail "writes through a failed"
wait "${writers[1]}" || fail "writes through b failed"
eventually a key public --at w/b40 || fail "node a never got w/b40"
eventually b key public --at w/a40 || fail "node b never got w/a40"
on a list >"$dir/a.list"
on b list >"$dir/b.list"
cmp -s "$dir/a.list" "$dir/b.list" || fail "the nodes list different records"
[ "$(grep -c '^w/' "$dir/a.list")" -eq 81 ] || fail "expected 81 records, listed $(grep -c '^w/' "$dir/a.list")"

echo "cluster status, asked of node a over TLS: both nodes at the head, and etcd's three members"
# Twice, one entry apart, so that the head is once odd and once even.
for round in 1 2; do
  timeout 60 "$cli" --remote "127.0.0.1:${node_port[a]}" $(tls client) cluster status >"$dir/status" ||
    fail "cluster status failed"
  head=$(head -n 1 "$dir/status")
  [ "$head" -eq "$(($(grep -c '^w/' "$dir/a.list") + round + 1))" ] || fail "head $head after $round rounds"
  grep -qP "^a\t127\.0\.0\.1:${node_port[a]}\t$head\t0\tthis node$" "$dir/status" || fail "node a: $(cat "$dir/status")"
  grep -qP "^b\t127\.0\.0\.1:${node_port[b]}\t$head\t0\t-$" "$dir/status" || fail "node b: $(cat "$dir/status")"
  [ "$(grep -c "http://127.0.0.1:" "$dir/status")" -eq 3 ] || fail "etcd's members: $(cat "$dir/status")"
  on a key generate --type ed25519 --at "w/status$round" >/dev/null
  eventually b key public --at "w/status$round" || fail "node b never got w/status$round"
done

echo "a node killed in the middle of a write load loses nothing it acknowledged"
for round in 1 2 3; do
  : >"$dir/acked"
  (for i in $(seq 1 200); do
    if on a key generate --type ed25519 --at "w/r$round-$i" >/dev/null 2>&1; then
      echo "w/r$round-$i" >>"$dir/acked"
    fi
  done) &
  load=$!
  for _ in $(seq 1 100); do
    [ -s "$dir/acked" ] && break
    sleep 0.1
  done
  sleep "0.$((RANDOM % 5))"
  kill_node a
  wait "$load" 2>/dev/null || true
  [ -s "$dir/acked" ] || fail "round $round: nothing was acknowledged before the kill"
  while read -r at; do
    eventually b key public --at "$at" || fail "round $round: $at was acknowledged by a, and b does not have it"
  done <"$dir/acked"
  start_node a
  while read -r at; do
    eventually a key public --at "$at" || fail "round $round: $at was acknowledged, and a lost it across its restart"
  done <"$dir/acked"
  echo "  round $round: $(wc -l <"$dir/acked") acknowledged writes, all on both nodes"
done

echo "a node cut off from etcd refuses writes rather than diverge, signs on, and catches up when healed"
# Node c reaches etcd's members only through a relay: killing the relay is the partition (its
# connections reset, new ones refused); a new relay on the same ports heals it. The ports are the
# free ones of etcd's block, below the range the kernel picks outgoing ports from, so that no
# connection takes one while the relay is down.
relay_to_etcd() {  # relay_to_etcd PORT PORT PORT
  "$relay" "$1:${ETCD_CLIENT_PORTS[1]}" "$2:${ETCD_CLIENT_PORTS[2]}" "$3:${ETCD_CLIENT_PORTS[3]}" \
    >"$dir/relay.ports" 2>>"$dir/relay.log" &
  relay_pid=$!
  for _ in $(seq 1 50); do
    [ -s "$dir/relay.ports" ] && return 0
    sleep 0.1
  done
  fail "the relay did not start"
}
relay_ports=($((ETCD_CLIENT_PORTS[1] + 6)) $((ETCD_CLIENT_PORTS[1] + 7)) $((ETCD_CLIENT_PORTS[1] + 8)))
relay_to_etcd "${relay_ports[@]}"
node_cluster[c]="http://127.0.0.1:${relay_ports[0]},http://127.0.0.1:${relay_ports[1]},http://127.0.0.1:${relay_ports[2]}"
start_node c
eventually c key public --at w/b40 || fail "node c, started from the first copy, never caught up"
kill -9 "$relay_pid"
wait "$relay_pid" 2>/dev/null || true
rc=0
on c key generate --type ed25519 --at w/cut-off 2>"$dir/cut-off.txt" || rc=$?
[ "$rc" -eq 6 ] || fail "a write through a node cut off from etcd exited $rc, not 6"
grep -q etcd "$dir/cut-off.txt" || fail "the refusal does not name etcd: $(cat "$dir/cut-off.txt")"
[ "$(on c sign --at w/first --hex 00ff)" = "$(on a sign --at w/first --hex 00ff)" ] || fail "node c stopped signing"
write a key generate --type ed25519 --at w/while-cut-off || fail "a write through node a failed"
eventually b key public --at w/while-cut-off || fail "node b never got w/while-cut-off"
sleep 1  # what a node that reached etcd would have by now
! on c key public --at w/while-cut-off >/dev/null 2>&1 || fail "node c got an entry while cut off"
relay_to_etcd "${relay_ports[@]}"
eventually c key public --at w/while-cut-off || fail "node c never caught up once healed"
write c key generate --type ed25519 --at w/healed-c || fail "writes through node c did not come back"
eventually a key public --at w/healed-c || fail "node a never got w/healed-c"
eventually b key public --at w/healed-c || fail "node b never got w/healed-c"
for node in a b c; do
  on "$node" list >"$dir/$node.list"
done
cmp -s "$dir/a.list" "$dir/c.list" && cmp -s "$dir/b.list" "$dir/c.list" || fail "the nodes list different records"
! grep -q '^w/cut-off' "$dir/c.list" || fail "the refused write is listed"

echo "with one etcd member down writes go on; with two they are refused (exit 6) and signing goes on"
stop_etcd_member 1
write b key generate --type secp256k1 --at w/one-down || fail "a write with one etcd member down failed"
eventually a key public --at w/one-down || fail "node a never got w/one-down"
stop_etcd_member 2
rc=0
on b key generate --type secp256k1 --at w/two-down 2>"$dir/refused.txt" || rc=$?
[ "$rc" -eq 6 ] || fail "a write without an etcd majority exited $rc, not 6"
grep -q etcd "$dir/refused.txt" || fail "the refusal does not name etcd: $(cat "$dir/refused.txt")"
on a sign --at w/first --hex 00ff >/dev/null || fail "signing stopped without an etcd majority"
on b sign --at w/first --hex 00ff >/dev/null || fail "signing stopped without an etcd majority"
restart_etcd_member 1
write a key generate --type secp256k1 --at w/healed || fail "writes did not come back with the majority"
eventually b key public --at w/healed || fail "node b never got w/healed"

echo "a node busy signing hands signature requests to a peer, which does not hand them back"
# Both forward everything (--forward-above 0): d to b, and b to d, which listens on the port
# below etcd's block (free: each block of ten holds three members' two ports and the relay's
# three). b must serve what d forwards itself, and d serve itself once b is gone.
node_listen[d]=$((ETCD_CLIENT_PORTS[1] - 1))
kill_node b TERM  # a clean stop leaves the list of nodes: the restart does not wait for a lease
# b reaches etcd through the relay too (below: cut off, it must not answer for what it lacks).
node_cluster[b]=${node_cluster[c]}
node_options[b]="--forward-to 127.0.0.1:${node_listen[d]} --forward-above 0"
start_node b
! grep -q "holds a lease" "$dir/b.log" || fail "node b waited for the lease of its own clean stop"
node_options[d]="--forward-to 127.0.0.1:${node_port[b]} --forward-above 0"
start_node d
peered() {  # peered NODE PEER: NODE's log says it forwards to PEER
  for _ in $(seq 1 100); do
    grep -q "signing goes to peer 127.0.0.1:$2 too" "$dir/$1.log" && return 0
    sleep 0.1
  done
  fail "node $1 never reached its peer on port $2"
}
peered d "${node_port[b]}"
peered b "${node_listen[d]}"
# Both have applied the journal's last entry: b serves what d forwards.
eventually d key public --at w/healed || fail "node d never caught up"
eventually b key public --at w/healed || fail "node b never caught up"
expected=$(on a sign --at w/first --hex 00ff)
for _ in 1 2 3 4 5; do
  [ "$(on d sign --at w/first --hex 00ff)" = "$expected" ] || fail "a signature forwarded to b differs"
done
# A client identity's request stays on the node it reached (d's count below stays at 5).
"$cli" client keygen --out "$dir/alice.key" >"$dir/alice.pub"
on d client add alice --public-key "$(cat "$dir/alice.pub")" >/dev/null || fail "client add failed"
[ "$(on d --client alice --client-key "$dir/alice.key" sign --at w/first --hex 00ff)" = "$expected" ] ||
  fail "a client identity's signature differs"
# A peer that has not applied what the forwarding node had does not answer for it: with b cut off
# from etcd, a key deleted through d does not sign through b; once b has the deletion, b signs
# for d again (d's count below: 6).
write d key generate --type ed25519 --at w/revoked || fail "a write through node d failed"
eventually b key public --at w/revoked || fail "node b never got w/revoked"
kill -9 "$relay_pid"
wait "$relay_pid" 2>/dev/null || true
write d delete --at w/revoked || fail "the deletion through node d failed"
rc=0
on d sign --at w/revoked --hex 00ff >/dev/null 2>"$dir/revoked.txt" || rc=$?
[ "$rc" -ne 0 ] || fail "node b signed for node d with a key deleted through d, which b had not applied"
grep -q "w/revoked was deleted" "$dir/revoked.txt" || fail "the deleted key's refusal: $(cat "$dir/revoked.txt")"
on b key public --at w/revoked >/dev/null || fail "node b, cut off, lost w/revoked"
relay_to_etcd "${relay_ports[@]}"
for _ in $(seq 1 100); do
  on b key public --at w/revoked >/dev/null 2>&1 || break
  sleep 0.1
done
! on b key public --at w/revoked >/dev/null 2>&1 || fail "node b never applied the deletion once healed"
[ "$(on d sign --at w/first --hex 00ff)" = "$expected" ] || fail "a signature forwarded to b differs"
kill_node b TERM
grep -q "^strongholdd: 0 signature requests went to peers" "$dir/b.log" ||
  fail "node b forwarded what node d had forwarded to it: $(grep 'went to peers' "$dir/b.log")"
[ "$(on d sign --at w/first --hex 00ff)" = "$expected" ] || fail "node d did not sign itself once b was gone"
kill_node d TERM
grep -qP "^strongholdd: 6 signature requests went to peers; [1-9][0-9]* came back to be signed here$" "$dir/d.log" ||
  fail "node d: $(grep 'went to peers' "$dir/d.log")"

echo "the audit mode is the cluster's; each node logs its own requests, anchored under its name"
# The first `audit set` on two nodes at once, while both sign: each makes a key, one commit wins,
# the other is sent again and takes the winner's key (a log under the loser's would never open
# again).
signing=()
for node in a c; do
  (for _ in $(seq 1 40); do on "$node" sign --at w/first --hex 01 >/dev/null || exit 1; done) &
  signing+=($!)
done
write a audit set --mode best-effort &
first_set=$!
write c audit set --mode best-effort || fail "audit set through node c failed"
wait "$first_set" || fail "audit set through node a failed"
for pid in "${signing[@]}"; do
  wait "$pid" || fail "signing while the mode was set failed"
done
# A node's anchor goes with its own writes (in a cluster no commit of its own): each signs, then
# writes.
for node in a c; do
  # c has the mode once it applied a's entry; each log verifies against its own node's anchor.
  eventually "$node" audit verify || fail "node $node's log does not verify: $(on "$node" audit verify 2>&1)"
  key=w/a1
  [ "$node" = c ] && key=w/b1
  on "$node" sign --at "$key" --hex 00ff >/dev/null || fail "signing through $node with the log on"
  on "$node" sign --at "$key" --hex 00ff >/dev/null || fail "signing through $node with the log on"
  write "$node" key generate --type ed25519 --at "w/audited-$node" || fail "a write through $node with the log on"
done
for node in a c; do
  theirs=w/b1
  [ "$node" = c ] && theirs=w/a1
  on "$node" audit show >"$dir/$node.audit" || fail "audit show through node $node failed"
  [ "$(grep -cP '\tsign\tw/[ab]1\tallowed\t' "$dir/$node.audit")" -eq 2 ] ||
    fail "node $node's log: $(cat "$dir/$node.audit")"
  ! grep -q "$theirs" "$dir/$node.audit" || fail "node $node logged the other node's requests"
done
# Each node's anchor is its own: both verify once both recorded theirs (c's last).
for node in a c; do
  on "$node" audit verify --json >"$dir/$node.verify" || fail "node $node's log: $(cat "$dir/$node.verify")"
  grep -qF '{"check":"anchor_sequence","value":"0"}' "$dir/$node.verify" &&
    fail "node $node recorded no anchor: $(cat "$dir/$node.verify")"
done
# The CLI on a stopped node's file keeps no log there and writes no anchor into it (an entry
# outside the cluster): the node starts again. Its log is checked through the node only.
kill_node c TERM
"$cli" --snapshot "$dir/c.stronghold" sign --at w/first --hex 00ff >/dev/null || fail "the CLI on c's file"
rc=0
"$cli" --snapshot "$dir/c.stronghold" audit verify 2>"$dir/alone.txt" || rc=$?
[ "$rc" -ne 0 ] && grep -q "node's of a cluster" "$dir/alone.txt" ||
  fail "audit verify on c's file: exit $rc, $(cat "$dir/alone.txt")"
start_node c
on c audit verify >/dev/null || fail "node c's log after the CLI used its file"
echo "PASS"
