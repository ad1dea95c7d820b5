#!/usr/bin/env bash
# Sets up (idempotent, see setup.sh) and runs scangate on the embedded default: SQLite and
# blobs under ./data, listening on 127.0.0.1:5000. Arguments go to `scangate serve`
# (e.g. --listen 0.0.0.0:5000, --config scangate.yml).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec npx --no-install scangate serve "$@"
