#!/bin/sh
# run_unit.sh RESULTS TEST... - run each cmocka test program; record pass/fail.
results=$1; shift
pass=0; fail=0
for t in "$@"; do
    name=$(basename "$t")
    if "$t" > "$results/$name.log" 2>&1; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $name" >&2
        cat "$results/$name.log" >&2
    fi
    # cmocka prints "[  PASSED  ] N test(s)." - count the cases, not the programs
done
cases_ok=$(cat "$results"/test_*.log 2>/dev/null | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
cases_bad=$(cat "$results"/test_*.log 2>/dev/null | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
echo "unit: $cases_ok passed, $cases_bad failed ($pass programs ok, $fail failed)"
echo "$cases_ok $cases_bad" > "$results/unit.count"
[ "$fail" = 0 ]
