#!/bin/sh
# cron_check.sh RESULTS CVO - cvo analyze run from cron, unattended: a second
# run on the same output is refused (exit 5) while the first finishes intact;
# --max-rejects refuses a messy export before anything is written or pushed;
# the drop guard refuses a truncated export; under the limits a run with
# rejects succeeds (exit 0); the one-line run summary on stderr and in
# summary.json. Writes RESULTS/cron.count.
results=$1
cvo=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
tmp=$(mktemp -d)
pass=0; fail=0
trap 'rm -rf "$tmp"' EXIT
ok() { pass=$((pass + 1)); }
bad() { echo "cron: FAIL: $1" >&2; fail=$((fail + 1)); }
same() { if [ "$1" = "$2" ]; then ok; else bad "$3: '$1', wanted '$2'"; fi; }
has() { if grep -q -F -e "$2" "$1"; then ok; else bad "$3: no '$2' in $1"; sed 's/^/    /' "$1" >&2; fi; }
# the outputs as a list of checksums, without the run object of summary.json
fingerprint() {
    (cd "$1" && find . -type f | LC_ALL=C sort | while read -r f; do
        case $f in
        ./summary.json) sed 's/,"run":{[^}]*}}$/}/' "$f" | md5sum ;;
        *) md5sum < "$f" ;;
        esac | sed "s|-\$|$f|"
    done)
}
runs_left() { ls "$tmp/$1" 2>/dev/null | wc -l | tr -d ' '; }

"$cvo" generate -n 3000 -s 5 -o "$tmp/store" 2>/dev/null
# one key for the keyed ids of every output (each state database makes its own)
printf '[privacy]\nid_key = cron-check-key-0123456789abcdef\n' > "$tmp/key.ini"
orders=$tmp/store/orders.csv
messy=$(cd "$(dirname "$0")" && pwd)/data/messy.csv

# ---- 1. two runs at once on the same output and --db: one runs, one is refused
CVO_TEST_PAUSE=written:4 "$cvo" analyze "$orders" -o "$tmp/out" --db "$tmp/h.db" \
    --config "$tmp/key.ini" > /dev/null 2> "$tmp/first.err" &
pid=$!
tries=0
while ! grep -q "pause at written" "$tmp/first.err" 2>/dev/null && [ $tries -lt 1200 ]; do
    sleep 0.05
    tries=$((tries + 1))
done
"$cvo" analyze "$orders" -o "$tmp/out" --db "$tmp/h.db" > /dev/null 2> "$tmp/second.err"
same "$?" 5 "second run while the first holds the lock"
has "$tmp/second.err" "out.lock is locked" "second run says why"
wait "$pid"
same "$?" 0 "the first run"
"$cvo" analyze -q "$orders" -o "$tmp/ref" --db "$tmp/ref.db" --config "$tmp/key.ini"
fingerprint "$tmp/out" > "$tmp/out.sum"
fingerprint "$tmp/ref" > "$tmp/ref.sum"
if cmp -s "$tmp/out.sum" "$tmp/ref.sum"; then ok; else bad "outputs of the first run differ"; fi
same "$(sqlite3 "$tmp/h.db" 'PRAGMA integrity_check')" ok "database after two runs"
same "$(sqlite3 "$tmp/h.db" "SELECT count(*) FROM runs WHERE state = 'committed'")" 1 \
    "runs recorded"
same "$(sqlite3 "$tmp/h.db" "SELECT count(*) FROM snapshots")" 1 "snapshots recorded"
same "$(runs_left .out.cvo/runs)" 1 "run directories kept"

# ---- 2. --max-rejects: refused before anything is written or pushed
"$cvo" analyze -q "$messy" -o "$tmp/m" --max-rejects 40% > /dev/null 2>&1
same "$?" 0 "messy export under --max-rejects 40% (13 of 44 rejected): a success"
"$cvo" analyze -q "$messy" -o "$tmp/m1" > /dev/null 2>&1
same "$?" 1 "messy export without --max-rejects: success with rejects"
fingerprint "$tmp/m" > "$tmp/m.sum"
CVO_KLAVIYO_API_KEY=pk_test_0123456789abcdef CVO_KLAVIYO_BASE_URL=http://127.0.0.1:9 \
    "$cvo" analyze "$messy" -o "$tmp/m" --max-rejects 10% --push klaviyo \
    > "$tmp/refused.out" 2> "$tmp/refused.err"
same "$?" 5 "messy export over --max-rejects 10%"
has "$tmp/refused.err" "13 of 44 records of $messy rejected (29.5%), more than --max-rejects 10%" \
    "refusal gives the count"
has "$tmp/refused.err" "first: $messy:4: exact duplicate of line 3" "refusal gives the first reasons with file:line"
if grep -q -i klaviyo "$tmp/refused.err"; then bad "a push was tried"; else ok; fi
fingerprint "$tmp/m" > "$tmp/m2.sum"
if cmp -s "$tmp/m.sum" "$tmp/m2.sum"; then ok; else bad "the previous outputs changed"; fi
same "$(runs_left .m.cvo/runs)" 1 "no run directory left by the refused run"
"$cvo" analyze -q "$messy" -o "$tmp/m" --max-rejects 12 > /dev/null 2>&1
same "$?" 5 "--max-rejects 12 (a count) with 13 rejected"
"$cvo" analyze -q "$messy" -o "$tmp/m" --max-rejects 13 > /dev/null 2>&1
same "$?" 0 "--max-rejects 13 with 13 rejected"
"$cvo" analyze -q "$messy" -o "$tmp/m" --max-rejects 10%% > /dev/null 2> "$tmp/usage.err"
same "$?" 2 "--max-rejects 10%%"

