#!/usr/bin/env bash
# Where a durable crawl's extra time goes, measured in-process with Trawl.Bench.Jobs:
#  1. `crawl`: the same crawl as throughput.sh, run inside the bench tool over a timed frontier (in-memory; the SQLite
#     job store; the job store with leases taken 512 at a time), reporting how much of the crawl's wall time the
#     engine's dispatch loop spent waiting in TryLeaseAsync and the commit loop in CompleteAsync.
#  2. `simulate`: the frontier's own work for the same site (lease, complete with 10 links and an item per page,
#     commit 512 at a time), without HTTP or parsing, single-threaded: CPU per page of each frontier; and the same
#     with links already discovered dropped before they reach the frontier (*-filter-seen), which prices the ~9 of
#     every 10 links that are duplicates.
#
# Usage: bench/attribution.sh
#   PAGES=50000  RUNS=3  PORT=18210
. "$(dirname "$0")/lib.sh"

PAGES="${PAGES:-50000}"
RUNS="${RUNS:-3}"
PORT="${PORT:-18210}"

build
machine >&2
start_sandbox "$PORT" --pages "$PAGES" --quote-pages 0

results="$ROOT/bench/results"
mkdir -p "$results"
stamp=$(date +%Y%m%d-%H%M%S)
csv="$results/attribution-$stamp.csv"
echo "variant,round,pages_per_s,cpu_ms_per_page,lease_share,lease_max_ms,commit_share,commit_max_ms,commits" >"$csv"

variants=(memory sqlite sqlite-lease-ahead)
for round in $(seq 1 "$RUNS"); do
    wait_quiet
    for i in "${!variants[@]}"; do
        variant="${variants[$(( (i + round) % ${#variants[@]} ))]}"
        case "$variant" in
            memory) args=(--frontier memory) ;;
            sqlite) args=(--frontier sqlite) ;;
            sqlite-lease-ahead) args=(--frontier sqlite --lease-ahead 512) ;;
        esac
        rm -rf "$WORK/attribution"
        line=$(dotnet "$BENCH" crawl "${args[@]}" --start "http://127.0.0.1:$PORT/" --work "$WORK/attribution")
        row="$variant,$round"
        for k in pages_per_s cpu_ms_per_page lease_share lease_max_ms commit_share commit_max_ms commit_calls; do
            row+=",$(field "$k" "$line")"
        done
        echo "$row" | tee -a "$csv"
    done
done
stop_sandbox

scsv="$results/attribution-$stamp-simulate.csv"
echo "frontier,round,pages_per_s,cpu_ms_per_page,lease_ms,complete_ms,build_ms" >"$scsv"
simulated=(memory sqlite memory-filter-seen sqlite-filter-seen)
for round in $(seq 1 "$RUNS"); do
    for frontier in "${simulated[@]}"; do
        rm -rf "$WORK/simulate"
        extra=()
        [[ $frontier == *-filter-seen ]] && extra=(--filter-seen)
        line=$(dotnet "$BENCH" simulate --frontier "${frontier%-filter-seen}" "${extra[@]}" --pages "$PAGES" --dir "$WORK/simulate")
        echo "$frontier,$round,$(field pages_per_s "$line"),$(field cpu_ms_per_page "$line"),$(field lease_ms "$line"),$(field complete_ms "$line"),$(field build_ms "$line")" | tee -a "$scsv"
    done
done
rm -rf "$WORK/simulate" "$WORK/attribution"

median_of() { awk -F, -v v="$2" -v k="$3" '$1 == v { print $k }' "$1" | stats | awk -v f="$4" '{ printf f " [" f "-" f "]", $1, $2, $3 }'; }
echo
echo "In-process crawl of $PAGES pages ($RUNS rounds; median [min-max]); raw rows in ${csv#"$ROOT"/}"
echo "| frontier | pages/s | ratio to memory | CPU ms/page | share of wall time in TryLeaseAsync | longest lease ms | share in CompleteAsync | longest commit ms |"
echo "|---|---|---|---|---|---|---|---|"
for variant in "${variants[@]}"; do
    ratio=$(awk -F, -v v="$variant" '$1 == "memory" { m[$2] = $3 } $1 == v { r[$2] = $3 } END { for (k in r) if (k in m) print r[k] / m[k] }' "$csv" \
        | stats | awk '{ printf "%.3f [%.3f-%.3f]", $1, $2, $3 }')
    echo "| $variant | $(median_of "$csv" "$variant" 3 %.0f) | $ratio | $(median_of "$csv" "$variant" 4 %.3f) | $(median_of "$csv" "$variant" 5 %.3f) | $(median_of "$csv" "$variant" 6 %.0f) | $(median_of "$csv" "$variant" 7 %.3f) | $(median_of "$csv" "$variant" 8 %.0f) |"
done
echo
echo "Frontier work alone, $PAGES pages, 10 links each ($RUNS rounds; median [min-max]); raw rows in ${scsv#"$ROOT"/}"
echo "| frontier | pages/s | CPU ms/page | lease ms | complete ms | building requests ms |"
echo "|---|---|---|---|---|---|"
for frontier in "${simulated[@]}"; do
    echo "| $frontier | $(median_of "$scsv" "$frontier" 3 %.0f) | $(median_of "$scsv" "$frontier" 4 %.4f) | $(median_of "$scsv" "$frontier" 5 %.0f) | $(median_of "$scsv" "$frontier" 6 %.0f) | $(median_of "$scsv" "$frontier" 7 %.0f) |"
done
