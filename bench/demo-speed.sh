#!/usr/bin/env bash
# bench/demo-speed.sh BUILD_DIR - the MMU speed part of `make demo`: a
# few lines in plain words from `bench_mmu --quick` (the full table is
# `make bench`).
set -euo pipefail
BUILD=${1:?usage: bash bench/demo-speed.sh BUILD_DIR}
csv=$(mktemp)
trap 'rm -f "$csv"' EXIT
"$BUILD/bench/bench_mmu" --quick --csv "$csv" > /dev/null
awk -F, 'NR > 1 && $6 == "32-bit" {
    if ($1 == "hit" && $2 == "read" && $3 == "scat" && $4 == 64) { hit = $10; nat = $9; off = $11 }
    if ($1 == "miss" && $2 == "read" && $3 == "page") miss = $10
    if ($1 == "walk" && $2 == "read" && $3 == "page") walk = $10
  }
  END {
    printf "A load that hits the TLB costs %.1f ns, %.1fx a plain host load (%.1f ns).\n", hit, hit / nat, nat
    printf "A TLB miss, with a two-level page walk and a TLB fill, costs %.1f ns.\n", miss
    printf "With no TLB at all, every load walks the tables: %.1f ns.\n", walk
    printf "Without the fast path (every access fully modelled) a hit costs %.1f ns.\n", off
    printf "(bench_mmu --quick, 32-bit paging, 64 pages read in scattered order; make bench has the full table)\n"
  }' "$csv"
