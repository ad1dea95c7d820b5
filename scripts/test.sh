#!/usr/bin/env bash
# Sets up, makes sure PostgreSQL and RabbitMQ run, then runs the whole test suite (or the
# vitest arguments given) and exits with vitest's code.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRIPT_NAME=test
. scripts/lib/common.sh

bash scripts/setup.sh --for-tests

start_postgres() {
  port_open 5432 && return 0
  local version
  for version in $(ls /etc/postgresql); do
    say "starting PostgreSQL $version"
    quietly as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
  done
  wait_for_port 5432 60 PostgreSQL
}

# The tests connect as postgres@127.0.0.1 without a password (trust auth on these
# machines). Where that is refused (Debian's default asks for a password), use a role of
# our own with a password instead of loosening pg_hba.conf.
postgres_url() {
  [ -n "${SCANGATE_TEST_PG_URL:-}" ] && return 0
  psql -w -h 127.0.0.1 -U postgres -d postgres -qtAc 'select 1' >/dev/null 2>&1 && return 0
  say "PostgreSQL refuses postgres@127.0.0.1 without a password: using role scangate_test"
  as_root runuser -u postgres -- psql -qtAc \
    "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'scangate_test') THEN
       CREATE ROLE scangate_test LOGIN CREATEDB PASSWORD 'scangate_test'; END IF; END \$\$;" >/dev/null
  export SCANGATE_TEST_PG_URL=postgres://scangate_test:scangate_test@127.0.0.1:5432/postgres
}

start_rabbitmq() {
  port_open 5672 && return 0
  say "starting RabbitMQ"
  quietly as_root rabbitmq-server -detached
  wait_for_port 5672 120 RabbitMQ
}

start_postgres
postgres_url
start_rabbitmq

exec npx --no-install vitest run "$@"
