#!/bin/sh
# tty_check.sh RESULTS CVO - the reading progress bar. With stderr on a
# pseudo-terminal (script(1) from util-linux) a bar with percent, MB/s and ETA
# (only MB and MB/s when the size is unknown: a pipe) is drawn with carriage
# returns and cleared before the summary; with -q, or with stderr in a file,
# not one byte of it. Timing is never asserted: the bar is drawn on the first
# report and the loader always reports the end.
results=$(cd "$1" && pwd)
cvo=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
pass=0; fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL tty: $*" >&2; }
finish() {
    echo "tty: $pass passed, $fail failed"
    echo "$pass $fail" > "$results/tty.count"
    [ "$fail" = 0 ]
    exit $?
}
# on_tty FILE COMMAND: runs COMMAND (a shell line) with stdin, stdout and
# stderr on a pseudo-terminal; what the terminal showed goes to FILE, with
# carriage returns as they came.
on_tty() {
    out=$1; shift
    script -qec "$1" /dev/null < /dev/null > "$out" 2>&1
}
has() { grep -q -- "$2" "$1"; }

if ! command -v script > /dev/null 2>&1; then
    bad "script(1) not found (Debian: apt-get install bsdutils)"
    finish
fi
"$cvo" generate -n 4000 -s 5 -o "$tmp/store" 2> /dev/null || { bad "generate"; finish; }
gzip -c "$tmp/store/orders.csv" > "$tmp/orders.csv.gz"
cd "$tmp" || exit 1

# 1. a file on a terminal: the bar, then cleared, then the summary
on_tty tty.out "$cvo rfm store/orders.csv -o rfm.csv"
tr '\r' '\n' < tty.out > tty.lines
if has tty.lines '^cvo: orders.csv \[[#-]*\] *[0-9]*%  .* MB  .*MB/s  ETA '; then
    ok
else
    bad "no bar with percent, MB/s and ETA on a terminal:"; cat -A tty.out >&2
fi
# the last drawing is blanked out by a carriage return, spaces and a carriage return
if tr '\r' '|' < tty.out | grep -q '|  *|cvo: store/orders.csv: [0-9]* records'; then
    ok
else
    bad "the bar is not cleared before the summary:"; cat -A tty.out >&2
fi
"$cvo" rfm store/orders.csv -o plain.csv 2> plain.err
cmp -s rfm.csv plain.csv && ok || bad "the output differs with the bar"

# 2. stderr in a file, even with the terminal around: nothing but the summary
on_tty tty2.out "$cvo rfm store/orders.csv -o rfm2.csv 2> file.err"
if cmp -s file.err plain.err && ! grep -q "$(printf '\r')" file.err && ! has file.err 'MB/s'; then
    ok
else
    bad "stderr in a file got more than the summary:"; cat -A file.err >&2
fi
[ ! -s tty2.out ] && ok || { bad "output on the terminal with stderr in a file:"; cat -A tty2.out >&2; }

# 3. -q on a terminal: not one byte
on_tty quiet.out "$cvo rfm -q store/orders.csv -o rfm3.csv"
[ ! -s quiet.out ] && ok || { bad "-q on a terminal printed:"; cat -A quiet.out >&2; }

# 4. a pipe, plain and gzip: no size known, so bytes and rate without a bar
on_tty pipe.out "cat store/orders.csv | $cvo rfm - -o rfm4.csv"
tr '\r' '\n' < pipe.out > pipe.lines
if has pipe.lines '^cvo: <stdin>  [0-9.]* MB  .*MB/s' && ! has pipe.lines '%' && has pipe.lines '^cvo: <stdin>: [0-9]* records'; then
    ok
else
    bad "no byte count on a pipe:"; cat -A pipe.out >&2
fi
on_tty gzpipe.out "cat orders.csv.gz | $cvo rfm - -o rfm5.csv"
tr '\r' '\n' < gzpipe.out > gzpipe.lines
has gzpipe.lines '^cvo: <stdin>  [0-9.]* MB' && cmp -s rfm5.csv plain.csv && ok || {
    bad "gzip on a pipe:"; cat -A gzpipe.out >&2; }

# 5. a gzip file: compressed bytes of the file's size, to 100%
on_tty gz.out "$cvo rfm orders.csv.gz -o rfm6.csv"
tr '\r' '\n' < gz.out > gz.lines
size=$(wc -c < orders.csv.gz)
mb=$(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1e6 }')
has gz.lines "^cvo: orders.csv.gz \[#*\] 100%  *$mb/$mb MB" && ok || {
    bad "gzip file not measured by its stored size ($mb MB):"; cat -A gz.out >&2; }

# 6. analyze: its phases and the bar on one line, nothing with stderr in a file
on_tty analyze.out "$cvo analyze store/orders.csv -o out"
tr '\r' '\n' < analyze.out > analyze.lines
if has analyze.lines 'reading orders' && has analyze.lines '^cvo: orders.csv \[' && has analyze.lines '\[100%\] done'; then
    ok
else
    bad "analyze on a terminal:"; cat -A analyze.out >&2
fi
"$cvo" analyze store/orders.csv -o out2 2> analyze.err
! grep -q "$(printf '\r')" analyze.err && ! has analyze.err 'MB/s' && ok || {
    bad "analyze with stderr in a file:"; cat -A analyze.err >&2; }
finish
