#!/usr/bin/env bash
# The whole test suite (`npm test`), from a fresh clone: installs what it needs first (node modules, protoc for
# the stale-stubs check, a running Docker Engine, the local test images), builds, type-checks, checks the formatting,
# then runs mocha.
# Extra arguments go to mocha, e.g. `npm test -- test/cli`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_node_modules
command -v protoc >/dev/null || apt_install protobuf-compiler
# The multi-host tests record the traffic between hosts.
command -v tcpdump >/dev/null || apt_install tcpdump
# The private-registry tests run Docker's distribution, with htpasswd's bcrypt users.
command -v docker-registry >/dev/null || apt_install docker-registry
command -v htpasswd >/dev/null || apt_install apache2-utils
# The store and election tests run a PostgreSQL of their own (Debian's 15; its cluster "main" is not used).
[ -x /usr/lib/postgresql/15/bin/postgres ] || apt_install postgresql-15
# The metrics tests have a real Prometheus scrape the servers (Debian's; its service is not started).
command -v prometheus >/dev/null || apt_install --no-install-recommends prometheus
# The web view's tests drive Debian's Chromium headless (playwright-core, which downloads no browser).
command -v chromium >/dev/null || apt_install --no-install-recommends chromium
scripts/ensure-docker.sh
scripts/build-test-images.sh
say "build"
npm run --silent build
say "type-check the tests"
npx tsc --noEmit -p test
say "formatting (npm run format fixes it)"
npm run --silent format:check >/dev/null || { npx prettier --list-different "**/*.{ts,js}" >&2; die "files are not formatted: run npm run format"; }
say "mocha"
# Without arguments, every test; with some (files or folders), those only.
if [ "$#" -eq 0 ]; then set -- "test/**/*.test.ts"; fi
exec npx mocha --recursive --extension ts "$@"
