#!/bin/sh
# weekly_check.sh RESULTS CVO - two weekly runs of cvo analyze --push klaviyo,gorgias on
# one generated store (--as-of one week apart) against the fake Klaviyo and Gorgias on
# 127.0.0.1, whose customers move between lists: after run 2 every profile in Klaviyo
# holds exactly the properties customers.csv of run 2 gives (no stale value), no event
# and no ticket was sent twice. Then runs killed (SIGKILL) in the middle of each push
# and restarted: still nothing sent twice, and everything sent in the end.
# Loopback only, every wait bounded. Writes RESULTS/weekly.count.
results=$1
root=$(cd "$(dirname "$0")/.." && pwd)
cvo=${2:-${CVO:-$root/build/cvo}}
case $cvo in /*) ;; *) cvo=$(pwd)/$cvo ;; esac
if [ -z "$results" ]; then
    echo "usage: weekly_check.sh RESULTS [CVO]" >&2
    exit 2
fi
layer=weekly
. "$root/tests/servers.sh"
# value KEY SUM: the number after KEY= in a server summary
value() { sed -n "s/^$1=//p" "$2"; }
bounded() { timeout 300 "$@"; }

need command -v python3
need command -v timeout
need test -x "$cvo"
key=pk_test_weekly
user=agent@example.com
secret=gorgias_weekly_key

# start NAME klaviyo|gorgias [OPTION...]: sets $url.
start() {
    name=$1
    kind=$2
    shift 2
    if [ "$kind" = klaviyo ]; then
        serve "$name" klaviyo --key "$key" --timeout 280 --throttle 0 --unavailable 0 "$@"
    else
        serve "$name" gorgias --user "$user" --key "$secret" --timeout 280 --throttle 0 "$@"
    fi
}

# Every profile of the store equals its row of customers.csv, property for property.
cat > "$work/compare.py" << 'EOF'
import csv, json, sys

store = json.load(open(sys.argv[1]))["profiles"]
rows = [r for r in csv.DictReader(open(sys.argv[2])) if r["email"]]

def number(text):
    return float(text)

def expected(r):
    flag = lambda name: r[name] == "1"
    want = {"CVO RFM Segment": r["segment"], "CVO RFM Score": int(r["rfm"]),
            "CVO Recency Days": int(r["recency_days"]), "CVO Orders": int(r["frequency"]),
            "CVO Historic CLV": number(r["monetary"]), "CVO Churn Risk": r["churn_risk"],
            "CVO Exclude": flag("exclude"), "CVO Winback": flag("winback"),
            "CVO VIP": flag("vip"), "CVO Referral": flag("referral"),
            "CVO Interview": flag("interview"), "CVO No Discount": flag("no_discount"),
            "CVO Discount Eligible": not flag("no_discount"),
            "CVO Loyalty Tier": r["loyalty_tier"]}
    optional = {"CVO Predicted CLV": ("predicted_clv", number), "CVO P Alive": ("p_alive", number),
                "CVO Next Order Date": ("next_order_date", lambda d: d + " 00:00:00"),
                "CVO Profit": ("profit", number), "CVO Predicted Profit": ("predicted_profit", number),
                "CVO Orders To Break Even": ("orders_to_break_even", int)}
    for name, (column, kind) in optional.items():
        if r[column] != "":
            want[name] = kind(r[column])
    if flag("winback"):  # the date only for customers on the win-back list
        want["CVO Winback Date"] = r["winback_date"] + " 00:00:00"
    return want

bad = 0
for r in rows:
    got = store.get(r["email"], {}).get("properties")
    want = expected(r)
    if got != want:
        bad += 1
        if bad <= 5:
            extra = sorted(set(got or {}) - set(want))
            missing = sorted(set(want) - set(got or {}))
            differ = sorted(k for k in want if got and k in got and got[k] != want[k])
            print("%s: stale %s, missing %s, different %s" % (r["email"], extra, missing, differ))
print("profiles=%d store=%d mismatched=%d" % (len(rows), len(store), bad))
sys.exit(bad != 0 or len(rows) != len(store))
EOF

"$cvo" generate -n 2000 -s 7 -o "$work/gen" 2> /dev/null
need test -s "$work/gen/nps.csv"
export CVO_KLAVIYO_API_KEY=$key CVO_KLAVIYO_WAIT=10 CVO_GORGIAS_USER=$user CVO_GORGIAS_API_KEY=$secret
# week DIR DAY [OPTION...]: one weekly run
week() {
    dir=$1
    day=$2
    shift 2
    bounded "$cvo" analyze "$work/gen/orders.csv" --nps "$work/gen/nps.csv" --as-of "$day" \
        -o "$work/$dir" --push klaviyo,gorgias "$@"
}

# ---- two weekly runs -------------------------------------------------------------------
start kl klaviyo
export CVO_KLAVIYO_BASE_URL=$url
start go gorgias
export CVO_GORGIAS_BASE_URL=$url
week out 2025-12-11 > /dev/null 2> "$work/run1.err"
code=$?
check "run 1 exits 0" test $code = 0
[ $code = 0 ] || tail -n 5 "$work/run1.err" >&2
cp "$work/out/customers.csv" "$work/customers1.csv"
week out 2025-12-18 > /dev/null 2> "$work/run2.err"
code=$?
check "run 2 exits 0" test $code = 0
[ $code = 0 ] || tail -n 5 "$work/run2.err" >&2
summarize kl klaviyo
summarize go gorgias
check "klaviyo: no request problem" summary_is "$work/kl.sum" "problems=0"
check "gorgias: no request problem" summary_is "$work/go.sum" "problems=0"

moved=$(python3 -c "
import csv
a = {r['email']: r for r in csv.DictReader(open('$work/customers1.csv'))}
b = {r['email']: r for r in csv.DictReader(open('$work/out/customers.csv'))}
print(sum(1 for e in a for k in ('winback', 'vip', 'referral', 'no_discount') if e in b and a[e][k] != b[e][k]))")
check "customers moved between lists in the week ($moved moves)" test "${moved:-0}" -gt 10
python3 "$work/compare.py" "$work/kl.store" "$work/out/customers.csv" > "$work/compare.out"
check "after run 2 every Klaviyo profile equals customers.csv of run 2" test $? = 0
cat "$work/compare.out" >&2
check "stale values were removed with profile-import (unset)" test "$(value unset_names "$work/kl.sum")" -gt 0
check "no event sent twice" summary_is "$work/kl.sum" "event_repeats=0"
check "no event kept twice" summary_is "$work/kl.sum" "event_duplicates=0"
check "run 2 found events of the same cycle in the ledger" \
    grep -q 'events sent, [1-9][0-9]* already in the ledger' "$work/run2.err"
check "no ticket sent twice" summary_is "$work/go.sum" "duplicates=0"
check "no customer got two tickets" summary_is "$work/go.sum" "customer_repeats=0"
check "run 1 opened tickets" test "$(value tickets "$work/go.sum")" -gt 0
check "run 2 found its tickets in the ledger" \
    grep -q 'gorgias: 0 tickets sent, [1-9][0-9]* already in the ledger' "$work/run2.err"
# the run summary (the last line on stderr, and run in summary.json) says what was sent
python3 - "$work/run2.err" "$work/out/summary.json" > "$work/run.out" 2>&1 << 'EOF'
import json, sys
line = json.loads(open(sys.argv[1]).read().splitlines()[-1])
run = json.load(open(sys.argv[2]))["run"]
assert all(line[k] == run[k] for k in line if k != "duration_s"), (line, run)
assert line["status"] == "ok" and line["exit"] == 0, line
assert line["pushed"] > 0 and line["skipped"] > 0, line  # profiles sent; events, tickets in the ledger
print("ok")
EOF
grep -q "^ok$" "$work/run.out" || cat "$work/run.out" >&2
check "run 2's summary line and summary.json count what was pushed and skipped" grep -q "^ok$" "$work/run.out"

# ---- killed during the Klaviyo events and restarted ----------------------------------------
# waits until LOG has N lines matching PATTERN (at most 30 s); false if not
count_of() { n=$(grep -c -e "$2" "$1" 2> /dev/null); echo "${n:-0}"; }
wait_for() {
    tries=0
    while [ "$(count_of "$1" "$3")" -lt "$2" ] && [ $tries -lt 300 ]; do
        sleep 0.1
        tries=$((tries + 1))
    done
    [ $tries -lt 300 ]
}

start kslow klaviyo --delay-events 0.2
export CVO_KLAVIYO_BASE_URL=$url
start gfast gorgias
export CVO_GORGIAS_BASE_URL=$url
# cvo itself in the background ($! is its pid), not a function's subshell
"$cvo" analyze "$work/gen/orders.csv" --nps "$work/gen/nps.csv" --as-of 2025-12-18 \
    -o "$work/kill1" --push klaviyo,gorgias > /dev/null 2> "$work/kill1.err" &
pid=$!
check "the kill lands during the events" wait_for "$work/kslow.log" 5 '"kind": "event"'
kill -9 $pid 2> /dev/null
wait $pid 2> /dev/null
check "killed during the events: no ticket was sent yet" test ! -s "$work/gfast.log"
check "killed during the events: no summary line (it died)" \
    test "$(count_of "$work/kill1.err" 'events sent')" = 0
week kill1 2025-12-18 > /dev/null 2> "$work/kill1-again.err"
code=$?
check "restart after the kill exits 0" test $code = 0
[ $code = 0 ] || tail -n 5 "$work/kill1-again.err" >&2
summarize kslow klaviyo
summarize gfast gorgias
check "kill and restart: no event sent twice" summary_is "$work/kslow.sum" "event_repeats=0"
events=$(grep -c . "$work/kill1/klaviyo/events.jsonl")
sent=$(value event "$work/kslow.sum")
check "kill and restart: every event sent but at most the one in flight ($sent of $events)" \
    test "$sent" -ge $((events - 1)) -a "$sent" -le "$events"
check "kill and restart: the one in flight is reported" \
    contains "$work/kill1-again.err" "of an interrupted push may or may not have reached Klaviyo"
check "kill and restart: every ticket sent once" summary_is "$work/gfast.sum" "duplicates=0"
check "kill and restart: the profiles are right" \
    python3 "$work/compare.py" "$work/kslow.store" "$work/kill1/customers.csv"

# ---- killed during the Gorgias tickets and restarted ----------------------------------------
start kfast klaviyo
export CVO_KLAVIYO_BASE_URL=$url
start gslow gorgias --delay 1
export CVO_GORGIAS_BASE_URL=$url
"$cvo" analyze "$work/gen/orders.csv" --nps "$work/gen/nps.csv" --as-of 2025-12-18 \
    -o "$work/kill2" --push klaviyo,gorgias > /dev/null 2> "$work/kill2.err" &
pid=$!
check "the kill lands during the tickets" wait_for "$work/gslow.log" 2 '"status"'
kill -9 $pid 2> /dev/null
wait $pid 2> /dev/null
check "killed during the tickets: no summary line (it died)" \
    test "$(count_of "$work/kill2.err" 'tickets sent')" = 0
week kill2 2025-12-18 > /dev/null 2> "$work/kill2-again.err"
code=$?
check "restart after the kill in Gorgias exits 0" test $code = 0
[ $code = 0 ] || tail -n 5 "$work/kill2-again.err" >&2
summarize kfast klaviyo
summarize gslow gorgias
tickets=$(grep -c . "$work/kill2/gorgias/tickets.jsonl")
made=$(value tickets "$work/gslow.sum")
check "kill in Gorgias: no ticket sent twice" summary_is "$work/gslow.sum" "duplicates=0"
check "kill in Gorgias: no customer got two" summary_is "$work/gslow.sum" "customer_repeats=0"
check "kill in Gorgias: every ticket made ($made of $tickets)" test "$made" = "$tickets"
check "kill in Gorgias: the one in flight is reported" \
    contains "$work/kill2-again.err" "of an interrupted push may or may not have been made"
check "kill in Gorgias: no event sent twice" summary_is "$work/kfast.sum" "event_repeats=0"

finish
