#!/usr/bin/env bash
# tests/scripts/cli_newcomer.sh VMSIM WORK - what a newcomer meets at the
# command line, checked from outside:
#   1. a file that cannot be opened exits 1 in every command, with the
#      `vmsim CMD:` prefix;
#   2. `vmsim sweep --plot` with a bad name or folder exits 2 before the
#      trace is even opened;
#   3. without gnuplot and matplotlib, --plot fails (status 1) unless
#      --csv was asked too (then the CSV is written and the status is 0);
#   4. with gnuplot, and with matplotlib when gnuplot is not found, the
#      format follows the extension (PNG, SVG, PDF bytes) and --size sets
#      the PNG's size;
#   5. `vmsim trace synth` prints a one-line summary.
set -uo pipefail
VMSIM=$1 WORK=$2
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
fails=0
check() { # check WHAT CONDITION...
    local what=$1; shift
    if "$@"; then echo "ok: $what"; else echo "FAILED: $what"; fails=$((fails + 1)); fi
}
status() { "$@" > out.txt 2> err.txt; echo $?; }

# 1
for cmd in run trace sweep "trace convert"; do
    extra=(); [ "$cmd" = "trace convert" ] && extra=(-o x.vbt)
    # shellcheck disable=SC2086
    st=$(status "$VMSIM" $cmd /nonexistent/in.trace "${extra[@]}")
    check "vmsim $cmd: missing file exits 1" [ "$st" = 1 ]
    check "vmsim $cmd: missing file message has the prefix" grep -q "^vmsim $cmd: .*cannot open" err.txt
done

# 2
st=$(status "$VMSIM" sweep --plot fig.jpg /nonexistent/in.trace)
check "bad plot extension exits 2" [ "$st" = 2 ]
check "bad plot extension is named, before the trace is opened" \
    bash -c 'grep -q "must end in .png, .svg or .pdf" err.txt && ! grep -q "cannot open" err.txt'
st=$(status "$VMSIM" sweep --plot /nonexistent/dir/fig.png /nonexistent/in.trace)
check "plot in a missing folder exits 2 before the trace is opened" \
    bash -c "[ $st = 2 ] && grep -q 'cannot write there' err.txt && ! grep -q 'cannot open' err.txt"

"$VMSIM" trace synth zipf --accesses 5000 --footprint 1M -o t.vbt 2> synth.txt
# 5
check "trace synth prints one summary line" \
    bash -c '[ "$(wc -l < synth.txt)" = 1 ] && grep -q "^vmsim trace synth: t.vbt: 5000 data accesses" synth.txt'

# 3 (no plotter: an empty PATH hides gnuplot; Debian's python3 must lack matplotlib)
if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
    # matplotlib draws when gnuplot cannot be found: the same promises hold
    PATH=/nonexistent "$VMSIM" sweep --metric miss --policy lru,fifo --size 640,400 --plot m.png t.vbt \
        > /dev/null 2>&1
    PATH=/nonexistent "$VMSIM" sweep --plot m.svg t.vbt > /dev/null 2>&1
    PATH=/nonexistent "$VMSIM" sweep --plot m.pdf t.vbt > /dev/null 2>&1
    check "matplotlib: PNG bytes in .png, 640x400" bash -c \
        '[ "$(head -c 4 m.png | od -An -c | tr -d " ")" = "211PNG" ] &&
         [ "$(od -An -tu1 -j16 -N8 m.png | tr -s " ")" = " 0 0 2 128 0 0 1 144" ]'
    check "matplotlib: SVG text in .svg" grep -q "<svg" m.svg
    check "matplotlib: PDF bytes in .pdf" bash -c '[ "$(head -c 5 m.pdf)" = "%PDF-" ]'
    echo "skipped: /usr/bin/python3 has matplotlib, so no plotter cannot be simulated"
else
    st=$(PATH=/nonexistent status "$VMSIM" sweep --plot fig.png t.vbt)
    check "no plotter, no --csv: exits 1" [ "$st" = 1 ]
    check "no plotter, no --csv: says what to install" grep -q "gnuplot" err.txt
    st=$(PATH=/nonexistent status "$VMSIM" sweep --plot fig.png --csv t.csv t.vbt)
    check "no plotter, with --csv: exits 0 and writes the CSV" bash -c "[ $st = 0 ] && [ -s t.csv ]"
fi

# 4
if command -v gnuplot > /dev/null; then
    "$VMSIM" sweep --metric miss --size 640,400 --plot f.png t.vbt > /dev/null 2>&1
    "$VMSIM" sweep --metric mpki --plot f.svg t.vbt > /dev/null 2>&1
    "$VMSIM" sweep --title "my title" --plot f.pdf t.vbt > /dev/null 2>&1
    check "PNG bytes in .png" bash -c '[ "$(head -c 4 f.png | od -An -c | tr -d " ")" = "211PNG" ]'
    check "--size 640,400 makes a 640x400 PNG" \
        bash -c '[ "$(od -An -tu1 -j16 -N8 f.png | tr -s " ")" = " 0 0 2 128 0 0 1 144" ]'
    check "SVG text in .svg" grep -q "<svg" f.svg
    check "PDF bytes in .pdf" bash -c '[ "$(head -c 5 f.pdf)" = "%PDF-" ]'
    st=$(status "$VMSIM" sweep --metric often t.vbt)
    check "--metric often is refused" [ "$st" = 2 ]
else
    echo "skipped: gnuplot is not installed"
fi
echo "cli_newcomer: $fails failed"
[ "$fails" = 0 ]
