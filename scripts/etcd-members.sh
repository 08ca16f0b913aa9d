# Sourced: starts and stops a throw-away etcd cluster of three members on loopback, for the
# cluster's tests and its demo. Needs etcd and etcdctl (Debian's etcd-server and etcd-client).
#   start_etcd_members DIR    members in DIR/etcd1..3; sets ETCD_ENDPOINTS (client URLs, comma-
#                             separated), ETCD_CLIENT_PORTS and ETCD_PIDS (arrays, by member)
#   stop_etcd_member N        SIGKILLs member N (1..3)
#   restart_etcd_member N     starts member N again on its data
#   stop_etcd_members         SIGKILLs every member still running
# With TLS_FOR_ETCD set (holding ca.pem, etcd.pem and etcd.key, as scripts/tls-certs.sh makes
# them), members serve clients over TLS only (https://) and ask each for a certificate the CA signed.

_etcd_scheme() { if [ -n "${TLS_FOR_ETCD:-}" ]; then echo https; else echo http; fi; }

_etcd_tls() {  # the options that give a member, or etcdctl, TLS's files
  [ -n "${TLS_FOR_ETCD:-}" ] || return 0
  case $1 in
    member) echo --cert-file "$TLS_FOR_ETCD/etcd.pem" --key-file "$TLS_FOR_ETCD/etcd.key" \
      --trusted-ca-file "$TLS_FOR_ETCD/ca.pem" --client-cert-auth ;;
    etcdctl) echo --cacert "$TLS_FOR_ETCD/ca.pem" --cert "$TLS_FOR_ETCD/etcd.pem" --key "$TLS_FOR_ETCD/etcd.key" ;;
  esac
}

_etcd_member() {
  local n=$1
  # shellcheck disable=SC2046  # the options are words
  etcd --name "etcd$n" --data-dir "$_ETCD_DIR/etcd$n" $(_etcd_tls member) \
    --listen-client-urls "$(_etcd_scheme)://127.0.0.1:${ETCD_CLIENT_PORTS[$n]}" \
    --advertise-client-urls "$(_etcd_scheme)://127.0.0.1:${ETCD_CLIENT_PORTS[$n]}" \
    --listen-peer-urls "http://127.0.0.1:${_ETCD_PEER_PORTS[$n]}" \
    --initial-advertise-peer-urls "http://127.0.0.1:${_ETCD_PEER_PORTS[$n]}" \
    --initial-cluster "$_ETCD_INITIAL" --initial-cluster-state new --initial-cluster-token "stronghold-$$" \
    --heartbeat-interval 50 --election-timeout 500 --logger zap --log-level error \
    --auto-compaction-mode revision --auto-compaction-retention 1000 \
    >>"$_ETCD_DIR/etcd$n.log" 2>&1 &
  ETCD_PIDS[$n]=$!
}

_etcd_healthy() {
  local n
  for n in 1 2 3; do
    kill -0 "${ETCD_PIDS[$n]}" 2>/dev/null || return 1
  done
  # shellcheck disable=SC2046  # the options are words
  ETCDCTL_API=3 etcdctl --endpoints="$ETCD_ENDPOINTS" $(_etcd_tls etcdctl) --command-timeout=1s endpoint health \
    >/dev/null 2>&1
}

start_etcd_members() {
  _ETCD_DIR=$1
  local attempt n base
  ETCD_CLIENT_PORTS=() _ETCD_PEER_PORTS=() ETCD_PIDS=()
  # Ports below Linux's ephemeral range (32768 on), at a random base: another run's members, or
  # an outgoing connection, may hold some; then another base is tried.
  for attempt in 1 2 3 4 5; do
    base=$((20000 + (RANDOM % 1200) * 10))
    _ETCD_INITIAL=""
    ETCD_ENDPOINTS=""
    for n in 1 2 3; do
      ETCD_CLIENT_PORTS[$n]=$((base + n))
      _ETCD_PEER_PORTS[$n]=$((base + 3 + n))
      _ETCD_INITIAL+="${_ETCD_INITIAL:+,}etcd$n=http://127.0.0.1:${_ETCD_PEER_PORTS[$n]}"
      ETCD_ENDPOINTS+="${ETCD_ENDPOINTS:+,}$(_etcd_scheme)://127.0.0.1:${ETCD_CLIENT_PORTS[$n]}"
    done
    rm -rf "$_ETCD_DIR"/etcd[123]
    mkdir -p "$_ETCD_DIR"
    for n in 1 2 3; do
      _etcd_member "$n"
    done
    for _ in $(seq 1 100); do
      if _etcd_healthy; then
        return 0
      fi
      sleep 0.1
    done
    stop_etcd_members
  done
  echo "error: no etcd cluster came up; see $_ETCD_DIR/etcd*.log" >&2
  return 1
}

stop_etcd_member() {
  kill -9 "${ETCD_PIDS[$1]}" 2>/dev/null || true
  wait "${ETCD_PIDS[$1]}" 2>/dev/null || true
}

restart_etcd_member() {
  _etcd_member "$1"
}

stop_etcd_members() {
  local n
  for n in 1 2 3; do
    [ -n "${ETCD_PIDS[$n]:-}" ] && stop_etcd_member "$n"
  done
  return 0
}
