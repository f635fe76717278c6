#!/usr/bin/env bash
# The durable-job crash tests at full size: a real trawl process crawling a 10,000-page sandbox site is SIGKILLed
# five times at random moments (then resumed to the end), and separately interrupted with SIGINT (then resumed).
# Both check that every page's item is written exactly once and that little is fetched twice.
#
# Usage: bench/crash-test.sh [PAGES]        (default 10000; also read from TRAWL_CRASH_PAGES)
# Exit status: 0 when both tests pass, 1 otherwise. The last line says PASS or FAIL.
set -uo pipefail

cd "$(dirname "$0")/.."
pages="${1:-${TRAWL_CRASH_PAGES:-10000}}"

if ! command -v dotnet >/dev/null 2>&1; then
    echo "crash-test: FAIL (dotnet is not on PATH; install the .NET 10 SDK)" >&2
    exit 1
fi

filter="FullyQualifiedName~Resume_AfterFiveKills|FullyQualifiedName~Resume_AfterCtrlC"
log="$(mktemp -t trawl-crash-test.XXXXXX.log)"
echo "crash-test: $pages pages; filter: $filter"
echo "crash-test: full log in $log"

start=$(date +%s)
TRAWL_CRASH_PAGES="$pages" dotnet test tests/Trawl.Tests --filter "$filter" \
    --logger "console;verbosity=detailed" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
elapsed=$(( $(date +%s) - start ))

# Count what ran, so a filter that matches nothing is not mistaken for a pass.
passed=$(grep -cE '^\s+Passed Trawl\.Tests\.Cli\.JobLifecycleTests\.Resume_After' "$log" || true)
failed=$(grep -cE '^\s+Failed Trawl\.Tests\.Cli\.JobLifecycleTests\.Resume_After' "$log" || true)

if [[ $status -eq 0 && $passed -eq 2 && $failed -eq 0 ]]; then
    echo "crash-test: PASS ($passed/2 tests passed at $pages pages in ${elapsed}s)"
    exit 0
fi

echo "crash-test: FAIL (dotnet test exit $status; $passed passed, $failed failed at $pages pages in ${elapsed}s; see $log)"
exit 1
