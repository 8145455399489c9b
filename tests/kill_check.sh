#!/bin/sh
# kill_check.sh RESULTS CVO - cvo analyze killed at any moment (SIGKILL, so
# nothing can clean up) must leave no half-written file: every file found in
# DIR afterwards is byte-identical to the same file of a completed run.
results=$1
cvo=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
tmp=$(mktemp -d)
pass=0; fail=0
"$cvo" generate -n 60000 -s 21 -o "$tmp/store" 2>/dev/null
# one identifier key for every output folder, so their keyed ids compare equal
printf '[privacy]\nid_key = kill-check\n' > "$tmp/cvo.ini"
"$cvo" analyze -q --xlsx -c "$tmp/cvo.ini" "$tmp/store/orders.csv" -o "$tmp/ref"
code=$?
if [ $code -gt 1 ]; then
    echo "kill: reference run failed ($code)" >&2; echo "0 1" > "$results/kill.count"; exit 1
fi
# kill after growing delays so that every phase (reading, models, each file) is hit
for delay in 0.05 0.15 0.3 0.45 0.6 0.8 1.0 1.3; do
    out="$tmp/out-$delay"
    "$cvo" analyze -q --xlsx -c "$tmp/cvo.ini" "$tmp/store/orders.csv" -o "$out" &
    pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    bad=0
    if [ -d "$out" ]; then
        for f in $(cd "$out" && find . -type f); do
            if ! cmp -s "$out/$f" "$tmp/ref/$f"; then
                echo "FAIL kill after ${delay}s: $f is not the complete file" >&2
                bad=1
            fi
        done
    fi
    if [ $bad = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
rm -rf "$tmp"
echo "kill: $pass passed, $fail failed"
echo "$pass $fail" > "$results/kill.count"
[ "$fail" = 0 ]
