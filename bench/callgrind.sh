#!/bin/sh
# bench/callgrind.sh - host instructions per simulated access, counted by
# valgrind's callgrind (stable on a noisy machine, unlike time).
#
#   bench/callgrind.sh [path/to/bench_mmu]     (default build/bench/bench/bench_mmu)
#
# Each figure is a difference of two runs of one `bench_mmu --count-KIND N`
# mode, N = N1 and N = N2, divided by N2 - N1: the set-up and warm-up of
# the two runs are the same and cancel.  "in API" collects only inside the
# public function (--toggle-collect=vmsim_read32, callees included);
# "whole loop" collects everything, so the benchmark loop's index step,
# the call, the status check and the sum are in it; "x native" divides
# the whole loop by the native loop's (same index sequence, a host load).
#
#   hit   4-byte reads, 16 pages scattered, 64x4 LRU TLB: every one a TLB hit
#   miss  4-byte reads, a new page each time over 4096 pages, 64x4 LRU TLB:
#         every one a TLB miss, a two-level walk (PDE, PTE; A/D already
#         set) and a fill that evicts
#   walk  the same pattern without a TLB: a two-level walk each
#   write 4-byte writes, as hit
#
# --no-fast repeats the counts with config.fast_path = false (the
# previous design: the modelled TLB lookup only).
#
# The second table runs hit, write, miss and walk again under PAE paging
# (bench_mmu --paging pae: 8-byte entries, the PDPTE register as the
# root, the same 4 KiB pages and patterns) next to 32-bit paging, fast
# path on and off, and the hit once more on large pages (--paging 4m:
# one 4 MiB page, 32-bit paging; --paging 2m: one 2 MiB page, PAE).
#
# The third table runs them under IA-32e paging (--paging 4level and
# 5level: 64-bit linear addresses, four or five levels of 8-byte entries,
# 4 KiB pages), fast path on and off, and the miss again with
# paging-structure caches (--psc: 32 x 4-way per level), where the PDE
# cache leaves one entry to read.
set -eu

BIN=${1:-build/bench/bench/bench_mmu}
N1=${N1:-100000}
N2=${N2:-300000}

if ! command -v valgrind >/dev/null 2>&1; then
    echo "callgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2
    exit 2
fi
if [ ! -x "$BIN" ]; then
    echo "callgrind.sh: no benchmark at $BIN (build it first)" >&2
    exit 2
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# ir KIND N TOGGLE [FLAGS...]: total instructions of one run
ir() {
    kind=$1 n=$2 toggle=$3
    shift 3
    out="$TMP/cg.$kind.$n.$$"
    if [ -n "$toggle" ]; then
        valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect="$toggle" \
            "$BIN" --count-"$kind" "$n" "$@" >/dev/null 2>&1
    else
        valgrind --tool=callgrind --callgrind-out-file="$out" \
            "$BIN" --count-"$kind" "$n" "$@" >/dev/null 2>&1
    fi
    awk '/^summary:/ { print $2 }' "$out"
}

