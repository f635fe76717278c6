# Shared helpers for the bench scripts. Source it: . "$(dirname "$0")/lib.sh"
# Sets ROOT (the repository), CLI and BENCH (the built DLLs), and WORK (scratch space, $TRAWL_BENCH_WORK or /tmp).

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLI="$ROOT/src/Trawl.Cli/bin/Release/net10.0/Trawl.Cli.dll"
BENCH="$ROOT/bench/Trawl.Bench.Jobs/bin/Release/net10.0/Trawl.Bench.Jobs.dll"
WORK="${TRAWL_BENCH_WORK:-/tmp/trawl-bench}"
mkdir -p "$WORK"

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# Installs the Debian packages that provide the given commands, when a command is missing. Needs root (or sudo) and
# apt-get; otherwise says what to install and fails.
require() {
    local missing=()
    local cmd pkg
    for pair in "$@"; do
        cmd="${pair%%:*}"; pkg="${pair##*:}"
        command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    local sudo=""
    [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null 2>&1 && sudo="sudo"
    if command -v apt-get >/dev/null 2>&1 && { [[ $(id -u) -eq 0 ]] || [[ -n $sudo ]]; }; then
        log "installing ${missing[*]}"
        $sudo apt-get install -y "${missing[@]}" >/dev/null || { $sudo apt-get update >/dev/null && $sudo apt-get install -y "${missing[@]}" >/dev/null; }
    else
        echo "Missing: ${missing[*]} (install with apt-get install -y ${missing[*]})" >&2
        exit 1
    fi
}

# Builds the CLI and the bench tool in Release.
build() {
    require dotnet:dotnet-sdk-10.0
    log "building Release"
    dotnet build -c Release "$ROOT/src/Trawl.Cli" -v quiet -nologo >/dev/null
    dotnet build -c Release "$ROOT/bench/Trawl.Bench.Jobs" -v quiet -nologo >/dev/null
}

# Background servers the scripts start are stopped when the script exits.
stop_servers() { stop_sandbox; stop_redis; }
trap stop_servers EXIT

# await_start NAME PID LOG COMMAND...: waits up to 10 s for COMMAND to succeed; if PID dies first or time runs out,
# prints LOG and exits.
await_start() {
    local name="$1" pid="$2" logfile="$3"; shift 3
    for _ in $(seq 1 100); do
        "$@" >/dev/null 2>&1 && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "$name did not start:" >&2
    cat "$logfile" >&2
    exit 1
}

# stop_process PID: SIGTERM, and waits for it to exit (nothing when PID is empty or gone).
stop_process() {
    if [[ -n $1 ]] && kill -0 "$1" 2>/dev/null; then
        kill -TERM "$1" 2>/dev/null || true
        wait "$1" 2>/dev/null || true
    fi
}

# start_sandbox PORT ARGS...: serves the sandbox site on 127.0.0.1:PORT in the background until the script exits.
SANDBOX_PID=""
start_sandbox() {
    local port="$1"; shift
    local logfile="$WORK/sandbox-$port.log"
    dotnet "$CLI" sandbox serve --port "$port" "$@" >"$logfile" 2>&1 &
    SANDBOX_PID=$!
    await_start "The sandbox" "$SANDBOX_PID" "$logfile" grep -q "Serving" "$logfile"
    log "sandbox: $(head -1 "$logfile")"
}

stop_sandbox() { stop_process "$SANDBOX_PID"; SANDBOX_PID=""; }

# start_redis PORT FSYNC: a redis-server on 127.0.0.1:PORT with its data in $WORK/redis-PORT (emptied first), AOF on
# with appendfsync FSYNC (always, everysec or no), no RDB snapshots, in the background until the script exits.
REDIS_PID=""
start_redis() {
    local port="$1" fsync="$2" dir="$WORK/redis-$1"
    rm -rf "$dir" && mkdir -p "$dir"
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save "" --appendonly yes --appendfsync "$fsync" \
        --daemonize no --logfile "$dir/redis.log" &
    REDIS_PID=$!
    await_start "redis-server" "$REDIS_PID" "$dir/redis.log" redis-cli -p "$port" ping
    log "redis: $(redis-server --version | cut -d' ' -f1-3) on 127.0.0.1:$port, appendfsync $fsync"
}

stop_redis() { stop_process "$REDIS_PID"; REDIS_PID=""; }

# cpu_seconds PID: the user+system CPU seconds a running process has used so far.
cpu_seconds() {
    awk -v tck="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / tck }' "/proc/$1/stat"
}

# cpu_pressure: the share of the last 10 s in which some runnable task waited for a CPU (Linux PSI), in percent;
# "-" where the kernel does not report it. On a shared machine it says how much other work competed with a run.
cpu_pressure() {
    if [[ -r /proc/pressure/cpu ]]; then
        sed -n 's/^some avg10=\([0-9.]*\).*/\1/p' /proc/pressure/cpu
    else
        echo "-"
    fi
}

# wait_quiet: before a round, waits (up to QUIET_WAIT seconds, default 300) until the CPU pressure is under
# QUIET_PRESSURE percent (default 25), so rounds run while the machine's other users are idle where possible.
wait_quiet() {
    local limit="${QUIET_WAIT:-300}" threshold="${QUIET_PRESSURE:-25}" waited=0 pressure
    while pressure=$(cpu_pressure) && [[ $pressure != "-" ]] && awk -v p="$pressure" -v t="$threshold" 'BEGIN { exit !(p >= t) }'; do
        if (( waited >= limit )); then
            log "CPU pressure still ${pressure}% after ${waited}s; going on"
            return 0
        fi
        (( waited == 0 )) && log "CPU pressure ${pressure}%: waiting for the machine to quieten"
        sleep 5
        waited=$((waited + 5))
    done
}

# stats: reads numbers, one a line, and prints "median min max n".
stats() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "- - - 0"; exit }
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%s %s %s %d\n", m, v[1], v[NR], NR }'
}

# field NAME LINE: the value of NAME=VALUE in a line of key=value pairs.
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p" | head -1; }

# The machine, for the record.
machine() {
    echo "cores: $(nproc)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "memory: $(free -h | awk '/^Mem:/ { print $2 " total, " $7 " available" }')"
    echo "dotnet: $(dotnet --version)"
    echo "kernel: $(uname -r)"
    echo "load: $(cut -d' ' -f1-3 /proc/loadavg); CPU pressure (avg10): $(cpu_pressure)%"
    echo "disk: $(df -h "$WORK" | awk 'NR == 2 { print $1 ", " $4 " free" }')"
}
