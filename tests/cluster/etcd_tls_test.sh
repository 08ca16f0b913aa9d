#!/usr/bin/env bash
# Two strongholdd nodes reaching a three-member etcd cluster over TLS only (https://, etcd asking
# each client for a certificate its CA signed): replication, and writes going on with a member down;
# of four nodes started under one name at the same moment, one runs. A node is refused, with exit 6
# and its file untouched, when etcd's certificate does not verify against --etcd-ca or does not name
# the host (its address or its name), when its own certificate is missing or from another CA, and
# when it speaks plain HTTP to etcd's TLS port; TLS files without https:// URLs, a certificate
# without its key, https:// without --etcd-ca, or forwarding options without peers, a TLS port or a
# valid peer address, are refused with exit 1 (invalid input). Then etcd's journal is trimmed to the
# last entries (--keep-entries): a node from an older copy of the file is refused (exit 5) when it
# does not listen, and when it listens it copies a live node's file over the nodes' mutual TLS
# (passing over a node of another snapshot that etcd lists first), keeps its own file beside it and
# catches up; a node away for longer than its lease says the journal moved past it and no longer
# holds trimming back.
# Usage: etcd_tls_test.sh STRONGHOLD STRONGHOLDD
set -euo pipefail
cli=$1
daemon=$2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/scripts/etcd-members.sh"
source "$root/tests/cluster/nodes.sh"
command -v etcd >/dev/null && command -v etcdctl >/dev/null || { echo "FAIL: etcd and etcdctl are needed (Debian: etcd-server etcd-client; scripts/test.sh installs them)" >&2; exit 1; }
command -v openssl >/dev/null || { echo "FAIL: the openssl command is needed" >&2; exit 1; }

