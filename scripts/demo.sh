#!/usr/bin/env bash
# The whole flow with no API key: a scripted model server, a throwaway git repository, an
# automation drafted from a sentence (least privilege applied, nothing saved until it is
# imported), and its run: it reads a file, asks permission to edit it, edits it, runs a command and
# succeeds. Answer the permission prompt yourself (o = once); without a terminal it is
# answered for you.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/target/debug"
demo=$(mktemp -d "${TMPDIR:-/tmp}/autowork-demo.XXXXXX")
export AUTOWORK_DATA_DIR="$demo/data"

cleanup() {
  [ -n "${mock_pid:-}" ] && kill "$mock_pid" 2>/dev/null || true
}
trap cleanup EXIT

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }

repo="$demo/project"
mkdir -p "$repo"
printf '# Demo\n\nTODO: describe the project\n' > "$repo/README.md"
git -C "$repo" init -q
git -C "$repo" -c user.name=demo -c user.email=demo@example.com add README.md
git -C "$repo" -c user.name=demo -c user.email=demo@example.com commit -qm "initial"

say "Starting the scripted model server (autowork-mock-llm)"
"$bin/autowork-mock-llm" --script "$root/crates/mock-llm/scripts/demo.json" --port 0 \
  > "$demo/mock.out" 2> "$demo/mock.log" &
mock_pid=$!
for _ in $(seq 100); do
  grep -q "listening on" "$demo/mock.out" 2>/dev/null && break
  sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$demo/mock.out")
echo "model server at $url"

say "\$ autowork provider add --id mock --kind openai-compatible --base-url $url/v1"
"$bin/autowork" provider add --id mock --kind openai-compatible --base-url "$url/v1"

sentence="Replace the TODO in README.md with a one-line description, then check the diff with git"
say "\$ autowork automation draft \"$sentence\" --workspace $repo -o tidy.json"
# The scripted model proposes network access too: the draft takes it out (not asked for).
"$bin/autowork" automation draft "$sentence" --workspace "$repo" --model mock/mock-coder \
  --output "$demo/tidy.json"

say "\$ autowork automation import tidy.json   (edits ask; git commands are allowed)"
created=$("$bin/autowork" automation import --json "$demo/tidy.json")
id=$(printf '%s\n' "$created" | sed -n 's/.*"id": *"\(aut_[0-9a-f]*\)".*/\1/p' | head -n 1)
echo "created $id"

say "\$ autowork run-now $id --attended"
if [ -t 0 ]; then
  "$bin/autowork" run-now "$id" --attended
else
  printf 'o\n' | "$bin/autowork" run-now "$id" --attended
fi

say "\$ git diff   (in $repo)"
git -C "$repo" --no-pager diff

say "\$ autowork run list --automation $id"
"$bin/autowork" run list --automation "$id"
printf '\nDemo data: %s\n' "$demo"
