#!/usr/bin/env bash
# Rendering in a browser: trawl's --render auto and always (and never, the plain baseline) on a mixed sandbox site, plain
# pages beside a section built by scripts from JSON; and Crawlee's PlaywrightCrawler on the same Chromium if CRAWLEE=1.
#
# Usage: bench/render.sh
#   PAGES=200          plain synthetic pages of the sandbox site (every one is crawled, plus the home page)
#   APP_PAGES=200      pages of the script-built /app/ section (plus its index)
#   RUNS=3             rounds; each round runs every mode once, in a rotating order
#   MODES="never auto always"
#   BROWSER_PAGES=4    pages rendered at once (trawl's --browser-pages; Crawlee's concurrency)
#   CRAWLEE=0          1: also Crawlee 3.18.1's PlaywrightCrawler (npm-installed into $WORK/crawlee on first use)
#   CHROMIUM=/usr/bin/chromium
#   PORT=18190
# Every rendered page waits for its h1 (--render-wait-for h1; Crawlee: page.waitForSelector('h1')). Prints one row per
# crawl and a summary: pages/s (items over wall seconds), pages fetched plainly and rendered (trawl's closing line), and
# the peak memory of the crawler with every process it started (the browser's), sampled every 0.2 s: summed RSS, which
# counts pages the processes share once per process, and summed PSS, which shares them out (the fairer figure).
# The rows go to bench/results/render-*.csv too.
. "$(dirname "$0")/lib.sh"

PAGES="${PAGES:-200}"
APP_PAGES="${APP_PAGES:-200}"
RUNS="${RUNS:-3}"
MODES="${MODES:-never auto always}"
BROWSER_PAGES="${BROWSER_PAGES:-4}"
CRAWLEE="${CRAWLEE:-0}"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
PORT="${PORT:-18190}"

require "$CHROMIUM:chromium"
build
machine >&2
echo "chromium: $("$CHROMIUM" --version 2>/dev/null)" >&2

if [[ $CRAWLEE == 1 ]]; then
    require node:nodejs npm:npm
    if [[ ! -d $WORK/crawlee/node_modules/crawlee ]]; then
        log "installing crawlee 3.18.1 and playwright 1.64.1 into $WORK/crawlee (no browser download)"
        mkdir -p "$WORK/crawlee"
        (cd "$WORK/crawlee" && npm init -y >/dev/null && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund crawlee@3.18.1 playwright@1.64.1 >/dev/null)
    fi
    cp "$ROOT/bench/crawlee_render.mjs" "$WORK/crawlee/"
    MODES="$MODES crawlee"
fi

start_sandbox "$PORT" --pages "$PAGES" --app-pages "$APP_PAGES" --quote-pages 0
trap 'stop_sandbox' EXIT

# tree_memory PID: "RSS PSS" in KiB, summed over PID and its descendants.
tree_memory() {
    local pids p rss=0 pss=0 r s
    pids=$(ps -e -o pid=,ppid= | awk -v root="$1" '{ parent[$1] = $2 } END { for (p in parent) { q = p; while (q in parent && q != root && q > 1) q = parent[q]; if (q == root) print p } }')
    for p in $pids; do
        read -r r s < <(awk '/^Rss:/ { r = $2 } /^Pss:/ { s = $2 } END { print r + 0, s + 0 }' "/proc/$p/smaps_rollup" 2>/dev/null || echo "0 0")
        rss=$((rss + r)); pss=$((pss + s))
    done
    echo "$rss $pss"
}

# run_sampled DIR CMD...: runs CMD in DIR, sampling its process tree's memory; writes peak.txt ("RSS PSS") and wall.txt.
run_sampled() {
    local dir="$1"; shift
    local start end pid peak_rss=0 peak_pss=0 rss pss
    start=$(date +%s.%N)
    (cd "$dir" && exec "$@" >out.txt 2>err.txt) &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        read -r rss pss < <(tree_memory "$pid")
        ((rss > peak_rss)) && peak_rss=$rss
        ((pss > peak_pss)) && peak_pss=$pss
        sleep 0.2
    done
    wait "$pid" || { echo "crawl failed in $dir:" >&2; cat "$dir/out.txt" "$dir/err.txt" >&2; exit 1; }
    end=$(date +%s.%N)
    echo "$peak_rss $peak_pss" >"$dir/peak.txt"
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f\n", b - a }' >"$dir/wall.txt"
}

csv=$(results_csv render "mode,round,items,wall_s,pages_per_s,plain,rendered,peak_rss_kib,peak_pss_kib,pressure_before")

read -r -a modes <<<"$MODES"
base="http://127.0.0.1:$PORT"
for round in $(seq 1 "$RUNS"); do
    wait_quiet
    for i in "${!modes[@]}"; do
        mode="${modes[$(( (i + round) % ${#modes[@]} ))]}"
        dir="$WORK/render-$mode"
        rm -rf "$dir" && mkdir -p "$dir"
        pressure=$(cpu_pressure)
        if [[ $mode == crawlee ]]; then
            run_sampled "$dir" node "$WORK/crawlee/crawlee_render.mjs" "$base/" "$CHROMIUM" "$BROWSER_PAGES"
            items=$(tail -1 "$dir/out.txt" | sed -E 's/.*"items":([0-9]+).*/\1/')
            plain=0; rendered="$items"
        else
            run_sampled "$dir" dotnet "$CLI" crawl --start "$base/" -o items.jsonl --no-job --render "$mode" --render-wait-for h1 \
                --browser "$CHROMIUM" --browser-pages "$BROWSER_PAGES" --no-progress --log-level warning
            items=$(wc -l <"$dir/items.jsonl")
            # --render never prints no such line: every page was fetched plainly.
            read -r plain rendered < <(sed -nE 's/^Fetched ([0-9,]+) pages over plain HTTP and rendered ([0-9,]+) .*/\1 \2/p' "$dir/out.txt" | tr -d ,) || true
            plain="${plain:-$items}"; rendered="${rendered:-0}"
        fi
        wall=$(cat "$dir/wall.txt")
        read -r peak_rss peak_pss <"$dir/peak.txt"
        rate=$(awk -v n="$items" -v s="$wall" 'BEGIN { printf "%.1f", n / s }')
        echo "$mode,$round,$items,$wall,$rate,$plain,$rendered,$peak_rss,$peak_pss,$pressure" | tee -a "$csv"
    done
done

echo
echo "Medians over $RUNS rounds ($PAGES plain pages + $APP_PAGES script-built, $BROWSER_PAGES pages at once): $csv"
printf '%-8s %6s %8s %8s %7s %9s %14s %14s\n' mode items wall_s pages/s plain rendered peak_rss_MiB peak_pss_MiB
for mode in "${modes[@]}"; do
    awk -F, -v m="$mode" '
        function median(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t } return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
        $1 == m { n++; items[n] = $3; wall[n] = $4; rate[n] = $5; plain[n] = $6; rendered[n] = $7; rss[n] = $8; pss[n] = $9 }
        END { if (n) printf "%-8s %6d %8.1f %8.1f %7d %9d %14.0f %14.0f\n", m, median(items, n), median(wall, n), median(rate, n), median(plain, n), median(rendered, n), median(rss, n) / 1024, median(pss, n) / 1024 }' "$csv"
done
