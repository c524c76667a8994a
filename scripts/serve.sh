#!/usr/bin/env bash
# The main job: serve /metrics continuously, against the DUTs of CONFIG (the first argument, else
# $EDGEBENCH_CONFIG, else ./edgebench.yml; a relative path is relative to where this is run from).
# CONFIG is checked first, as `check-config` checks it: with any error, the errors go to stderr and
# this exits 2. Only when CONFIG does not exist, or says `duts: []`, it builds the one-host lab
# and measures that: a file that cannot be read, or a typo such as `dut:`, is an error, not a lab.
#
# EDGEBENCH_SKIP_SETUP=1 skips scripts/setup.sh (Debian packages, npm ci, build), for tests that
# run this script against a build that is already there.
set -euo pipefail
config=${1:-${EDGEBENCH_CONFIG:-edgebench.yml}}
[[ $config == /* ]] || config=$PWD/$config
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ ${EDGEBENCH_SKIP_SETUP:-} == 1 ]] || scripts/setup.sh serve

if [[ -e $config || -L $config ]]; then
  # the same validation as check-config, whose errors reach stderr as they are
  summary=$(node dist/cli.js check-config "$config") || exit
  # "FILE: valid (N DUT(s), M job(s) per round)": N without parsing YAML here
  if [[ ! $summary =~ \(([0-9]+)\ DUT\(s\),\ [0-9]+\ job\(s\)\ per\ round\)$ ]]; then
    echo "edgebench: cannot tell the number of DUTs from check-config's output: $summary" >&2
    exit 1
  fi
  if ((BASH_REMATCH[1] > 0)); then
    exec node dist/cli.js serve -c "$config"
  fi
  echo "edgebench: $config says \`duts: []\`: building the one-host lab 'main'" >&2
else
  echo "edgebench: no configuration at $config: building the one-host lab 'main'" >&2
fi
config=$(lab/edgebench-lab up main)
exec node dist/cli.js serve -c "$config"
