#!/usr/bin/env bash
# A local cluster on loopback for trying Cube: a leader and two followers in the background, each with its own
# data directory under .cube-local/, and ~/.cube/config pointing the CLI at them. The token goes through the
# environment, not the command line, so it does not show in `ps`.
#   scripts/local-cluster.sh up      start it (installs and builds what is needed), show `cube nodes`, and run the
#                                    example pod examples/hello-pod.json
#   scripts/local-cluster.sh down    stop the servers it started
#   scripts/local-cluster.sh status  show which servers run
# CUBE_LOCAL_PORT (default 4242) is the leader's port; the followers take the next two. Their metrics are at
# http://127.0.0.1:9442/metrics (the leader), 9443 and 9444 (the followers).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

state=.cube-local
port=${CUBE_LOCAL_PORT:-4242}
servers=(local-leader local-follower-1 local-follower-2)
config_dir="$HOME/.cube"
config="$config_dir/config"

pid_of() { cat "$state/$1.pid" 2>/dev/null || true; }
is_running() { local pid; pid=$(pid_of "$1"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

start_server() {
  local name=$1; shift
  if is_running "$name"; then say "$name already runs (pid $(pid_of "$name"))"; return; fi
  CUBE_TOKEN="$token" setsid node bin/cube-server.js "$@" --data-dir "$state/$name" --name "$name" >"$state/$name.log" 2>&1 </dev/null &
  echo $! >"$state/$name.pid"
  say "$name started (pid $!, log $state/$name.log)"
}

up() {
  ensure_node_modules
  scripts/ensure-docker.sh
  say "build"
  npm run --silent build
  mkdir -p "$state"
  [ -s "$state/token" ] || node -e 'process.stdout.write(require("crypto").randomBytes(18).toString("base64url"))' >"$state/token"
  token=$(cat "$state/token")

  start_server local-leader leader --listen "127.0.0.1:$port"
  start_server local-follower-1 follower --leader "127.0.0.1:$port" --listen "127.0.0.1:$((port + 1))" --metrics-listen 127.0.0.1:9443
  start_server local-follower-2 follower --leader "127.0.0.1:$port" --listen "127.0.0.1:$((port + 2))" --metrics-listen 127.0.0.1:9444

  # The leader writes the admin config (address, password, and the cluster CA, so the CLI trusts it at once).
  local admin="$state/local-leader/admin-config.json"
  for _ in $(seq 1 100); do [ -s "$admin" ] && break; sleep 0.2; done
  [ -s "$admin" ] || die "the leader did not start: see $state/local-leader.log"
  local wanted
  wanted=$(cat "$admin")
  mkdir -p "$config_dir"
  if [ -f "$config" ] && [ "$(cat "$config")" != "$wanted" ]; then
    cp "$config" "$config.before-local-cluster"
    say "your previous $config is saved as $config.before-local-cluster"
  fi
  printf '%s\n' "$wanted" >"$config"
  chmod 600 "$config"
  say "wrote $config"

  say "waiting for 3 Ready nodes"
  for _ in $(seq 1 60); do
    ready=$(node bin/run.js nodes -o json 2>/dev/null | grep -c '"status": "Ready"' || true)
    [ "$ready" = 3 ] && break
    sleep 0.5
  done
  node bin/run.js nodes
  [ "$ready" = 3 ] || die "the cluster did not become Ready: see the logs in $state/"

  scripts/build-test-images.sh
  say "cube apply examples/hello-pod.json"
  node bin/run.js apply examples/hello-pod.json
  for _ in $(seq 1 60); do
    node bin/run.js list pod -o json | grep -q '"status": "Running"' && break
    sleep 0.5
  done
  node bin/run.js list
  cat >&2 <<MSG

The cluster runs in the background, with the example pod "hello" (two containers talking over localhost).
Try (or \`npm link\` once, then use \`cube\` instead of ./bin/run.js):
  ./bin/run.js nodes
  ./bin/run.js get pod/hello
  ./bin/run.js delete pod/hello
Stop the servers with: scripts/local-cluster.sh down (the pods' containers keep running until deleted)
MSG
}

down() {
  for name in "${servers[@]}"; do
    if is_running "$name"; then
      kill "$(pid_of "$name")"
      say "stopped $name"
    fi
    rm -f "$state/$name.pid"
  done
}

status() {
  for name in "${servers[@]}"; do
    if is_running "$name"; then echo "$name: running (pid $(pid_of "$name"))"; else echo "$name: stopped"; fi
  done
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) die "usage: scripts/local-cluster.sh [up|down|status]" ;;
esac
