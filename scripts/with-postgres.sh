#!/usr/bin/env bash
# Runs a command beside a throwaway PostgreSQL server:
#
#   scripts/with-postgres.sh cargo nextest run -p autowork-core
#
# The server is a fresh cluster (Debian's `initdb` + `pg_ctl`) in a temp dir, reachable only
# through a Unix socket in that dir (no TCP port, so it never collides with another server
# or another run of this script). The command sees AUTOWORK_TEST_POSTGRES_URL, a superuser
# URL of an empty database; tests create their own databases from it. The server is stopped
# and the cluster removed when the command ends, fails, or is interrupted.
#
# PostgreSQL refuses to run as root, and CI runs as root: then the server runs as an
# unprivileged user (AUTOWORK_PG_USER, default `nobody`) and only root (which passes every
# permission check) and that user can reach the socket. As a normal user, everything runs
# as you.
#
# If AUTOWORK_TEST_POSTGRES_URL is already set (your own server), the command runs against
# it and nothing is started.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi

if [ -n "${AUTOWORK_TEST_POSTGRES_URL:-}" ]; then
  exec "$@"
fi

# The newest server version installed (Debian keeps each under /usr/lib/postgresql/N).
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "PostgreSQL's server is not installed: run scripts/install-deps.sh" \
       "(or apt-get install postgresql), or set AUTOWORK_TEST_POSTGRES_URL to a server of yours." >&2
  exit 1
fi

# As root: run each server program as the unprivileged user; otherwise as ourselves.
as_server=()
if [ "$(id -u)" -eq 0 ]; then
  pg_user=${AUTOWORK_PG_USER:-nobody}
  as_server=(runuser -u "$pg_user" --)
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/autowork-pg.XXXXXX")
data="$tmp/data"
socket="$tmp/socket"
log="$tmp/server.log"
started=0

cleanup() {
  local status=$?
  trap - EXIT INT TERM HUP
  if [ "$started" -eq 1 ]; then
    # `fast` ends the sessions the command may have left open; `immediate` if that hangs.
    (cd "$tmp" && "${as_server[@]}" "$bindir/pg_ctl" stop -D "$data" -m fast -w -t 20 >/dev/null 2>&1) ||
      (cd "$tmp" && "${as_server[@]}" "$bindir/pg_ctl" stop -D "$data" -m immediate -w >/dev/null 2>&1) ||
      true
  fi
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
# A signal ends the script through the EXIT trap, with the shell's usual status.
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

mkdir -p "$data" "$socket"
if [ ${#as_server[@]} -gt 0 ]; then
  # The temp dir stays root's; the server's user may enter it (not list it) and owns its
  # own two directories. The socket dir is that user's, mode 0700: no other user connects.
  chmod 0711 "$tmp"
  chown "$pg_user" "$data" "$socket"
  chmod 0700 "$data" "$socket"
  touch "$log"
  chown "$pg_user" "$log"
  # A TMPDIR inside a private directory (such as /root/tmp) cannot be entered by that user.
  if ! runuser -u "$pg_user" -- test -x "$data"; then
    echo "$pg_user cannot reach $tmp: set TMPDIR to a directory every user may enter (such as /tmp)" >&2
    exit 1
  fi
fi

# The cluster is disposable, so it trades durability for speed (no fsync, no sync at
# initdb). `C` collation sorts text byte by byte, as SQLite does, so ordered reads (keyset
# pagination by id) agree on both stores. Trust authentication: the socket is the access
# control.
start=$(date +%s%N)
(cd "$tmp" && "${as_server[@]}" "$bindir/initdb" -D "$data" -U postgres -A trust \
    -E UTF8 --locale=C --no-sync --no-instructions >"$log" 2>&1) || {
  cat "$log" >&2
  echo "initdb failed (output above)" >&2
  exit 1
}
started=1
server_options="-c listen_addresses= -k $socket -c fsync=off -c synchronous_commit=off"
server_options+=" -c full_page_writes=off -c max_connections=200"
(cd "$tmp" && "${as_server[@]}" "$bindir/pg_ctl" start -D "$data" -l "$log" -w -t 30 \
    -o "$server_options" >/dev/null) || {
  cat "$log" >&2
  echo "the PostgreSQL server did not start (log above)" >&2
  exit 1
}
"$bindir/createdb" -h "$socket" -U postgres autowork
ready=$(date +%s%N)

# `localhost` only fills the URL's host; the `host` parameter (the socket dir) replaces it.
export AUTOWORK_TEST_POSTGRES_URL="postgres://postgres@localhost/autowork?host=$socket"
echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') ready in" \
     "$(( (ready - start) / 1000000 )) ms on $socket" >&2

# Not `exec`: the trap must outlive the command to stop the server.
status=0
"$@" || status=$?
exit "$status"
