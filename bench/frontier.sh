#!/usr/bin/env bash
# Peak memory while scheduling and holding a very large frontier, and the job's size on disk.
#
# Usage: bench/frontier.sh
#   SIZES="1000000 10000000"  pending requests to seed, one job per size
#   LIMIT=1000                pages the resumed crawl fetches before it stops
#   RUNS=3                    resumed crawls per size (each on a fresh copy of the seeded job)
#   PORT=18200
# For each size: `Trawl.Bench.Jobs seed` adds the requests in batches of 50,000 through SqliteFrontier.AddAsync and
# reports its time and VmHWM; then `trawl crawl --jobdir COPY --limit LIMIT` resumes the job against a 50,000-page
# sandbox site (the first pages exist, so their links are parsed and deduplicated against the job) under
# /usr/bin/time, which reports the crawler's peak RSS. The same crawl with --no-job (pending 0 in the table) is the
# baseline.
. "$(dirname "$0")/lib.sh"

SIZES="${SIZES:-1000000 10000000}"
LIMIT="${LIMIT:-1000}"
RUNS="${RUNS:-3}"
PORT="${PORT:-18200}"

require /usr/bin/time:time
build
machine >&2
start_sandbox "$PORT" --pages 50000 --quote-pages 0

results="$ROOT/bench/results"
mkdir -p "$results"
csv="$results/frontier-$(date +%Y%m%d-%H%M%S).csv"
echo "size,step,run,seconds,peak_rss_mib,disk_mib,pages_per_s" >"$csv"

base="http://127.0.0.1:$PORT"
crawl() {
    /usr/bin/time -v -o "$WORK/crawl-time.txt" dotnet "$CLI" crawl --start "$base/" --allow "^http://127\\.0\\.0\\.1:$PORT/pages/" \
        --limit "$LIMIT" --no-progress --log-level error "$@" >"$WORK/crawl-out.txt" 2>&1 \
        || { echo "crawl failed:" >&2; cat "$WORK/crawl-out.txt" >&2; exit 1; }
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/crawl-time.txt")
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$WORK/crawl-time.txt" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
    rate=$(grep -oE '[0-9,.]+ pages/s' "$WORK/crawl-out.txt" | tail -1 | tr -d ', pages/')
}

# The baseline: the same crawl in memory, with no job at all.
for round in $(seq 1 "$RUNS"); do
    crawl --no-job
    echo "0,no-job-limit-$LIMIT,$round,$wall,$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }'),0,$rate" | tee -a "$csv"
done

for size in $SIZES; do
    seeded="$WORK/frontier-seed-$size-$PORT"
    rm -rf "$seeded"
    log "seeding $size pending requests"
    line=$(/usr/bin/time -f "time: %e %M" -o "$WORK/seed-time.txt" dotnet "$BENCH" seed "$seeded" --pending "$size" --base-url "$base/")
    echo "$line" >&2
    read -r _ wall rss <"$WORK/seed-time.txt"
    disk=$(du -sm "$seeded" | cut -f1)
    echo "$size,seed,1,$(field seconds "$line"),$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }'),$disk," | tee -a "$csv"
    log "seed: tool says $(field vmhwm_mib "$line") MiB VmHWM; /usr/bin/time says $((rss / 1024)) MiB, ${wall}s wall"

    run="$WORK/frontier-run"
    for round in $(seq 1 "$RUNS"); do
        rm -rf "$run" && cp -r "$seeded" "$run" && sync
        crawl --jobdir "$run"
        disk=$(du -sm "$run" | cut -f1)
        echo "$size,resume-limit-$LIMIT,$round,$wall,$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }'),$disk,$rate" | tee -a "$csv"
    done
    rm -rf "$run"
done

echo
echo "Summary; raw rows in ${csv#"$ROOT"/} (median [min-max] over runs)"
echo "| pending | step | seconds | peak RSS MiB | disk MiB | pages/s | runs |"
echo "|---|---|---|---|---|---|---|"
for size in 0 $SIZES; do
    steps=(seed "resume-limit-$LIMIT")
    [[ $size == 0 ]] && steps=("no-job-limit-$LIMIT")
    for step in "${steps[@]}"; do
        col() { awk -F, -v s="$size" -v t="$step" '$1 == s && $2 == t { print $k }' k="$1" "$csv"; }
        read -r sm slo shi n < <(col 4 | stats)
        read -r rm rlo rhi _ < <(col 5 | stats)
        read -r dm _ _ _ < <(col 6 | stats)
        pr=$(col 7 | grep . | stats | awk '{ print $1 }' || true)
        printf "| %s | %s | %.1f [%.1f-%.1f] | %.0f [%.0f-%.0f] | %s | %s | %s |\n" "$size" "$step" "$sm" "$slo" "$shi" "$rm" "$rlo" "$rhi" "$dm" "${pr:--}" "$n"
    done
done