# ---- 3. the drop guard: a truncated export (no rejected row) is refused
head -n 4000 "$orders" > "$tmp/truncated.csv"
fingerprint "$tmp/out" > "$tmp/before.sum"
"$cvo" analyze "$tmp/truncated.csv" -o "$tmp/out" --db "$tmp/h.db" > /dev/null 2> "$tmp/drop.err"
same "$?" 5 "truncated export"
has "$tmp/drop.err" "customers fell from" "the drop guard says which figure"
has "$tmp/drop.err" "--force accepts it" "the drop guard says how to accept"
fingerprint "$tmp/out" > "$tmp/after.sum"
if cmp -s "$tmp/before.sum" "$tmp/after.sum"; then ok; else bad "outputs changed by a refused run"; fi
same "$(sqlite3 "$tmp/h.db" "SELECT count(*) FROM snapshot_list")" 1 "no snapshot from a refused run"
"$cvo" analyze -q "$tmp/truncated.csv" -o "$tmp/nodb" > /dev/null 2>&1
"$cvo" analyze -q "$orders" -o "$tmp/nodb" > /dev/null 2>&1
"$cvo" analyze -q "$tmp/truncated.csv" -o "$tmp/nodb" > /dev/null 2>&1
same "$?" 5 "truncated export without --db (the output's own state)"
printf '[safety]\nmax_drop = 1\n' > "$tmp/lenient.ini"
"$cvo" analyze -q "$tmp/truncated.csv" -o "$tmp/nodb" --config "$tmp/lenient.ini" > /dev/null 2>&1
same "$?" 0 "max_drop = 1 never refuses"
"$cvo" analyze -q "$orders" -o "$tmp/nodb" > /dev/null 2>&1
"$cvo" analyze -q "$tmp/truncated.csv" -o "$tmp/nodb" --force > /dev/null 2>&1
same "$?" 0 "truncated export with --force"

# ---- 4. the run summary: one JSON line on stderr, the same in summary.json
"$cvo" analyze "$messy" -o "$tmp/s" --max-rejects 50% > /dev/null 2> "$tmp/summary.err"
same "$?" 0 "run with a summary"
tail -n 1 "$tmp/summary.err" > "$tmp/line.json"
id=$(basename "$(readlink "$tmp/s")")
python3 - "$tmp/line.json" "$tmp/s/summary.json" "$id" > "$tmp/py.out" 2>&1 << 'EOF'
import json, sys
line = json.load(open(sys.argv[1]))
run = json.load(open(sys.argv[2]))["run"]
want = {"run_id": sys.argv[3], "status": "ok", "exit": 0, "records": 44, "used": 28,
        "not_counted": 3, "rejected": 13, "pushed": 0, "skipped": 0}
for k, v in want.items():
    assert line[k] == v, (k, line[k], v)
    assert run[k] == v, (k, run[k], v)
assert line["customers"] == run["customers"] > 0
assert isinstance(line["duration_s"], float) and line["duration_s"] >= 0
print("ok")
EOF
has "$tmp/py.out" ok "run summary line and summary.json"
"$cvo" analyze "$messy" -o "$tmp/s" --max-rejects 1 > /dev/null 2> "$tmp/refused.err"
tail -n 1 "$tmp/refused.err" > "$tmp/refused.json"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["status"]=="refused" and r["exit"]==5 and "max-rejects" in r["reason"]; print("ok")' \
    "$tmp/refused.json" > "$tmp/py2.out" 2>&1
has "$tmp/py2.out" ok "run summary of a refused run"

# ---- 5. cvo forget: out of the history at once, out of every output from the next run
"$cvo" analyze -q "$orders" -o "$tmp/out" --db "$tmp/h.db" --config "$tmp/key.ini"
same "$(runs_left .out.cvo/runs)" 2 "runs kept: the last and the one before"
who=$(sed -n 2p "$tmp/out/customers.csv" | cut -d, -f1)
mail=$(sed -n 2p "$tmp/out/customers.csv" | cut -d, -f2)
"$cvo" forget --db "$tmp/h.db" -o "$tmp/out" --config "$tmp/key.ini" "$who" \
    > /dev/null 2> "$tmp/forget.err"
same "$?" 0 "cvo forget"
same "$(runs_left .out.cvo/runs)" 1 "runs kept after forget (the older copy gone)"
has "$tmp/forget.err" "forgot 1 of 1 customers" "forget says what it did"
same "$(sqlite3 "$tmp/h.db" "SELECT count(*) FROM snapshot_customers WHERE customer_key = '$who'")" 0 \
    "forgotten customer's snapshot rows"
"$cvo" analyze "$orders" -o "$tmp/out" --db "$tmp/h.db" --config "$tmp/key.ini" \
    > /dev/null 2> "$tmp/after.err"
same "$?" 0 "the run after forget"
has "$tmp/after.err" "1 forgotten customers left out" "the run says it left them out"
if grep -r -q -e "$who" -e "$mail" "$tmp/out/"; then bad "the forgotten customer is in the outputs"; else ok; fi
same "$(sqlite3 "$tmp/h.db" "SELECT count(*) FROM snapshot_customers WHERE customer_key = '$who'")" 0 \
    "forgotten customer not recorded again"

echo "cron: $pass passed, $fail failed"
echo "$pass $fail" > "$results/cron.count"
[ "$fail" = 0 ]
