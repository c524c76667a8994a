#!/usr/bin/env bash
# Builds edgebench and the benchmarks, then runs the benchmarks one after the other (never two at
# once: they share the machine's cores), each one's output in OUTDIR/NAME.txt and on the terminal.
# EDGEBENCH_CLI=… measures another build (an earlier commit's, see README.md); exec-parts,
# exporter-scale and metrics-render always use this checkout's src/, compiled with the benchmarks.
#
#   sudo bench/run-all.sh [OUTDIR] [SCRIPT…]     e.g. bench/run-all.sh /tmp/bench fidelity overhead
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:-bench-results}
shift || true
scripts=("$@")
((${#scripts[@]})) || scripts=(exec-parts overhead round-efficiency fidelity footprint exporter-scale metrics-render hostile-dut slow-dut)
npm run --silent build && npx tsc -p bench/tsconfig.json || exit 1
mkdir -p "$out"
status=0
for s in "${scripts[@]}"; do
  echo "== node dist-bench/bench/$s.js" | tee "$out/$s.txt"
  node "dist-bench/bench/$s.js" 2>&1 | tee -a "$out/$s.txt"
  rc=${PIPESTATUS[0]}
  echo "== exit $rc" | tee -a "$out/$s.txt"
  ((rc == 0)) || status=1
done
exit "$status"
