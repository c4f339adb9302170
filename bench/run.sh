#!/usr/bin/env bash
# Whole-scan benchmarks for Palisade: wall time and peak memory (see docs/performance.md).
#
#   bench/run.sh                 # everything: real-world corpus, 10k/50k/100k objects, Checkov
#
# Environment knobs (all optional):
#   REALWORLD=DIR        real-world corpus (default: ../shared/corpus/realworld beside the repo)
#   RUNS=5               Palisade runs on the real-world corpus (median reported)
#   SIZES="10000 50000 100000"   generated corpus sizes (objects)
#   SCALE_RUNS=3         Palisade runs per generated corpus (median reported)
#   SEED=42              generator seed
#   CHECKOV_RUNS=2       Checkov runs on the real-world corpus (fastest reported)
#   SKIP_CHECKOV=1       do not install or run Checkov
#   RESULTS=bench/results.md   where the Markdown results go
#
# Needs: cargo, python3 (3.11+), GNU time at /usr/bin/time (installed with apt-get when missing
# and running as root), network access to PyPI for the first Checkov install.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
cd "$ROOT"

REALWORLD="${REALWORLD:-$ROOT/../shared/corpus/realworld}"
RUNS="${RUNS:-5}"
SIZES="${SIZES:-10000 50000 100000}"
SCALE_RUNS="${SCALE_RUNS:-3}"
SEED="${SEED:-42}"
CHECKOV_RUNS="${CHECKOV_RUNS:-2}"
SKIP_CHECKOV="${SKIP_CHECKOV:-0}"
RESULTS="${RESULTS:-$BENCH_DIR/results.md}"
BIN="$ROOT/target/release/palisade"
VENV="$BENCH_DIR/.venv"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

# ---------------------------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------------------------
need_gnu_time

log "building: cargo build --release -p palisade"
for attempt in 1 2 3 4 5; do
    if cargo build --release -p palisade; then break; fi
    if [[ $attempt == 5 ]]; then echo "error: release build failed 5 times" >&2; exit 2; fi
    log "build failed (a teammate's file in progress?); retrying in 60 s ($attempt/5)"
    sleep 60
done

# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------

# run_palisade NAME RUNS DIR [warm]: runs the scan RUNS times (after one untimed warm-up that
# fills the page cache when the 4th argument is "warm") and sets P_WALL (median), P_CPU (median
# user+sys), P_RSS_KB (max), P_EXIT (max).
run_palisade() {
    local name="$1" runs="$2" dir="$3" warm="${4:-}" i
    if [[ "$warm" == warm ]]; then
        "$BIN" scan "$dir" --format json --output /dev/null --fail-on none >/dev/null 2>&1 || true
    fi
    for ((i = 1; i <= runs; i++)); do
        measure "$TMP/$name.$i" "$BIN" scan "$dir" --format json --output /dev/null --fail-on none
        read -r w u s m x < "$TMP/$name.$i.m"
        printf '    run %d: %6.2f s wall, %6.2f s CPU, %7.1f MiB peak RSS, exit %s\n' \
            "$i" "$w" "$(awk -v u="$u" -v s="$s" 'BEGIN{print u+s}')" "$(awk -v m="$m" 'BEGIN{print m/1024}')" "$x" >&2
        if [[ "$x" != 0 ]]; then
            echo "warning: palisade exited $x on $dir:" >&2; tail -n 5 "$TMP/$name.$i.err" >&2
        fi
    done
    P_WALL=$(for ((i = 1; i <= runs; i++)); do field 1 "$TMP/$name.$i.m"; done | median)
    P_CPU=$(for ((i = 1; i <= runs; i++)); do awk '{print $2+$3}' "$TMP/$name.$i.m"; done | median)
    P_RSS_KB=$(for ((i = 1; i <= runs; i++)); do field 4 "$TMP/$name.$i.m"; done | maximum)
    P_EXIT=$(for ((i = 1; i <= runs; i++)); do field 5 "$TMP/$name.$i.m"; done | maximum)
}

count_resources() { # DIR -> number of resources Palisade loaded
    "$BIN" scan "$1" --format json --fail-on none 2>/dev/null \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["resources"])' || echo "?"
}

ROWS=()      # Markdown table rows
NOTES=()

