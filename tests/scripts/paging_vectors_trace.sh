#!/usr/bin/env bash
# paging_vectors_trace.sh VMSIM VECTORS_DIR
#
# Replay every 4 KiB-page trace of the paging vectors through the whole
# system (vmsim trace --frames F --policy P --zero-page off: a process
# under demand paging with F user frames and swap) and check that the
# kernel's figures equal the expected rows for every policy the kernel
# has (fifo, clock, eclock, aging, random): references, faults, cold,
# reloads, evictions, write-backs.  Skips (77) when the vectors are not
# there.
set -u
vmsim=$1
dir=$2
if [ ! -d "$dir" ]; then
    echo "paging vectors not found at $dir: skipped"
    exit 77
fi
checked=0
failed=0
unreadable=0
for expected in "$dir"/*.expected.csv; do
    name=$(basename "$expected" .expected.csv)
    trace="$dir/$name.lackey"
    [ "$name" = page4m ] && continue # 4 MiB pages are never swapped
    [ -f "$trace" ] || continue
    while IFS=, read -r _ policy params frames refs faults cold reloads evictions writebacks _ _; do
        case "$policy" in fifo | clock | eclock | aging | random) ;; *) continue ;; esac
        spec=$policy
        tick=()
        case "$params" in
        seed=*) spec="random:$params" ;;
        k=*)
            k=${params%%;*}
            t=${params#*;t=}
            spec="aging:$k"
            tick=(--tick "$t")
            ;;
        esac
        got=$("$vmsim" trace --ram 64M --frames "$frames" --policy "$spec" "${tick[@]}" \
            --zero-page off --csv "$trace" 2>&1 | tail -n 1)
        # the paging columns: frames,policy,references,faults,cold,reloads,evictions,writebacks
        want="$frames,$policy,$refs,$faults,$cold,$reloads,$evictions,$writebacks"
        have=$(echo "$got" | awk -F, 'NF > 17 {n = NF - 17; printf "%s,%s,%s,%s,%s,%s,%s,%s", $(n+1), $(n+2), $(n+3), $(n+4), $(n+5), $(n+6), $(n+7), $(n+8)}')
        if echo "$got" | grep -q "size is out of range"; then
            unreadable=$((unreadable + 1)) # accesses wider than the trace reader's 4096 bytes
            continue
        fi
        checked=$((checked + 1))
        if [ "$have" != "$want" ]; then
            failed=$((failed + 1))
            [ $failed -le 20 ] && echo "MISMATCH $name $policy $params F=$frames: want $want, got $have"
        fi
    done < <(tail -n +2 "$expected")
done
echo "$checked rows checked, $failed mismatches; $unreadable rows skipped (traces with accesses over 4096 bytes, which vmsim trace does not read)"
[ $checked -gt 0 ] && [ $failed -eq 0 ]
