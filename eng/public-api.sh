#!/usr/bin/env bash
# Regenerates the public API baseline of a library project from its code: every public symbol goes to
# PublicAPI.Shipped.txt, and PublicAPI.Unshipped.txt is left empty for the changes that come after.
#   eng/public-api.sh src/Trawl.Redis        (or src/Trawl; several projects may be given)
# Use it to (re)start a baseline, for example after a merge that reshaped a project's API on purpose. For a change
# made on purpose otherwise, add its lines to PublicAPI.Unshipped.txt (the IDE's fix for RS0016 does it).
set -euo pipefail
cd "$(dirname "$0")/.."
for project in "$@"; do
  project="${project%/}"
  csproj=$(ls "$project"/*.csproj)
  printf '#nullable enable\n' > "$project/PublicAPI.Shipped.txt"
  printf '#nullable enable\n' > "$project/PublicAPI.Unshipped.txt"
  # RS0016 (a public symbol that is not in the baseline): its code fix writes the symbol to PublicAPI.Unshipped.txt.
  dotnet format analyzers "$csproj" --diagnostics RS0016 --severity info --verbosity quiet
  { printf '#nullable enable\n'; grep -v '^#nullable enable$' "$project/PublicAPI.Unshipped.txt" | LC_ALL=C sort; } > "$project/PublicAPI.Shipped.txt"
  printf '#nullable enable\n' > "$project/PublicAPI.Unshipped.txt"
  echo "$project: $(($(wc -l < "$project/PublicAPI.Shipped.txt") - 1)) public symbols in PublicAPI.Shipped.txt"
done
