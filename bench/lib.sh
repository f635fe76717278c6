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

# results_csv NAME HEADER: creates bench/results/NAME-<time>.csv holding the HEADER line, and prints its path.
results_csv() {
    local file="$ROOT/bench/results/$1-$(date +%Y%m%d-%H%M%S).csv"
    mkdir -p "$ROOT/bench/results"
    echo "$2" >"$file"
    echo "$file"
}

# Builds the CLI and the bench tool in Release.
build() {
    require dotnet:dotnet-sdk-10.0
    log "building Release"
    dotnet build -c Release "$ROOT/src/Trawl.Cli" -v quiet -nologo >/dev/null
    dotnet build -c Release "$ROOT/bench/Trawl.Bench.Jobs" -v quiet -nologo >/dev/null
}

# wait_started PID WHAT LOG CHECK...: waits up to 10 s for the command CHECK to succeed while the server PID runs; if it
# never does, prints LOG and exits.
wait_started() {
    local pid="$1" what="$2" logfile="$3"; shift 3
    for _ in $(seq 1 100); do
        "$@" && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "$what did not start:" >&2
    cat "$logfile" >&2 2>/dev/null || true
    exit 1
}

# start_sandbox PORT ARGS...: serves the sandbox site on 127.0.0.1:PORT in the background until the script exits.
SANDBOX_PID=""
start_sandbox() {
    local port="$1"; shift
    local logfile="$WORK/sandbox-$port.log"
    dotnet "$CLI" sandbox serve --port "$port" "$@" >"$logfile" 2>&1 &
    SANDBOX_PID=$!
    wait_started "$SANDBOX_PID" "The sandbox" "$WORK/sandbox-$port.log" grep -q "Serving" "$WORK/sandbox-$port.log"
    log "sandbox: $(head -1 "$WORK/sandbox-$port.log")"
}

# stop_server PID SIGNAL: stops a server this script started, with SIGNAL, and waits for it.
stop_server() {
    if [[ -n $1 ]] && kill -0 "$1" 2>/dev/null; then
        kill "-$2" "$1" 2>/dev/null || true
        wait "$1" 2>/dev/null || true
    fi
}

stop_sandbox() {
    stop_server "$SANDBOX_PID" TERM
    SANDBOX_PID=""
}

# export_site DIR PAGES PORT [ARGS...]: writes the sandbox site (PAGES pages, no quotes section, and any further
# `trawl sandbox export` ARGS such as --big-pages N) as static files into DIR, with absolute links for
# http://127.0.0.1:PORT/, and checks the export holds every page. Reuses an export already there.
export_site() {
    local dir="$1" pages="$2" port="$3"; shift 3
    local stamp
    stamp="$dir/.exported-$pages-$port-$(echo "$*" | md5sum | cut -c1-8)"
    if [[ ! -f $stamp ]]; then
        rm -rf "$dir"
        log "exporting $pages pages to $dir ${*}"
        dotnet "$CLI" sandbox export "$dir" --pages "$pages" --quote-pages 0 --base-url "http://127.0.0.1:$port/" "$@" >&2
        touch "$stamp"
    fi
    local files
    files=$(find "$dir" -name index.html | wc -l)
    [[ $files -eq $((pages + 1)) ]] || { echo "The export in $dir has $files pages, not $((pages + 1))." >&2; exit 1; }
}

