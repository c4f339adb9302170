#!/usr/bin/env bash
# Live-cluster benchmarks against the fake API server (see docs/performance.md):
#   (1) `palisade scan --cluster` of N objects served over TLS: wall time and peak memory;
#   (2) `palisade watch` at N objects: latency from a change reaching the API server to its
#       alert reaching a webhook receiver (p50/p90/p99/max over CHANGES changes).
#
#   bench/cluster.sh             # N=100000, CHANGES=200
#
# Environment knobs: N, CHANGES, RUNS (scan runs, median reported), SEED,
# RESULTS (default bench/results-cluster.md).
# Needs: cargo, python3 with PyYAML (installed into bench/.venv when missing), GNU time.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
cd "$ROOT"
N="${N:-100000}"
CHANGES="${CHANGES:-200}"
RUNS="${RUNS:-3}"
SEED="${SEED:-42}"
RESULTS="${RESULTS:-$BENCH_DIR/results-cluster.md}"
TMP="$(mktemp -d)"
SERVER_PID=""
cleanup() { [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

YAML_DIR="$BENCH_DIR/corpus-$N"
JSON_DIR="$BENCH_DIR/corpus-$N-json"
if [[ ! -d "$YAML_DIR" ]]; then
    log "generating $N objects"
    python3 "$BENCH_DIR/generate.py" "$YAML_DIR" --count "$N" --seed "$SEED"
fi
if [[ ! -d "$JSON_DIR" ]]; then
    PY=python3
    if ! python3 -c 'import yaml' 2>/dev/null; then
        [[ -x "$BENCH_DIR/.venv/bin/python" ]] || python3 -m venv "$BENCH_DIR/.venv"
        "$BENCH_DIR/.venv/bin/pip" install -q pyyaml
        PY="$BENCH_DIR/.venv/bin/python"
    fi
    log "converting to kubectl-get JSON lists"
    "$PY" - "$YAML_DIR" "$JSON_DIR" <<'PYEOF'
import json, os, sys, yaml
src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst)
n = 0
for root, _, files in sorted(os.walk(src)):
    for name in sorted(files):
        if not name.endswith((".yaml", ".yml")):
            continue
        items = [d for d in yaml.load_all(open(os.path.join(root, name)), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) if isinstance(d, dict)]
        for d in items:
            d.setdefault("metadata", {}).setdefault("namespace", "default") if d.get("kind") not in (
                "Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass",
                "CustomResourceDefinition") else None
        n += len(items)
        out = os.path.join(dst, f"{n:08d}.json")
        json.dump({"apiVersion": "v1", "kind": "List", "items": items}, open(out, "w"))
print(f"{n} objects", file=sys.stderr)
PYEOF
fi

log "building release binaries"
cargo build --release -q -p palisade -p palisade-fakeapi
BIN="$ROOT/target/release/palisade"

log "(1) scan --cluster of $N objects, $RUNS runs"
"$ROOT/target/release/palisade-fakeapi" --dir "$JSON_DIR" --kubeconfig "$TMP/kubeconfig" >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 600); do [[ -s "$TMP/kubeconfig" ]] && break; sleep 0.5; done
WALLS=(); RSS=()
for i in $(seq 1 "$RUNS"); do
    /usr/bin/time -f '%e %M' -o "$TMP/time" "$BIN" scan --cluster --kubeconfig "$TMP/kubeconfig" \
        --format json --output "$TMP/report.json" --fail-on none
    read -r wall rss < <(tail -1 "$TMP/time")
    WALLS+=("$wall"); RSS+=("$rss")
    log "run $i: ${wall} s, $((rss / 1024)) MiB"
done
RESOURCES=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["resources"])' "$TMP/report.json")
MEDIAN_WALL=$(printf '%s\n' "${WALLS[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
MAX_RSS=$(printf '%s\n' "${RSS[@]}" | sort -n | tail -1)
kill "$SERVER_PID"; SERVER_PID=""

log "(2) watch latency at $N objects, $CHANGES changes"
PALISADE_BIN="$BIN" cargo bench -q -p palisade --bench watch_latency -- "$JSON_DIR" "$CHANGES" | tee "$TMP/latency"

{
    echo "# Live-cluster benchmarks"
    echo
    echo "Measured by \`bench/cluster.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores; fake API server over TLS on loopback."
    echo
    echo "| what | figure |"
    echo "|---|---|"
    echo "| scan --cluster, $N objects served ($RESOURCES judged), median of $RUNS | $MEDIAN_WALL s |"
    echo "| scan --cluster, peak memory (max of $RUNS) | $((MAX_RSS / 1024)) MiB |"
    grep '^|' "$TMP/latency"
} >"$RESULTS"
cat "$RESULTS"
