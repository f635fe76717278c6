#!/usr/bin/env bash
# The whole test suite while busy loops compete for the cores: the check that no test assumes timing, fairness or
# scheduling (issue 14: three green runs in a row with two busy loops).
#
# Usage: bench/suite-under-load.sh
#   RUNS=3      suite runs, one after another
#   LOOPS=2     busy loops (`while :; do :; done`), started before each run and killed after it
# Builds once (Debug, as the README's test command does), has ./test.sh install what the tests need when it is missing
# (before any busy loop starts), then runs the README's test command, `./test.sh --no-build`, RUNS times, each with its
# own busy loops. Prints one line per run (exit code, seconds, passed and failed) and exits non-zero if
# any run failed. The table is also saved as bench/results/suite-under-load-<time>.md; each run's console output goes
# to $WORK/suite-under-load-<time>-N.log (too big to keep in the repository).
. "$(dirname "$0")/lib.sh"

RUNS="${RUNS:-3}"
LOOPS="${LOOPS:-2}"
results="$ROOT/bench/results"
mkdir -p "$results"
stamp="$(date +%Y%m%d-%H%M%S)"

log "building"
dotnet build "$ROOT/Trawl.slnx" -v quiet -nologo >/dev/null
log "installing what the tests need, if missing"
"$ROOT/test.sh" --no-build --list-tests >/dev/null

loops=()
stop_loops() { for p in "${loops[@]}"; do kill "$p" 2>/dev/null; done; wait "${loops[@]}" 2>/dev/null || true; loops=(); }
trap stop_loops EXIT INT TERM

failed=0
table="$results/suite-under-load-$stamp.md"
row() { echo "$1" | tee -a "$table"; }
row "Suite under load: $LOOPS busy loops on $(nproc) cores, commit $(git -C "$ROOT" describe --always --dirty)"
row ""
row "| Run | Exit code | Seconds | Passed | Failed |"
row "|---:|---:|---:|---:|---:|"
for run in $(seq 1 "$RUNS"); do
    for _ in $(seq 1 "$LOOPS"); do (while :; do :; done) & loops+=($!); done
    out="$WORK/suite-under-load-$stamp-$run.log"
    start=$(date +%s)
    rc=0
    "$ROOT/test.sh" --no-build >"$out" 2>&1 || rc=$?
    seconds=$(( $(date +%s) - start ))
    stop_loops
    passed=$(grep -oE 'Passed: +[0-9]+' "$out" | awk '{ s += $2 } END { print s + 0 }' || true)
    fails=$(grep -oE 'Failed: +[0-9]+' "$out" | awk '{ s += $2 } END { print s + 0 }' || true)
    row "| $run | $rc | $seconds | $passed | $fails |"
    (( rc == 0 )) || failed=1
done
exit "$failed"
