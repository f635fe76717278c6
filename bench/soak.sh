#!/usr/bin/env bash
# Soak: one long crawl with a job directory, sampling the crawler's RSS and pages done every second.
#
# Usage: bench/soak.sh
#   PAGES=500000       synthetic pages of the sandbox site (served by trawl bench's own sandbox process)
#   CONCURRENCY=64
#   WARMUP=10          percent of the pages counted as warm-up: RSS samples before it are left out
#   BIG_PAGES=0        with N > 0, a soak on big pages: the site (PAGES pages, N of them 1-10 MiB) is exported and
#                      served by nginx on PORT (default 18292), and crawled with `trawl bench --url`
#   FIELDS=""          item fields, NAME=SELECTOR separated by ';' (default: the title)
# Runs `trawl bench --pages PAGES --runs 1 --mode jobdir --samples CSV`: the crawl's child process writes its RSS
# (VmRSS) and pages done about once a second. Reports the RSS after warm-up (median, min and max, and how far min
# and max are from the median; target: within ±15%) and the throughput of the first and the last 10% of the pages
# (target: the last no more than 15% slower). Samples go to bench/results/soak-*.csv, the summary to soak-*.md.
. "$(dirname "$0")/lib.sh"

PAGES="${PAGES:-500000}"
CONCURRENCY="${CONCURRENCY:-64}"
WARMUP="${WARMUP:-10}"

build
results="$ROOT/bench/results"
mkdir -p "$results"
stamp="$(date +%Y%m%d-%H%M%S)"
csv="$results/soak-$stamp.csv"
out="$results/soak-$stamp.md"

BIG_PAGES="${BIG_PAGES:-0}"
PORT="${PORT:-18292}"
site_args=(--pages "$PAGES")
if (( BIG_PAGES > 0 )); then
    require nginx:nginx curl:curl
    site="$WORK/site-$PAGES-$PORT-big$BIG_PAGES"
    export_site "$site" "$PAGES" "$PORT" --big-pages "$BIG_PAGES"
    start_nginx "$PORT" "$site"
    site_args=(--url "http://127.0.0.1:$PORT/")
fi
field_args=()
if [[ -n ${FIELDS:-} ]]; then
    IFS=';' read -r -a field_list <<<"$FIELDS"
    for f in "${field_list[@]}"; do field_args+=(--field "$f"); done
fi

wait_quiet
dotnet "$CLI" bench "${site_args[@]}" --runs 1 --mode jobdir --concurrency "$CONCURRENCY" "${field_args[@]}" --samples "$csv" >"$WORK/soak-table.md"

{
    echo '```'
    machine
    echo '```'
    echo
    cat "$WORK/soak-table.md"
    echo
    # Columns: mode,run,seconds,pages,rss_mib. t(p) is interpolated between samples, from (0 s, 0 pages).
    awk -F, -v warmup="$WARMUP" '
        NR == 1 { next }
        { n++; t[n] = $3; p[n] = $4; r[n] = $5 }
        function at(pages,   i) {
            for (i = 1; i <= n; i++) {
                if (p[i] >= pages) {
                    if (i == 1) return t[1] * pages / p[1]
                    return t[i - 1] + (t[i] - t[i - 1]) * (pages - p[i - 1]) / (p[i] - p[i - 1])
                }
            }
            return t[n]
        }
        END {
            total = p[n]
            m = 0
            for (i = 1; i < n; i++) if (p[i] >= total * warmup / 100) rss[++m] = r[i]
            for (i = 2; i <= m; i++) { v = rss[i]; for (j = i - 1; j >= 1 && rss[j] > v; j--) rss[j + 1] = rss[j]; rss[j + 1] = v }
            median = (m % 2) ? rss[(m + 1) / 2] : (rss[m / 2] + rss[m / 2 + 1]) / 2
            up = 100 * (rss[m] / median - 1); down = 100 * (1 - rss[1] / median)
            t10 = at(total * 0.1); t90 = at(total * 0.9)
            first = total * 0.1 / t10; last = total * 0.1 / (t[n] - t90)
            decay = 100 * (1 - last / first)
            printf "| Soak, %d pages, --jobdir | Figure | Target | Verdict |\n|---|---|---|---|\n", total
            printf "| RSS after the first %d%% of pages (%d samples, 1 s apart) | median %.0f MiB, min %.0f (-%.1f%%), max %.0f (+%.1f%%) | within ±15%% | %s |\n",
                warmup, m, median, rss[1], down, rss[m], up, (up <= 15 && down <= 15) ? "met" : "missed"
            printf "| Throughput, first vs last 10%% of pages | %.0f → %.0f pages/s (%+.1f%%) | decay ≤ 15%% | %s |\n",
                first, last, -decay, decay <= 15 ? "met" : "missed"
            printf "\nWhole crawl: %d pages in %.1f s.\n", total, t[n]
        }' "$csv"
} | tee "$out"
log "samples in ${csv#"$ROOT"/}, summary in ${out#"$ROOT"/}"
