#!/usr/bin/env bash
# bench/demo.sh BUILD_DIR - the TLB-study part of `make demo`.
#
#   1. trace three workloads (bench/workloads) with Valgrind lackey and
#      convert the traces to vmsim's binary format
#   2. replay each through a simulated process for a few TLB
#      configurations (`vmsim trace`) and print their hit rates
#   3. sweep every trace over many configurations in one pass
#      (`vmsim sweep`) and draw the plots
#   4. page replacement on two of the traces (`vmsim paging`): fault rate
#      against frames for fifo, clock, lru and opt, and Belady's anomaly
#      on the textbook string
#
# Without Valgrind it uses synthetic traces (`vmsim trace synth`); without
# gnuplot or python3-matplotlib it skips the plots.  Everything it writes
# goes to BUILD_DIR/demo.  It takes about a minute, most of it Valgrind.
set -euo pipefail

BUILD=${1:?usage: bash bench/demo.sh BUILD_DIR}
VMSIM=$BUILD/tools/vmsim
WORKLOADS=$BUILD/bench/workloads
OUT=$BUILD/demo
HERE=$(cd "$(dirname "$0")" && pwd)

[ -x "$VMSIM" ] || { echo "demo: $VMSIM is missing: build first (make build)" >&2; exit 1; }
mkdir -p "$OUT"

say() { printf '\n=== %s ===\n' "$*"; }

# The workloads: name, program and arguments (kept small: lackey writes
# one line per access, and on this kind of machine each line costs a
# system call).
NAMES=(matrix-row matrix-col listchase)
ARGS=("matrix row 384" "matrix col 384" "listchase 32768 100000")

build_workloads() {
    [ -x "$WORKLOADS/matrix" ] && return 0
    WORKLOADS=$OUT/workloads
    mkdir -p "$WORKLOADS"
    local m32=-m32
    echo 'int main(void){return 0;}' | cc -m32 -x c - -o "$WORKLOADS/.probe" 2>/dev/null || m32=
    for w in matrix listchase; do
        cc -O2 $m32 -o "$WORKLOADS/$w" "$HERE/workloads/$w.c"
    done
}

trace_workloads() {
    build_workloads
    local bits=64
    file -L "$WORKLOADS/matrix" 2>/dev/null | grep -q '32-bit' && bits=32
    echo "workloads are ${bits}-bit programs$([ $bits = 64 ] && echo ' (install gcc-multilib for 32-bit ones; 64-bit addresses are folded)')"
    for i in "${!NAMES[@]}"; do
        local name=${NAMES[$i]} t0=$SECONDS
        read -r -a cmd <<< "${ARGS[$i]}"
        valgrind --tool=lackey --trace-mem=yes --log-file="$OUT/$name.txt" \
            "$WORKLOADS/${cmd[0]}" "${cmd[@]:1}" > /dev/null 2>&1
        "$VMSIM" trace convert "$OUT/$name.txt" -o "$OUT/$name.vbt" 2>&1 | sed 's/^/  /'
        echo "  $name: valgrind --tool=lackey ${cmd[*]} ($((SECONDS - t0)) s)"
    done
}

synthetic_traces() {
    echo "valgrind is not installed: using synthetic traces instead (apt-get install valgrind)"
    NAMES=(seq-scan stride-4k zipf)
    "$VMSIM" trace synth seq --accesses 2000000 --footprint 8M -o "$OUT/seq-scan.vbt"
    "$VMSIM" trace synth stride --stride 4096 --accesses 2000000 --footprint 2M -o "$OUT/stride-4k.vbt"
    "$VMSIM" trace synth zipf --accesses 2000000 --footprint 16M -o "$OUT/zipf.vbt"
}

# One CSV row of `vmsim trace --csv` -> "dtlb% itlb% dtlb_misses walks faults M/s"
summary() {
    "$VMSIM" trace --csv "$@" | awk -F, 'NR == 2 {
        printf "%9.3f%% %9s %10d %10d %9d %8.1f\n", 100 * $24, ($19 == "" ? "-" : sprintf("%.3f%%", 100 * $19)),
               $23, $26, $30, $37 / 1e6 }'
}

replay_table() {
    printf '%-11s %-26s %10s %9s %10s %10s %9s %8s\n' trace configuration 'DTLB hit' 'ITLB hit' \
        'DTLB miss' walks faults 'M acc/s'
    for name in "${NAMES[@]}"; do
        local f=$OUT/$name.vbt
        printf '%-11s %-26s ' "$name" "64x4 LRU (default)"; summary "$f"
        printf '%-11s %-26s ' "" "16x4 LRU";                summary --dtlb 16,4 --itlb 16,4 "$f"
        printf '%-11s %-26s ' "" "1024x8 LRU";              summary --dtlb 1024,8 --itlb 1024,8 "$f"
        printf '%-11s %-26s ' "" "64x4 LRU, 4 MiB pages";   summary --page-size 4m "$f"
        printf '%-11s %-26s ' "" "64 full FIFO, --populate"; summary --populate --dtlb 64,full,fifo --itlb 64,full,fifo "$f"
    done
}

