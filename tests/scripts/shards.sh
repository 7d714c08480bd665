#!/usr/bin/env bash
# tests/scripts/shards.sh VMSIM WORK - the recipe of docs/tlb-studies.md
# ("Many traces on many machines"), run locally with GNU parallel: one
# sweep per trace and TLB policy as separate jobs, shards merged into one
# table.  The merged table must hold every row of every shard once, one
# header, and name each row's trace.  Skips (77) without GNU parallel.
set -euo pipefail
VMSIM=$1 WORK=$2
command -v parallel >/dev/null || { echo "GNU parallel is not installed: skipped"; exit 77; }
rm -rf "$WORK" && mkdir -p "$WORK/shards"
cd "$WORK"
"$VMSIM" trace synth zipf --accesses 20000 --footprint 2M -o zipf.vbt 2>/dev/null
"$VMSIM" trace synth seq --accesses 20000 --footprint 2M -o seq.vbt 2>/dev/null
# the recipe: one job per (trace, policy)
parallel "$VMSIM" sweep --policy {2} --csv shards/{1/.}-{2}.csv {1} '>' /dev/null \
    ::: zipf.vbt seq.vbt ::: lru fifo
# merge: the first file's header, then every file's rows
awk 'FNR == 1 && NR != 1 { next } { print }' shards/*.csv > all.csv
rows=$(($(wc -l < all.csv) - 1))
expect=0
for f in shards/*.csv; do expect=$((expect + $(wc -l < "$f") - 1)); done
[ "$(grep -c '^entries,' all.csv)" = 1 ] || { echo "merged table has more than one header"; exit 1; }
[ "$rows" = "$expect" ] && [ "$rows" -gt 0 ] || { echo "merged $rows rows, shards hold $expect"; exit 1; }
for t in zipf.vbt seq.vbt; do
    grep -q "\"$t\"" all.csv || { echo "no row names $t"; exit 1; }
done
echo "shards: $rows rows from $(ls shards | wc -l) shards merged"
