# Shared by the bench scripts: logging and measuring whole runs with GNU time.
# Source it; it defines functions only.

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# measure OUT_PREFIX CMD...: runs CMD under GNU time; leaves "wall user sys maxrss_kb exit" in
# OUT_PREFIX.m (stdout to OUT_PREFIX.out, stderr to OUT_PREFIX.err).
measure() {
    local out="$1"; shift
    /usr/bin/time -f '%e %U %S %M %x' -o "$out.m" "$@" >"$out.out" 2>"$out.err" || true
    # GNU time writes "Command exited with non-zero status N" before the format line.
    tail -n 1 "$out.m" > "$out.m1" && mv "$out.m1" "$out.m"
}

# median of numbers on stdin (one per line)
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "nan"} else if (NR%2) {print a[(NR+1)/2]} else {print (a[NR/2]+a[NR/2+1])/2}}'; }
minimum() { sort -g | head -n 1; }
maximum() { sort -g | tail -n 1; }
field() { awk -v i="$1" '{print $i}' "${@:2}"; }   # field N FILES...: column N of each file
mib() { awk -v kb="$1" 'BEGIN {printf "%.0f", kb/1024}'; }

# Installs GNU time when missing and running as root; otherwise says what to install.
need_gnu_time() {
    [[ -x /usr/bin/time ]] && return 0
    if [[ "$(id -u)" == 0 ]]; then
        log "installing GNU time (Debian package 'time')"
        apt-get install -y -q time >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q time >/dev/null; }
    else
        echo "error: /usr/bin/time (GNU time) is missing; install the 'time' package" >&2
        exit 2
    fi
}
