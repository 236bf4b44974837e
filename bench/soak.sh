#!/usr/bin/env bash
# One command: ./bench/soak.sh [--minutes 30] [--rate 300] [--customers 20000] [--tenants 4] [--burst 3]
# The real app as its own process (Release, port 5296, Production, logs at Warning) on a private PostgreSQL cluster
# ("soakbench", port 55476, started empty), the agent on an instant fake model the bench serves on port 5297, and a
# steady open-loop signed WhatsApp webhook load at the rate for the duration. Prints per minute: accepted, ingest
# p50/p99, replies sent, app RSS and GC heap (/proc and /metrics), app CPU, database connections, backlogs; then flat
# or not (first vs last minutes, slope) and 0 lost (every accepted delivery stored once, every customer answered).
# Stops everything at the end. The figures of a run go to stdout (tee them: ./bench/soak.sh | tee soak.txt).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PORT="${BENCH_SOAK_PG_PORT:-55476}" APP_PORT="${BENCH_SOAK_APP_PORT:-5296}" LLM_PORT="${BENCH_SOAK_LLM_PORT:-5297}"
export CONSOLE_PG_FRESH=1 CONSOLE_PG_NAME=soakbench CONSOLE_PG_PORT="$PORT" CONSOLE_PG_OPTIONS="-c max_connections=300 ${BENCH_PG_OPTIONS:-}"
export ASPNETCORE_URLS=http://127.0.0.1:$APP_PORT ASPNETCORE_ENVIRONMENT=Production
# Production requires the public URL; the rate limiter still runs, with budgets the load cannot reach.
export Platform__PublicBaseUrl=http://127.0.0.1:$APP_PORT RateLimits__WebhooksPerSourcePerSecond=1000000 RateLimits__ApiPerKeyPerMinute=1000000
export Demo__Seed=false Platform__BootstrapApiKey=bench-platform-key Meta__AppSecret=bench-meta-secret Outbound__Mode=Loopback
export Llm__ApiKey=bench-llm-key Llm__Endpoint=http://127.0.0.1:$LLM_PORT/v1 Meta__GraphBaseUrl=http://127.0.0.1:$LLM_PORT
export Metrics__ScrapeToken=bench-metrics Logging__LogLevel__Default=Warning
LOG=/tmp/console-soak-bench-app.log
dotnet build bench/soak/Soak.csproj -c Release -nologo -v q | grep -E " error |rror\(s\)" || true
./console.sh run > "$LOG" 2>&1 &
APP=$!
trap 'kill $APP 2>/dev/null; wait $APP 2>/dev/null; ./console.sh stop >/dev/null 2>&1 || true' EXIT
# ./console.sh run builds the app first: on a loaded machine that alone takes minutes.
for _ in $(seq 1 900); do
  curl -sf "http://127.0.0.1:$APP_PORT/health/ready" >/dev/null 2>&1 && break
  kill -0 "$APP" 2>/dev/null || break
  sleep 1
done
curl -sf "http://127.0.0.1:$APP_PORT/health/ready" >/dev/null || { tail -n 30 "$LOG"; exit 1; }
# The cluster's postmaster, for PostgreSQL's share of the CPU (console.sh keeps the cluster under .data, or /tmp as root
# when .data is not enterable by the postgres user).
PG_PID=$(cat "$ROOT/.data/soakbench/postmaster.pid" /tmp/console-*-soakbench/postmaster.pid 2>/dev/null | head -n 1 || true)
# ./console.sh run ends in exec: $APP is the app's own process (its /proc figures are the app's).
dotnet bench/soak/bin/Release/net10.0/OperatorConsole.Bench.Soak.dll --url "http://127.0.0.1:$APP_PORT/" --pid "$APP" --pg-pid "${PG_PID:-0}" --llm-port "$LLM_PORT" \
  --db "Host=127.0.0.1;Port=$PORT;Database=console;Username=console_owner;Password=console_owner" "$@"
