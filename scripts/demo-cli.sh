#!/usr/bin/env bash
# A short tour of the `autowork` CLI on a throwaway data directory.
set -euo pipefail

bin=$1
demo=$2
rm -rf "$demo"
mkdir -p "$demo/workspace"
export AUTOWORK_DATA_DIR="$demo/data"

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

"$bin" --help
say "autowork automation create --title 'Nightly tests' ... --cron '0 2 * * *' --timezone Europe/Berlin"
created=$("$bin" automation create --json \
  --title "Nightly tests" \
  --prompt "Run the test suite and fix what broke. Keep changes small." \
  --workspace "$demo/workspace" \
  --model mock/mock-coder \
  --cron "0 2 * * *" --timezone Europe/Berlin)
id=$(printf "%s\n" "$created" | sed -n 's/.*"id": *"\(aut_[0-9a-f]*\)".*/\1/p' | head -n 1)
"$bin" automation show "$id"

say "autowork automation create --title 'Bad one' --cron '61 * * *' --timezone Mars/Base ...   (every problem at once, exit 2)"
"$bin" automation create --title "Bad one" --prompt "x" --workspace "$demo/workspace" \
  --model nobody/nothing --cron "61 * * *" --timezone Mars/Base || echo "(exit code $?)"

say "autowork automation update $id --expected-revision 1 --title 'Nightly tests and lint'"
"$bin" automation update "$id" --expected-revision 1 --title "Nightly tests and lint"
say "autowork automation update $id --expected-revision 1 --title 'stale'   (conflict, exit 1)"
"$bin" automation update "$id" --expected-revision 1 --title "stale" || echo "(exit code $?)"

say "autowork automation pause $id"
"$bin" automation pause "$id"
say "autowork automation list"
"$bin" automation list
say "autowork run list"
"$bin" run list
say "autowork events --since 0 --no-follow"
"$bin" events --since 0 --no-follow | cut -c1-160

printf '\nDemo data is in %s (remove it with `make clean-demo`).\n' "$demo"
