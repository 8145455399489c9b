#!/bin/sh
# run_fuzz_replay.sh RESULTS BIN... - replays fuzz/corpus/<target>/* through
# each target's replay binary; one test per corpus file.
results=$1; shift
pass=0; fail=0
for bin in "$@"; do
    target=$(basename "$bin" -replay)
    for input in fuzz/corpus/"$target"/*; do
        [ -f "$input" ] || continue
        if "$bin" "$input" > /dev/null 2>&1; then
            pass=$((pass + 1))
        else
            fail=$((fail + 1))
            echo "FAIL fuzz replay: $target $input" >&2
        fi
    done
done
echo "fuzz replay: $pass passed, $fail failed"
echo "$pass $fail" > "$results/fuzz.count"
[ "$fail" = 0 ]