# per KIND TOGGLE [FLAGS...]: instructions per access
per() {
    kind=$1 toggle=$2
    shift 2
    a=$(ir "$kind" "$N1" "$toggle" "$@")
    b=$(ir "$kind" "$N2" "$toggle" "$@")
    awk -v a="$a" -v b="$b" -v n1="$N1" -v n2="$N2" 'BEGIN { printf "%.2f", (b - a) / (n2 - n1) }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

native=$(per native "")
hit_api=$(per hit vmsim_read32)
hit_loop=$(per hit "")
write_api=$(per write vmsim_write32)
miss_api=$(per miss vmsim_read32)
walk_api=$(per walk vmsim_read32)
hit_off=$(per hit vmsim_read32 --no-fast)
write_off=$(per write vmsim_write32 --no-fast)
miss_off=$(per miss vmsim_read32 --no-fast)
walk_off=$(per walk vmsim_read32 --no-fast)

pae_hit_api=$(per hit vmsim_read32 --paging pae)
pae_write_api=$(per write vmsim_write32 --paging pae)
pae_miss_api=$(per miss vmsim_read32 --paging pae)
pae_walk_api=$(per walk vmsim_read32 --paging pae)
pae_hit_off=$(per hit vmsim_read32 --no-fast --paging pae)
pae_write_off=$(per write vmsim_write32 --no-fast --paging pae)
pae_miss_off=$(per miss vmsim_read32 --no-fast --paging pae)
pae_walk_off=$(per walk vmsim_read32 --no-fast --paging pae)
hit_4m=$(per hit vmsim_read32 --paging 4m)
hit_2m=$(per hit vmsim_read32 --paging 2m)
hit_4m_off=$(per hit vmsim_read32 --no-fast --paging 4m)
hit_2m_off=$(per hit vmsim_read32 --no-fast --paging 2m)

echo "callgrind: host instructions per 4-byte access (N = $N2 - $N1, $BIN)"
echo
printf '%-44s %10s %10s %8s\n' "access" "fast on" "fast off" "off/on"
printf '%-44s %10s %10s %8s\n' "TLB hit, read  (in vmsim_read32)" "$hit_api" "$hit_off" "$(ratio "$hit_off" "$hit_api")"
printf '%-44s %10s %10s %8s\n' "TLB hit, write (in vmsim_write32)" "$write_api" "$write_off" "$(ratio "$write_off" "$write_api")"
printf '%-44s %10s %10s %8s\n' "TLB miss + 2-level walk + fill (in read32)" "$miss_api" "$miss_off" "$(ratio "$miss_off" "$miss_api")"
printf '%-44s %10s %10s %8s\n' "no TLB: 2-level walk (in vmsim_read32)" "$walk_api" "$walk_off" "$(ratio "$walk_off" "$walk_api")"
echo
printf '%-44s %10s\n' "native loop, per access" "$native"
printf '%-44s %10s   (x native %s)\n' "TLB-hit loop through the API, per access" "$hit_loop" "$(ratio "$hit_loop" "$native")"

# pae_row LABEL 32-ON PAE-ON 32-OFF PAE-OFF
pae_row() {
    printf '%-44s %8s %8s %7s %10s %9s\n' "$1" "$2" "$3" "$(ratio "$3" "$2")" "$4" "$5"
}
echo
echo "32-bit vs PAE paging: host instructions per 4-byte access (fast path on, then off)"
echo
printf '%-44s %8s %8s %7s %10s %9s\n' "access" "32-bit" "PAE" "PAE/32" "32-bit off" "PAE off"
pae_row "TLB hit, read  (in vmsim_read32)" "$hit_api" "$pae_hit_api" "$hit_off" "$pae_hit_off"
pae_row "TLB hit, write (in vmsim_write32)" "$write_api" "$pae_write_api" "$write_off" "$pae_write_off"
pae_row "TLB miss + 2-level walk + fill (in read32)" "$miss_api" "$pae_miss_api" "$miss_off" "$pae_miss_off"
pae_row "no TLB: 2-level walk (in vmsim_read32)" "$walk_api" "$pae_walk_api" "$walk_off" "$pae_walk_off"
pae_row "TLB hit, read, 4 MiB (32) / 2 MiB (PAE) page" "$hit_4m" "$hit_2m" "$hit_4m_off" "$hit_2m_off"

l4_hit=$(per hit vmsim_read32 --paging 4level)
l4_write=$(per write vmsim_write32 --paging 4level)
l4_miss=$(per miss vmsim_read32 --paging 4level)
l4_walk=$(per walk vmsim_read32 --paging 4level)
l5_hit=$(per hit vmsim_read32 --paging 5level)
l5_miss=$(per miss vmsim_read32 --paging 5level)
l5_walk=$(per walk vmsim_read32 --paging 5level)
l4_hit_off=$(per hit vmsim_read32 --no-fast --paging 4level)
l4_miss_psc=$(per miss vmsim_read32 --paging 4level --psc)
l5_miss_psc=$(per miss vmsim_read32 --paging 5level --psc)
miss_psc=$(per miss vmsim_read32 --psc)
l4_walk_psc=$(per walk vmsim_read32 --paging 4level --psc)
l4_miss_off=$(per miss vmsim_read32 --no-fast --paging 4level)
l4_walk_off=$(per walk vmsim_read32 --no-fast --paging 4level)

# l64_row LABEL 32-ON 4LEVEL-ON 5LEVEL-ON 4LEVEL-OFF
l64_row() {
    printf '%-44s %8s %8s %8s %10s\n' "$1" "$2" "$3" "$4" "$5"
}
echo
echo "32-bit vs IA-32e paging: host instructions per 4-byte access (fast path on; last column off)"
echo
printf '%-44s %8s %8s %8s %10s\n' "access" "32-bit" "4-level" "5-level" "4-lvl off"
l64_row "TLB hit, read  (in vmsim_read32)" "$hit_api" "$l4_hit" "$l5_hit" "$l4_hit_off"
l64_row "TLB hit, write (in vmsim_write32)" "$write_api" "$l4_write" "-" "-"
l64_row "TLB miss + walk + fill (in read32)" "$miss_api" "$l4_miss" "$l5_miss" "$l4_miss_off"
l64_row "no TLB: walk (in vmsim_read32)" "$walk_api" "$l4_walk" "$l5_walk" "$l4_walk_off"
l64_row "TLB miss + walk + fill, with PSCs" "$miss_psc" "$l4_miss_psc" "$l5_miss_psc" "-"
l64_row "no TLB: walk, with PSCs" "-" "$l4_walk_psc" "-" "-"
