# Helpers shared by the scripts in scripts/ (sourced, not run).

# Messages go to stderr, prefixed, so a quiet run prints nothing but what changed.
say() { printf '%s: %s\n' "${SCRIPT_NAME:-scangate}" "$*" >&2; }
die() { say "error: $*"; exit 1; }

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else die "need root (or sudo) to run: $*"
  fi
}

# Runs a command with its output kept aside, shown only if it fails.
quietly() {
  local log
  log="$(mktemp)"
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    die "failed: $*"
  fi
  rm -f "$log"
}

# True when something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Waits up to SECONDS for 127.0.0.1:PORT to accept connections.
wait_for_port() {
  local port="$1" seconds="$2" name="$3"
  for _ in $(seq "$((seconds * 5))"); do
    port_open "$port" && return 0
    sleep 0.2
  done
  die "$name did not start listening on 127.0.0.1:$port within ${seconds}s"
}
