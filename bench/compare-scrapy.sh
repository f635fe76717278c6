#!/usr/bin/env bash
# Scrapy 2.8 and trawl on the same site, in the same run, with equivalent settings, against the loopback ceiling.
#
# Usage: bench/compare-scrapy.sh
#   PAGES=50000          synthetic pages of the exported site (trawl crawls all of them, plus the home page)
#   PAGES_SCRAPY=10000   Scrapy stops after this many pages (CLOSESPIDER_PAGECOUNT): at ~140 pages/s the whole site
#                        would take six minutes. Its rate is steady, so a subset measures it; 0 crawls everything.
#   RUNS=3               runs of trawl bench (medians); Scrapy runs once
#   CONCURRENCY=64       both crawlers: in all and per domain
#   PORT=18290           nginx's port
#   WRK_SECONDS=10
#   FIELDS=""            item fields both crawlers extract besides the url, NAME=SELECTOR separated by ';', for
#                        example 'title=title::text;h1=h1::text;link=ul.links a::text'; empty for {url, title}
#   BIG_PAGES=0          how many of the pages are big (1-10 MiB, `trawl sandbox export --big-pages`)
#   MODE=jobdir          trawl bench's mode: jobdir or memory
#   CEILING=1            also measure the HttpClient fetch and fetch+parse ceilings (0: not)
# The site is the sandbox site exported as static files and served by nginx (one worker, no access log). Both
# crawlers follow every link on the site's host, yield {url, title} per page, write JSON Lines, ignore robots.txt,
# and run without AutoThrottle. Scrapy: `scrapy runspider bench/compare_scrapy_spider.py` under /usr/bin/time -v,
# LOG_LEVEL INFO; pages/s is its response_received_count over its elapsed_time_seconds. Trawl: `trawl bench --url
# … --mode jobdir --ceiling`, which also measures the HttpClient fetch and fetch+parse ceilings; wrk gives nginx's.
# Installs python3-scrapy, nginx, wrk, curl and time with apt-get when missing. Prints Markdown; a copy goes to
# bench/results/compare-scrapy-*.md.
. "$(dirname "$0")/lib.sh"

PAGES="${PAGES:-50000}"
PAGES_SCRAPY="${PAGES_SCRAPY:-10000}"
RUNS="${RUNS:-3}"
CONCURRENCY="${CONCURRENCY:-64}"
PORT="${PORT:-18290}"
WRK_SECONDS="${WRK_SECONDS:-10}"
FIELDS="${FIELDS:-}"
BIG_PAGES="${BIG_PAGES:-0}"
MODE="${MODE:-jobdir}"
CEILING="${CEILING:-1}"
export_args=()
(( BIG_PAGES > 0 )) && export_args=(--big-pages "$BIG_PAGES")
trawl_fields=()
scrapy_fields="${FIELDS:-title=title::text}"
if [[ -n $FIELDS ]]; then
    IFS=';' read -r -a field_list <<<"$FIELDS"
    for f in "${field_list[@]}"; do trawl_fields+=(--field "$f"); done
fi

require scrapy:python3-scrapy nginx:nginx wrk:wrk curl:curl /usr/bin/time:time
build
results="$ROOT/bench/results"
mkdir -p "$results"
stamp="$(date +%Y%m%d-%H%M%S)"
out="$results/compare-scrapy-$stamp.md"

site="$WORK/site-$PAGES-$PORT"
(( BIG_PAGES > 0 )) && site="$site-big$BIG_PAGES"
export_site "$site" "$PAGES" "$PORT" "${export_args[@]}"
check_export "$site" "$PAGES" "$PORT" "${export_args[@]}"
start_nginx "$PORT" "$site"
url="http://127.0.0.1:$PORT/"

wait_quiet
log "wrk ceiling"
rps=$(wrk_ceiling "$PORT" "$PAGES" "$WRK_SECONDS")

wait_quiet
log "Scrapy $(scrapy version | awk '{ print $2 }'): up to ${PAGES_SCRAPY} pages"
dir="$WORK/scrapy"
rm -rf "$dir" && mkdir -p "$dir"
/usr/bin/time -v -o "$dir/time.txt" scrapy runspider "$ROOT/bench/compare_scrapy_spider.py" -a start="$url" -a fields="$scrapy_fields" -O "$dir/items.jsonl" \
    -s CONCURRENT_REQUESTS="$CONCURRENCY" -s CONCURRENT_REQUESTS_PER_DOMAIN="$CONCURRENCY" -s AUTOTHROTTLE_ENABLED=False \
    -s ROBOTSTXT_OBEY=False -s LOG_LEVEL=INFO -s CLOSESPIDER_PAGECOUNT="$PAGES_SCRAPY" \
    -s REQUEST_FINGERPRINTER_IMPLEMENTATION=2.7 2>"$dir/scrapy.log" \
    || { echo "Scrapy failed:" >&2; tail -20 "$dir/scrapy.log" >&2; exit 1; }
