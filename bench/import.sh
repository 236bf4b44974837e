#!/usr/bin/env bash
# One command: ./bench/import.sh [--rows 100000] [--runs 2]
# Starts a throwaway PostgreSQL cluster on 127.0.0.1:55446 (default durability settings), applies the migrations and
# imports a CSV of 100,000 leads into a fresh tenant per run, as the serving role (row-level security on), the way the
# background worker does. Prints elapsed time, rows/s and memory; stops and deletes the cluster.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/private-pg.sh" import "${BENCH_IMPORT_PG_PORT:-55446}" import/Import.csproj OperatorConsole.Bench.Import "$@"
