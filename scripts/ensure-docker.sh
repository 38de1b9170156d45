#!/usr/bin/env bash
# Makes sure a Docker Engine answers: installs Debian's docker.io when dockerd is missing and starts dockerd when
# it is not running (both only as root on Debian; otherwise it says what to do), then waits for it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

docker_answers() { docker info >/dev/null 2>&1; }

docker_answers && exit 0
if ! command -v dockerd >/dev/null; then
  say "no Docker Engine on this machine"
  apt_install docker.io
fi
docker_answers && exit 0
if [ "$(id -u)" != 0 ]; then
  die "the Docker Engine is not running and only root can start it here: start it (sudo systemctl start docker, or sudo dockerd &) and run this again"
fi
log=/var/log/cube-dockerd.log
say "starting dockerd in the background (log: $log)"
nohup setsid dockerd >"$log" 2>&1 </dev/null &
for _ in $(seq 1 60); do
  docker_answers && { say "Docker Engine is up"; exit 0; }
  sleep 0.5
done
tail -n 20 "$log" >&2 || true
die "dockerd did not answer within 30 s (see $log)"
