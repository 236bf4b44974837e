#!/usr/bin/env bash
# Console: run the app, run the tests, or stop the private PostgreSQL clusters.
#   ./console.sh run    install PostgreSQL if missing, start a private cluster under .data/, migrate, seed, serve :5080
#   ./console.sh test   the same bootstrap (a throwaway cluster) plus Debian's chromium, then the test suite without
#                       the long proofs (extra arguments go to dotnet test, e.g. ./console.sh test --filter Browser)
#   ./console.sh proof  the long runs CI leaves out: full-size imports, the crash suite (the real app SIGKILLed 12 times
#                       under signed webhook load, CrashSuiteTests), the outage suite (its own PostgreSQL stopped four
#                       times under that load, OutageSuiteTests), the screenshot tours in every language and on a
#                       phone (CONSOLE_UPDATE_SCREENSHOTS=1 writes them to docs/screenshots), the benchmarks' tests, and
#                       the scale-out proof (two app processes behind nginx, installed if missing: ClusterTests)
#   ./console.sh cluster  the same as run, as two app nodes on one database behind nginx (installed if missing) with
#                       sticky Blazor circuits and WebSockets (deploy/nginx.conf.template): http://localhost:5080
#   ./console.sh stop   stop the private clusters (and the nodes and nginx of `cluster`)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CMD="${1:-run}"
RUN_PORT="${CONSOLE_PG_PORT:-55432}"
TEST_PORT="${CONSOLE_TEST_PG_PORT:-55433}"
HASH="$(printf '%s' "$ROOT" | md5sum | cut -c1-8)"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }

apt_install() {
  is_root || die "'$*' is missing and installing it needs root (apt-get). Install it, or run as root."
  if [ -z "${_APT_UPDATED:-}" ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    _APT_UPDATED=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

ensure_postgres() {
  if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then apt_install postgresql; fi
  PG_BIN="$(pg_bin)"
  [ -x "$PG_BIN/initdb" ] || die "PostgreSQL server binaries not found after install."
  command -v psql >/dev/null || apt_install postgresql-client
}

ensure_chromium() {
  [ -x /usr/bin/chromium ] || apt_install chromium
}

# initdb and pg_ctl refuse root: as root the cluster belongs to the 'postgres' user.
as_pg() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }

# The data directory must be enterable by the cluster's user. CI may clone under /root (mode 700):
# then fall back to /tmp.
data_dir() {
  local name="$1" preferred
  preferred="$ROOT/.data/$name"
  mkdir -p "$ROOT/.data"
  if is_root && ! runuser -u postgres -- test -x "$ROOT/.data" 2>/dev/null; then
    echo "/tmp/console-$HASH-$name"
  else
    echo "$preferred"
  fi
}

psql_admin() { # dir port sql...
  local dir="$1" port="$2"; shift 2
  as_pg "$(command -v psql)" -X -q -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"
}

start_cluster() { # name port extra-options
  local name="$1" port="$2" extra="$3" dir
  dir="$(data_dir "$name")"
  if [ ! -s "$dir/PG_VERSION" ]; then
    log "initdb $dir"
    mkdir -p "$dir"
    is_root && chown postgres:postgres "$dir"
    chmod 700 "$dir"
    as_pg "$PG_BIN/initdb" -D "$dir" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  fi
  if ! as_pg "$PG_BIN/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    log "starting PostgreSQL ($name) on 127.0.0.1:$port"
    as_pg "$PG_BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='$dir' -c max_connections=300 $extra" start >/dev/null \
      || { tail -n 20 "$dir/server.log" >&2; die "PostgreSQL did not start"; }
  fi
  # Roles: postgres (superuser, tests' admin), console_owner (owns the schema, runs migrations),
  # console_app (serves requests; no superuser, no BYPASSRLS, so row-level security applies to it).
  psql_admin "$dir" "$port" <<'SQL'
ALTER ROLE postgres PASSWORD 'postgres';
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'console_owner') THEN
    CREATE ROLE console_owner LOGIN CREATEDB PASSWORD 'console_owner';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'console_app') THEN
    CREATE ROLE console_app LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD 'console_app';
  END IF;
