#!/usr/bin/env bash
# One command: ./bench/ingest-drain.sh [messages=10000] [workers=2] [batch=100]
# Webhook processing on its own, without requests sharing the CPU: accepts the deliveries with the processors off
# (bench/ingest.sh's saturation phase, Webhooks__Workers=0), stops the app, starts it again with the processors on,
# and times the backlog down to zero. Prints deliveries/s. Same private cluster and port as bench/ingest.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
N="${1:-10000}" WORKERS="${2:-2}" BATCH="${3:-100}"
OUT=$(mktemp)
APP_LOG=/tmp/console-bench-drain-app.log
cleanup() {
  pkill -f OperatorConsole.Bench.Ingest 2>/dev/null || true
  pkill -f "bench/ingest.sh" 2>/dev/null || true
  pkill -f "OperatorConsole.App" 2>/dev/null || true
  sleep 1
  CONSOLE_PG_NAME=bench CONSOLE_PG_PORT=55434 ./console.sh stop >/dev/null 2>&1 || true
  rm -f "$OUT"
}
trap cleanup EXIT
# 1. Accept N deliveries with nobody processing them (the load generator then waits; it is stopped below).
(Webhooks__Workers=0 bash bench/ingest.sh --messages "$N" 2>&1 | grep --line-buffered -v '^{"time"' > "$OUT") &
for _ in $(seq 1 600); do grep -q "webhook   saturation" "$OUT" 2>/dev/null && break; sleep 1; done
grep "webhook   saturation" "$OUT" || { cat "$OUT"; exit 1; }
pkill -f "OperatorConsole.App" || true
while pgrep -f "OperatorConsole.App" >/dev/null; do sleep 0.2; done
# 2. The same app, processors on.
export CONSOLE_PG_NAME=bench CONSOLE_PG_PORT=55434 CONSOLE_PG_OPTIONS="-c max_connections=300 ${BENCH_PG_OPTIONS:-}"
export ASPNETCORE_URLS=http://127.0.0.1:5099 ASPNETCORE_ENVIRONMENT=Production
# Production requires the public URL; the rate limiter still runs, with budgets the load cannot reach.
export Platform__PublicBaseUrl=http://127.0.0.1:5099 RateLimits__WebhooksPerSourcePerSecond=1000000 RateLimits__ApiPerKeyPerMinute=1000000
export Demo__Seed=false Bench__Enabled=true Platform__BootstrapApiKey=bench-platform-key Meta__AppSecret=bench-meta-secret
export Outbound__Mode=Loopback Logging__LogLevel__Default=Warning Agent__Workers=0
export Webhooks__Workers="$WORKERS" Webhooks__BatchSize="$BATCH"
pending() {
  PGPASSWORD=console_owner psql -X -h 127.0.0.1 -p 55434 -U console_owner -d console -Atc \
    "SET app.platform = 'on'; SELECT count(*) FROM webhook_deliveries WHERE state = 'Pending'" 2>/dev/null | tail -n 1
}
BEFORE=$(pending)
./console.sh run > "$APP_LOG" 2>&1 &
# Timed from the first delivery processed (start-up and migrations excluded) to an empty backlog.
while true; do
  p=$(pending); [ -n "$p" ] && [ "$p" -lt "$BEFORE" ] && break; sleep 0.1
done
# CPU seconds (user + system) of the app and of all PostgreSQL processes, read from /proc: what a delivery costs,
# which on a shared machine is steadier than how long the drain took.
cpu() { for pid in $(pgrep -f "$1"); do awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pid/stat" 2>/dev/null; done | awk '{ t += $1 } END { print t + 0 }'; }
APP_CPU0=$(cpu OperatorConsole.App) PG_CPU0=$(cpu "postgres")
START=$(date +%s.%N) FROM=$p
while [ "$(pending)" != "0" ]; do sleep 0.2; done
END=$(date +%s.%N)
APP_CPU1=$(cpu OperatorConsole.App) PG_CPU1=$(cpu "postgres")
awk -v n="$FROM" -v s="$START" -v e="$END" -v w="$WORKERS" -v b="$BATCH" \
  'BEGIN { printf "processing alone: %d deliveries in %.1f s → %.0f deliveries/s (%d workers, batches of %d)\n", n, e - s, n / (e - s), w, b }'
awk -v n="$FROM" -v a0="$APP_CPU0" -v a1="$APP_CPU1" -v p0="$PG_CPU0" -v p1="$PG_CPU1" -v hz="$(getconf CLK_TCK)" \
  'BEGIN { printf "CPU per delivery: app %.2f ms, PostgreSQL %.2f ms\n", (a1 - a0) / hz * 1000 / n, (p1 - p0) / hz * 1000 / n }'