scrapy_stat() { sed -n "s/^ *'$1': \([0-9.]*\),*$/\1/p" "$dir/scrapy.log" | tail -1; }
scrapy_pages=$(scrapy_stat response_received_count)
scrapy_seconds=$(scrapy_stat elapsed_time_seconds)
scrapy_items=$(wc -l <"$dir/items.jsonl")
scrapy_rss=$(awk -F: '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$dir/time.txt")
scrapy_wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; printf "%.1f", s }' "$dir/time.txt")
scrapy_cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$dir/time.txt")
scrapy_rate=$(awk -v p="$scrapy_pages" -v s="$scrapy_seconds" 'BEGIN { printf "%.0f", p / s }')

wait_quiet
log "trawl bench: $RUNS runs"
ceiling_args=()
(( CEILING )) && ceiling_args=(--ceiling)
dotnet "$CLI" bench --url "$url" --mode "$MODE" "${ceiling_args[@]}" --runs "$RUNS" --concurrency "$CONCURRENCY" "${trawl_fields[@]}" --json >"$WORK/trawl.json"
cp "$WORK/trawl.json" "$results/compare-scrapy-$stamp-trawl.json"

{
    echo '```'
    machine
    echo '```'
    echo
    big=""
    (( BIG_PAGES > 0 )) && big=", $BIG_PAGES of them big (1-10 MiB, $(du -sh --apparent-size "$site/pages" | cut -f1) in all)"
    echo "Site: the sandbox site, $((PAGES + 1)) pages of about 4 KB with 11 links each$big, exported and served by nginx $(nginx -v 2>&1 | sed 's/.*\///') (worker_processes 1, access_log off) at $url."
    echo "Both crawlers: concurrency $CONCURRENCY in all and per domain, robots.txt off, no AutoThrottle, {url, ${scrapy_fields//;/, }} per page to JSON Lines."
    echo
    /usr/bin/python3 - "$WORK/trawl.json" "$scrapy_pages" "$scrapy_seconds" "$scrapy_wall" "$scrapy_rss" "$scrapy_items" "$rps" "$PAGES_SCRAPY" "$scrapy_cpu" "$MODE" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
scrapy_pages, scrapy_seconds, scrapy_wall = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
scrapy_rss, scrapy_items, wrk, subset = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
scrapy_cpu = float(sys.argv[9])
modes = {m["mode"]: m for m in report["modes"]}
mode = sys.argv[10]
trawl = modes[mode]
scrapy_rate = scrapy_pages / scrapy_seconds
runs = report["runs"]
spread = lambda m: f"{m['pages_per_second']:,.0f} [{m['pages_per_second_min']:,.0f}–{m['pages_per_second_max']:,.0f}]" if runs > 1 else f"{m['pages_per_second']:,.0f}"
print("| What | Pages | Pages/s | Peak RSS MiB | CPU µs/page |")
print("|---|---:|---:|---:|---:|")
print(f"| Scrapy 2.8, first {subset:,} pages (CLOSESPIDER_PAGECOUNT), 1 run | {scrapy_pages:,} in {scrapy_seconds:.1f} s ({scrapy_wall:.1f} s wall) | {scrapy_rate:,.0f} | {scrapy_rss:,} | {scrapy_cpu * 1e6 / scrapy_pages:,.0f} |")
label = "--jobdir" if mode == "jobdir" else "in memory"
print(f"| trawl, {label}, {f'medians of {runs}' if runs > 1 else '1 run'} | {trawl['pages']:,} | {spread(trawl)} | {trawl['peak_rss_mib']:,.0f} | {trawl['cpu_microseconds_per_page']:,.0f} |")
for name in ("fetch", "fetch+parse"):
    if name in modes:
        m = modes[name]
        print(f"| ceiling: HttpClient {name}, 64 connections | {m['pages']:,} | {spread(m)} | {m['peak_rss_mib']:,.0f} | {m['cpu_microseconds_per_page']:,.0f} |")
print(f"| ceiling: wrk -t1 -c64, no parsing | | {wrk:,} | | |")
print()
ceilings = (f"trawl is {trawl['percent_of_fetch_parse']:.0f}% of the fetch+parse ceiling and "
            f"{100 * trawl['pages_per_second'] / modes['fetch']['pages_per_second']:.0f}% of the fetch ceiling; ") if "fetch" in modes else ""
print(f"**trawl / Scrapy: {trawl['pages_per_second'] / scrapy_rate:,.1f}×** (pages/s). {ceilings}Scrapy wrote {scrapy_items:,} items.")
if not report["complete"]:
    print("WARNING: a trawl run did not fetch every page without failures.")
PY
} | tee "$out"
log "written to ${out#"$ROOT"/}"
