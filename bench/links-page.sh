#!/usr/bin/env bash
# Pages with a million links: the peak RSS, wall time and CPU of `trawl crawl` on start pages of LINKS distinct links
# each (the sandbox's /trap/links?compact=1, about 16 bytes a link: a million in 16 MB, the downloader's limit).
#
# Usage: bench/links-page.sh
#   LINKS=1000000      links per page
#   RUNS=3             runs of each case (interleaved)
#   BASE=DIR           also run the trawl built in DIR (a checkout built with `dotnet build -c Release src/Trawl.Cli`),
#                      interleaved with this one, for a before/after on the same machine at the same time
#   EXTRA="ARGS"       more arguments for every crawl, such as "--parse-timeout 120": on a loaded machine, parsing a
#                      million links can take longer than the default parse budget (10 s), and the page then fails as
#                      parse_limit (the crawl exits 4). Builds from before --parse-timeout do not know the flag.
# Cases, each a fresh `trawl crawl` process under /usr/bin/time, robots.txt off:
#   one-job     one page, --jobdir, --limit 1: the page is fetched, parsed and its links committed, then the run ends
#   four-job    four such pages at once (four URLs of the same page: a million distinct links need all the six-digit
#               numbers, so the four hold the same links), --jobdir, --limit 5: the four, then one page they link to
#   one-memory  one page, --no-job, --limit 1
# Prints a Markdown table of medians (min-max); raw rows go to bench/results/links-page-*.csv.
. "$(dirname "$0")/lib.sh"

LINKS="${LINKS:-1000000}"
RUNS="${RUNS:-3}"
BASE="${BASE:-}"
read -r -a EXTRA_ARGS <<<"${EXTRA:-}"
PORT="${PORT:-18941}"

require time:time
build
results="$ROOT/bench/results"
mkdir -p "$results"
stamp="$(date +%Y%m%d-%H%M%S)"
csv="$results/links-page-$stamp.csv"
echo "build,case,run,seconds,max_rss_kib,user_s,sys_s,links_truncated" >"$csv"

start_sandbox "$PORT" --pages "$LINKS" --quote-pages 0
page() { echo "http://127.0.0.1:$PORT/trap/links?n=$LINKS&compact=1&copy=$1"; }

builds=("this=$CLI")
[[ -n $BASE ]] && builds+=("base=$BASE/src/Trawl.Cli/bin/Release/net10.0/Trawl.Cli.dll")

run_case() {
    local name="$1" cli="$2" case="$3" run="$4"
    local job="$WORK/links-page-job" out="$WORK/links-page-out.txt" args=()
    rm -rf "$job"
    case "$case" in
        one-job) args=(--start "$(page 0)" --limit 1 --jobdir "$job") ;;
        four-job) args=(--start "$(page 0)" --start "$(page 1)" --start "$(page 2)" --start "$(page 3)" --limit 5 --jobdir "$job") ;;
        one-memory) args=(--start "$(page 0)" --limit 1 --no-job) ;;
    esac
    /usr/bin/time -o "$WORK/links-page-time.txt" -f "%e %M %U %S" \
        dotnet "$cli" crawl "${args[@]}" "${EXTRA_ARGS[@]}" --ignore-robots --no-progress --log-level warning >"$out" 2>&1 || true
    # time writes "Command exited with non-zero status N" first when the crawl fails.
    read -r seconds rss user sys < <(tail -n 1 "$WORK/links-page-time.txt")
    local truncated
    truncated=$(sed -n 's/.*links_truncated \([0-9,]*\).*/\1/p' "$out" | tr -d , | head -1)
    echo "$name,$case,$run,$seconds,$rss,$user,$sys,${truncated:-0}" >>"$csv"
    log "$name $case run $run: $seconds s, $((rss / 1024)) MiB peak, ${user}+${sys} s CPU, links_truncated ${truncated:-0}"
    rm -rf "$job"
}

for run in $(seq 1 "$RUNS"); do
    wait_quiet
    for case in one-job four-job one-memory; do
        for pair in "${builds[@]}"; do
            run_case "${pair%%=*}" "${pair#*=}" "$case" "$run"
        done
    done
done

out="$results/links-page-$stamp.md"
{
    echo '```'
    machine
    echo '```'
    echo
    echo "| Build | Case | Peak RSS MiB | Wall s | CPU s (user+sys) | links_truncated |"
    echo "|---|---|---|---|---|---|"
    for pair in "${builds[@]}"; do
        name="${pair%%=*}"
        for case in one-job four-job one-memory; do
            rows() { awk -F, -v b="$name" -v c="$case" -v col="$1" 'NR > 1 && $1 == b && $2 == c { print $col }' "$csv"; }
            read -r rss_m rss_lo rss_hi _ < <(rows 5 | stats)
            read -r wall_m wall_lo wall_hi _ < <(rows 4 | stats)
            read -r cpu_m cpu_lo cpu_hi _ < <(awk -F, -v b="$name" -v c="$case" 'NR > 1 && $1 == b && $2 == c { print $6 + $7 }' "$csv" | stats)
            truncated=$(rows 8 | head -1)
            awk -v n="$name" -v c="$case" -v rm="$rss_m" -v rl="$rss_lo" -v rh="$rss_hi" -v wm="$wall_m" -v wl="$wall_lo" \
                -v wh="$wall_hi" -v cm="$cpu_m" -v cl="$cpu_lo" -v ch="$cpu_hi" -v t="$truncated" 'BEGIN {
                printf "| %s | %s | %.0f (%.0f–%.0f) | %.1f (%.1f–%.1f) | %.1f (%.1f–%.1f) | %s |\n",
                    n, c, rm / 1024, rl / 1024, rh / 1024, wm, wl, wh, cm, cl, ch, t }'
        done
    done
} | tee "$out"
log "rows in ${csv#"$ROOT"/}, summary in ${out#"$ROOT"/}"
