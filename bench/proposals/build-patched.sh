#!/usr/bin/env bash
# Builds this checkout's src/ with a proposed patch applied, in a scratch copy (src/ itself is not
# touched), and prints the copy's cli.js: measure it with EDGEBENCH_CLI=THAT node dist/bench/X.js
# for the "after" figures of bench/RESULTS.md.
#
#   EDGEBENCH_CLI=$(bench/proposals/build-patched.sh bench/proposals/kill-one-grep.patch) node dist/bench/overhead.js
set -euo pipefail
patch_file=$(realpath "${1:?usage: build-patched.sh PATCH}")
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir=$(mktemp -d /tmp/edgebench-proposal.XXXXXX)
cp -r "$root/src" "$root/package.json" "$root/tsconfig.json" "$root/tsconfig.build.json" "$dir/"
ln -s "$root/node_modules" "$dir/node_modules"
(cd "$dir" && patch -p1 -s <"$patch_file" >&2 && npx tsc -p tsconfig.build.json >&2) || {
  echo "build-patched: $(basename "$patch_file") does not apply to this checkout's src/ or does not build" >&2
  exit 1
}
echo "$dir/dist/cli.js"
