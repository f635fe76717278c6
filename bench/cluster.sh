#!/usr/bin/env bash
# A crawl shared on Redis by 1, 2 and 3 worker processes (trawl crawl --frontier), on the sandbox site: cluster
# throughput, and what each page costs Redis.
#
# Usage: bench/cluster.sh
#   PAGES=50000        pages of the sandbox site (every one is crawled, plus the home page)
#   RUNS=3             rounds; each round runs every worker count once, in a rotating order
#   WORKERS="1 2 3"    worker counts
#   CONCURRENCY=16     requests in flight per worker (and per domain: the site is one domain)
#   FSYNC=always       Redis appendfsync: always (what the docs recommend for exactly-once), everysec or no
#   PORT=18190 REDIS_PORT=18191
# Redis (its own redis-server on 127.0.0.1, AOF on) and the sandbox site run in their own processes. Per crawl it
# reads Redis's INFO commandstats and INFO cpu before and after, and prints:
#   pages/s        the cluster's: pages over the wall time from starting the workers to the last one exiting
#   calls/page     client commands Redis ran per page: script runs (EVALSHA, EVAL) plus commands no frontier script
#                  issues (connection set-up, PING, SUBSCRIBE); commands run inside scripts are not round trips
#   scripts/page   script runs per page
#   inner/page     commands the scripts ran inside Redis per page (what the Redis CPU goes on)
#   Redis µs/page  Redis's CPU time (used_cpu_user + used_cpu_sys) per page
#   ceiling        1 / (Redis CPU per page): the pages/s at which this Redis would use one core fully
#   Redis busy     Redis's CPU time over the wall time (1.0 = one core)
# Rows go to bench/results/cluster-*.csv.
. "$(dirname "$0")/lib.sh"

PAGES="${PAGES:-50000}"
RUNS="${RUNS:-3}"
WORKERS="${WORKERS:-1 2 3}"
CONCURRENCY="${CONCURRENCY:-16}"
FSYNC="${FSYNC:-always}"
PORT="${PORT:-18190}"
REDIS_PORT="${REDIS_PORT:-18191}"

require redis-server:redis-server redis-cli:redis-tools
build
machine >&2
start_redis "$REDIS_PORT" "$FSYNC"
start_sandbox "$PORT" --pages "$PAGES" --quote-pages 0

