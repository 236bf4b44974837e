#!/usr/bin/env bash
# One command: ./bench/ingest.sh [extra args for the load generator, e.g. --messages 40000]
# Starts a private PostgreSQL (cluster "bench", port 55434) and the app (Release, port 5099, logs at Warning),
# runs the load generator, prints the figures, stops everything.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CONSOLE_PG_FRESH=1 CONSOLE_PG_NAME=bench CONSOLE_PG_PORT=55434 CONSOLE_PG_OPTIONS="-c max_connections=300 ${BENCH_PG_OPTIONS:-}"
export ASPNETCORE_URLS=http://127.0.0.1:5099 ASPNETCORE_ENVIRONMENT=Production
# Production requires the public URL; the rate limiter still runs, with budgets the load cannot reach.
export Platform__PublicBaseUrl=http://127.0.0.1:5099 RateLimits__WebhooksPerSourcePerSecond=1000000 RateLimits__ApiPerKeyPerMinute=1000000
export Demo__Seed=false Bench__Enabled=true Platform__BootstrapApiKey=bench-platform-key Meta__AppSecret=bench-meta-secret
# Production proves a connected number is the owner's by asking Graph: the load generator answers that on 5098.
export Outbound__Mode=Loopback Meta__GraphBaseUrl=http://127.0.0.1:5098 Logging__LogLevel__Default=Warning
# The channel path alone: the agent runner (offline responder here) would answer every message and share the CPU;
# it has its own benchmark (bench/agent.sh).
export Agent__Workers=0
dotnet build bench/ingest/Ingest.csproj -c Release -nologo -v q
./console.sh run > /tmp/console-bench-app.log 2>&1 &
APP=$!
trap 'kill $APP 2>/dev/null; wait $APP 2>/dev/null; ./console.sh stop >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 120); do
  curl -sf http://127.0.0.1:5099/health/ready >/dev/null 2>&1 && break
  sleep 1
done
curl -sf http://127.0.0.1:5099/health/ready >/dev/null || { tail -n 30 /tmp/console-bench-app.log; exit 1; }
dotnet bench/ingest/bin/Release/net10.0/OperatorConsole.Bench.Ingest.dll --url http://127.0.0.1:5099/ \
  --db "Host=127.0.0.1;Port=55434;Database=console;Username=console_owner;Password=console_owner" "$@"
