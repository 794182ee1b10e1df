#!/usr/bin/env bash
# Installs what the build and the tests need, only when something is missing: Debian
# packages through apt-get, tauri-driver through cargo (crates.io), UI packages through npm.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
missing=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

command -v cc >/dev/null || missing+=(build-essential)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v git >/dev/null || missing+=(git)
# The OS keychain (Secret Service over D-Bus) for API keys.
have_pkg libdbus-1-dev || missing+=(libdbus-1-dev)
# The desktop app (Tauri 2 on WebKitGTK), its tray and its end-to-end tests.
for pkg in libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev libssl-dev \
           xvfb xauth x11-utils dbus dbus-x11 webkit2gtk-driver; do
  have_pkg "$pkg" || missing+=("$pkg")
done
command -v node >/dev/null || missing+=(nodejs npm)
# A throwaway PostgreSQL for the team-database tests (scripts/with-postgres.sh runs
# `initdb`, `pg_ctl` and `createdb` from /usr/lib/postgresql/N/bin): the `postgresql`
# package is Debian's supported server (15 on Debian 12) and brings its client programs.
# Its own `main` cluster is not used.
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
compgen -G "/usr/lib/postgresql/*/bin/createdb" >/dev/null || missing+=(postgresql-client)

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  elif command -v sudo >/dev/null; then
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "please install these Debian packages first: ${missing[*]}" >&2
    exit 1
  fi
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "Node.js 20 or newer is needed for the UI build (found $(node --version))." >&2
  exit 1
fi

command -v tauri-driver >/dev/null || cargo install tauri-driver --locked --quiet

# npm packages (the UI's, the end-to-end test's) from their lockfiles, again only when a
# lockfile changed.
for dir in "$root/ui" "$root/tests/e2e"; do
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error)
  fi
done
