#!/usr/bin/env bash
# trawl bench against the sandbox site exported as static files and served by nginx, next to the same bench against
# the sandbox's own Kestrel server; plus the wrk ceiling of nginx on the same pages.
#
# Usage: bench/nginx.sh
#   PAGES=50000        synthetic pages (every one is crawled, plus the home page)
#   RUNS=3             runs of each mode (medians)
#   CONCURRENCY=64     trawl bench --concurrency (in all and per domain)
#   SERVERS="nginx kestrel"   which servers to bench against
#   PORT=18280         nginx's port (the export's absolute links name it)
#   WRK_SECONDS=10
# Installs nginx, wrk, curl and time with apt-get when missing. The export is kept in $WORK/site-PAGES-PORT and
# reused by later runs (and by compare-scrapy.sh). Prints Markdown; a copy goes to bench/results/nginx-*.md.
. "$(dirname "$0")/lib.sh"

PAGES="${PAGES:-50000}"
RUNS="${RUNS:-3}"
CONCURRENCY="${CONCURRENCY:-64}"
SERVERS="${SERVERS:-nginx kestrel}"
PORT="${PORT:-18280}"
WRK_SECONDS="${WRK_SECONDS:-10}"

require nginx:nginx wrk:wrk curl:curl /usr/bin/time:time
build
results="$ROOT/bench/results"
mkdir -p "$results"
out="$results/nginx-$(date +%Y%m%d-%H%M%S).md"

site="$WORK/site-$PAGES-$PORT"
export_site "$site" "$PAGES" "$PORT"
check_export "$site" "$PAGES" "$PORT"

{
    echo '```'
    machine
    echo '```'
    echo
} | tee "$out"

for server in $SERVERS; do
    wait_quiet
    case "$server" in
        nginx)
            start_nginx "$PORT" "$site"
            rps=$(wrk_ceiling "$PORT" "$PAGES" "$WRK_SECONDS")
            {
                echo "### nginx $(nginx -v 2>&1 | sed 's/.*\///') (worker_processes 1, access_log off)"
                echo
                echo "wrk -t1 -c64 -d${WRK_SECONDS}s over /pages/0 … /pages/$((PAGES - 1)), no parsing: **$rps requests/s**."
                echo
            } | tee -a "$out"
            dotnet "$CLI" bench --url "http://127.0.0.1:$PORT/" --ceiling --runs "$RUNS" --concurrency "$CONCURRENCY" | tee -a "$out"
            stop_nginx
            ;;
        kestrel)
            { echo; echo "### The sandbox's own server (Kestrel, trawl sandbox serve in its own process)"; echo; } | tee -a "$out"
            dotnet "$CLI" bench --pages "$PAGES" --ceiling --runs "$RUNS" --concurrency "$CONCURRENCY" | tee -a "$out"
            ;;
        *) echo "unknown server $server" >&2; exit 2 ;;
    esac
    echo | tee -a "$out"
done
log "written to ${out#"$ROOT"/}"