dir=$(mktemp -d)
declare -A node_pid=()
impostor_pid=
cleanup() {
  local node
  for node in "${!node_pid[@]}"; do
    kill -9 "${node_pid[$node]}" 2>/dev/null || true
  done
  if [ -n "$impostor_pid" ]; then
    kill -9 "$impostor_pid" 2>/dev/null || true
  fi
  stop_etcd_members
  rm -rf "$dir"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for log in "$dir"/*.log "$dir"/etcd/*.log; do
    [ -e "$log" ] || continue
    echo "--- $log" >&2
    tail -n 20 "$log" >&2
  done
  exit 1
}

export STRONGHOLD_PASSWORD=etcd-tls-test-password
export STRONGHOLD_TIMEOUT=30
"$root/scripts/tls-certs.sh" "$dir/certs" etcd a b c x y
"$root/scripts/tls-certs.sh" "$dir/other" a
TLS_FOR_ETCD=$dir/certs
start_etcd_members "$dir/etcd" || fail "etcd did not start"
plain=${ETCD_ENDPOINTS//https:/http:}
etcd_tls() { echo --etcd-ca "$dir/$1/ca.pem" --etcd-cert "$dir/$2/$3.pem" --etcd-key "$dir/$2/$3.key"; }

"$cli" --snapshot "$dir/a.stronghold" init --kdf fast 2>/dev/null
cp "$dir/a.stronghold" "$dir/b.stronghold"
cp "$dir/a.stronghold" "$dir/pristine.stronghold"

# refused NAME CODE PATTERN ARGS...: the node does not start (exit CODE, saying what the extended
# regular expression PATTERN matches) and leaves its file as it was.
refused() {
  local name=$1 code=$2 text=$3 status=0
  shift 3
  timeout 60 "$daemon" --snapshot "$dir/a.stronghold" --socket "$dir/refused.sock" --node-name a "$@" \
    >"$dir/refused.out" 2>&1 || status=$?
  [ "$status" -eq "$code" ] || fail "$name: exit $status, expected $code: $(cat "$dir/refused.out")"
  grep -Eq -- "$text" "$dir/refused.out" || fail "$name: expected '$text' in: $(cat "$dir/refused.out")"
  cmp -s "$dir/a.stronghold" "$dir/pristine.stronghold" || fail "$name: the file changed"
  [ ! -e "$dir/refused.sock" ] || fail "$name: left its socket"
}
# etcd's alert, or, when etcd closed before it could be read, the node's guess (TLS 1.3).
etcd_refused="alert bad certificate|refuse this side's certificate"
# shellcheck disable=SC2046  # the options are words
{
  refused "another CA's etcd" 6 "certificate does not verify" --cluster "$ETCD_ENDPOINTS" $(etcd_tls other certs a)
  refused "no client certificate" 6 "$etcd_refused" --cluster "$ETCD_ENDPOINTS" --etcd-ca "$dir/certs/ca.pem"
  refused "another CA's client" 6 "$etcd_refused" --cluster "$ETCD_ENDPOINTS" $(etcd_tls certs other a)
  refused "plain HTTP to TLS" 6 "https:// only" --cluster "$plain"
  refused "TLS files for plain URLs" 1 "go with https://" --cluster "$plain" $(etcd_tls certs certs a)
  refused "a certificate without its key" 1 "give both or neither" --cluster "$ETCD_ENDPOINTS" \
    --etcd-ca "$dir/certs/ca.pem" --etcd-cert "$dir/certs/a.pem"
  refused "mixed schemes" 1 "not both" --cluster "${ETCD_ENDPOINTS%%,*},${plain#*,}" $(etcd_tls certs certs a)
  refused "TLS files without a cluster" 1 "go with --cluster" --etcd-ca "$dir/certs/ca.pem"
  refused "no CA" 1 "needs the CA" --cluster "$ETCD_ENDPOINTS" --etcd-cert "$dir/certs/a.pem" --etcd-key "$dir/certs/a.key"
  refused "forwarding without peers" 1 "goes with --forward-to" --cluster "$ETCD_ENDPOINTS" $(etcd_tls certs certs a) \
    --forward-above 3
  refused "forwarding without a TLS port" 1 "goes with --cluster, and with --listen" --cluster "$ETCD_ENDPOINTS" \
    $(etcd_tls certs certs a) --forward-to 127.0.0.1:7443
  refused "a peer without a port" 1 "--forward-to: '0' is not a port" --cluster "$ETCD_ENDPOINTS" \
    $(etcd_tls certs certs a) --listen 127.0.0.1:0 --tls-cert "$dir/certs/a.pem" --tls-key "$dir/certs/a.key" \
    --tls-ca "$dir/certs/ca.pem" --forward-to 127.0.0.1:7443,127.0.0.1:0
}

# A TLS server whose certificate the CA signed for another name stands in for etcd.
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$dir/elsewhere.key" \
  -out "$dir/elsewhere.csr" -subj "/CN=elsewhere" 2>/dev/null
printf 'subjectAltName=DNS:elsewhere.invalid\nextendedKeyUsage=serverAuth\n' >"$dir/elsewhere.ext"
openssl x509 -req -in "$dir/elsewhere.csr" -CA "$dir/certs/ca.pem" -CAkey "$dir/certs/ca.key" -CAcreateserial \
  -days 1 -extfile "$dir/elsewhere.ext" -out "$dir/elsewhere.pem" 2>/dev/null
impostor_port=$((ETCD_CLIENT_PORTS[1] + 7))
openssl s_server -quiet -accept "127.0.0.1:$impostor_port" -cert "$dir/elsewhere.pem" -key "$dir/elsewhere.key" \
  </dev/null >"$dir/impostor.log" 2>&1 &
impostor_pid=$!
for _ in $(seq 1 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$impostor_port") 2>/dev/null && break
  sleep 0.1
done
# shellcheck disable=SC2046  # the options are words
refused "a certificate for another address" 6 "IP address mismatch" --cluster "https://127.0.0.1:$impostor_port" \
  $(etcd_tls certs certs a)
# shellcheck disable=SC2046  # the options are words
refused "a certificate for another name" 6 "hostname mismatch" --cluster "https://localhost:$impostor_port" \
  $(etcd_tls certs certs a)

# start_node NAME [OPTION...]
start_node() {
  local name=$1
  shift
  : >"$dir/$name.log"
  # shellcheck disable=SC2046  # the options are words
  "$daemon" --snapshot "$dir/$name.stronghold" --socket "$dir/$name.sock" --cluster "$ETCD_ENDPOINTS" \
    --node-name "$name" $(etcd_tls certs certs "$name") --keep-entries 3 --listen 127.0.0.1:0 \
    --tls-cert "$dir/certs/$name.pem" --tls-key "$dir/certs/$name.key" --tls-ca "$dir/certs/ca.pem" "$@" \
    >>"$dir/$name.log" 2>&1 &
  node_pid[$name]=$!
  for _ in $(seq 1 300); do
    [ -S "$dir/$name.sock" ] && on "$name" list >/dev/null 2>&1 && return 0
    kill -0 "${node_pid[$name]}" 2>/dev/null || fail "node $name exited at start"
    sleep 0.1
  done
  fail "node $name did not start"
}

start_node a
start_node b
# A second node under a running node's name is refused: a's entry in etcd is renewed meanwhile.
cp "$dir/b.stronghold" "$dir/twin.stronghold"
status=0
# shellcheck disable=SC2046  # the options are words
timeout 60 "$daemon" --snapshot "$dir/twin.stronghold" --socket "$dir/twin.sock" --cluster "$ETCD_ENDPOINTS" \
  --node-name a $(etcd_tls certs certs b) >"$dir/twin.out" 2>&1 || status=$?
[ "$status" -eq 5 ] || fail "a second node named a: exit $status: $(cat "$dir/twin.out")"
grep -q "a node named 'a' runs in this cluster already" "$dir/twin.out" ||
  fail "a second node named a said: $(cat "$dir/twin.out")"
[ ! -e "$dir/twin.sock" ] || fail "the refused twin left its socket"
# Nodes started under one new name at the same moment: one runs, every other is refused (exit 5).
racers=4
for n in $(seq 1 "$racers"); do
  cp "$dir/pristine.stronghold" "$dir/race$n.stronghold"
done
for n in $(seq 1 "$racers"); do
  # shellcheck disable=SC2046  # the options are words
  "$daemon" --snapshot "$dir/race$n.stronghold" --socket "$dir/race$n.sock" --cluster "$ETCD_ENDPOINTS" \
    --node-name racer $(etcd_tls certs certs b) >"$dir/race$n.log" 2>&1 &
  node_pid[race$n]=$!
done
running=()
for n in $(seq 1 "$racers"); do
  for _ in $(seq 1 300); do
    kill -0 "${node_pid[race$n]}" 2>/dev/null || break
    if [ -S "$dir/race$n.sock" ] && on "race$n" list >/dev/null 2>&1; then
      running+=("$n")
      break
    fi
    sleep 0.1
  done
done
[ "${#running[@]}" -eq 1 ] || fail "${#running[@]} of $racers nodes named racer run: ${running[*]}"
for n in $(seq 1 "$racers"); do
  [ "$n" = "${running[0]}" ] && continue
  status=0
  wait "${node_pid[race$n]}" || status=$?
  unset "node_pid[race$n]"
  [ "$status" -eq 5 ] || fail "racer $n: exit $status: $(cat "$dir/race$n.log")"
  grep -q "a node named 'racer' runs in this cluster already" "$dir/race$n.log" ||
    fail "racer $n said: $(cat "$dir/race$n.log")"
done
kill "${node_pid[race${running[0]}]}"
wait "${node_pid[race${running[0]}]}" || true
unset "node_pid[race${running[0]}]"
on a key generate --type ed25519 --at w/first >"$dir/first.pub" || fail "a write through a"
eventually b key public --at w/first || fail "node b never got w/first"
[ "$(on a sign --at w/first --hex 00ff)" = "$(on b sign --at w/first --hex 00ff)" ] || fail "the signatures differ"
echo -n "kept on b" | on b secret put from-b || fail "a write through b"
eventually a secret get from-b || fail "node a never got the secret"
[ "$(on a secret get from-b)" = "kept on b" ] || fail "the secret reads back differently"

stop_etcd_member 1
on a key generate --type ed25519 --at w/second >/dev/null || fail "a write with one etcd member down"
eventually b key public --at w/second || fail "node b never got w/second"
[ "$(on a list)" = "$(on b list)" ] || fail "a and b list different records"

# Trimming: with --keep-entries 3, etcd keeps the last 3 entries (both nodes are past them).
journal_keys() {
  # shellcheck disable=SC2046  # the options are words
  ETCDCTL_API=3 etcdctl --endpoints="$ETCD_ENDPOINTS" $(_etcd_tls etcdctl) --command-timeout=3s \
    get --prefix --keys-only /stronghold/default/journal/ | grep journal/ || true
}
first_kept=$(journal_keys | head -n 1)
# A file larger than two pieces of a copy (512 KiB each): 48 secrets of 32 KiB.
for i in $(seq 1 48); do
  head -c 24576 /dev/urandom | base64 -w 0 | on a secret put "bulk$i" || fail "write bulk$i"
done
for i in 1 2 3 4 5 6; do
  on a key generate --type ed25519 --at "w/more$i" >/dev/null || fail "write w/more$i"
done
eventually b key public --at w/more6 || fail "node b never got w/more6"
for _ in $(seq 1 100); do
  [ "$(journal_keys | wc -l)" -le 3 ] && break
  sleep 0.1
done
[ "$(journal_keys | wc -l)" -le 3 ] || fail "etcd still holds $(journal_keys | wc -l) entries: $(journal_keys | tr '\n' ' ')"
[ "$(journal_keys | head -n 1)" \> "$first_kept" ] || fail "the journal's first entry did not move"
# A node from the first copy of the file needs entries etcd no longer holds: refused, its file intact.
cp "$dir/pristine.stronghold" "$dir/c.stronghold"
status=0
# shellcheck disable=SC2046  # the options are words
timeout 60 "$daemon" --snapshot "$dir/c.stronghold" --socket "$dir/c.sock" --cluster "$ETCD_ENDPOINTS" --node-name c \
  $(etcd_tls certs certs a) >"$dir/c.out" 2>&1 || status=$?
[ "$status" -eq 5 ] || fail "a node older than the journal: exit $status: $(cat "$dir/c.out")"
grep -q "no longer holds: start this node from a copy of a live node's file" "$dir/c.out" ||
  fail "a node older than the journal said: $(cat "$dir/c.out")"
cmp -s "$dir/c.stronghold" "$dir/pristine.stronghold" || fail "the refused node's file changed"
# One that listens copies a live node's file. Two nodes that serve other clusters are listed first
# in etcd: x serves another snapshot (same password, another file), whose copy is refused; y serves
# the first copy of this file in a cluster of its own, whose copy does not open here (it stands
# before the journal's start too) and is taken out again. Then a live node's copy is taken.
"$cli" --snapshot "$dir/x.stronghold" init --kdf fast 2>/dev/null
start_node x --cluster-name other
cp "$dir/pristine.stronghold" "$dir/y.stronghold"
start_node y --cluster-name third
list_in_etcd() {  # list_in_etcd NAME NODE: etcd lists NODE's address under NAME in this cluster
  local address
  address=$(sed -n "s/.*node $2 listens on \([0-9.:]*\) .*/\1/p" "$dir/$2.log")
  # shellcheck disable=SC2046  # the options are words
  ETCDCTL_API=3 etcdctl --endpoints="$ETCD_ENDPOINTS" $(_etcd_tls etcdctl) --command-timeout=3s \
    put "/stronghold/default/nodes/$1" "{\"address\":\"$address\",\"position\":999999}" >/dev/null ||
    fail "could not list node $2 in etcd"
  echo "$address"
}
x_address=$(list_in_etcd 0x x)
y_address=$(list_in_etcd 0y y)
start_node c
# shellcheck disable=SC2046  # the options are words
ETCDCTL_API=3 etcdctl --endpoints="$ETCD_ENDPOINTS" $(_etcd_tls etcdctl) --command-timeout=3s \
  del --prefix /stronghold/default/nodes/0 >/dev/null
