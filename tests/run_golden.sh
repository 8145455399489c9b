#!/bin/sh
# run_golden.sh CVO RESULTS [--update] - golden CLI tests.
# Each case is a folder tests/golden/NAME with:
#   cmd     one shell command line, run from the repository root, with $CVO
#           set to the binary and $TMP to a fresh scratch directory;
#   stdout, stderr, exit   the exact expected output and exit code.
# Extra files the command writes can be checked by the command itself
# (e.g. "... ; cat $TMP/rejects.csv"). --update rewrites the expectations.
# The run's clock is fixed at 2026-01-01 (SOURCE_DATE_EPOCH; dates after the
# next day are rejected as future dates), so that no expectation depends on
# the day the tests run; a case may set its own.
export SOURCE_DATE_EPOCH=1767225600
cvo=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
results=$2
update=${3:-}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
pass=0; fail=0
for dir in tests/golden/*/; do
    [ -f "$dir/cmd" ] || continue
    name=$(basename "$dir")
    tmp=$(mktemp -d)
    CVO=$cvo TMP=$tmp sh -c "$(cat "$dir/cmd")" > "$tmp/.stdout" 2> "$tmp/.stderr"
    code=$?
    if [ "$update" = "--update" ]; then
        cp "$tmp/.stdout" "$dir/stdout"; cp "$tmp/.stderr" "$dir/stderr"; echo "$code" > "$dir/exit"
    fi
    ok=1
    cmp -s "$tmp/.stdout" "$dir/stdout" || ok=0
    cmp -s "$tmp/.stderr" "$dir/stderr" || ok=0
    [ "$code" = "$(cat "$dir/exit")" ] || ok=0
    if [ $ok = 1 ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL golden/$name (exit $code, expected $(cat "$dir/exit"))" >&2
        diff "$dir/stdout" "$tmp/.stdout" | head -20 >&2
        diff "$dir/stderr" "$tmp/.stderr" | head -20 >&2
    fi
    rm -rf "$tmp"
done
echo "golden: $pass passed, $fail failed"
echo "$pass $fail" > "$results/golden.count"
[ "$fail" = 0 ]
