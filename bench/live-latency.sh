#!/usr/bin/env bash
# One command: ./bench/live-latency.sh [extra args for the probe, e.g. --messages 500]
# Starts a private PostgreSQL (cluster "livebench", port 55535) and the app (Release, port 5198, demo seed, logs at
# Warning), signs in as the demo agent in Chromium, posts signed WhatsApp webhooks one at a time and prints
# p50/p95/max from the POST to the change on the agent's screen. Stops everything at the end.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CONSOLE_PG_NAME=livebench CONSOLE_PG_PORT=55535
export ASPNETCORE_URLS=http://127.0.0.1:5198 ASPNETCORE_ENVIRONMENT=Production
# Production requires the public URL; the rate limiter still runs, with budgets the load cannot reach.
export Platform__PublicBaseUrl=http://127.0.0.1:5198 RateLimits__WebhooksPerSourcePerSecond=1000000 RateLimits__ApiPerKeyPerMinute=1000000
export Demo__Seed=true Meta__AppSecret=bench-meta-secret Outbound__Mode=Loopback Logging__LogLevel__Default=Warning
dotnet build bench/live/Live.csproj -c Release -nologo -v q
./console.sh run > /tmp/console-live-bench-app.log 2>&1 &
APP=$!
trap 'kill $APP 2>/dev/null; wait $APP 2>/dev/null; ./console.sh stop >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 120); do
  curl -sf http://127.0.0.1:5198/health/ready >/dev/null 2>&1 && break
  sleep 1
done
curl -sf http://127.0.0.1:5198/health/ready >/dev/null || { tail -n 30 /tmp/console-live-bench-app.log; exit 1; }
dotnet bench/live/bin/Release/net10.0/OperatorConsole.Bench.Live.dll --url http://127.0.0.1:5198/ \
  --db "Host=127.0.0.1;Port=55535;Database=console;Username=console_owner;Password=console_owner" "$@"
