#!/usr/bin/env bash
# Installs what is missing, and nothing else: the virtual environment, CometBFT, and the ABCI
# protobuf classes generated from CometBFT's own .proto files. Idempotent and quick when done.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

COMETBFT_VERSION=v0.38.26     # newest non-retracted v0.38.x; the app checks it at start
GO_MIN=1.22                   # what CometBFT v0.38 needs to build
TOOLS=$ROOT/.tools
VENV=$ROOT/.venv

say() { printf 'setup: %s\n' "$*"; }
fail() { printf 'setup: %s\n' "$*" >&2; exit 1; }

# Python 3.11: the application pins its minor version, because state must be byte-identical.
PY=""
for candidate in python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import sys; raise SystemExit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
    PY=$(command -v "$candidate"); break
  fi
done
[ -n "$PY" ] || fail "Python 3.11 is required and was not found: install python3.11 and run this again."

# Go, to build CometBFT.
command -v go >/dev/null 2>&1 || fail "Go $GO_MIN or newer is required to build CometBFT and was not found: install Go from your package manager or go.dev, then run this again."
go_version=$(go env GOVERSION 2>/dev/null | sed 's/^go//')
if ! printf '%s\n%s\n' "$GO_MIN" "$go_version" | sort -V -C; then
  fail "Go $go_version is too old to build CometBFT $COMETBFT_VERSION: install Go $GO_MIN or newer, then run this again."
fi

# The virtual environment, reinstalled only when pyproject.toml changes.
stamp=$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.installed" 2>/dev/null)" != "$stamp" ]; then
  say "installing the Python environment in .venv"
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip \
    || fail "pip could not reach the Python package index: check network access, then run this again."
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[dev]' \
    || fail "pip could not install the project's pinned dependencies: check network access to the Python package index, then run this again."
  echo "$stamp" > "$VENV/.installed"
fi

# CometBFT, built from source with go install.
if [ "$("$TOOLS/bin/cometbft" version 2>/dev/null)" != "${COMETBFT_VERSION#v}" ]; then
  say "building CometBFT $COMETBFT_VERSION (about a minute)"
  mkdir -p "$TOOLS/bin"
  GOBIN=$TOOLS/bin GOFLAGS=-buildvcs=false go install "github.com/cometbft/cometbft/cmd/cometbft@$COMETBFT_VERSION" \
    > "$TOOLS/go-install.log" 2>&1 \
    || fail "could not download or build CometBFT $COMETBFT_VERSION (see .tools/go-install.log): check network access to the Go module proxy (GOPROXY), then run this again."
fi

# ABCI protobuf classes, generated from the .proto files of that module in the Go module cache.
GEN=$TOOLS/gen
gen_stamp="$COMETBFT_VERSION $(sha256sum pyproject.toml | cut -c1-16)"
if [ "$(cat "$GEN/.generated" 2>/dev/null)" != "$gen_stamp" ]; then
  say "generating the ABCI protobuf classes"
  module_dir() {
    go mod download -json "$1" 2>/dev/null | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["Dir"])' \
      || fail "could not fetch the Go module $1 from the Go module proxy: check network access, then run this again."
  }
  cbft=$(module_dir "github.com/cometbft/cometbft@$COMETBFT_VERSION")
  gogo_version=$(awk '$1 == "github.com/cosmos/gogoproto" {print $2; exit}' "$cbft/go.mod")
  gogo=$(module_dir "github.com/cosmos/gogoproto@$gogo_version")
  rm -rf "$GEN"; mkdir -p "$GEN"
  protos=$(cd "$cbft/proto" && find tendermint -name '*.proto' | sort)
  (cd "$cbft/proto" && "$VENV/bin/python" -m grpc_tools.protoc -I"$cbft/proto" -I"$gogo" \
      --python_out="$GEN" --pyi_out="$GEN" $protos gogoproto/gogo.proto) \
    || fail "protoc could not compile CometBFT's .proto files in $cbft/proto."
  find "$GEN" -type d -exec touch {}/__init__.py \;
  echo "$gen_stamp" > "$GEN/.generated"
fi
# Chromium, for the web console's browser tests: Debian's package (Playwright never downloads one).
if [ ! -x /usr/bin/chromium ]; then
  say "installing Debian's chromium for the console's browser tests"
  mkdir -p "$TOOLS"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } > "$TOOLS/apt-chromium.log" 2>&1 \
    || fail "could not install Debian's chromium package (see .tools/apt-chromium.log): run 'apt-get install -y chromium' as root, then run this again."
fi
# PostgreSQL's server binaries, for the index's tests on PostgreSQL (the suite starts its own
# server in a temporary folder): Debian's package, when no version of them is installed.
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  say "installing Debian's postgresql for the index's tests"
  mkdir -p "$TOOLS"
  { apt-get update -qq -o DPkg::Lock::Timeout=300 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 postgresql; } > "$TOOLS/apt-postgresql.log" 2>&1 \
    || fail "could not install Debian's postgresql package (see .tools/apt-postgresql.log): run 'apt-get install -y postgresql' as root, then run this again."
fi
site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$GEN" > "$site/cornerstone-generated.pth"
