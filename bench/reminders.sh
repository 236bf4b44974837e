#!/usr/bin/env bash
# One command: ./bench/reminders.sh [count=10000]
# N appointment reminders due within one minute, fired by two nodes (clustered Quartz on one private PostgreSQL), each
# sent once. Runs the benchmark test on its own cluster (port 55480 unless BENCH_PG_PORT says otherwise) and prints its figures.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CONSOLE_BENCH_REMINDERS="${1:-10000}"
rm -f TestResults/bench-reminders.txt
status=0
CONSOLE_TEST_PG_PORT="${BENCH_PG_PORT:-55480}" ./console.sh test --filter "FullyQualifiedName~ReminderBenchmark" > /tmp/console-bench-reminders.log 2>&1 || status=$?
# The figures are printed whether or not the target was met.
if [[ -f TestResults/bench-reminders.txt ]]; then cat TestResults/bench-reminders.txt; else tail -n 40 /tmp/console-bench-reminders.log; fi
exit "$status"
