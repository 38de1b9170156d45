#!/usr/bin/env bash
# The multi-host test bed: N simulated hosts on this machine, each a network namespace with its own Docker Engine
# (own socket, data root, exec root, pidfile) and its own address, linked by a bridge that lives in a namespace of
# its own. The addresses exist only inside these namespaces: nothing of the machine's network, firewall or Docker
# engine is touched (its engine only lends the images, by `docker save | docker load`). Needs root.
#
#   scripts/test-hosts.sh up [N]              N hosts (default 3): h1 at 10.99.0.1, h2 at 10.99.0.2, ...
#   scripts/test-hosts.sh cluster             a Cube leader on h1 and a follower on every other host, and a CLI config
#   scripts/test-hosts.sh cube ARGS...        the CLI, run on h1 against that cluster (e.g. `cube nodes`)
#   scripts/test-hosts.sh exec HOST CMD...    runs CMD on host HOST (1..N), with DOCKER_HOST set to its engine
#   scripts/test-hosts.sh partition HOST      cuts HOST off the network (its link on the bridge goes down)
#   scripts/test-hosts.sh heal HOST           puts it back
#   scripts/test-hosts.sh engine-stop HOST    stops HOST's Docker Engine (SIGTERM, as `systemctl stop docker`)
#   scripts/test-hosts.sh engine-start HOST   starts it again
#   scripts/test-hosts.sh capture-start FILE  records every packet between the hosts (tcpdump on the bridge) into FILE
#   scripts/test-hosts.sh capture-stop        ends that recording
#   scripts/test-hosts.sh status              what runs
#   scripts/test-hosts.sh down                stops every server and engine, removes the namespaces and the engines' data
#
# The bed lives in $CUBE_HOSTS_DIR (default .cube-hosts/); tests give each bed a directory of its own.
# $CUBE_HOSTS_IMAGES (default cube-test/busybox:latest) lists the images copied from the machine's engine.
# Facts that shaped this: `ip netns exec` remounts /sys and a dockerd started under it fails ("Devices cgroup isn't
# mounted"), so hosts are entered with `nsenter --net`, which enters the network namespace only. A Unix socket is
# reached from any namespace, so every PID is recorded (nsenter, setsid and env exec the program: `$!` is its PID)
# and ended on `down`, and the engines' data is removed, so that nothing of a bed outlives it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

bed=$(realpath -m "${CUBE_HOSTS_DIR:-.cube-hosts}")
subnet=10.99.0
cube_port=4242

need_root() { [ "$(id -u)" = 0 ] || die "the test bed needs root (network namespaces, Docker engines)"; }
is_up() { [ -f "$bed/bed.env" ]; }
load() {
  is_up || die "no test bed in $bed: run scripts/test-hosts.sh up first"
  # shellcheck source=/dev/null
  . "$bed/bed.env"
}
ns() { echo "cube-$BED_ID-h$1"; }
bridge_ns() { echo "cube-$BED_ID-net"; }
address() { echo "$subnet.$1"; }
host_dir() { echo "$bed/h$1"; }
socket() { echo "$(host_dir "$1")/docker.sock"; }
check_host() {
  [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le "$HOSTS" ] || die "no host \"$1\": hosts are 1 to $HOSTS"
}
pid_alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
read_pid() { cat "$1" 2>/dev/null || true; }

# Sends SIGTERM to a PID recorded in FILE, waits up to 30 s for it to end (then SIGKILL), and removes FILE.
stop_pid_file() {
  local file=$1 pid
  pid=$(read_pid "$file")
  if pid_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do pid_alive "$pid" || break; sleep 0.1; done
    pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.1; done
  fi
  rm -f "$file"
}

engine_answers() { DOCKER_HOST="unix://$(socket "$1")" docker info >/dev/null 2>&1; }

engine_start() {
  local host=$1 dir
  dir=$(host_dir "$host")
  if pid_alive "$(read_pid "$dir/dockerd.pid")"; then return; fi
  setsid nsenter --net="/run/netns/$(ns "$host")" dockerd \
    --host "unix://$(socket "$host")" \
    --data-root "$dir/root" \
    --exec-root "$dir/exec" \
    --pidfile "$dir/dockerd.own.pid" \
    >>"$dir/dockerd.log" 2>&1 </dev/null &
  echo $! >"$dir/dockerd.pid"
  for _ in $(seq 1 120); do
    engine_answers "$host" && return
    pid_alive "$(read_pid "$dir/dockerd.pid")" || break
    sleep 0.25
  done
  tail -n 20 "$dir/dockerd.log" >&2 || true
  die "the engine of h$host did not answer (see $dir/dockerd.log)"
}

engine_stop() { stop_pid_file "$(host_dir "$1")/dockerd.pid"; }

