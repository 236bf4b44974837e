#!/usr/bin/env bash
# One command: ./bench/leads.sh [--leads 100000] [--iterations 40] [--no-vacuum]
# Starts a throwaway PostgreSQL cluster on 127.0.0.1:55538 (default durability settings), applies the migrations, seeds
# 100,000 leads in one tenant through SQL, and times the leads grid's first page and the kanban board for the screen's
# filter combinations as the serving role (row-level security on). Prints p50/p95; stops and deletes the cluster.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/private-pg.sh" leads "${BENCH_LEADS_PG_PORT:-55538}" leads/Leads.csproj OperatorConsole.Bench.Leads "$@"