END $$;
SQL
  CLUSTER_DIR="$dir"
}

stop_cluster() {
  local name="$1" dir
  dir="$(data_dir "$name")"
  if [ -s "$dir/PG_VERSION" ] && as_pg "$PG_BIN/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    log "stopping PostgreSQL ($name)"
    as_pg "$PG_BIN/pg_ctl" -D "$dir" -m fast -w stop >/dev/null
  fi
}

# The run database (a private cluster under .data/, migrated and seeded by the app) unless a connection string is given.
run_database() {
  if [ -z "${ConnectionStrings__Default:-}" ]; then
    if [ -n "${CONSOLE_PG_FRESH:-}" ]; then
      # Benchmarks start from an empty cluster: rows left by earlier runs would make every run slower than the last.
      stop_cluster "${CONSOLE_PG_NAME:-run}" 2>/dev/null || true
      rm -rf "$(data_dir "${CONSOLE_PG_NAME:-run}")"
    fi
    start_cluster "${CONSOLE_PG_NAME:-run}" "$RUN_PORT" "${CONSOLE_PG_OPTIONS:-}"
    if ! psql_admin "$CLUSTER_DIR" "$RUN_PORT" -tAc "SELECT 1 FROM pg_database WHERE datname = 'console'" | grep -q 1; then
      psql_admin "$CLUSTER_DIR" "$RUN_PORT" -c "CREATE DATABASE console OWNER console_owner"
    fi
    export ConnectionStrings__Default="Host=127.0.0.1;Port=$RUN_PORT;Database=console;Username=console_app;Password=console_app"
    export ConnectionStrings__Migrations="Host=127.0.0.1;Port=$RUN_PORT;Database=console;Username=console_owner;Password=console_owner"
  fi
}

cmd_run() {
  ensure_postgres
  run_database
  export Demo__Seed="${Demo__Seed:-true}"
  export Outbound__Mode="${Outbound__Mode:-Loopback}"
  export ASPNETCORE_URLS="${ASPNETCORE_URLS:-http://localhost:5080}"
  export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}"
  log "building"
  dotnet build "$ROOT/Console.App/Console.App.csproj" -c Release -nologo -v q
  local url="${ASPNETCORE_URLS%%;*}"
  # Links in e-mails point where this run listens, unless a public URL is given.
  case "$url" in *://+*|*://\**|*://0.0.0.0*|*://\[::\]*) ;; *) export Platform__PublicBaseUrl="${Platform__PublicBaseUrl:-$url}" ;; esac
  cat <<INFO

  Console is starting on $url
  Demo logins (password Demo!2345):
    admin@console.local   super admin
    owner@demo.local      owner of "Clínica Dental Sonrisa" (and "Spa Serena")
    agent@demo.local      agent
  Stop the app with Ctrl+C; stop the database with ./console.sh stop

INFO
  cd "$ROOT"
  exec dotnet "$ROOT/Console.App/bin/Release/net10.0/OperatorConsole.App.dll"
}

# ---- cluster: N app nodes on one database behind nginx (the shape of a multi-machine deployment, on one machine) ----
CLUSTER_PORT="${CONSOLE_CLUSTER_PORT:-5080}"
CLUSTER_NODES="${CONSOLE_CLUSTER_NODES:-2}"

ensure_nginx() {
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || apt_install nginx
  NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
  [ -x "$NGINX" ] || die "nginx not found after install."
}

# nginx's own directory (pid, logs, temp files): under /tmp, where nginx's unprivileged workers can reach it.
nginx_prefix() { echo "/tmp/console-$HASH-nginx"; }

# deploy/nginx.conf.template with its tokens filled: listen, the nodes' ports, the prefix.
render_nginx_conf() { # prefix listen node-ports...
  local prefix="$1" listen="$2" servers="" port; shift 2
  for port in "$@"; do servers="$servers        server 127.0.0.1:$port max_fails=1 fail_timeout=5s;\n"; done
  sed -e "s#@@PREFIX@@#$prefix#g" -e "s#@@LISTEN@@#$listen#g" -e "s#@@SECURE@@##g" -e "s#^@@SERVERS@@\$#${servers%\\n}#" \
    "$ROOT/deploy/nginx.conf.template"
}

