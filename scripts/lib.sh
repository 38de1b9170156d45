# Shared helpers of the project's scripts (sourced, not run).

say() { if [ -t 2 ]; then printf '\033[1m==> %s\033[0m\n' "$*" >&2; else printf '==> %s\n' "$*" >&2; fi; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Installs Debian packages when we are root on a machine with apt-get; otherwise says what to install.
apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    if [ -z "${CUBE_APT_UPDATED:-}" ]; then
      say "apt-get update"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
      export CUBE_APT_UPDATED=1
    fi
    say "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    die "missing $* : install it (Debian/Ubuntu: sudo apt-get install $*) and run this again"
  fi
}

# npm ci when node_modules is missing or older than the lock file.
ensure_node_modules() {
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "npm ci (builds better-sqlite3 from source: about a minute)"
    npm ci --no-audit --no-fund
  fi
}