# The commands the frontier's scripts issue inside Redis; INFO commandstats counts those too, but they are no round trips.
in_scripts=$(grep -ohE "redis\.call\('[A-Z]+'" "$ROOT"/src/Trawl.Redis/Scripts/*.lua | sed -E "s/.*'([A-Z]+)'/\1/" | tr 'A-Z' 'a-z' | sort -u | tr '\n' ' ')
in_scripts="$in_scripts bitfield" # Built as a table and called with unpack() in common.lua.

# snapshot: "command calls" lines from INFO commandstats, then "cpu SECONDS" (user + system).
snapshot() {
    redis-cli -p "$REDIS_PORT" info commandstats cpu | tr -d '\r' | awk -F'[:,=]' '
        /^cmdstat_/ { sub(/^cmdstat_/, "", $1); print $1, $3 }
        /^used_cpu_user:/ { u = $2 } /^used_cpu_sys:/ { s = $2 }
        END { print "cpu", u + s }'
}

# delta BEFORE AFTER: "calls scripts inner cpu" between two snapshots. Calls leave out the commands scripts issue
# (counted as inner instead), and INFO (this script's own).
delta() {
    awk -v skip="$in_scripts" '
        BEGIN { n = split(skip, s, " "); for (i = 1; i <= n; i++) in_script[s[i]] = 1 }
        FNR == NR { before[$1] = $2; next }
        $1 == "cpu" { cpu = $2 - before["cpu"]; next }
        $1 == "info" { next }
        { d = $2 - before[$1]; if ($1 == "evalsha" || $1 == "eval") scripts += d; if ($1 in in_script) inner += d; else calls += d }
        END { printf "%d %d %d %.6f\n", calls, scripts, inner, cpu }' "$1" "$2"
}

results="$ROOT/bench/results"
mkdir -p "$results"
csv="$results/cluster-$(date +%Y%m%d-%H%M%S).csv"
echo "workers,round,pages,wall_s,pages_per_s,calls,scripts,inner,redis_cpu_s,pressure_before" >"$csv"

read -r -a counts <<<"$WORKERS"
base="http://127.0.0.1:$PORT"
dir="$WORK/cluster"
for round in $(seq 1 "$RUNS"); do
    for i in "${!counts[@]}"; do
        # Rotate the order each round, so no worker count always runs first.
        n="${counts[$(( (i + round) % ${#counts[@]} ))]}"
        rm -rf "$dir" && mkdir -p "$dir"
        redis-cli -p "$REDIS_PORT" flushall >/dev/null
        wait_quiet
        pressure=$(cpu_pressure)
        snapshot >"$dir/before.txt"
        start=$(date +%s.%N)
        pids=()
        for w in $(seq 1 "$n"); do
            (
                cd "$dir"
                exec dotnet "$CLI" crawl --start "$base/" --allow "^http://127\\.0\\.0\\.1:$PORT/pages/" \
                    --frontier "redis://127.0.0.1:$REDIS_PORT/0" --name "bench-$round-$n" --idle-timeout 0 -o "items-$w.jsonl" \
                    --concurrency "$CONCURRENCY" --concurrency-per-domain "$CONCURRENCY" --no-progress --log-level warning \
                    >"out-$w.txt" 2>"err-$w.txt"
            ) &
            pids+=($!)
        done
        for pid in "${pids[@]}"; do
            wait "$pid" || { echo "a worker failed ($n workers):" >&2; cat "$dir"/out-*.txt "$dir"/err-*.txt >&2; exit 1; }
        done
        end=$(date +%s.%N)
        snapshot >"$dir/after.txt"
        read -r calls scripts inner cpu < <(delta "$dir/before.txt" "$dir/after.txt")
        items=$(cat "$dir"/items-*.jsonl | wc -l)
        unique=$(cat "$dir"/items-*.jsonl | grep -oE '"url":"[^"]*"' | sort -u | wc -l)
        [[ $items -eq $((PAGES + 1)) && $unique -eq $items ]] || { echo "expected $((PAGES + 1)) items once each, got $items ($unique distinct) with $n workers" >&2; exit 1; }
        wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
        rate=$(awk -v p="$items" -v w="$wall" 'BEGIN { printf "%.1f", p / w }')
        echo "$n,$round,$items,$wall,$rate,$calls,$scripts,$inner,$cpu,$pressure" | tee -a "$csv"
    done
done

echo
echo "Summary ($RUNS rounds, $PAGES pages, concurrency $CONCURRENCY per worker, appendfsync $FSYNC; median [min-max]); raw rows in ${csv#"$ROOT"/}"
echo "| workers | pages/s | calls/page | scripts/page | inner/page | Redis µs/page | ceiling pages/s (one Redis core) | Redis busy (cores) |"
echo "|---|---|---|---|---|---|---|---|"
for n in "${counts[@]}"; do
    col() { awk -F, -v n="$n" "\$1 == n { print $1 }" "$csv"; }
    read -r rm rlo rhi _ < <(col '$5' | stats)
    read -r cm _ _ _ < <(col '$6 / $3' | stats)
    read -r sm _ _ _ < <(col '$7 / $3' | stats)
    read -r im _ _ _ < <(col '$8 / $3' | stats)
    read -r um ulo uhi _ < <(col '$9 * 1e6 / $3' | stats)
    read -r ceil _ _ _ < <(col '$3 / $9' | stats)
    read -r busy _ _ _ < <(col '$9 / $4' | stats)
    printf "| %s | %.0f [%.0f-%.0f] | %.3f | %.3f | %.1f | %.0f [%.0f-%.0f] | %.0f | %.2f |\n" "$n" "$rm" "$rlo" "$rhi" "$cm" "$sm" "$im" "$um" "$ulo" "$uhi" "$ceil" "$busy"
done
