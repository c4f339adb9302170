#!/usr/bin/env bash
# `palisade fix` benchmark: wall time and peak memory of fixing whole directories in place.
#
#   bench/fix.sh
#
# Each run fixes a fresh copy (the copy is not timed): the real-world corpus with
# `--unsafe-fixes` (every machine fix applies) and the generated 10,000-object corpus
# (bench/generate.py's output; run bench/run.sh once first to create it). `fix --diff` on the
# same inputs is measured too: it plans, edits and checks everything but writes nothing.
#
# Environment knobs: REALWORLD=DIR, RUNS=3 (median reported), N=10000, RESULTS=bench/results-fix.md
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
cd "$ROOT"
REALWORLD="${REALWORLD:-$ROOT/../shared/corpus/realworld}"
RUNS="${RUNS:-3}"
N="${N:-10000}"
RESULTS="${RESULTS:-$BENCH_DIR/results-fix.md}"
BIN="$ROOT/target/release/palisade"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"
need_gnu_time

log "building: cargo build --release -p palisade"
cargo build --release -q -p palisade

ROWS=()
# bench_fix NAME DIR [FLAGS...]: RUNS timed fixes, each of a fresh copy of DIR.
bench_fix() {
    local name="$1" dir="$2" i; shift 2
    for ((i = 1; i <= RUNS; i++)); do
        rm -rf "$TMP/work" && cp -r "$dir" "$TMP/work"
        measure "$TMP/$name.$i" "$BIN" fix "$TMP/work" "$@"
        read -r w u s m x < "$TMP/$name.$i.m"
        log "$name run $i: $w s wall, $(mib "$m") MiB peak, exit $x"
    done
    local wall cpu rss
    wall=$(for ((i = 1; i <= RUNS; i++)); do field 1 "$TMP/$name.$i.m"; done | median)
    cpu=$(for ((i = 1; i <= RUNS; i++)); do awk '{print $2+$3}' "$TMP/$name.$i.m"; done | median)
    rss=$(for ((i = 1; i <= RUNS; i++)); do field 4 "$TMP/$name.$i.m"; done | maximum)
    # What the last run did, from its summary (stdout without --diff, stderr with it).
    local summary
    summary=$(grep -h -E '^(Fixed|Would fix)' "$TMP/$name.$RUNS.err" "$TMP/$name.$RUNS.out" 2>/dev/null | head -n 1 || true)
    ROWS+=("| \`fix $* \` on $name | median of $RUNS | $wall s | $cpu s | $(mib "$rss") MiB | ${summary:-?} |")
}

if [[ -d "$REALWORLD" ]]; then
    bench_fix realworld "$REALWORLD" --unsafe-fixes
    bench_fix realworld "$REALWORLD" --unsafe-fixes --diff
else
    log "SKIPPED: real-world corpus not found at $REALWORLD"
fi
if [[ -d "$BENCH_DIR/corpus-$N" ]]; then
    bench_fix "generated-$N" "$BENCH_DIR/corpus-$N" --unsafe-fixes
    bench_fix "generated-$N" "$BENCH_DIR/corpus-$N" --unsafe-fixes --diff
else
    log "SKIPPED: $BENCH_DIR/corpus-$N is missing (bench/run.sh generates it)"
fi

{
    echo "# \`palisade fix\` benchmark results"
    echo
    echo "Produced by \`bench/fix.sh\` on $(date -u '+%Y-%m-%d %H:%M') UTC, commit \`$(git rev-parse --short HEAD)\`$(git diff --quiet || echo ' (with uncommitted changes)')."
    echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) memory; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo
    echo "| what | runs | wall time | CPU time (user+sys) | peak RSS | outcome |"
    echo "|---|---|---|---|---|---|"
    printf '%s\n' "${ROWS[@]}"
} > "$RESULTS"
cat "$RESULTS"
