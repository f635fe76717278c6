#!/usr/bin/env bash
# This build's trawl against another build's, in the same run, rounds interleaved, on the same nginx-served site: the
# before-and-after check of a refactor, as ratios that a shared, noisy machine does not skew (both builds meet the same
# load in each round).
#
# Usage: bench/compare-builds.sh BEFORE_TREE
#   BEFORE_TREE          a checkout of the other build (e.g. `git worktree add --detach /tmp/before <commit>`); its
#                        Release CLI is built when missing
#   PAGES=20000          synthetic pages of the exported site
#   ROUNDS=5             rounds; each runs `trawl bench --runs 1` of both builds, in alternating order
#   MODES="memory jobdir"
#   CONCURRENCY=64
#   PORT=18291           nginx's port
#   BIG_PAGES=0          how many of the pages are big (1-10 MiB, exported by this build's `sandbox export --big-pages`)
# Prints Markdown (medians of the rounds, the after/before ratio of each round and its median); a copy goes to
# bench/results/compare-builds-*.md.
. "$(dirname "$0")/lib.sh"

BEFORE_TREE="${1:?usage: bench/compare-builds.sh BEFORE_TREE}"
BEFORE_TREE="$(cd "$BEFORE_TREE" && pwd)"
PAGES="${PAGES:-20000}"
ROUNDS="${ROUNDS:-5}"
MODES="${MODES:-memory jobdir}"
CONCURRENCY="${CONCURRENCY:-64}"
PORT="${PORT:-18291}"

require nginx:nginx curl:curl
build
BEFORE_CLI="$BEFORE_TREE/src/Trawl.Cli/bin/Release/net10.0/Trawl.Cli.dll"
if [[ ! -f $BEFORE_CLI ]]; then
    log "building Release in $BEFORE_TREE"
    dotnet build -c Release "$BEFORE_TREE/src/Trawl.Cli" -v quiet -nologo >/dev/null
fi
before_commit=$(git -C "$BEFORE_TREE" rev-parse --short HEAD)
after_commit=$(git -C "$ROOT" rev-parse --short HEAD)

results="$ROOT/bench/results"
mkdir -p "$results"
stamp="$(date +%Y%m%d-%H%M%S)"
out="$results/compare-builds-$stamp.md"

BIG_PAGES="${BIG_PAGES:-0}"
site="$WORK/site-$PAGES-$PORT"
export_args=()
big_note=""
if (( BIG_PAGES > 0 )); then
    big_note=", $BIG_PAGES of them big (1-10 MiB)"
    site="$site-big$BIG_PAGES"
    export_args=(--big-pages "$BIG_PAGES")
fi
export_site "$site" "$PAGES" "$PORT" "${export_args[@]}"
start_nginx "$PORT" "$site"
url="http://127.0.0.1:$PORT/"

# run BUILD CLI MODE ROUND: one `trawl bench` run; appends "build mode round pages/s rss cpu-us/page pressure".
run() {
    local build="$1" cli="$2" mode="$3" round="$4" json="$WORK/compare-$1-$3-$4.json"
    local pressure
    pressure=$(cpu_pressure)
    dotnet "$cli" bench --url "$url" --mode "$mode" --runs 1 --concurrency "$CONCURRENCY" --json >"$json"
    python3 - "$json" "$build" "$mode" "$round" "$pressure" <<'PY' >>"$WORK/compare-rows.txt"
import json, sys
m = json.load(open(sys.argv[1]))["modes"][0]
print(sys.argv[2], sys.argv[3], sys.argv[4], round(m["pages_per_second"]), round(m["peak_rss_mib"]), round(m["cpu_microseconds_per_page"]), sys.argv[5])
PY
}

rm -f "$WORK/compare-rows.txt"
for round in $(seq 1 "$ROUNDS"); do
    for mode in $MODES; do
        wait_quiet
        log "round $round/$ROUNDS, $mode"
        if (( round % 2 )); then
            run before "$BEFORE_CLI" "$mode" "$round"; run after "$CLI" "$mode" "$round"
        else
            run after "$CLI" "$mode" "$round"; run before "$BEFORE_CLI" "$mode" "$round"
        fi
    done
done

{
    echo '```'
    machine
    echo '```'
    echo
    echo "Before: $before_commit ($BEFORE_TREE). After: $after_commit. Site: the sandbox site, $((PAGES + 1)) pages served by nginx$big_note; concurrency $CONCURRENCY; $ROUNDS rounds, each running both builds back to back in alternating order."
    echo
    python3 - "$WORK/compare-rows.txt" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
print("| Mode | Build | Pages/s, median [min–max] | Peak RSS MiB | CPU µs/page | After/before pages/s, median [min–max] of the rounds |")
print("|---|---|---:|---:|---:|---:|")
for mode in dict.fromkeys(r[1] for r in rows):
    by = {b: [r for r in rows if r[1] == mode and r[0] == b] for b in ("before", "after")}
    ratios = [float(a[3]) / float(b[3]) for a in by["after"] for b in by["before"] if a[2] == b[2]]
    for build in ("before", "after"):
        rate = [int(r[3]) for r in by[build]]
        ratio = f"**{statistics.median(ratios):.2f}** [{min(ratios):.2f}–{max(ratios):.2f}]" if build == "after" else ""
        print(f"| {mode} | {build} | {statistics.median(rate):,.0f} [{min(rate):,}–{max(rate):,}] | "
              f"{statistics.median(int(r[4]) for r in by[build]):,.0f} | {statistics.median(int(r[5]) for r in by[build]):,.0f} | {ratio} |")
pressure = [float(r[6]) for r in rows if r[6] != "-"]
if pressure:
    print(f"\nCPU pressure (PSI avg10) at the start of the runs: median {statistics.median(pressure):.0f}%, max {max(pressure):.0f}%.")
PY
} | tee "$out"
log "written to ${out#"$ROOT"/}"
