#!/bin/sh
# kill_check.sh RESULTS CVO - cvo analyze --db killed (SIGKILL, so nothing can
# clean up) at 20 moments of a run must leave, once the history is next opened,
# either the previous run's complete outputs with the previous history, or the
# new run's complete outputs with the new history: never a mix, never a
# half-written file, never a snapshot without its outputs or the reverse.
# 16 kills are spread over the length of a complete run; 4 land inside the
# publication (the run held at a stage by CVO_TEST_PAUSE / CVO_TEST_HISTORY_PAUSE).
results=$1
cvo=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
tmp=$(mktemp -d)
pass=0; fail=0
trap 'rm -rf "$tmp"' EXIT
bad() { echo "kill: FAIL: $1" >&2; bad=1; }
finish() {
    echo "kill: $pass passed, $fail failed"
    echo "$pass $fail" > "$results/kill.count"
    [ "$fail" = 0 ]
    exit $?
}

"$cvo" generate -n 12000 -s 21 -o "$tmp/store" 2>/dev/null
orders=$tmp/store/orders.csv
early=2025-06-01 # the previous run: the same orders as they stood then
# analyze ARGS...: a complete run into $w/out with $w/h.db (a function: never
# killed through it, $! would be the shell's, not cvo's)
analyze() { "$cvo" analyze -q --xlsx "$orders" -o "$w/out" --db "$w/h.db" "$@"; }

# a set of outputs without the run object of summary.json (its id and time differ)
fingerprint() {
    (cd "$1" && find . -type f | LC_ALL=C sort | while read -r f; do
        case $f in
        ./summary.json) sed 's/,"run":{[^}]*}}$/}/' "$f" | md5sum ;;
        *) md5sum < "$f" ;;
        esac | sed "s|-\$|$f|"
    done)
}

# the previous run, and the new run complete, as references
w=$tmp/ref && mkdir -p "$w"
analyze --as-of "$early" || { echo "kill: reference run failed" >&2; fail=1; finish; }
cp -a "$w" "$tmp/before"
fingerprint "$w/out" > "$tmp/old.sum"
start=$(date +%s%N)
analyze || { echo "kill: reference run failed" >&2; fail=1; finish; }
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
fingerprint "$w/out" > "$tmp/new.sum"
new_as_of=$(sqlite3 "$w/h.db" "SELECT max(as_of) FROM snapshots")
if cmp -s "$tmp/old.sum" "$tmp/new.sum"; then
    echo "kill: the two reference runs have the same outputs" >&2; fail=1; finish
fi

# After a kill: settle the history as the next run would (any open settles),
# then the outputs and the history must both be the old or both the new.
check() {
    what=$1
    bad=0
    "$cvo" history --db "$w/h.db" > /dev/null 2>&1 || bad "$what: history cannot be opened"
    [ -L "$w/out" ] || bad "$what: $w/out is not the link"
    fingerprint "$w/out" > "$tmp/now.sum"
    latest=$(sqlite3 "$w/h.db" "SELECT max(as_of) FROM snapshots")
    id=$(basename "$(readlink "$w/out")")
    committed=$(sqlite3 "$w/h.db" \
        "SELECT run_id FROM runs WHERE state = 'committed' ORDER BY created_at DESC, rowid DESC LIMIT 1")
    if cmp -s "$tmp/now.sum" "$tmp/old.sum"; then
        [ "$latest" = "$early" ] || bad "$what: old outputs but the latest snapshot is $latest"
    elif cmp -s "$tmp/now.sum" "$tmp/new.sum"; then
        [ "$latest" = "$new_as_of" ] || bad "$what: new outputs but the latest snapshot is $latest"
    else
        bad "$what: the outputs are neither the old nor the new set"
        diff "$tmp/now.sum" "$tmp/new.sum" | head -5 >&2
    fi
    [ "$id" = "$committed" ] || bad "$what: the link shows run $id, the history $committed"
    grep -q "\"run_id\":\"$id\"" "$w/out/summary.json" || bad "$what: summary.json is not run $id's"
    [ "$(sqlite3 "$w/h.db" "SELECT count(*) FROM runs WHERE state = 'pending'")" = 0 ] ||
        bad "$what: a pending run is left"
    [ "$(sqlite3 "$w/h.db" 'PRAGMA integrity_check')" = ok ] || bad "$what: integrity_check"
    # and the next run goes through
    analyze > /dev/null 2>&1 || bad "$what: the next run failed"
    fingerprint "$w/out" > "$tmp/next.sum"
    cmp -s "$tmp/next.sum" "$tmp/new.sum" || bad "$what: the next run's outputs differ"
    if [ $bad = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
}

fresh() {
    w=$tmp/w
    rm -rf "$w"
    cp -a "$tmp/before" "$w"
}

# 16 kills spread over the run's length
for k in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
    fresh
    delay=$(echo "scale=3; $took_ms * $k / 17 / 1000" | bc)
    "$cvo" analyze -q --xlsx "$orders" -o "$w/out" --db "$w/h.db" & pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    check "kill after ${delay}s"
done

# 4 kills inside the publication: files written, inside the history
# transaction, run pending, link switched
for stage in written:60 recording pending:60 published:60; do
    fresh
    case $stage in
    recording) CVO_TEST_HISTORY_PAUSE=60 "$cvo" analyze --xlsx "$orders" -o "$w/out" \
        --db "$w/h.db" > /dev/null 2> "$tmp/err" & pid=$! ;;
    *) CVO_TEST_PAUSE=$stage "$cvo" analyze --xlsx "$orders" -o "$w/out" \
        --db "$w/h.db" > /dev/null 2> "$tmp/err" & pid=$! ;;
    esac
    word=${stage%%:*}
    tries=0
    while ! grep -q -e "pause at $word" -e "cvo: $word" "$tmp/err" 2>/dev/null && [ $tries -lt 1200 ]; do
        sleep 0.05
        tries=$((tries + 1))
    done
    grep -q -e "pause at $word" -e "cvo: $word" "$tmp/err" || echo "kill: never reached $word" >&2
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    check "kill at $word"
done
finish