# ---------------------------------------------------------------------------------------------
# (a) real-world corpus
# ---------------------------------------------------------------------------------------------
RW_WALL=""
RW_PLAIN_WALL=""
if [[ -d "$REALWORLD" ]]; then
    REALWORLD="$(cd "$REALWORLD" && pwd)"
    RW_FILES=$(find "$REALWORLD" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) | wc -l)
    RW_OBJS=$(count_resources "$REALWORLD")
    log "(a) real-world corpus: $REALWORLD ($RW_FILES files, $RW_OBJS resources), $RUNS runs"
    run_palisade realworld "$RUNS" "$REALWORLD" warm
    RW_WALL=$P_WALL
    ROWS+=("| Palisade, real-world corpus ($RW_OBJS resources, $RW_FILES files) | median of $RUNS | $P_WALL s | $P_CPU s | $(mib "$P_RSS_KB") MiB | — | — |")
    # Diagnostic, not a bar: the same corpus with Kustomize rendering switched off (its
    # kustomization files removed from a copy), i.e. every file read as a plain manifest, the
    # way Checkov's kubernetes framework reads it. Shows what the `kubectl kustomize` child
    # process costs.
    KUST=$(find "$REALWORLD" -type f \( -name kustomization.yaml -o -name kustomization.yml -o -name Kustomization \) | wc -l)
    if [[ "$KUST" -gt 0 ]]; then
        cp -r "$REALWORLD" "$TMP/realworld-plain"
        find "$TMP/realworld-plain" -type f \( -name kustomization.yaml -o -name kustomization.yml -o -name Kustomization \) -delete
        log "(a') same corpus without Kustomize rendering ($KUST kustomization file(s) removed from a copy), $RUNS runs"
        run_palisade realworld-plain "$RUNS" "$TMP/realworld-plain" warm
        RW_PLAIN_WALL=$P_WALL
        ROWS+=("| Palisade, same corpus without Kustomize rendering ($KUST kustomization file(s) removed; diagnostic) | median of $RUNS | $P_WALL s | $P_CPU s | $(mib "$P_RSS_KB") MiB | — | — |")
    fi
else
    log "(a) SKIPPED: real-world corpus not found at $REALWORLD"
    NOTES+=("Real-world corpus not found at \`$REALWORLD\`: (a) and (c) skipped.")
fi

# ---------------------------------------------------------------------------------------------
# (b) generated corpora
# ---------------------------------------------------------------------------------------------
GEN_HASH=$(sha256sum "$BENCH_DIR/generate.py" | cut -c1-16)
declare -A PER_OBJ_US
FIRST_N=""; LAST_N=""
for n in $SIZES; do
    dir="$BENCH_DIR/corpus-$n"
    stamp="count=$n seed=$SEED generator=$GEN_HASH"
    if [[ ! -f "$dir.stamp" || "$(cat "$dir.stamp")" != "$stamp" ]]; then
        log "(b) generating $n objects into $dir"
        python3 "$BENCH_DIR/generate.py" "$dir" --count "$n" --seed "$SEED"
        echo "$stamp" > "$dir.stamp"
    fi
    size_mib=$(du -sm "$dir" | cut -f1)
    log "(b) generated corpus: $n objects ($size_mib MiB), $SCALE_RUNS run(s)"
    run_palisade "gen$n" "$SCALE_RUNS" "$dir"
    us=$(awk -v w="$P_WALL" -v n="$n" 'BEGIN {printf "%.1f", w*1e6/n}')
    cpu_us=$(awk -v c="$P_CPU" -v n="$n" 'BEGIN {printf "%.1f", c*1e6/n}')
    kb_obj=$(awk -v m="$P_RSS_KB" -v n="$n" 'BEGIN {printf "%.1f", m/n}')
    PER_OBJ_US[$n]=$us
    [[ -z "$FIRST_N" ]] && FIRST_N=$n
    LAST_N=$n
    ROWS+=("| Palisade, generated $n objects ($size_mib MiB YAML) | median of $SCALE_RUNS | $P_WALL s | $P_CPU s | $(mib "$P_RSS_KB") MiB | $us µs wall, $cpu_us µs CPU | $kb_obj KiB |")
    eval "GEN_RSS_$n=$P_RSS_KB"
done

# ---------------------------------------------------------------------------------------------
# (c) Checkov on the real-world corpus
# ---------------------------------------------------------------------------------------------
CK_WALL=""
if [[ -n "$RW_WALL" && "$SKIP_CHECKOV" != 1 ]]; then
    if [[ ! -x "$VENV/bin/checkov" ]]; then
        log "(c) installing Checkov into $VENV"
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install -q --upgrade pip
        "$VENV/bin/pip" install -q checkov
    fi
    CK_VERSION=$("$VENV/bin/checkov" --version 2>/dev/null | tail -n 1)
    log "(c) Checkov $CK_VERSION on the real-world corpus, $CHECKOV_RUNS run(s)"
    # --skip-download: no attempt to reach Prisma Cloud (this machine is offline; the attempt
    # only adds time). Checkov exits 1 when checks fail, which is expected here.
    for ((i = 1; i <= CHECKOV_RUNS; i++)); do
        measure "$TMP/checkov.$i" "$VENV/bin/checkov" -d "$REALWORLD" --framework kubernetes \
            --quiet --compact -o json --skip-download
        read -r w u s m x < "$TMP/checkov.$i.m"
        printf '    run %d: %6.2f s wall, %6.2f s CPU, %7.1f MiB peak RSS, exit %s\n' \
            "$i" "$w" "$(awk -v u="$u" -v s="$s" 'BEGIN{print u+s}')" "$(awk -v m="$m" 'BEGIN{print m/1024}')" "$x" >&2
        if [[ "$x" -gt 1 ]]; then echo "warning: checkov exited $x" >&2; tail -n 5 "$TMP/checkov.$i.err" >&2; fi
    done
    CK_WALL=$(for ((i = 1; i <= CHECKOV_RUNS; i++)); do field 1 "$TMP/checkov.$i.m"; done | minimum)
    CK_CPU=$(for ((i = 1; i <= CHECKOV_RUNS; i++)); do awk '{print $2+$3}' "$TMP/checkov.$i.m"; done | minimum)
    CK_RSS=$(for ((i = 1; i <= CHECKOV_RUNS; i++)); do field 4 "$TMP/checkov.$i.m"; done | maximum)
    ROWS+=("| Checkov $CK_VERSION, real-world corpus | fastest of $CHECKOV_RUNS | $CK_WALL s | $CK_CPU s | $(mib "$CK_RSS") MiB | — | — |")
