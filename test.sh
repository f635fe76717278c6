#!/usr/bin/env bash
# The test command: installs what the tests need when it is missing, then runs the whole suite.
#   ./test.sh                      every test
#   ./test.sh --filter Category    any `dotnet test` argument is passed on
# Needs the .NET SDK (global.json). From Debian's packages, when missing: redis-server (distributed mode's tests start
# their own servers on free ports), openssl (the TLS test's certificate), python3 (eng/ns-cycles.py, run by the
# layering test), tmux (the live display's tests run trawl in a real terminal) and chromium (the rendering tests start
# Debian's Chromium through Playwright; Playwright's own browser download is not used). Installing needs root or sudo.
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

packages=()
command -v redis-server >/dev/null 2>&1 || packages+=(redis-server)
command -v openssl >/dev/null 2>&1 || packages+=(openssl)
command -v python3 >/dev/null 2>&1 || packages+=(python3)
command -v tmux >/dev/null 2>&1 || packages+=(tmux)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1 || [[ -n ${TRAWL_BROWSER:-} ]] || packages+=(chromium)

if ((${#packages[@]})); then
  echo "test.sh: installing ${packages[*]} (apt-get)" >&2
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "test.sh: ${packages[*]} missing, and installing them needs root: apt-get install ${packages[*]}" >&2
      exit 2
    fi
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq "${packages[@]}" >/dev/null
  # Debian's package also starts a system-wide redis-server on port 6379; the tests do not use it.
fi

exec dotnet test Trawl.slnx "$@"
