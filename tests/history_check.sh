#!/bin/sh
# history_check.sh RESULTS CVO - the history database of cvo analyze --db,
# read back with the sqlite3 shell: (a) killed (SIGKILL) in the middle of
# recording, the database is exactly as before; (b) monthly backfilled
# snapshots have the same scores and segments as separate --as-of runs;
# (c) two runs for the same as-of day leave one snapshot.
results=$1
cvo=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
tmp=$(mktemp -d)
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL history: $1" >&2; }
same() { if [ "$1" = "$2" ]; then ok; else bad "$3: '$1' vs '$2'"; fi; }

"$cvo" generate -n 2000 -s 7 -o "$tmp/store" 2>/dev/null
orders=$tmp/store/orders.csv

# (b) backfill, then three month starts analysed on their own into another db
"$cvo" analyze -q "$orders" -o "$tmp/out" --db "$tmp/back.db" --backfill monthly
same "$?" 0 "backfill run exit code"
# month starts 2023-02-01 .. 2025-12-01 and the run's own as-of 2026-01-01
same "$(sqlite3 "$tmp/back.db" 'SELECT count(*), min(as_of), max(as_of) FROM snapshots')" \
    "36|2023-02-01|2026-01-01" "backfilled snapshots"
cols="customer_key, customer_id, email, recency_days, frequency, monetary_cents, r_score,"
cols="$cols f_score, m_score, segment, in_top, predicted_clv_cents, p_alive"
for day in 2023-07-01 2024-06-01 2025-03-01; do
    "$cvo" analyze -q "$orders" -o "$tmp/o-$day" --as-of "$day" --db "$tmp/sep.db"
    same "$?" 0 "--as-of $day exit code"
    q="SELECT $cols FROM snapshot_customers WHERE as_of = '$day' ORDER BY customer_key"
    sqlite3 "$tmp/back.db" "$q" > "$tmp/back-$day.txt"
    sqlite3 "$tmp/sep.db" "$q" > "$tmp/sep-$day.txt"
    rows=$(wc -l < "$tmp/sep-$day.txt")
    if [ "$rows" -gt 100 ] && cmp -s "$tmp/back-$day.txt" "$tmp/sep-$day.txt"; then ok
    else bad "$day: backfilled snapshot differs from --as-of ($rows rows)"; fi
done

# (c) the same as-of day again: replaced, not duplicated
"$cvo" analyze -q "$orders" -o "$tmp/o-again" --as-of 2024-06-01 --db "$tmp/sep.db"
same "$(sqlite3 "$tmp/sep.db" "SELECT count(*) FROM snapshots WHERE as_of = '2024-06-01'")" 1 \
    "snapshots of 2024-06-01 after two runs"
same "$(sqlite3 "$tmp/sep.db" "SELECT count(*) FROM snapshot_customers WHERE as_of = '2024-06-01'")" \
    "$(sqlite3 "$tmp/sep.db" "SELECT customers FROM snapshots WHERE as_of = '2024-06-01'")" \
    "customer rows of 2024-06-01 after two runs"
same "$(sqlite3 "$tmp/sep.db" 'SELECT count(*) FROM snapshots')" 3 "snapshots after the rerun"

# (a) SIGKILL while the transaction is open (CVO_TEST_HISTORY_PAUSE holds the
# CLI just before COMMIT), once for a new as-of day and once replacing one
state() {
    sqlite3 "$1" "PRAGMA integrity_check; SELECT as_of, customers, revenue_cents FROM snapshots ORDER BY as_of;
        SELECT as_of, count(*), sum(monetary_cents) FROM snapshot_customers GROUP BY as_of;
        SELECT count(*) FROM snapshot_segments;" | md5sum
}
for day in 2025-06-15 2024-06-01; do
    cp "$tmp/sep.db" "$tmp/kill.db"
    before=$(state "$tmp/kill.db")
    CVO_TEST_HISTORY_PAUSE=60 "$cvo" analyze -q "$orders" -o "$tmp/o-kill" --as-of "$day" \
        --db "$tmp/kill.db" 2> "$tmp/kill.err" &
    pid=$!
    tries=0
    while ! grep -q recording "$tmp/kill.err" 2>/dev/null && [ $tries -lt 600 ]; do
        sleep 0.1; tries=$((tries + 1))
    done
    # a hot journal proves the transaction was open when the process died
    if [ -s "$tmp/kill.db-journal" ]; then ok; else bad "$day: no open transaction to kill"; fi
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    same "$(state "$tmp/kill.db")" "$before" "$day: database after SIGKILL mid-record"
    same "$(sqlite3 "$tmp/kill.db" 'PRAGMA integrity_check')" ok "$day: integrity after SIGKILL"
done

rm -rf "$tmp"
echo "history: $pass passed, $fail failed"
echo "$pass $fail" > "$results/history.count"
[ "$fail" = 0 ]