elif [[ "$SKIP_CHECKOV" == 1 ]]; then
    NOTES+=("Checkov skipped (SKIP_CHECKOV=1).")
fi

# ---------------------------------------------------------------------------------------------
# Bars and report
# ---------------------------------------------------------------------------------------------
verdict() { if [[ "$1" == 1 ]]; then echo "**met**"; else echo "**MISSED**"; fi; }
BARS=()
if [[ -n "$CK_WALL" ]]; then
    SPEEDUP=$(awk -v c="$CK_WALL" -v p="$RW_WALL" 'BEGIN {printf "%.0f", c/p}')
    ok=$(awk -v s="$SPEEDUP" 'BEGIN {print (s >= 100) ? 1 : 0}')
    BARS+=("| real-world corpus ≥ 100× faster than Checkov | ${SPEEDUP}× (Checkov $CK_WALL s / Palisade $RW_WALL s, wall) | $(verdict "$ok") |")
    if [[ -n "$RW_PLAIN_WALL" ]]; then
        PLAIN_SPEEDUP=$(awk -v c="$CK_WALL" -v p="$RW_PLAIN_WALL" 'BEGIN {printf "%.0f", c/p}')
        NOTES+=("Without Kustomize rendering (diagnostic row) Palisade is ${PLAIN_SPEEDUP}× faster than Checkov (Checkov $CK_WALL s / Palisade $RW_PLAIN_WALL s); the difference is the \`kubectl kustomize\` child process.")
    fi
fi
if [[ -n "$LAST_N" ]]; then
    rss_var="GEN_RSS_$LAST_N"
    rss=${!rss_var}
    ok=$(awk -v m="$rss" 'BEGIN {print (m*1024 < 1e9) ? 1 : 0}')
    BARS+=("| $LAST_N objects under 1 GB peak memory | $(mib "$rss") MiB ($(awk -v m="$rss" 'BEGIN{printf "%.2f", m*1024/1e9}') GB) | $(verdict "$ok") |")
fi
if [[ -n "$FIRST_N" && "$FIRST_N" != "$LAST_N" ]]; then
    a=${PER_OBJ_US[$FIRST_N]}; b=${PER_OBJ_US[$LAST_N]}
    ratio=$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", b/a}')
    # Linear growth: the per-object cost at the largest size stays within 1.5x of the smallest.
    ok=$(awk -v r="$ratio" 'BEGIN {print (r <= 1.5) ? 1 : 0}')
    BARS+=("| cost grows linearly (per-object time at $LAST_N within 1.5× of $FIRST_N) | $a → $b µs/object (×$ratio) | $(verdict "$ok") |")
fi

CPU_MODEL=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
MEM_TOTAL=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo " (with uncommitted changes)" || true)
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

{
    echo "# Palisade benchmark results"
    echo
    echo "Produced by \`bench/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), commit \`$COMMIT\`$DIRTY."
    echo "Machine: $(nproc) cores ($CPU_MODEL), $MEM_TOTAL memory; load average at the end: $LOAD."
    echo "Command: \`palisade scan DIR --format json --output /dev/null --fail-on none\`; times from GNU time."
    echo
    echo "| what | runs | wall time | CPU time (user+sys) | peak RSS | per object: time | per object: peak RSS |"
    echo "|---|---|---|---|---|---|---|"
    printf '%s\n' "${ROWS[@]}"
    echo
    if ((${#BARS[@]})); then
        echo "| bar | measured | verdict |"
        echo "|---|---|---|"
        printf '%s\n' "${BARS[@]}"
        echo
    fi
    for note in "${NOTES[@]+"${NOTES[@]}"}"; do echo "- $note"; done
} > "$TMP/results.md"

cp "$TMP/results.md" "$RESULTS"
echo
cat "$RESULTS"
log "results written to $RESULTS"
