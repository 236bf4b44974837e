#!/usr/bin/env bash
# One command: ./bench/inbox.sh [--conversations 100000] [--iterations 40] [--no-vacuum]
# Starts a throwaway PostgreSQL cluster on 127.0.0.1:55536 (default durability settings), applies the migrations,
# seeds 100,000 conversations (contacts, 3 messages each) in one tenant through SQL, and times the inbox's first
# page per tab and searches as the serving role (row-level security on). Prints p50/p95; stops and deletes the cluster.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/private-pg.sh" inbox "${BENCH_INBOX_PG_PORT:-55536}" inbox/Inbox.csproj OperatorConsole.Bench.Inbox "$@"
