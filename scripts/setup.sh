#!/usr/bin/env bash
# What the README's commands need first: Debian packages (as root), Node packages, a build.
#   scripts/setup.sh serve   what serving needs: the lab, the benchmark tools (DUT and TM side)
#   scripts/setup.sh [test]  that, and what the tests need besides (Prometheus, Alertmanager, …)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
profile=${1:-test}

# The minimum is package.json's engines.node (">=MAJOR.MINOR"), checked as it is written there.
want=$(sed -n 's/.*"node": *">=\([0-9][0-9.]*\)".*/\1/p' package.json)
have=$(node -p 'process.versions.node' 2>/dev/null || echo none)
if [[ $have == none ]] || ! node -e '
  const [a, b] = [process.argv[1], process.argv[2]].map((v) => v.split(".").map(Number));
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) process.exit((a[i] ?? 0) > (b[i] ?? 0) ? 0 : 1);
' "$have" "$want"; then
  echo "edgebench needs Node.js $want or later (found: $have). Debian 13: apt install nodejs npm;" \
    "Debian 12 ships 18: install Node.js 20 LTS or later from nodejs.org or NodeSource (README.md, The two commands)" >&2
  exit 1
fi
lab/install-deps.sh "$profile"
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build
