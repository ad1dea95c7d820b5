#!/usr/bin/env bash
# Runs the OCI distribution-spec conformance suite against a scangate started here, twice:
# open (no auth, no gate) and with identity on (Basic, the first-start admin). The suite is
# built from a checkout of opencontainers/distribution-spec that you give (this machine may
# not reach GitHub); nothing of it is copied into this repository.
#
#   bash scripts/conformance.sh --source DIR [--keep]
#
# DIR is a distribution-spec checkout (the new suite: conformance/main.go; built and tested
# here with commit 967efdc, July 2026). It needs Go >= 1.24 and its modules; on Debian 12 we
# use golang-1.23 from bookworm-backports and Debian's Go libraries in GOPATH mode, with a
# two-function shim for the Go 1.24 APIs it calls (crypto/rand.Text, strings.SplitSeq).
# Results land in .tmp/conformance/<mode>/results (junit.xml, report.html).
#
# Why not with the scan gate on: a blob is not served until it has been scanned (503 with
# Retry-After while pending, docs/scan-gate.md), and the suite reads every blob back at once.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRIPT_NAME=conformance
. scripts/lib/common.sh

source_dir='' keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --source) source_dir="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    *) die "unknown argument $1 (usage: --source DIR [--keep])" ;;
  esac
done
[ -n "$source_dir" ] && [ -f "$source_dir/conformance/main.go" ] \
  || die "give --source DIR, a checkout of github.com/opencontainers/distribution-spec with conformance/main.go"

work="$PWD/.tmp/conformance"
gopath="$work/gopath"
suite="$work/conformance.test"

install_go() {
  [ -x /usr/lib/go-1.23/bin/go ] && return 0
  if ! apt-cache policy golang-1.23-go 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    say "adding bookworm-backports for golang-1.23"
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      | as_root tee /etc/apt/sources.list.d/backports.sources >/dev/null
    quietly as_root apt-get update -qq
  fi
  say "installing Go 1.23 and the suite's libraries from Debian"
  quietly as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm-backports \
    golang-1.23-go golang-github-goccy-go-yaml-dev golang-github-opencontainers-go-digest-dev
}

build_suite() {
  local pkg="$gopath/src/github.com/opencontainers"
  rm -rf "$gopath" && mkdir -p "$pkg/distribution-spec" "$pkg/image-spec"
  cp -r "$source_dir/conformance" "$source_dir/specs-go" "$pkg/distribution-spec/"
  # image-spec >= 1.1.1 (artifactType, subject); Debian 12 ships 1.1.0-rc2. Vendored from the
  # module cache or a checkout next to the source when there is one.
  local image_spec="${IMAGE_SPEC_DIR:-$(dirname "$source_dir")/image-spec}"
  [ -d "$image_spec/specs-go" ] || die "need an opencontainers/image-spec v1.1.1 checkout: set IMAGE_SPEC_DIR"
  cp -r "$image_spec/specs-go" "$pkg/image-spec/"
  local dir="$pkg/distribution-spec/conformance"
  sed -i 's/rand\.Text()/randText()/g; s/strings\.SplitSeq(/splitSeq(/g' "$dir"/*.go
  cat >"$dir/zz_go123_shim.go" <<'EOF'
package main

import (
	"crypto/rand"
	"encoding/base32"
	"iter"
	"strings"
)

func randText() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)[:26]
}

func splitSeq(s, sep string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for _, part := range strings.Split(s, sep) {
			if !yield(part) {
				return
			}
		}
	}
}
EOF
  say "building the conformance suite"
  (cd "$dir" && GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOCACHE="$work/gocache" \
    /usr/lib/go-1.23/bin/go test -c -o "$suite" .) >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; die "build failed"; }
}

# run_mode NAME PORT [serve flags...]: starts scangate, runs the suite, prints its summary.
run_mode() {
  local name="$1" port="$2"; shift 2
  local data="$work/$name/data" out="$work/$name"
  rm -rf "$out" && mkdir -p "$out"
  ./bin/scangate.js serve --listen "127.0.0.1:$port" --data "$data" --log-level warn "$@" >"$out/server.log" 2>&1 &
  local server=$!
  wait_for_port "$port" 30 scangate
  local creds=()
  [ -f "$data/initial-admin-password" ] && creds=(OCI_USERNAME=admin "OCI_PASSWORD=$(cat "$data/initial-admin-password")")
  # A mount without `from` is refused when auth is on (it would link a blob from any repository).
  local anonymous_mount=true
  [ ${#creds[@]} -gt 0 ] && anonymous_mount=false
  local status=0
  (cd "$out" && env OCI_REGISTRY="127.0.0.1:$port" OCI_TLS=disabled OCI_VERSION=1.1 \
    OCI_API_BLOBS_DIGEST_HEADER=true OCI_API_MANIFESTS_DIGEST_HEADER=true OCI_API_BLOBS_UPLOAD_CANCEL=true \
    OCI_API_BLOBS_MOUNT_ANONYMOUS=$anonymous_mount "${creds[@]}" "$suite" >"$out/suite.log" 2>&1) || status=$?
  kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true
  local counts
  counts="$(grep -o 'tests="[0-9]*" failures="[0-9]*"' "$out/results/junit.xml" 2>/dev/null | head -1 || true)"
  printf '%-6s %s exit=%s (%s)\n' "$name" "${counts:-no junit.xml}" "$status" "$out/suite.log"
  return "$status"
}

mkdir -p "$work"
install_go
build_suite
result=0
run_mode open 5311 --no-scan --no-auth || result=1
run_mode auth 5312 --no-scan || result=1
[ "$keep" = 1 ] || rm -rf "$gopath" "$work/gocache"
exit "$result"
