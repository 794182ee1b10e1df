#!/usr/bin/env bash
# Runs the end-to-end tests in the real app (or, given a script, that script): a virtual display (Xvfb), a private D-Bus
# session bus (notifications are captured there), tauri-driver + WebKitWebDriver.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
display=":${E2E_DISPLAY:-97}"

Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  xdpyinfo -display "$display" >/dev/null 2>&1 && break
  sleep 0.1
done

export DISPLAY="$display"
export NO_AT_BRIDGE=1
# A bus that starts no services of its own (the default one starts desktop daemons that
# crash without a real session).
# With an argument, runs that script instead of the tests (the desktop benchmark).
if [ $# -gt 0 ]; then
  dbus-run-session --config-file="$root/scripts/dbus-session.conf" -- node "$@"
else
  dbus-run-session --config-file="$root/scripts/dbus-session.conf" -- \
    node --test --test-reporter=spec "$root/tests/e2e/"
fi