wait_ready() { # url pid name log
  local i
  for i in $(seq 1 480); do
    kill -0 "$2" 2>/dev/null || { tail -n 30 "$4" >&2; die "$3 exited while starting (log: $4)"; }
    curl -fs -o /dev/null "$1/health/ready" && return 0
    sleep 0.5
  done
  die "$3 was not ready within 4 minutes (log: $4)"
}

# Stops what `cluster` started, by the pids it wrote down (a Ctrl+C, or ./console.sh stop from another shell).
stop_cluster_nodes() {
  local pids="$ROOT/.data/cluster/pids" pid
  [ -s "$pids" ] || return 0
  while read -r pid; do
    # Only a process that is still ours (a node or nginx), not whatever reused the number since.
    [ -n "$pid" ] && grep -qa -e OperatorConsole.App.dll -e nginx "/proc/$pid/cmdline" 2>/dev/null \
      && { log "stopping process $pid"; kill "$pid" 2>/dev/null || true; }
  done < "$pids"
  rm -f "$pids"
}

cmd_cluster() {
  command -v curl >/dev/null || apt_install curl
  ensure_postgres
  ensure_nginx
  run_database
  export Demo__Seed="${Demo__Seed:-true}"
  export Outbound__Mode="${Outbound__Mode:-Loopback}"
  export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}"
  # Links in e-mails and the webhook URLs point at nginx, not at a node; nginx (on loopback) may tell the nodes the
  # client's address, scheme and host.
  local public="http://localhost:$CLUSTER_PORT"
  export Platform__PublicBaseUrl="${Platform__PublicBaseUrl:-$public}"
  export Network__KnownProxies="${Network__KnownProxies:-127.0.0.1,::1}"
  log "building"
  dotnet build "$ROOT/Console.App/Console.App.csproj" -c Release -nologo -v q
  local dir="$ROOT/.data/cluster" prefix ports=() pids=() i port pid
  mkdir -p "$dir"
  stop_cluster_nodes
  trap 'stop_cluster_nodes' EXIT
  trap 'exit 130' INT TERM
  : > "$dir/pids"
  for i in $(seq 1 "$CLUSTER_NODES"); do
    port=$((CLUSTER_PORT + i))
    ports+=("$port")
    # The first node migrates and seeds; the others start once it is ready, on the schema it made.
    (
      cd "$ROOT"
      export ASPNETCORE_URLS="http://127.0.0.1:$port" Nodes__Name="node-$i"
      if [ "$i" -gt 1 ]; then export Database__Migrate=false Demo__Seed=false; fi
      exec dotnet "$ROOT/Console.App/bin/Release/net10.0/OperatorConsole.App.dll"
    ) > "$dir/node-$i.log" 2>&1 &
    pid=$!
    echo "$pid" >> "$dir/pids"
    log "node-$i (pid $pid) starting on 127.0.0.1:$port, log $dir/node-$i.log"
    wait_ready "http://127.0.0.1:$port" "$pid" "node-$i" "$dir/node-$i.log"
  done
  prefix="$(nginx_prefix)"
  mkdir -p "$prefix/temp"
  chmod 755 "$prefix"
  render_nginx_conf "$prefix" "$CLUSTER_PORT" "${ports[@]}" > "$prefix/nginx.conf"
  "$NGINX" -t -q -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/error.log" || die "nginx rejected $prefix/nginx.conf"
  "$NGINX" -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/error.log" &
  pid=$!
  echo "$pid" >> "$dir/pids"
  for i in $(seq 1 40); do curl -fs -o /dev/null "http://127.0.0.1:$CLUSTER_PORT/health/ready" && break; sleep 0.25; done
  kill -0 "$pid" 2>/dev/null || die "nginx did not start (port $CLUSTER_PORT taken?): $(tail -n 3 "$prefix/error.log")"
  cat <<INFO

  Console is running as $CLUSTER_NODES nodes behind nginx on $public
    nodes:  $(for port in "${ports[@]}"; do printf 'http://127.0.0.1:%s  ' "$port"; done)
    nginx:  $prefix/nginx.conf (access log with the node of each request: $prefix/access.log)
    logs:   $dir/node-*.log
  Demo logins (password Demo!2345):
    admin@console.local   super admin
    owner@demo.local      owner of "Clínica Dental Sonrisa" (and "Spa Serena")
    agent@demo.local      agent
  Stop the nodes and nginx with Ctrl+C (or ./console.sh stop, which stops the database too)

