#!/bin/sh
# summary.sh RESULTS - add up the counts of every test layer into one closing line.
pass=0; fail=0
for f in "$1"/*.count; do
    [ -f "$f" ] || continue
    read -r p q < "$f"
    pass=$((pass + p)); fail=$((fail + q))
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
