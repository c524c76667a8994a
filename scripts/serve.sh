#!/usr/bin/env bash
# The main job: serve /metrics continuously. With no DUT configured (no config file given, none
# at ./edgebench.yml, or one whose `duts` is empty) it builds the one-host lab and measures that.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh

config=${1:-${EDGEBENCH_CONFIG:-edgebench.yml}}
duts=0
if [[ -f $config ]]; then
  duts=$(node --input-type=module -e "import { parse } from 'yaml'; import { readFileSync } from 'node:fs';
    console.log((parse(readFileSync(process.argv[1], 'utf8'))?.duts ?? []).length)" "$config")
fi
if ((duts == 0)); then
  echo "edgebench: no DUT configured in $config: building the one-host lab 'main'" >&2
  config=$(lab/edgebench-lab up main)
fi
exec node dist/cli.js serve -c "$config"
