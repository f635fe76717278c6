#!/usr/bin/env bash
# Time from process start to the first request, and to exit, when a crawl resumes a job with many pending requests.
#
# Usage: bench/resume.sh
#   PENDING=1000000  pending requests in the seeded job
#   RUNS=7           rounds; each round runs: no job, a 1,000-request job, the PENDING job (rotating order)
#   PORT=18190
# Part 1 points the crawl at `Trawl.Bench.Jobs first-request`, a listener that notes when the first request arrives
# and answers 404. Part 2 times the whole process with hyperfine against a running sandbox site. Each run gets a fresh
# copy of the seeded job (a run changes it), made and synced to disk just before, so the job is at rest on disk and
# its pages are in the OS cache (a warm resume).
. "$(dirname "$0")/lib.sh"

PENDING="${PENDING:-1000000}"
RUNS="${RUNS:-7}"
PORT="${PORT:-18190}"

require hyperfine:hyperfine
build
machine >&2

base="http://127.0.0.1:$PORT"
seed() {
    local n="$1"
    local dir="$WORK/resume-seed-$n-$PORT"
    if [[ ! -f $dir/job.db ]]; then
        rm -rf "$dir"
        log "seeding $n pending requests"
        dotnet "$BENCH" seed "$dir" --pending "$n" --base-url "$base/" >&2
    fi
    echo "$dir"
}
big=$(seed "$PENDING")
small=$(seed 1000)
log "job sizes: $(du -sh "$big" | cut -f1) ($PENDING), $(du -sh "$small" | cut -f1) (1000)"

results="$ROOT/bench/results"
mkdir -p "$results"
stamp=$(date +%Y%m%d-%H%M%S)
csv="$results/resume-$stamp.csv"
echo "variant,round,first_request_ms,exit_ms,pressure_before" >"$csv"

crawl=(dotnet "$CLI" crawl --start "$base/pages/0" --allow "^http://127\\.0\\.0\\.1:$PORT/pages/" --limit 1 --no-progress --log-level error)
variants=(no-job job-1000 "job-$PENDING")
run="$WORK/resume-run"
for round in $(seq 1 "$RUNS"); do
    wait_quiet
    for i in "${!variants[@]}"; do
        variant="${variants[$(( (i + round) % ${#variants[@]} ))]}"
        rm -rf "$run"
        case "$variant" in
            no-job) args=(--no-job) ;;
            job-1000) cp -r "$small" "$run"; args=(--jobdir "$run") ;;
            *) cp -r "$big" "$run"; args=(--jobdir "$run") ;;
        esac
        sync
        pressure=$(cpu_pressure)
        line=$(dotnet "$BENCH" first-request --port "$PORT" -- "${crawl[@]}" "${args[@]}") || { echo "run failed: $line" >&2; exit 1; }
        echo "$variant,$round,$(field first_request_ms "$line"),$(field exit_ms "$line"),$pressure" | tee -a "$csv"
    done
done

echo
echo "Part 1: first-request listener ($RUNS rounds; median [min-max] ms); raw rows in ${csv#"$ROOT"/}"
echo "| variant | first request ms | exit ms |"
echo "|---|---|---|"
for variant in "${variants[@]}"; do
    read -r fm flo fhi _ < <(awk -F, -v v="$variant" '$1 == v { print $3 }' "$csv" | stats)
    read -r em elo ehi _ < <(awk -F, -v v="$variant" '$1 == v { print $4 }' "$csv" | stats)
    printf "| %s | %.0f [%.0f-%.0f] | %.0f [%.0f-%.0f] |\n" "$variant" "$fm" "$flo" "$fhi" "$em" "$elo" "$ehi"
done

echo
echo "Part 2: whole process with hyperfine, against the sandbox site"
start_sandbox "$PORT" --pages "$PENDING" --quote-pages 0
printf -v cmd '%q ' "${crawl[@]}"
wait_quiet
hyperfine --runs "$RUNS" --warmup 1 --style basic --export-markdown "$results/resume-$stamp-hyperfine.md" --export-json "$results/resume-$stamp-hyperfine.json" \
    --prepare "rm -rf '$run' && cp -r '$big' '$run' && sync" \
    -n "resume $PENDING pending" "$cmd --jobdir '$run'" \
    -n "resume 1000 pending" --prepare "rm -rf '$run' && cp -r '$small' '$run' && sync" "$cmd --jobdir '$run'" \
    -n "no job" --prepare "rm -rf '$run'" "$cmd --no-job"
echo "| command | median ms | min ms | max ms | runs |"
echo "|---|---|---|---|---|"
# hyperfine's JSON lists, per command, its name and then its statistics in seconds.
grep -oE '"(command|median|min|max)": ("[^"]*"|[0-9.e+-]+)' "$results/resume-$stamp-hyperfine.json" \
    | awk -F': ' -v runs="$RUNS" '{ gsub(/"/, "", $1); gsub(/"/, "", $2); v[$1] = $2 }
        $1 == "max" { printf "| %s | %.0f | %.0f | %.0f | %d |\n", v["command"], v["median"] * 1000, v["min"] * 1000, v["max"] * 1000, runs }'

echo
echo "Part 3: where the time goes, in-process (Trawl.Bench.Jobs open): opening with the default integrity check"
echo "(PRAGMA quick_check over the whole file up to 256 MiB) and with it off, then counting and the first lease"
stop_sandbox
ocsv="$results/resume-$stamp-open.csv"
echo "check,round,open_ms,counts_ms,lease_ms,close_ms" >"$ocsv"
for round in $(seq 1 "$RUNS"); do
    for check in default off; do
        rm -rf "$run" && cp -r "$big" "$run" && sync
        [[ $check == off ]] && extra=(--full-check-max-bytes 0) || extra=()
        line=$(dotnet "$BENCH" open "$run" "${extra[@]}")
        echo "$check,$round,$(field open_ms "$line"),$(field counts_ms "$line"),$(field lease_ms "$line"),$(field close_ms "$line")" | tee -a "$ocsv"
    done
done
echo "| integrity check | open ms | counts ms | first lease ms | close ms |"
echo "|---|---|---|---|---|"
for check in default off; do
    row="| $check |"
    for k in 3 4 5 6; do
        row+=" $(awk -F, -v c="$check" -v k="$k" '$1 == c { print $k }' "$ocsv" | stats | awk '{ printf "%.0f [%.0f-%.0f]", $1, $2, $3 }') |"
    done
    echo "$row"
done
rm -rf "$run"
