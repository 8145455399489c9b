#!/bin/sh
# pull_check.sh RESULTS CVO - cvo pull shopify against a fake Shopify on 127.0.0.1
# (tests/shopify_test_server.py, the bulk-operation protocol): a full pull, an
# incremental one after orders were added and updated, a full one after orders were
# deleted, each compared with the store by tests/pull_orders.py (computed
# independently of cvo, times in the shop's zone by Python's zoneinfo); the times in
# the shop's time zone (New York, then Kolkata: orders near midnight and at the DST
# changes), the watermark in UTC; a zone the machine lacks, a zone that is not a
# name; a failed bulk operation, throttled polls (waited out, and throttled to the
# end), an operation already in progress, missing scopes, a wrong token; the token
# never in argv, output or messages. Writes RESULTS/pull.count.
results=$1
root=$(cd "$(dirname "$0")/.." && pwd)
cvo=${2:-${CVO:-$root/build/cvo}}
case $cvo in /*) ;; *) cvo=$(pwd)/$cvo ;; esac
if [ -z "$results" ]; then
    echo "usage: pull_check.sh RESULTS [CVO]" >&2
    exit 2
fi
layer=pull
. "$root/tests/servers.sh"

token=shpat_0123456789abcdef0123456789abcdef
shop=cvo-test.myshopify.com
need command -v python3
need command -v timeout
need test -x "$cvo"
orders() { python3 "$root/tests/pull_orders.py" "$@"; }
printf '[shopify]\npoll_seconds = 1\n' > "$work/pull.ini"
printf '[shopify]\npoll_seconds = 1\n[push]\ntries = 2\n' > "$work/tries2.ini"
need orders make "$work/shop.json" 60

# start NAME [OPTION...]: a fake Shopify over $work/shop.json in time zone $zone;
# sets $url.
zone=America/New_York
start() {
    name=$1
    shift
    serve "$name" shopify --store "$work/shop.json" --token "$token" --timeout 120 \
        --zone "$zone" "$@"
}
# pull NAME [OPTION...]: cvo pull shopify into $work/orders.csv; $work/NAME.out/.err.
pull() {
    run=$1
    shift
    CVO_SHOPIFY_TOKEN=$token CVO_SHOPIFY_BASE_URL=$url timeout 60 "$cvo" pull shopify \
        --shop "$shop" -o "$work/orders.csv" -c "$work/pull.ini" "$@" \
        > "$work/$run.out" 2> "$work/$run.err"
}
logged() { grep -c "\"kind\": \"$2\"" "$work/$1.log"; }

# ---- settings ------------------------------------------------------------------------
"$cvo" pull shopify --shop "$shop" -o "$work/orders.csv" > /dev/null 2> "$work/notoken.err"
check "no token exits 2" test $? = 2
check "no token is named" contains "$work/notoken.err" "CVO_SHOPIFY_TOKEN"
CVO_SHOPIFY_TOKEN=$token "$cvo" pull shopify --shop example.com -o "$work/orders.csv" \
    > /dev/null 2> "$work/badshop.err"
check "a shop not NAME.myshopify.com exits 2" test $? = 2
"$cvo" pull shopify --shop "$shop" -o "$work/orders.csv" --full --since 2026-01-01 \
    > /dev/null 2> /dev/null
check "--full with --since exits 2" test $? = 2
check "nothing written by refused runs" test ! -e "$work/orders.csv"

# ---- a full pull, then an incremental one, then a full one ----------------------------
start main
pull full
check "full pull exits 0" test $? = 0
check "full pull says so" contains "$work/full.err" "full pull: no earlier pull into this file"
check "full pull: exactly the server's orders" orders compare "$work/shop.json" "$work/orders.csv" "$zone"
check "full pull summary" contains "$work/full.err" "60 new, 0 updated"
check "the pull is recorded beside the output" contains "$work/orders.csv.pull" "shop=$shop"
check "the download carries no token" test "$(grep -c '"token_sent": true' "$work/main.log")" = 0
check "the shop's time zone is asked once" test "$(logged main zone)" = 1
check "the pull names the shop's time zone" contains "$work/full.err" "shop time zone America/New_York"
# the export's form in New York's time (hand-written; pull_orders.py uses zoneinfo)
check "23:30 in New York is on New York's day" contains "$work/orders.csv" "2025-03-14 23:30:00 -0400"
check "00:10 in New York" contains "$work/orders.csv" "2025-03-15 00:10:00 -0400"
check "the last second of winter time" contains "$work/orders.csv" "2025-03-09 01:59:59 -0500"
check "the first second of summer time" contains "$work/orders.csv" "2025-03-09 03:00:00 -0400"
check "the repeated hour in summer time" contains "$work/orders.csv" "2025-11-02 01:30:00 -0400"
check "the repeated hour in winter time" contains "$work/orders.csv" "2025-11-02 01:10:00 -0500"
check "no time is written in UTC" lacks "$work/orders.csv" "+0000"
check "the watermark stays in UTC" grep -q '^watermark=[0-9-]*T[0-9:]*Z$' "$work/orders.csv.pull"
"$cvo" rfm "$work/orders.csv" > "$work/rfm.out" 2> "$work/rfm.err"
code=$?
check "cvo reads the pull as a Shopify export" test $code -le 1
# every row read: used, or not counted for its financial status (pending, voided, refunded)
counts=$(sed -n 's/.*: 97 records: \([0-9]*\) used, \([0-9]*\) not counted, 0 rejected$/\1 \2/p' "$work/rfm.err")
check "cvo reads every row of the pull, none rejected" test -n "$counts"
check "rows of the pull = used + not counted" test "$(echo $counts | awk '{print $1 + $2}')" = 97

need orders change "$work/shop.json" 5 3
watermark=$(sed -n 's/^watermark=//p' "$work/orders.csv.pull")
pull incremental
check "incremental pull exits 0" test $? = 0
check "incremental pull asks for the updated orders" \
    test "$(grep '"kind": "start"' "$work/main.log" | tail -1 | grep -c '"since": "20')" = 1
check "the updated_at filter is the watermark, in UTC" \
    test "$(grep '"kind": "start"' "$work/main.log" | tail -1 | grep -c "\"since\": \"$watermark\"")" = 1
check "incremental pull pulled only them" contains "$work/incremental.err" \
    "8 orders (" 
check "incremental summary" contains "$work/incremental.err" "5 new, 3 updated; 57 kept"
check "incremental pull: exactly the server's orders" \
    orders compare "$work/shop.json" "$work/orders.csv" "$zone"

ids=$(python3 -c "import json,sys; o=json.load(open(sys.argv[1])); print(o[0]['id'], o[1]['id'])" "$work/shop.json")
need orders delete "$work/shop.json" $ids
pull deleted
check "an incremental pull keeps deleted orders" contains "$work/deleted.err" "0 dropped"
pull reconcile --full
check "full pull exits 0" test $? = 0
check "full pull drops the deleted orders" contains "$work/reconcile.err" "2 dropped"
check "full pull: exactly the server's orders again" \
    orders compare "$work/shop.json" "$work/orders.csv" "$zone"
SOURCE_DATE_EPOCH=$(($(date +%s) + 8 * 86400)) pull auto
check "a full pull every full_every_days" contains "$work/auto.err" \
    "full pull: the last full pull is over 7 days old"
check "the zone is asked once per pull" test "$(logged main zone)" = 5

# ---- the shop moves to Kolkata: an incremental pull writes every time in its zone --------
zone=Asia/Kolkata
start kolkata
need orders change "$work/shop.json" 1 1
pull kolkata
check "a pull in Kolkata's time exits 0" test $? = 0
check "a pull in Kolkata's time is incremental" contains "$work/kolkata.err" "incremental pull, "
check "a pull in Kolkata's time keeps orders it did not pull" contains "$work/kolkata.err" "55 kept"
check "a pull in Kolkata's time: every order in Kolkata's time, the kept ones too" \
    orders compare "$work/shop.json" "$work/orders.csv" "$zone"
check "23:59:59 in Kolkata is on Kolkata's day" contains "$work/orders.csv" "2025-06-10 23:59:59 +0530"
check "midnight in Kolkata is the next day" contains "$work/orders.csv" "2025-06-11 00:00:00 +0530"
check "no time is left in New York's" lacks "$work/orders.csv" " -0400"

# ---- failures: the output stays as it was ----------------------------------------------
cp "$work/orders.csv" "$work/before.csv"
start failed --fail ACCESS_DENIED
pull failed
check "a failed bulk operation exits 4" test $? = 4
check "a failed bulk operation is reported" contains "$work/failed.err" \
    "FAILED: ACCESS_DENIED: the token lacks a scope"
check "a failed pull leaves the output" cmp -s "$work/before.csv" "$work/orders.csv"

start throttled --throttle 2
pull throttled
check "a throttled poll is waited out" test $? = 0
check "a throttled poll is reported" contains "$work/throttled.err" \
    "bulk operation poll: throttled (query cost 10, 5 of 1000 points available, restoring 50/s): waiting 1 s (try 2 of 4)"
check "two polls were throttled" test "$(logged throttled poll_throttled)" = 2

start choked --throttle 99
CVO_SHOPIFY_TOKEN=$token CVO_SHOPIFY_BASE_URL=$url timeout 60 "$cvo" pull shopify \
    --shop "$shop" -o "$work/orders.csv" -c "$work/tries2.ini" > /dev/null 2> "$work/choked.err"
check "throttled to the end exits 4" test $? = 4
check "throttled to the end is reported" contains "$work/choked.err" \
    "throttled by Shopify on all 2 tries"
check "a throttled pull leaves the output" cmp -s "$work/before.csv" "$work/orders.csv"

start atlantis --zone America/Atlantis
pull atlantis
check "a zone the machine lacks exits 3" test $? = 3
check "a zone the machine lacks is named, with tzdata" contains "$work/atlantis.err" \
    "the shop's time zone America/Atlantis cannot be loaded (/usr/share/zoneinfo/America/Atlantis: no such time zone): install or update tzdata (apt-get install tzdata); nothing written"
check "a zone the machine lacks: no bulk query" test "$(logged atlantis start)" = 0
check "a zone the machine lacks leaves the output" cmp -s "$work/before.csv" "$work/orders.csv"

start escape --zone ../../../etc/passwd
pull escape
check "a zone that is not a name exits 4" test $? = 4
check "a zone that is not a name is refused" contains "$work/escape.err" \
    "shopify: shop.ianaTimezone: time zone '../../../etc/passwd': not a zone name"
check "a zone that is not a name: no bulk query" test "$(logged escape start)" = 0

start nozone --zone ""
pull nozone
check "no zone exits 4" test $? = 4
check "no zone is said" contains "$work/nozone.err" "the answer holds no shop.ianaTimezone"
check "a pull without a zone leaves the output" cmp -s "$work/before.csv" "$work/orders.csv"

start busy --busy
pull busy
check "an operation in progress is waited for" test $? = 0
check "an operation in progress is said" contains "$work/busy.err" \
    "another bulk query of this app is in progress: waiting for it to finish"

start sixty --scopes read_orders
pull sixty
check "without read_all_orders the pull goes on" test $? = 0
check "without read_all_orders a warning" contains "$work/sixty.err" \
    "lacks the read_all_orders scope: Shopify shows only the orders of the last 60 days"

start noscope --scopes read_products
pull noscope
check "without read_orders exits 4" test $? = 4
check "without read_orders it says what is missing" contains "$work/noscope.err" \
    "the token lacks the read_orders scope (and read_all_orders)"
check "no bulk query without read_orders" test "$(logged noscope start)" = 0

CVO_SHOPIFY_TOKEN=shpat_wrong CVO_SHOPIFY_BASE_URL=$url timeout 60 "$cvo" pull shopify \
    --shop "$shop" -o "$work/orders.csv" -c "$work/pull.ini" > /dev/null 2> "$work/wrong.err"
check "a wrong token exits 4" test $? = 4
check "a wrong token is reported" contains "$work/wrong.err" "HTTP 401"

# ---- the token: never in argv, output or messages ----------------------------------------
start watched
CVO_SHOPIFY_TOKEN=$token CVO_SHOPIFY_BASE_URL=$url timeout 60 "$cvo" pull shopify \
    --shop "$shop" -o "$work/orders.csv" -c "$work/pull.ini" > "$work/watched.out" \
    2> "$work/watched.err" &
pid=$!
sleep 0.5
tr '\0' ' ' < "/proc/$pid/cmdline" > "$work/argv.txt" 2> /dev/null
wait $pid
check "the watched pull exits 0" test $? = 0
check "argv holds the shop" contains "$work/argv.txt" "$shop"
check "argv never holds the token" lacks "$work/argv.txt" "$token"
leaks=$(grep -l -r -F -e "$token" "$work" --include='*.err' --include='*.out' \
    --include='*.csv' --include='*.pull' --include='*.log' | wc -l)
check "no output, message or log holds the token" test "$leaks" = 0
finish