up() {
  local count=${1:-3}
  [[ "$count" =~ ^[0-9]+$ ]] && [ "$count" -ge 1 ] && [ "$count" -le 50 ] || die "up takes a number of hosts from 1 to 50, got \"$count\""
  need_root
  is_up && die "a test bed is already up in $bed: scripts/test-hosts.sh down first"
  command -v ip >/dev/null || apt_install iproute2
  command -v nsenter >/dev/null || apt_install util-linux
  scripts/ensure-docker.sh
  scripts/build-test-images.sh
  mkdir -p "$bed"
  BED_ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
  HOSTS=$count
  printf 'BED_ID=%s\nHOSTS=%s\n' "$BED_ID" "$HOSTS" >"$bed/bed.env"

  say "network: bridge in namespace $(bridge_ns), hosts h1..h$count on $subnet.0/24"
  ip netns add "$(bridge_ns)"
  ip -n "$(bridge_ns)" link add br0 type bridge
  ip -n "$(bridge_ns)" link set br0 up
  for host in $(seq 1 "$count"); do
    mkdir -p "$(host_dir "$host")"
    ip netns add "$(ns "$host")"
    ip -n "$(ns "$host")" link set lo up
    ip -n "$(bridge_ns)" link add "h$host" type veth peer name eth0 netns "$(ns "$host")"
    ip -n "$(bridge_ns)" link set "h$host" master br0 up
    ip -n "$(ns "$host")" addr add "$(address "$host")/24" dev eth0
    ip -n "$(ns "$host")" link set eth0 up
    address "$host" >"$(host_dir "$host")/address"
  done

  say "starting $count Docker engines"
  for host in $(seq 1 "$count"); do engine_start "$host" & done
  wait
  for host in $(seq 1 "$count"); do engine_answers "$host" || die "the engine of h$host is not running"; done

  local images=${CUBE_HOSTS_IMAGES:-cube-test/busybox:latest}
  say "copying images into each engine: $images"
  # shellcheck disable=SC2086
  docker save $images -o "$bed/images.tar"
  for host in $(seq 1 "$count"); do DOCKER_HOST="unix://$(socket "$host")" docker load -q -i "$bed/images.tar" >/dev/null & done
  wait
  rm -f "$bed/images.tar"
  status
}

cluster() {
  load
  need_root
  ensure_node_modules
  say "build"
  npm run --silent build
  local leader leader_dir
  leader="$(address 1):$cube_port"
  leader_dir="$(host_dir 1)/cube"
  for host in $(seq 1 "$HOSTS"); do
    local dir role
    dir=$(host_dir "$host")
    if pid_alive "$(read_pid "$dir/cube-server.pid")"; then continue; fi
    if [ "$host" = 1 ]; then
      # The leader makes its join token and admin password on its first start, and keeps them in its data directory.
      setsid nsenter --net="/run/netns/$(ns "$host")" env DOCKER_HOST="unix://$(socket "$host")" \
        node bin/cube-server.js leader --listen "$leader" --name "h$host" --data-dir "$dir/cube" >>"$dir/cube-server.log" 2>&1 </dev/null &
      echo $! >"$dir/cube-server.pid"
      for _ in $(seq 1 60); do [ -s "$leader_dir/join-token" ] && [ -s "$leader_dir/admin-config.json" ] && break; sleep 0.25; done
      [ -s "$leader_dir/join-token" ] || die "the leader wrote no join token: see $dir/cube-server.log"
      continue
    fi
    role=(follower --leader "$leader" --listen "0.0.0.0:4243" --advertise "$(address "$host"):4243")
    CUBE_TOKEN_FILE="$leader_dir/join-token" setsid nsenter --net="/run/netns/$(ns "$host")" env DOCKER_HOST="unix://$(socket "$host")" \
      node bin/cube-server.js "${role[@]}" --name "h$host" --data-dir "$dir/cube" >>"$dir/cube-server.log" 2>&1 </dev/null &
    echo $! >"$dir/cube-server.pid"
  done
  # The leader's admin config: its address, its admin password and its CA (the CLI trusts it at once).
  install -m 600 "$leader_dir/admin-config.json" "$bed/cube-config.json"
  say "waiting for $HOSTS Ready nodes"
  local ready=0
  for _ in $(seq 1 60); do
    ready=$(cli nodes -o json 2>/dev/null | grep -c '"status": "Ready"' || true)
    [ "$ready" = "$HOSTS" ] && break
    sleep 0.5
  done
  cli nodes
  [ "$ready" = "$HOSTS" ] || die "the cluster did not become Ready: see $bed/h*/cube-server.log"
  cat >&2 <<MSG

A leader runs on h1 ($leader) and a follower on every other host, each with its own engine. The CLI runs on h1:
  scripts/test-hosts.sh cube apply examples/hello-pod.json
  scripts/test-hosts.sh cube list
  scripts/test-hosts.sh exec 2 docker ps          # host h2's engine
  scripts/test-hosts.sh partition 2               # cut h2 off; heal 2 puts it back
Servers' logs: $bed/h*/cube-server.log. Stop everything with: scripts/test-hosts.sh down
MSG
}

