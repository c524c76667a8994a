#!/usr/bin/env bash
# The test command: lint, type-check, and the whole suite, lab tests included (they need root).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ $(id -u) -ne 0 ]]; then
  echo "the tests build network namespaces, LXC containers and dropbear servers: run them as root (sudo $0)" >&2
  exit 1
fi
scripts/setup.sh
npm run --silent lint
mkdir -p .test-output
status=0
npm test -- --reporter=default --reporter=json --outputFile.json=.test-output/vitest.json || status=$?
node -e 'const r = require("./.test-output/vitest.json");
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed`)' || true
exit "$status"
