#!/usr/bin/env bash
# Shared by the in-process benchmarks (inbox, leads, import): a throwaway PostgreSQL cluster with the app's roles, then
# the named bench program run against it as the serving role (row-level security on). Stops and deletes the cluster.
# Usage: bench/private-pg.sh <name> <port> <project folder> <assembly name> [program arguments...]
# BENCH_KEEP=1 keeps the cluster afterwards (to EXPLAIN as console_app); BENCH_PG_OPTS adds server settings, e.g.
# BENCH_PG_OPTS="-c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=50ms -c auto_explain.log_analyze=on"
# logs the plan of every slow statement to the cluster's server.log.
set -euo pipefail
NAME="$1"; PORT="$2"; PROJECT="$3"; ASSEMBLY="$4"; shift 4
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL is not installed: run ./console.sh run (or test) once first." >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }
as_pg() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }
DIR="$ROOT/.data/bench-$NAME"
mkdir -p "$ROOT/.data"
if is_root && ! runuser -u postgres -- test -x "$ROOT/.data" 2>/dev/null; then DIR="/tmp/console-bench-$NAME-$PORT"; fi
as_pg "$PG_BIN/pg_ctl" -D "$DIR" -m fast -w stop >/dev/null 2>&1 || true
rm -rf "$DIR"; mkdir -p "$DIR"; is_root && chown postgres:postgres "$DIR"; chmod 700 "$DIR"
as_pg "$PG_BIN/initdb" -D "$DIR" -U postgres -E UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w -t 60 \
  -o "-p $PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories='$DIR' -c shared_buffers=256MB ${BENCH_PG_OPTS:-}" start >/dev/null
[ "${BENCH_KEEP:-}" = 1 ] || trap 'as_pg "$PG_BIN/pg_ctl" -D "$DIR" -m fast -w stop >/dev/null 2>&1; rm -rf "$DIR"' EXIT
as_pg psql -X -q -h "$DIR" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 <<'SQL'
ALTER ROLE postgres PASSWORD 'postgres';
CREATE ROLE console_owner LOGIN CREATEDB PASSWORD 'console_owner';
CREATE ROLE console_app LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD 'console_app';
CREATE DATABASE console_bench OWNER console_owner;
SQL
dotnet build "$ROOT/bench/$PROJECT" -c Release -nologo -v q | grep -E "error|Warn" || true
C="Host=127.0.0.1;Port=$PORT;Database=console_bench"
dotnet "$ROOT/bench/$(dirname "$PROJECT")/bin/Release/net10.0/$ASSEMBLY.dll" \
  --admin "$C;Username=postgres;Password=postgres" --owner "$C;Username=console_owner;Password=console_owner" \
  --app "$C;Username=console_app;Password=console_app" "$@"
