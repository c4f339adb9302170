#!/usr/bin/env bash
# Runs every check and test Palisade has. Installs what the tests need when it can
# (as root, from Debian's packages) and says clearly what it skipped otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

have() { command -v "$1" >/dev/null 2>&1; }

apt_install() {
  if [ "$(id -u)" = 0 ] && have apt-get; then
    echo "==> installing $* (Debian packages)"
    if [ -z "${PALISADE_APT_UPDATED:-}" ]; then
      apt-get update -qq >/dev/null
      export PALISADE_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "==> NOTE: $* not installed (needs root and apt-get); the tests that need it will say SKIPPED"
  fi
}

# Kustomize directories are built with `kubectl kustomize` (or `kustomize build`).
if ! have kubectl && ! have kustomize; then
  apt_install kubernetes-client
fi

echo "==> cargo fmt --check"
cargo fmt --all -- --check

echo "==> cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "==> cargo test"
cargo test --workspace --quiet
