#!/usr/bin/env bash
# Sluice build script.
#   ./build.sh test    install what is missing (apt-get: PostgreSQL, Redis, Chromium; npm ci), build, run every test (.NET and JavaScript)
#   ./build.sh build   build only
#   ./build.sh pack    the NuGet packages (Sluice.Protocol, Sluice.Client, the Sluice.AspNetCore library, the Sluice.Server tool), Release, into artifacts/packages
set -euo pipefail
cd "$(dirname "$0")"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root to install packages: $*" >&2; exit 1; fi
}

apt_updated=false
apt_install() {
  if [ "$apt_updated" = false ]; then as_root apt-get update -qq; apt_updated=true; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

ensure_postgres() {
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
    echo "Installing PostgreSQL server binaries..."
    apt_install postgresql
  fi
}

ensure_redis() {
  # The cluster tests start a real redis-server (Debian's package) next to the servers.
  if ! command -v redis-server >/dev/null && ! [ -x /usr/bin/redis-server ]; then
    echo "Installing Redis for the cluster tests..."
    apt_install redis-server
  fi
}

ensure_chromium() {
  # The dashboard test drives Debian's Chromium headless through Playwright for .NET (no browser download).
  if [ -z "${SLUICE_CHROMIUM:-}" ] && ! [ -x /usr/bin/chromium ]; then
    echo "Installing Chromium for the dashboard test..."
    apt_install chromium
  fi
}

ensure_node() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "Installing Node.js and npm (for the realtime-js compatibility tests and the JavaScript clients)..."
    apt_install nodejs npm
  fi
  (cd test/compat && npm ci --no-audit --no-fund)
  # The JavaScript clients (workspace), React 18 for their hook tests, and the React sample, all from their lockfiles.
  (cd clients/js && npm ci --no-audit --no-fund)
  (cd clients/js/test/react18 && npm ci --no-audit --no-fund)
  (cd samples/react-products && npm ci --no-audit --no-fund)
}

build_js() {
  # @sluice/client and @sluice/react (tsc), then the sample that uses them (vite build); the .NET integration tests use both.
  (cd clients/js && npm run build --silent)
  (cd samples/react-products && npm run build --silent)
}

ensure_dotnet() {
  command -v dotnet >/dev/null || { echo "the .NET 10 SDK is required (https://dot.net)" >&2; exit 1; }
}

run_tests() {
  local log jslog status jsstatus
  log=$(mktemp)
  jslog=$(mktemp)
  set +e
  # The JavaScript clients' unit tests (node --test: React 19, then the hook tests again with React 18).
  (cd clients/js && npm test --silent) 2>&1 | tee "$jslog"
  jsstatus=${PIPESTATUS[0]}
  dotnet test Sluice.slnx -c Release --nologo --filter "Category!=Quarantined" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  # Quarantined tests (docs/development.md) run too, but apart: their result is printed, not counted, and does not fail.
  dotnet test test/Sluice.IntegrationTests -c Release --nologo --no-build --filter "Category=Quarantined" 2>&1 \
    | grep -E "^(Passed|Failed)!|\[FAIL\]" | sed 's/^/quarantined: /'
  set -e
  # One summary line over all test projects: dotnet's Passed!/Failed! lines plus node's "ℹ pass N" / "ℹ fail N".
  { cat "$log"; sed 's/^/node: /' "$jslog"; } | awk '
       /(Passed|Failed)!/ { for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1) } }
       /^node: (ℹ|#) pass [0-9]+$/ { p += $NF }
       /^node: (ℹ|#) fail [0-9]+$/ { f += $NF }
       END { printf "%d passed, %d failed\n", p, f }'
  rm -f "$log" "$jslog"
  if [ "$jsstatus" -ne 0 ]; then return "$jsstatus"; fi
  return "$status"
}

case "${1:-test}" in
  build)
    ensure_dotnet
    dotnet build Sluice.slnx -c Release --nologo
    ;;
  test)
    ensure_dotnet
    ensure_postgres
    ensure_redis
    ensure_chromium
    ensure_node
    build_js
    dotnet build Sluice.slnx -c Release --nologo
    run_tests
    ;;
  pack)
    ensure_dotnet
    # Sluice.Client's pack also packs Sluice.Protocol (see its .csproj), on which Sluice.AspNetCore (the server as a
    # library: AddSluice/MapSluice) depends too; Sluice.Server is the `sluice` dotnet tool.
    dotnet pack src/Sluice.Client -c Release --nologo -o artifacts/packages
    dotnet pack src/Sluice.AspNetCore -c Release --nologo -o artifacts/packages
    dotnet pack src/Sluice.Server -c Release --nologo -o artifacts/packages
    ls -1 artifacts/packages/*.nupkg
    ;;
  *)
    echo "usage: $0 [test|build|pack]" >&2
    exit 2
    ;;
esac