INFO
  # Until Ctrl+C, or until one of them ends (then the rest are stopped too).
  wait -n
  log "a node or nginx ended; stopping the rest"
}

# Tests tagged Category=Proof (full-size runs), Screenshots (the docs' tours in every language and size) and Benchmark
# are what `proof` runs; `test` runs everything else, so CI stays within its time on two cores.
LONG_RUNS="Category=Proof|Category=Screenshots|Category=Benchmark"
QUICK_RUNS="Category!=Proof&Category!=Screenshots&Category!=Benchmark"

has_filter() { local a; for a in "$@"; do [ "$a" = "--filter" ] && return 0; done; return 1; }

cmd_test() {
  ensure_postgres
  ensure_chromium
  # A throwaway cluster for every run: tests start from nothing, fsync off for speed (never for real data).
  stop_cluster test 2>/dev/null || true
  rm -rf "$(data_dir test)"
  start_cluster test "$TEST_PORT" "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  trap 'stop_cluster test || true' EXIT
  export CONSOLE_TEST_PG="Host=127.0.0.1;Port=$TEST_PORT;Username=postgres;Password=postgres"
  export CONSOLE_CHROMIUM=/usr/bin/chromium
  log "building"
  dotnet build "$ROOT/Console.sln" -c Release -nologo -v q
  log "running the test suite"
  local out rc=0
  out="$(mktemp)"
  # An explicit --filter (one class, or the long runs from `proof`) replaces the default selection.
  local selection=()
  has_filter "$@" || selection=(--filter "$QUICK_RUNS")
  dotnet test "$ROOT/Console.sln" -c Release --no-build -nologo --logger "console;verbosity=normal" "${selection[@]}" "$@" 2>&1 | tee "$out" || rc=$?
  # One plain closing line for CI: "N passed, N failed".
  local passed failed
  passed=$(grep -Eo 'Passed: +[0-9]+' "$out" | grep -Eo '[0-9]+' | awk '{s+=$1} END {print s+0}' || true)
  failed=$(grep -Eo 'Failed: +[0-9]+' "$out" | grep -Eo '[0-9]+' | awk '{s+=$1} END {print s+0}' || true)
  if [ "${failed:-0}" != 0 ]; then
    # The run's log is long and interleaved: repeat each failure (name, message, first stack lines) at the end.
    echo "==== failed tests ===="
    grep -v '^{"time' "$out" | grep -A14 -E '^\s+Failed [A-Za-z]' | grep -v '^\s*at Microsoft\.\|^\s*at System\.\|^\s*at Xunit\.' | cut -c1-400 || true
  fi
  rm -f "$out"
  echo "${passed:-0} passed, ${failed:-0} failed"
  return "$rc"
}

cmd_stop() {
  stop_cluster_nodes
  ensure_postgres
  stop_cluster "${CONSOLE_PG_NAME:-run}"
  stop_cluster test
}

case "$CMD" in
  run) cmd_run ;;
  test) shift; cmd_test "$@" ;;
  proof) shift
    # The cluster proof (ClusterTests) runs nginx; without it that test is skipped, saying so.
    ( ensure_nginx ) || log "nginx could not be installed: ClusterTests will be skipped"
    if has_filter "$@"; then cmd_test "$@"; else cmd_test --filter "$LONG_RUNS" "$@"; fi ;;
  cluster) cmd_cluster ;;
  stop) cmd_stop ;;
  *) die "usage: ./console.sh run|cluster|test|proof|stop" ;;
esac
