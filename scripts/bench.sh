#!/usr/bin/env bash
# `npm run bench`, from a fresh clone: installs what it needs (node modules, a running Docker Engine, the local test
# image), builds, then runs bench/run.ts with the given arguments (parts, --runs N, --write).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_node_modules
scripts/ensure-docker.sh
scripts/build-test-images.sh
npm run --silent build
exec node --import tsx bench/run.ts "$@"
