#!/usr/bin/env bash
# The full suite N times in a row (default 5) while `npm run bench` runs beside it in a loop (issue 12's
# "passes 5 times in a row while npm run bench runs beside it"). Run from a checkout with node_modules
# installed: `bash scripts/soak.sh [N]`. Each run is the README's test command (`npm test`: typecheck,
# lint, format check, vitest with coverage thresholds); its counts come from vitest's JSON report. Stops at
# the first failing run. The bench loop's figures go to a temporary file (bench/results.json is left alone);
# the loop is asked to stop after the last run and the script waits for its current bench to end, so no
# embedded PostgreSQL or simulator process is left behind. Prints one line per run and, last,
# "N passed, N failed" counted in runs. Not part of CI: it takes about an hour on a 2-core machine.
set -uo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
case "$runs" in
  '' | *[!0-9]*)
    echo "usage: bash scripts/soak.sh [runs]   (runs: a positive integer, default 5)" >&2
    exit 2
    ;;
esac
[ "$runs" -ge 1 ] || { echo "runs must be at least 1" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/mx-soak.XXXXXX")
chmod 755 "$work"
stop_flag="$work/stop"
bench_log="$work/bench.log"

# The bench loop: one full `npm run bench` after another until the stop flag exists.
(
  n=0
  while [ ! -e "$stop_flag" ]; do
    n=$((n + 1))
    start=$(date +%s)
    if npm run -s bench -- --out "$work/bench-results.json" >>"$bench_log" 2>&1; then rc=0; else rc=$?; fi
    echo "bench $n: rc=$rc $(($(date +%s) - start)) s" >>"$work/bench-runs.log"
  done
) &
bench_loop=$!

passed_runs=0
failed_runs=0
for i in $(seq 1 "$runs"); do
  report="$work/vitest-$i.json"
  start=$(date +%s)
  load_before=$(cut -d' ' -f1 /proc/loadavg)
  npm test -- --reporter=dot --reporter=json --outputFile.json="$report" >"$work/test-$i.log" 2>&1
  status=$?
  seconds=$(($(date +%s) - start))
  counts=$(node -e '
    const fs = require("fs");
    if (!fs.existsSync(process.argv[1])) { console.log("no vitest report (typecheck, lint or format failed)"); process.exit(0); }
    const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    console.log(`${r.numPassedTests} tests passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
  ' "$report")
  benches=$(grep -c . "$work/bench-runs.log" 2>/dev/null || echo 0)
  echo "run $i: exit $status, $counts, ${seconds} s, load ${load_before} -> $(cut -d' ' -f1 /proc/loadavg), bench runs ended so far: ${benches}"
  if [ "$status" -eq 0 ]; then
    passed_runs=$((passed_runs + 1))
  else
    failed_runs=$((failed_runs + 1))
    echo "run $i failed; its output: $work/test-$i.log"
    tail -n 60 "$work/test-$i.log"
    break
  fi
done

touch "$stop_flag"
echo "waiting for the bench beside it to finish its current run..."
wait "$bench_loop"
echo "bench runs beside the suite:"
cat "$work/bench-runs.log" 2>/dev/null
echo "logs: $work"
echo "${passed_runs} passed, ${failed_runs} failed"
