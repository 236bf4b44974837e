#!/usr/bin/env bash
# One command for every load figure in one sitting: ./bench/all.sh
#   ingest, agent, live-latency, inbox, leads, soak (30 min at 300 msg/s) and circuits (200), one after another (each
#   starts and stops its own PostgreSQL cluster and app), then one summary table. Full outputs: $OUT (default
#   /tmp/console-bench-all/<date>/<bench>.txt). Arguments per bench through the environment, e.g. a short sitting:
#   ALL_SOAK_ARGS="--minutes 5 --rate 300" ALL_CIRCUITS_ARGS="--circuits 50" ./bench/all.sh
#   ALL_ONLY="soak circuits" ./bench/all.sh runs some of them; OUT=<dir> ALL_SUMMARY_ONLY=1 ./bench/all.sh prints the table of
#   an earlier sitting again without running anything.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="${OUT:-/tmp/console-bench-all/$(date -u +%Y%m%d-%H%M)}"
mkdir -p "$OUT"
ONLY="${ALL_ONLY:-ingest agent live inbox leads soak circuits}"
declare -A ARGS=(
  [ingest]="${ALL_INGEST_ARGS:---messages 20000}" [agent]="${ALL_AGENT_ARGS:-}" [live]="${ALL_LIVE_ARGS:-}"
  [inbox]="${ALL_INBOX_ARGS:-}" [leads]="${ALL_LEADS_ARGS:-}"
  [soak]="${ALL_SOAK_ARGS:---minutes 30 --rate 300}" [circuits]="${ALL_CIRCUITS_ARGS:---circuits 200}")
declare -A SCRIPT=([ingest]=ingest.sh [agent]=agent.sh [live]=live-latency.sh [inbox]=inbox.sh [leads]=leads.sh [soak]=soak.sh [circuits]=circuits.sh)
declare -A RC WALL
echo "bench/all.sh — $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); outputs in $OUT"
for b in $ONLY; do
  if [ -n "${ALL_SUMMARY_ONLY:-}" ]; then RC[$b]="-"; WALL[$b]="-"; continue; fi
  echo "==> $b: ./bench/${SCRIPT[$b]} ${ARGS[$b]}"
  start=$(date +%s)
  # shellcheck disable=SC2086
  "$ROOT/bench/${SCRIPT[$b]}" ${ARGS[$b]} > "$OUT/$b.txt" 2>&1
  RC[$b]=$?
  WALL[$b]=$(( $(date +%s) - start ))
  echo "    exit ${RC[$b]} after ${WALL[$b]} s"
done

# The figures each bench prints, picked from its output (the full text is in $OUT).
f() { grep -v '^{"time' "$OUT/$1.txt" 2>/dev/null | grep -E "$2" | head -n 1 | sed -E 's/ +/ /g'; }
figures() {
  case "$1" in
    ingest) echo "$(f ingest 'webhook +saturation' | sed -E 's/.*saturation: ([0-9]+) msg\/s accepted p50 ([0-9.]+) ms p99 ([0-9.]+) ms.*/accept \1 msg\/s (p99 \3 ms)/'); \
$(f ingest 'ceiling +saturation' | sed -E 's/.*saturation: ([0-9]+) msg\/s.*/ceiling \1 msg\/s/'); \
$(f ingest '^processing:' | sed -E 's/.*→ ([0-9]+) msg\/s.*/processing \1 msg\/s/'); \
$(f ingest '^webhook at' | sed -E 's/webhook at ([0-9]+) msg\/s for [0-9]+ s: p50 ([0-9.]+) ms p99 ([0-9.]+) ms/paced \1 msg\/s p50 \2 \/ p99 \3 ms/'); $(f ingest '^lost')" ;;
    agent) echo "$(f agent '^sequential turns' | sed -E 's/.*overhead p50 ([0-9.]+) ms, p95 ([0-9.]+) ms.*/turn overhead p50 \1 \/ p95 \2 ms/'); \
$(f agent 'answered [0-9.]+ s after' | sed -E 's/.*all ([0-9]+) answered ([0-9.]+) s.*/\1 bursting answered within \2 s/'); $(f agent '^exactly once')" ;;
    live) echo "$(f live 'rendered in the open page' | sed -E 's/.*: n=([0-9]+) p50 ([0-9.]+) ms p95 ([0-9.]+) ms max ([0-9.]+) ms/screen p50 \2 \/ p95 \3 ms (n=\1)/'); \
$(f live 'conversationChanged' | sed -E 's/.*: n=([0-9]+) p50 ([0-9.]+) ms p95 ([0-9.]+) ms.*/hub p50 \2 \/ p95 \3 ms/'); $(f live '^lost')" ;;
    inbox) grep -v '^{"time' "$OUT/inbox.txt" 2>/dev/null | awk '/^query +rows/ { t = 1; next } t && NF >= 4 && $(NF-1) ~ /^[0-9.,]+$/ { v = $(NF-1); gsub(",", "", v); if (v + 0 > m) { m = v + 0; n = $0 } }
      END { if (m) { sub(/ +[0-9.,]+ +[0-9.,]+ +[0-9.,]+ +[0-9.,]+$/, "", n); sub(/ +$/, "", n); printf "slowest first page p95 %.1f ms (%s)\n", m, n } }' ;;
    leads) f leads '^ALL first pages' | awk '{ printf "first pages p50 %s / p95 %s ms\n", $(NF-2), $(NF-1) }' ;;
    soak) echo "$(f soak '^load:' | sed -E 's/load: ([0-9,]+) of ([0-9,]+) deliveries accepted in ([0-9]+) s \(([0-9]+) msg\/s; target ([0-9]+)\).*/\4 of \5 msg\/s for \3 s/'); \
$(f soak 'app RSS +first' | sed -E 's/.*first ([0-9]+) min +([0-9.]+) MB \| last [0-9]+ min +([0-9.]+) MB \| slope +([-0-9.]+) MB\/min \| ([A-Z a-z]+) \(.*/RSS \2→\3 MB \5/'); \
$(f soak 'ingest p99 +first' | sed -E 's/.*first [0-9]+ min +([0-9.]+) ms \| last [0-9]+ min +([0-9.]+) ms.*\| ([A-Z a-z]+) \(.*/p99 \1→\2 ms \3/'); $(f soak '^0 lost'); $(f soak '^every customer answered')" ;;
    circuits) echo "$(f circuits '^app RSS' | sed -E 's/.*= ([-0-9]+) KB per circuit/RSS \1 KB\/circuit/'); $(f circuits '^app GC heap' | sed -E 's/.*= ([-0-9]+) KB per circuit/heap \1 KB\/circuit/'); \
$(f circuits 'one webhook at a time' | sed -E 's/.*all ([0-9]+) connected: n=[0-9]+ p50 ([0-9]+) ms p95 ([0-9]+) ms.*/screen p50 \2 \/ p95 \3 ms with \1 connected/'); \
$(f circuits 'at once' | sed -E 's/.*: n=[0-9]+ p50 ([0-9]+) ms p95 ([0-9]+) ms.*/wave p95 \2 ms/')" ;;
  esac
}
echo
echo "| bench | command | exit | wall | figures |"
echo "|---|---|---|---|---|"
for b in $ONLY; do
  echo "| $b | \`./bench/${SCRIPT[$b]} ${ARGS[$b]}\` | ${RC[$b]} | ${WALL[$b]} s | $(figures "$b" | tr '\n' ' ' | sed -E 's/ +$//') |"
done
failed=0; for b in $ONLY; do [ "${RC[$b]}" = 0 ] || [ "${RC[$b]}" = "-" ] || failed=1; done
exit $failed
