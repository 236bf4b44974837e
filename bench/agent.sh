#!/usr/bin/env bash
# One command: ./bench/agent.sh [--warmup 20] [--sequential 100] [--conversations 200] [--burst 3] [--model-ms 0]
# Starts a private PostgreSQL (cluster "agentbench", port 55537) and the app (Release, port 5196) with the LLM pointed
# at an instant fake model the bench serves on port 5197; prints the turn overhead (everything but model time)
# p50/p95 and whether 200 conversations bursting at once were each answered exactly once. Stops everything.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CONSOLE_PG_FRESH=1 CONSOLE_PG_NAME=agentbench CONSOLE_PG_PORT=55537 CONSOLE_PG_OPTIONS="-c max_connections=300"
export ASPNETCORE_URLS=http://127.0.0.1:5196 ASPNETCORE_ENVIRONMENT=Production
# Production requires the public URL; the rate limiter still runs, with budgets the load cannot reach.
export Platform__PublicBaseUrl=http://127.0.0.1:5196 RateLimits__WebhooksPerSourcePerSecond=1000000 RateLimits__ApiPerKeyPerMinute=1000000
export Demo__Seed=false Platform__BootstrapApiKey=bench-platform-key Meta__AppSecret=bench-meta-secret Outbound__Mode=Loopback
export Llm__ApiKey=bench-llm-key Llm__Endpoint=http://127.0.0.1:5197/v1 Agent__PollMilliseconds=50
# Production proves a connected number is the owner's by asking Graph: the bench's fake model server answers that too.
export Meta__GraphBaseUrl=http://127.0.0.1:5197
export Logging__LogLevel__Default=Warning
LOG=/tmp/console-agent-bench-app.log
dotnet build bench/agent/Agent.csproj -c Release -nologo -v q
# A configuration key with dots is not a shell identifier: pass it through env.
env "Logging__LogLevel__OperatorConsole.Infrastructure.Agent.AgentRunner=Information" ./console.sh run > "$LOG" 2>&1 &
APP=$!
trap 'kill $APP 2>/dev/null; wait $APP 2>/dev/null; ./console.sh stop >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 120); do
  curl -sf http://127.0.0.1:5196/health/ready >/dev/null 2>&1 && break
  sleep 1
done
curl -sf http://127.0.0.1:5196/health/ready >/dev/null || { tail -n 30 "$LOG"; exit 1; }
dotnet bench/agent/bin/Release/net10.0/OperatorConsole.Bench.Agent.dll --url http://127.0.0.1:5196/ --log "$LOG" \
  --db "Host=127.0.0.1;Port=55537;Database=console;Username=console_owner;Password=console_owner" "$@"