grep -q "node 0x at $x_address gave no copy: its file is not a copy of this one" "$dir/c.log" ||
  fail "node c did not refuse the other snapshot's copy: $(cat "$dir/c.log")"
grep -q "node 0y at $y_address gave no copy: its copy does not open here: this file's journal ends before" \
  "$dir/c.log" || fail "node c did not take out a copy that does not open: $(cat "$dir/c.log")"
grep -Eq "started from node [ab]'s copy of the file" "$dir/c.log" || fail "node c took no copy: $(cat "$dir/c.log")"
kept=$(ls "$dir"/c.stronghold.behind-*)
cmp -s "$kept" "$dir/pristine.stronghold" || fail "node c did not keep its file as it was"
[ "$(stat -c %s "$dir/c.stronghold")" -gt 1048576 ] || fail "node c's copy is not larger than two pieces"
eventually c key public --at w/more6 || fail "node c never got w/more6"
[ "$(on c secret get bulk48)" = "$(on a secret get bulk48)" ] || fail "node c's copy reads differently"
on a key generate --type ed25519 --at w/last >/dev/null || fail "a write after trimming"
eventually c key public --at w/last || fail "node c never got w/last"
# A live node that stands still (stopped for less than its lease of 10 s) holds trimming back.
kill -STOP "${node_pid[b]}"
for i in 1 2 3 4 5 6; do
  on a key generate --type ed25519 --at "w/held$i" >/dev/null || fail "write w/held$i"
