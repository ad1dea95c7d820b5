#!/usr/bin/env bash
# Sets up a checkout on Debian 12: system packages, npm dependencies (with the native
# SQLite module built), and dist/. Idempotent and quiet: a second run does nothing and
# prints nothing. `--for-tests` also installs what the test suite starts (PostgreSQL,
# RabbitMQ, ClamAV's test files).
set -euo pipefail
cd "$(dirname "$0")/.."
SCRIPT_NAME=setup
. scripts/lib/common.sh

# ClamAV is the embedded default's scanner: `serve` starts clamd itself; zstd layers are
# decoded with Debian's zstd before they reach it.
packages=(skopeo umoci podman docker-registry clamav clamav-daemon zstd)
# better-sqlite3 is compiled from source when no prebuilt binary can be downloaded.
packages+=(build-essential python3)
if [ "${1:-}" = "--for-tests" ]; then
  packages+=(postgresql rabbitmq-server clamav-testfiles clamdscan buildah python3-oslo.policy)
fi

install_packages() {
  local missing=() pkg
  for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "missing packages ${missing[*]}, and no apt-get to install them"
  say "installing ${missing[*]}"
  # Update the package lists once, and only when something has to be installed.
  quietly as_root apt-get update -qq
  quietly as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
}

check_node() {
  command -v node >/dev/null || die "Node.js >= 20.19 is required (Debian 12's nodejs is too old; use NodeSource or nvm)"
  node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
    die "Node.js >= 20.19 is required, found $(node --version)"
}

# npm ci only when node_modules is missing or older than the lock file.
install_node_modules() {
  if [ -f node_modules/.package-lock.json ] && [ ! package-lock.json -nt node_modules/.package-lock.json ]; then
    return 0
  fi
  say "installing npm dependencies (npm ci)"
  quietly npm ci --no-audit --no-fund --loglevel=error
}

# npm 11 blocks dependency install scripts unless approved (package.json allowScripts);
# better-sqlite3 needs its script to build the native module.
ensure_sqlite_module() {
  node -e 'new (require("better-sqlite3"))(":memory:").close()' 2>/dev/null && return 0
  say "building better-sqlite3"
  if npm help install-scripts >/dev/null 2>&1; then
    quietly npm install-scripts approve better-sqlite3
  fi
  quietly npm rebuild better-sqlite3
  node -e 'new (require("better-sqlite3"))(":memory:").close()' || die "better-sqlite3 does not load after rebuilding"
}

# npm run build only when a source is newer than the last build (dist/.build-stamp, which
# test/global-setup.ts also uses).
build() {
  local stamp=dist/.build-stamp
  if [ -f "$stamp" ] && [ -z "$(find src package.json tsconfig.json tsconfig.build.json -newer "$stamp" \
      \( -name '*.json' -o \( -name '*.ts' ! -name '*.test.ts' ! -name '*.suite.ts' \) \) -print -quit)" ]; then
    return 0
  fi
  say "building (npm run build)"
  local started
  started="$(date +%s)"
  quietly npm run --silent build
  mkdir -p dist && touch -d "@$started" "$stamp"
}

install_packages
check_node
install_node_modules
ensure_sqlite_module
build
