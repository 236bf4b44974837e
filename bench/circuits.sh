#!/usr/bin/env bash
# One command: ./bench/circuits.sh [--circuits 200] [--tenants 20] [--per-browser 25] [--messages 40] [--waves 5]
# The real app as its own process (Release, port 5396, Production, logs at Warning) on a private PostgreSQL cluster
# ("circuitsbench", port 55477, started empty); N agents sign in in Debian's Chromium (several browser contexts per
# browser process) and keep the live inbox open: N real Blazor Server circuits. Prints the app's memory per circuit
# (RSS and GC heap before vs after ÷ N), Chromium's own memory, and webhook → text on screen p50/p95/max with all N
# connected (one webhook at a time, then waves to every workspace at once). Stops everything at the end.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PORT="${BENCH_CIRCUITS_PG_PORT:-55477}" APP_PORT="${BENCH_CIRCUITS_APP_PORT:-5396}" GRAPH_PORT="${BENCH_CIRCUITS_GRAPH_PORT:-5397}"
export CONSOLE_PG_FRESH=1 CONSOLE_PG_NAME=circuitsbench CONSOLE_PG_PORT="$PORT" CONSOLE_PG_OPTIONS="-c max_connections=300 ${BENCH_PG_OPTIONS:-}"
export ASPNETCORE_URLS=http://127.0.0.1:$APP_PORT ASPNETCORE_ENVIRONMENT=Production
# Production requires the public URL; the rate limiters still run, with budgets the bench cannot reach (N sign-ins from one address).
export Platform__PublicBaseUrl=http://127.0.0.1:$APP_PORT RateLimits__WebhooksPerSourcePerSecond=1000000 RateLimits__ApiPerKeyPerMinute=1000000
export RateLimits__LoginPerIpPerMinute=1000000 RateLimits__LoginPerAccountPer15Minutes=1000000
export Demo__Seed=false Platform__BootstrapApiKey=bench-platform-key Meta__AppSecret=bench-meta-secret Outbound__Mode=Loopback
# The screen is what is measured: the agent does not answer (its turns have their own benchmark, bench/agent.sh).
export Agent__Workers=0 Meta__GraphBaseUrl=http://127.0.0.1:$GRAPH_PORT
export Metrics__ScrapeToken=bench-metrics Logging__LogLevel__Default=Warning CONSOLE_CHROMIUM="${CONSOLE_CHROMIUM:-/usr/bin/chromium}"
LOG=/tmp/console-circuits-bench-app.log
dotnet build bench/circuits/Circuits.csproj -c Release -nologo -v q | grep -E " error |rror\(s\)" || true
./console.sh run > "$LOG" 2>&1 &
APP=$!
# Production proves a connected number is the owner's by asking Graph: a one-line answer on $GRAPH_PORT.
python3 - "$GRAPH_PORT" <<'PY' &
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"id": self.path.split("?")[0].rstrip("/").split("/")[-1]}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json"); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
GRAPH=$!
trap 'kill $APP $GRAPH 2>/dev/null; wait $APP 2>/dev/null; ./console.sh stop >/dev/null 2>&1 || true' EXIT
# ./console.sh run builds the app first: on a loaded machine that alone takes minutes.
for _ in $(seq 1 900); do
  curl -sf "http://127.0.0.1:$APP_PORT/health/ready" >/dev/null 2>&1 && break
  kill -0 "$APP" 2>/dev/null || break
  sleep 1
done
curl -sf "http://127.0.0.1:$APP_PORT/health/ready" >/dev/null || { tail -n 30 "$LOG"; exit 1; }
dotnet bench/circuits/bin/Release/net10.0/OperatorConsole.Bench.Circuits.dll --url "http://127.0.0.1:$APP_PORT/" --pid "$APP" \
  --db "Host=127.0.0.1;Port=$PORT;Database=console;Username=console_owner;Password=console_owner" "$@"
