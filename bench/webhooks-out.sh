#!/usr/bin/env bash
# One command: ./bench/webhooks-out.sh [--events-per-second 1000] [--seconds 10] [--ingest-rate 300] [--rounds 2]
# Starts a private PostgreSQL (cluster "bench-hooks", port 55435) and the app (Release, port 5191, logs at Warning) with
# a local receiver allowlisted, runs the load generator (which is also the receiver, on 5193), prints the figures,
# stops everything.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CONSOLE_PG_FRESH=1 CONSOLE_PG_NAME=bench-hooks CONSOLE_PG_PORT=55435 CONSOLE_PG_OPTIONS="-c max_connections=300 ${BENCH_PG_OPTIONS:-}"
export ASPNETCORE_URLS=http://127.0.0.1:5191 ASPNETCORE_ENVIRONMENT=Production
export Platform__PublicBaseUrl=http://127.0.0.1:5191 RateLimits__WebhooksPerSourcePerSecond=1000000 RateLimits__ApiPerKeyPerMinute=1000000
export Demo__Seed=false Bench__Enabled=true Platform__BootstrapApiKey=bench-platform-key Meta__AppSecret=bench-meta-secret
export Outbound__Mode=Loopback Meta__GraphBaseUrl=http://127.0.0.1:5192 Logging__LogLevel__Default=Warning
# The receiver is on loopback: the one private destination this run allows. The agent runner is off (bench/agent.sh).
export Network__PrivateAllowlist__0=127.0.0.1:5193 Agent__Workers=0
dotnet build bench/webhooks-out/WebhooksOut.csproj -c Release -nologo -v q
./console.sh run > /tmp/console-bench-hooks-app.log 2>&1 &
APP=$!
trap 'kill $APP 2>/dev/null; wait $APP 2>/dev/null; CONSOLE_PG_NAME=bench-hooks CONSOLE_PG_PORT=55435 ./console.sh stop >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 120); do
  curl -sf http://127.0.0.1:5191/health/ready >/dev/null 2>&1 && break
  sleep 1
done
curl -sf http://127.0.0.1:5191/health/ready >/dev/null || { tail -n 30 /tmp/console-bench-hooks-app.log; exit 1; }
dotnet bench/webhooks-out/bin/Release/net10.0/OperatorConsole.Bench.WebhooksOut.dll --url http://127.0.0.1:5191/ \
  --db "Host=127.0.0.1;Port=55435;Database=console;Username=console_owner;Password=console_owner" "$@"
