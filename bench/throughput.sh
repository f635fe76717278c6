#!/usr/bin/env bash
# Durable vs in-memory crawl throughput on the sandbox site, interleaved.
#
# Usage: bench/throughput.sh
#   PAGES=50000      pages of the sandbox site (every one is crawled, plus the home page)
#   RUNS=5           rounds; each round runs every mode once, in a rotating order
#   CONFIGS="16/8 16/16 64/64"   concurrency/per-domain concurrency pairs ("16/8" is trawl's default)
#   MODES="memory durable"       memory: --no-job; durable: --jobdir (checkpoint interval 1 s, the default);
#                                durable-c0: --jobdir --checkpoint-interval 0 (commit every page)
#   PORT=18180
# Prints one row per crawl and a summary table (pages/s as the crawl's closing line reports it; wall seconds, peak RSS
# and user+system CPU of the crawler from /usr/bin/time; the sandbox server's CPU from /proc; "cores busy" is both
# CPU times over the wall time, where 2.0 would be both cores of a 2-core machine); the rows go to bench/results/throughput-*.csv too.
. "$(dirname "$0")/lib.sh"

PAGES="${PAGES:-50000}"
RUNS="${RUNS:-5}"
CONFIGS="${CONFIGS:-16/8 16/16 64/64}"
MODES="${MODES:-memory durable}"
PORT="${PORT:-18180}"

require /usr/bin/time:time
build
machine >&2
start_sandbox "$PORT" --pages "$PAGES" --quote-pages 0

results="$ROOT/bench/results"
mkdir -p "$results"
csv="$results/throughput-$(date +%Y%m%d-%H%M%S).csv"
echo "config,mode,round,pages_per_s,wall_s,rss_kib,items,cpu_s,server_cpu_s,pressure_before" >"$csv"

read -r -a modes <<<"$MODES"
base="http://127.0.0.1:$PORT"
for round in $(seq 1 "$RUNS"); do
    for config in $CONFIGS; do
        wait_quiet
        concurrency="${config%%/*}"
        per_domain="${config##*/}"
        [[ $config == */* ]] || per_domain="$concurrency"
        for i in "${!modes[@]}"; do
            # Rotate the order each round, so no mode always runs first (or right after another one).
            mode="${modes[$(( (i + round) % ${#modes[@]} ))]}"
            case "$mode" in
                memory) args=(--no-job) ;;
                durable) args=(--jobdir job) ;;
                durable-c0) args=(--jobdir job --checkpoint-interval 0) ;;
                *) echo "unknown mode $mode" >&2; exit 2 ;;
            esac
            dir="$WORK/throughput"
            rm -rf "$dir" && mkdir -p "$dir"
            pressure=$(cpu_pressure)
            server_before=$(cpu_seconds "$SANDBOX_PID")
            (
                cd "$dir"
                /usr/bin/time -f "%e %M %U %S" -o time.txt dotnet "$CLI" crawl --start "$base/" --allow "^http://127\\.0\\.0\\.1:$PORT/pages/" \
                    -o items.jsonl "${args[@]}" --concurrency "$concurrency" --concurrency-per-domain "$per_domain" \
                    --no-progress --log-level warning >out.txt 2>err.txt
            ) || { echo "crawl failed ($config $mode):" >&2; cat "$dir/out.txt" "$dir/err.txt" >&2; exit 1; }
            server_cpu=$(awk -v a="$server_before" -v b="$(cpu_seconds "$SANDBOX_PID")" 'BEGIN { printf "%.2f", b - a }')
            rate=$(grep -oE '[0-9,.]+ pages/s' "$dir/out.txt" | tail -1 | tr -d ', pages/')
            read -r wall rss user sys <"$dir/time.txt"
            cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')
            items=$(wc -l <"$dir/items.jsonl")
            [[ $items -eq $((PAGES + 1)) ]] || { echo "expected $((PAGES + 1)) items, got $items ($config $mode)" >&2; exit 1; }
            echo "$config,$mode,$round,$rate,$wall,$rss,$items,$cpu,$server_cpu,$pressure" | tee -a "$csv"
        done
    done
done

echo
echo "Summary ($RUNS rounds, $PAGES pages; median [min-max]); raw rows in ${csv#"$ROOT"/}"
echo "| concurrency | mode | pages/s | wall s | peak RSS MiB | crawler CPU ms/page | server CPU ms/page | cores busy | ratio to memory (median of rounds) |"
echo "|---|---|---|---|---|---|---|---|---|"
for config in $CONFIGS; do
    for mode in "${modes[@]}"; do
        col() { awk -F, -v c="$config" -v m="$mode" -v k="$1" '$1 == c && $2 == m { print $k }' "$csv"; }
        read -r rm rlo rhi n < <(col 4 | stats)
        read -r wm wlo whi _ < <(col 5 | stats)
        read -r mm _ _ _ < <(col 6 | awk '{ print $1 / 1024 }' | stats)
        read -r cm _ _ _ < <(col 8 | awk -v p="$PAGES" '{ print $1 * 1000 / (p + 1) }' | stats)
        read -r sm _ _ _ < <(col 9 | awk -v p="$PAGES" '{ print $1 * 1000 / (p + 1) }' | stats)
        read -r busy _ _ _ < <(awk -F, -v c="$config" -v m="$mode" '$1 == c && $2 == m { print ($8 + $9) / $5 }' "$csv" | stats)
        ratio=$(awk -F, -v c="$config" -v m="$mode" '$1 == c && $2 == "memory" { mem[$3] = $4 } $1 == c && $2 == m { r[$3] = $4 }
            END { for (k in r) if (k in mem) print r[k] / mem[k] }' "$csv" | stats | awk '{ printf "%.3f [%.3f-%.3f]", $1, $2, $3 }')
        printf "| %s | %s | %.0f [%.0f-%.0f] | %.2f [%.2f-%.2f] | %.0f | %.3f | %.3f | %.2f | %s |\n" "$config" "$mode" "$rm" "$rlo" "$rhi" "$wm" "$wlo" "$whi" "$mm" "$cm" "$sm" "$busy" "$ratio"
    done
done