# check_export DIR PAGES PORT [ARGS...]: serves the sandbox site itself on PORT (with the same export ARGS), then the
# export from nginx on the same port, and checks that a sample of pages (home, first, middle, last, and with
# --big-pages the first big page) is the same, byte for byte, with the same Content-Type.
check_export() {
    local dir="$1" pages="$2" port="$3" path; shift 3
    local paths=("/" "/pages/0" "/pages/$((pages / 2))" "/pages/$((pages - 1))")
    local args=("$@") i
    for ((i = 0; i < ${#args[@]}; i++)); do
        if [[ ${args[i]} == --big-pages && ${args[i + 1]:-0} -gt 0 ]]; then
            paths+=("/pages/$((pages / (2 * args[i + 1])))")
        fi
    done
    rm -rf "$WORK/check" && mkdir -p "$WORK/check/sandbox" "$WORK/check/nginx"
    start_sandbox "$port" --pages "$pages" --quote-pages 0 "$@"
    for path in "${paths[@]}"; do
        curl -sS -o "$WORK/check/sandbox/$(tr / _ <<<"$path")" -w '%{content_type}\n' "http://127.0.0.1:$port$path" >>"$WORK/check/sandbox/types"
    done
    stop_sandbox
    start_nginx "$port" "$dir"
    for path in "${paths[@]}"; do
        curl -sS -o "$WORK/check/nginx/$(tr / _ <<<"$path")" -w '%{content_type}\n' "http://127.0.0.1:$port$path" >>"$WORK/check/nginx/types"
    done
    stop_nginx
    diff -r "$WORK/check/sandbox" "$WORK/check/nginx" >&2 || { echo "nginx does not serve the export as the sandbox serves the site." >&2; exit 1; }
    log "export checked: ${paths[*]} are the same from nginx as from the sandbox ($(head -1 "$WORK/check/nginx/types"))"
}

# start_nginx PORT ROOT: serves the static files in ROOT from nginx on 127.0.0.1:PORT until the script exits, with a
# config of its own in $WORK/nginx-PORT (no system config is read or changed): one worker, no access log, keep-alive
# connections that are not cut after 1,000 requests.
NGINX_PID=""
start_nginx() {
    local port="$1" root="$2"
    local dir="$WORK/nginx-$port"
    rm -rf "$dir" && mkdir -p "$dir/tmp"
    cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    types { text/html html; text/plain txt; }
    default_type application/octet-stream;
    charset utf-8;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    server {
        listen 127.0.0.1:$port;
        root $(cd "$root" && pwd);
        location / { try_files \$uri \$uri/index.html =404; }
    }
}
CONF
    nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" >>"$dir/error.log" 2>&1 &
    NGINX_PID=$!
    wait_started "$NGINX_PID" "nginx" "$dir/error.log" curl -sf -o /dev/null "http://127.0.0.1:$port/"
    log "nginx $(nginx -v 2>&1 | sed 's/.*\///') serving $root on port $port"
}

# SIGQUIT: nginx's graceful shutdown.
stop_nginx() {
    stop_server "$NGINX_PID" QUIT
    NGINX_PID=""
}

# wrk_ceiling PORT PAGES [SECONDS]: requests/s of wrk (one thread, 64 connections) fetching the site's pages in turn,
# /pages/0 to /pages/PAGES-1, with no parsing: the loopback ceiling of the server. Prints the number.
wrk_ceiling() {
    local port="$1" pages="$2" seconds="${3:-10}"
    cat >"$WORK/wrk-pages.lua" <<LUA
local i = 0
request = function()
    i = (i + 1) % $pages
    return wrk.format(nil, "/pages/" .. i)
end
LUA
    wrk -t1 -c64 -d"${seconds}s" -s "$WORK/wrk-pages.lua" "http://127.0.0.1:$port/" >"$WORK/wrk.txt"
    awk '/^Requests\/sec:/ { printf "%.0f\n", $2 }' "$WORK/wrk.txt"
}

# start_redis PORT FSYNC: a redis-server on 127.0.0.1:PORT with its data in $WORK/redis-PORT (emptied first), AOF on
# with appendfsync FSYNC (always, everysec or no), no RDB snapshots, in the background until the script exits.
REDIS_PID=""
start_redis() {
    local port="$1" fsync="$2" dir="$WORK/redis-$1"
    rm -rf "$dir" && mkdir -p "$dir"
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save "" --appendonly yes --appendfsync "$fsync" \
        --daemonize no --logfile "$dir/redis.log" &
    REDIS_PID=$!
    wait_started "$REDIS_PID" "redis-server" "$dir/redis.log" redis-cli -p "$port" ping >/dev/null
    log "redis: $(redis-server --version | cut -d' ' -f1-3) on 127.0.0.1:$port, appendfsync $fsync"
}

stop_redis() {
    stop_server "$REDIS_PID" TERM
    REDIS_PID=""
}

cleanup() {
    stop_sandbox
    stop_nginx
    stop_redis
}
trap cleanup EXIT

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
