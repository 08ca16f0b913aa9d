# Sourced by the cluster's tests: commands through a node's socket. Needs $cli (the stronghold
# program) and $dir (where each node NAME has its socket NAME.sock).
#   on NODE COMMAND...          the command through that node's socket
#   eventually NODE COMMAND...  waits (up to 10 s) until NODE answers COMMAND with exit 0: the
#                               follower applies others' writes within its read's wait

on() {
  local node=$1
  shift
  timeout 60 "$cli" --socket "$dir/$node.sock" "$@"
}

eventually() {
  local node=$1
  shift
  for _ in $(seq 1 100); do
    on "$node" "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}