done
sleep 4  # past a's next look (every 3 s)
[ "$(journal_keys | wc -l)" -ge 6 ] || fail "etcd trimmed entries the stopped node b needs: $(journal_keys | tr '\n' ' ')"
kill -CONT "${node_pid[b]}"
eventually b key public --at w/held6 || fail "node b never caught up after it stood still"
# A node away for longer than its lease while the journal moved past its file: once back, it says
# so and leaves the list of nodes, so that trimming goes on without it.
kill -STOP "${node_pid[c]}"
sleep 11  # its lease (10 s) runs out
for i in 1 2 3 4 5 6; do
  on a key generate --type ed25519 --at "w/away$i" >/dev/null || fail "write w/away$i"
done
trimmed_to_3() {
  for _ in $(seq 1 100); do
    [ "$(journal_keys | wc -l)" -le 3 ] && return 0
    sleep 0.1
  done
  fail "etcd holds $(journal_keys | wc -l) entries, not 3: $(journal_keys | tr '\n' ' ')"
}
trimmed_to_3
kill -CONT "${node_pid[c]}"
for _ in $(seq 1 100); do
  grep -q "no longer holds entry" "$dir/c.log" && break
  sleep 0.1
done
grep -q "no longer holds entry" "$dir/c.log" || fail "node c did not say the journal moved past it"
for i in 1 2 3 4 5 6; do
  on a key generate --type ed25519 --at "w/after$i" >/dev/null || fail "write w/after$i"
done
trimmed_to_3
echo "PASS: nodes over TLS to etcd replicate; every bad certificate or scheme is refused; etcd's journal is trimmed"