cli() {
  load
  [ -f "$bed/cube-config.json" ] || die "no cluster on the test bed: run scripts/test-hosts.sh cluster first"
  nsenter --net="/run/netns/$(ns 1)" env CUBE_CONFIG="$bed/cube-config.json" node bin/run.js "$@"
}

run_on() {
  load
  local host=${1:-}
  check_host "$host"
  shift
  [ "$#" -gt 0 ] || die "exec needs a command: scripts/test-hosts.sh exec HOST CMD..."
  # exec all the way down, so that the caller's PID is the command's.
  exec nsenter --net="/run/netns/$(ns "$host")" env DOCKER_HOST="unix://$(socket "$host")" "$@"
}

set_link() {
  load
  check_host "$1"
  ip -n "$(bridge_ns)" link set "h$1" "$2"
}

status() {
  if ! is_up; then
    echo "no test bed in $bed"
    return
  fi
  load
  echo "test bed $BED_ID in $bed: $HOSTS hosts"
  for host in $(seq 1 "$HOSTS"); do
    local dir link engine server
    dir=$(host_dir "$host")
    link=$(ip -n "$(bridge_ns)" -br link show "h$host" 2>/dev/null | awk '{print $2}' || true)
    engine=stopped
    pid_alive "$(read_pid "$dir/dockerd.pid")" && engine="running (pid $(read_pid "$dir/dockerd.pid"))"
    server=none
    pid_alive "$(read_pid "$dir/cube-server.pid")" && server="running (pid $(read_pid "$dir/cube-server.pid"))"
    echo "h$host $(address "$host") link ${link:-?} engine $engine cube-server $server"
  done
}

capture_start() {
  [ -n "${1:-}" ] || die "usage: scripts/test-hosts.sh capture-start FILE"
  command -v tcpdump >/dev/null || apt_install tcpdump
  pid_alive "$(read_pid "$bed/capture.pid")" && die "a capture already runs (pid $(read_pid "$bed/capture.pid"))"
  # -U writes each packet as it comes, so the file is complete once tcpdump has ended; -s 0: whole packets.
  setsid nsenter --net="/run/netns/$(bridge_ns)" tcpdump -i br0 -s 0 -U -w "$1" >"$bed/capture.log" 2>&1 </dev/null &
  echo $! >"$bed/capture.pid"
  for _ in $(seq 1 100); do grep -q "listening on" "$bed/capture.log" 2>/dev/null && return; sleep 0.1; done
  die "tcpdump did not start: $(cat "$bed/capture.log")"
}

down() {
  if ! is_up; then
    rm -rf "$bed"
    return
  fi
  load
  stop_pid_file "$bed/capture.pid"
  for host in $(seq 1 "$HOSTS"); do stop_pid_file "$(host_dir "$host")/cube-server.pid"; done
  # Containers first, by force: an engine stopping them itself would give each its grace period.
  for host in $(seq 1 "$HOSTS"); do
    engine_answers "$host" && (DOCKER_HOST="unix://$(socket "$host")" docker ps -aq | xargs -r env DOCKER_HOST="unix://$(socket "$host")" docker rm -f >/dev/null 2>&1 || true) &
  done
  wait
  for host in $(seq 1 "$HOSTS"); do engine_stop "$host" & done
  wait
  for host in $(seq 1 "$HOSTS"); do ip netns delete "$(ns "$host")" 2>/dev/null || true; done
  ip netns delete "$(bridge_ns)" 2>/dev/null || true
  # An engine killed hard may leave mounts in its data root; they must go before the data can.
  { grep -o " $bed/[^ ]*" /proc/mounts || true; } | sort -r | while read -r mount; do umount -l "$mount" 2>/dev/null || true; done
  rm -rf "$bed"
  say "test bed $BED_ID removed"
}

case "${1:-}" in
  up) shift; up "$@" ;;
  cluster) cluster ;;
  cube) shift; cli "$@" ;;
  exec) shift; run_on "$@" ;;
  partition) load; set_link "${2:-}" down ;;
  heal) load; set_link "${2:-}" up ;;
  engine-stop) load; check_host "${2:-}"; engine_stop "$2" ;;
  engine-start) load; check_host "${2:-}"; engine_start "$2" ;;
  capture-start) load; capture_start "${2:-}" ;;
  capture-stop) load; stop_pid_file "$bed/capture.pid" ;;
  status) status ;;
  down) down ;;
  *) die "usage: scripts/test-hosts.sh up [N] | cluster | cube ARGS... | exec HOST CMD... | partition HOST | heal HOST | engine-stop HOST | engine-start HOST | capture-start FILE | capture-stop | status | down" ;;
esac
