#!/bin/sh
# pull_check.sh RESULTS CVO - cvo pull shopify against a fake Shopify on 127.0.0.1
# (tests/shopify_test_server.py, the bulk-operation protocol): a full pull, an
# incremental one after orders were added and updated, a full one after orders were
# deleted, each compared with the store by tests/pull_orders.py (computed
# independently of cvo); a failed bulk operation, throttled polls (waited out, and
# throttled to the end), an operation already in progress, missing scopes, a wrong
# token; the token never in argv, output or messages. Writes RESULTS/pull.count.
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

# start NAME [OPTION...]: a fake Shopify over $work/shop.json; sets $url.
start() {
    name=$1
    shift
    serve "$name" shopify --store "$work/shop.json" --token "$token" --timeout 120 "$@"
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
check "full pull: exactly the server's orders" orders compare "$work/shop.json" "$work/orders.csv"
check "full pull summary" contains "$work/full.err" "60 new, 0 updated"
check "the pull is recorded beside the output" contains "$work/orders.csv.pull" "shop=$shop"
check "the download carries no token" test "$(grep -c '"token_sent": true' "$work/main.log")" = 0
"$cvo" rfm "$work/orders.csv" > "$work/rfm.out" 2> "$work/rfm.err"
code=$?
check "cvo reads the pull as a Shopify export" test $code -le 1
check "cvo uses every row of the pull" contains "$work/rfm.err" "97 records: 97 used, 0 rejected"

need orders change "$work/shop.json" 5 3
pull incremental
check "incremental pull exits 0" test $? = 0
check "incremental pull asks for the updated orders" \
    test "$(grep '"kind": "start"' "$work/main.log" | tail -1 | grep -c '"since": "20')" = 1
check "incremental pull pulled only them" contains "$work/incremental.err" \
    "8 orders (" 
check "incremental summary" contains "$work/incremental.err" "5 new, 3 updated; 57 kept"
check "incremental pull: exactly the server's orders" \
    orders compare "$work/shop.json" "$work/orders.csv"

ids=$(python3 -c "import json,sys; o=json.load(open(sys.argv[1])); print(o[0]['id'], o[1]['id'])" "$work/shop.json")
need orders delete "$work/shop.json" $ids
pull deleted
check "an incremental pull keeps deleted orders" contains "$work/deleted.err" "0 dropped"
pull reconcile --full
check "full pull exits 0" test $? = 0
check "full pull drops the deleted orders" contains "$work/reconcile.err" "2 dropped"
check "full pull: exactly the server's orders again" \
    orders compare "$work/shop.json" "$work/orders.csv"
SOURCE_DATE_EPOCH=$(($(date +%s) + 8 * 86400)) pull auto
check "a full pull every full_every_days" contains "$work/auto.err" \
    "full pull: the last full pull is over 7 days old"

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