t_start=$SECONDS
say "tracing workloads"
if command -v valgrind > /dev/null; then trace_workloads; else synthetic_traces; fi

say "vmsim trace: one replay per configuration (split TLBs, demand paging unless noted)"
replay_table

say "vmsim sweep: 8..1024 entries x 1,2,4,8-way and fully associative, LRU, one pass each"
pngs=()
for name in "${NAMES[@]}"; do
    # every figure on the same axes (miss rate, log scale), so they compare at a glance
    "$VMSIM" sweep --csv "$OUT/$name-sweep.csv" --plot "$OUT/$name-sweep.png" --metric miss \
        --yrange 0.001:100 "$OUT/$name.vbt" > "$OUT/$name-sweep.txt"
    sed -n '3p' "$OUT/$name-sweep.txt" | sed "s/^ */$name: /"
    [ -f "$OUT/$name-sweep.png" ] && pngs+=("$OUT/$name-sweep.png")
done
echo
echo "data TLB hit rate (%) by entries, 4-way LRU and fully associative LRU:"
printf "%-14s" trace; for e in 8 16 32 64 128 256 512 1024; do printf '%8s' "$e"; done; echo
for name in "${NAMES[@]}"; do
    for ways in 4 full; do
        printf "%-14s" "$name $([ $ways = full ] && echo FA || echo 4w)"
        awk -F, -v w=$ways 'NR > 1 && (($2 == 4 && w == "4") || ($1 == $2 && w == "full")) {
            printf "%8.2f", 100 * $15 }' "$OUT/$name-sweep.csv"
        echo
    done
done

say "vmsim paging: page replacement on the reference strings (fifo, clock, lru, opt)"
paging_demo() {
    local name=$1 frames=$2
    "$VMSIM" paging --frames "$frames" -p fifo -p clock -p lru -p opt --csv "$OUT/$name.vbt" \
        > "$OUT/$name-paging.csv"
    "$VMSIM" paging --frames "$frames" -p fifo -p clock -p lru -p opt \
        --plot "$OUT/$name-paging.png" "$OUT/$name.vbt" > "$OUT/$name-paging.txt" 2>&1 || true
    sed -n '2,3p' "$OUT/$name-paging.txt" | sed "s/^ */$name: /"
    printf '  %-7s' 'F'
    awk -F, 'NR > 1 && $2 == "fifo" { printf "%8d", $4 }' "$OUT/$name-paging.csv"; echo
    for p in fifo clock lru opt; do
        printf '  %-7s' "$p"
        awk -F, -v p=$p 'NR > 1 && $2 == p { printf "%7.2f%%", 100 * $6 / $5 }' "$OUT/$name-paging.csv"
        echo
    done
    [ -f "$OUT/$name-paging.png" ] && pngs+=("$OUT/$name-paging.png")
    return 0
}
echo "page faults per reference, by frames F:"
paging_demo "${NAMES[1]}" 4,8,16,32,64,128,256,320
paging_demo "${NAMES[2]:-${NAMES[0]}}" 4,8,16,32,64,128,256,512
echo
echo "Belady's anomaly: fifo on 1 2 3 4 1 2 5 1 2 3 4 5 faults more with 4 frames than with 3"
for page in 1 2 3 4 1 2 5 1 2 3 4 5; do printf ' L %08x,4\n' $((page * 4096)); done > "$OUT/belady.lackey"
"$VMSIM" paging --frames 2..5 -p fifo -p lru -p opt "$OUT/belady.lackey" | sed -n '5,18p;/anomaly/p'

say "results"
echo "traces, CSVs and tables: $OUT"
if [ ${#pngs[@]} -gt 0 ]; then
    for p in "${pngs[@]}"; do
        echo "plot: $p"
        case "$p" in
        *-paging.png)
            echo "      $(basename "$p" -paging.png): page-fault rate against frames for fifo, clock, lru, opt" ;;
        *)
            echo "      $(basename "$p" -sweep.png): data TLB miss rate (log scale) against TLB entries, one curve per associativity" ;;
        esac
    done
    echo "      (the TLB figures share their axes: lower is better; where curves part, associativity matters)"
else
    echo "plots skipped: install gnuplot-nox (or python3-matplotlib) to get them"
fi
echo "demo took $((SECONDS - t_start)) s"
