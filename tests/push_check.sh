#!/bin/sh
# push_check.sh RESULTS CVO DRIVER - the Klaviyo client (lib/push) against a fake Klaviyo
# on 127.0.0.1 (tests/klaviyo_test_server.py): headers, 429 and 503 retries, 400 detail,
# dry run, the ledger (a second push resends nothing), a hung server given up on within
# the configured bound; then cvo analyze --push klaviyo end to end and its settings from
# the environment. DRIVER is build/tests/push_driver (tests/push_driver.c), a front end
# over cvo.h. Loopback only, every wait bounded. Writes RESULTS/push.count.
results=$1
root=$(cd "$(dirname "$0")/.." && pwd)
cvo=${2:-${CVO:-$root/build/cvo}}
driver=${3:-$(dirname "$cvo")/tests/push_driver}
case $cvo in /*) ;; *) cvo=$(pwd)/$cvo ;; esac
case $driver in /*) ;; *) driver=$(pwd)/$driver ;; esac
if [ -z "$results" ]; then
    echo "usage: push_check.sh RESULTS [CVO [DRIVER]]" >&2
    exit 2
fi
layer=push
. "$root/tests/servers.sh"
bounded() { timeout 120 "$@"; }

key=pk_test_0123456789abcdef
revision=2026-07-15
need command -v python3
need command -v timeout
need test -x "$cvo"
need test -x "$driver"

# start_server NAME [OPTION...]: a fake Klaviyo; sets $port and $url.
start_server() {
    name=$1
    shift
    serve "$name" klaviyo --key "$key" --revision "$revision" --timeout 180 "$@"
}
summarize_klaviyo() { summarize "$1" klaviyo; }

# ---- a hand-made DIR: two bulk bodies (2 + 3 profiles), three events -------------
store=$work/store
mkdir -p "$store/klaviyo/profile-bulk-import" "$work/empty"
profile() { printf '{"type":"profile","attributes":{"email":"%s","properties":{"CVO RFM Segment":"%s"%s}}}' "$1" "$2" "$3"; }
bulk() { printf '{"data":{"type":"profile-bulk-import-job","attributes":{"profiles":{"data":[%s]}}}}\n' "$1"; }
bulk "$(profile a@example.com Champions ',"CVO Winback Date":"2026-07-21"'),$(profile b@example.com Loyal)" \
    > "$store/klaviyo/profile-bulk-import/0001.json"
bulk "$(profile c@example.com 'At risk'),$(profile d@example.com Lost),$(profile e@example.com New)" \
    > "$store/klaviyo/profile-bulk-import/0002.json"
for n in 1 2 3; do
    printf '{"data":{"type":"event","attributes":{"properties":{"CVO Winback Date":"2026-07-2%s"},' "$n"
    printf '"unique_id":"cvo-winback-%s","metric":{"data":{"type":"metric","attributes":{"name":' "$n"
    printf '"CVO Winback Due"}}},"profile":{"data":{"type":"profile","attributes":{"email":'
    printf '"w%s@example.com"}}}}}}\n' "$n"
done > "$store/klaviyo/events.jsonl"

start_server main
drive() { dir=$1; shift; bounded "$driver" klaviyo "$dir" "$work/state.db" --base-url "$url" --key "$key" --wait 10 "$@"; }

# ---- before anything is sent: dry run, bad settings, missing files ---------------
drive "$store" --dry-run > "$work/dry.out" 2> "$work/dry.err"
check "dry run exits 0" test $? = 0
check "dry run shows the bulk POST" contains "$work/dry.out" \
    "POST $url/api/profile-bulk-import-jobs  klaviyo/profile-bulk-import/0002.json"
check "dry run shows each event" contains "$work/dry.out" "klaviyo/events.jsonl:3"
check "dry run shows the masked key" contains "$work/dry.out" "Authorization: Klaviyo-API-Key ********"
check "dry run shows the headers" contains "$work/dry.out" "Content-Type: application/vnd.api+json"
check "dry run counts" contains "$work/dry.out" "2 bulk jobs (5 profiles), 0 profiles with properties to remove, 3 events would be sent"
check "dry run never prints the key" lacks "$work/dry.out" "$key"

bounded "$driver" klaviyo "$store" "$work/state.db" --base-url "$url" > /dev/null 2> "$work/nokey.err"
check "no key exits 2" test $? = 2
check "no key is named" contains "$work/nokey.err" "klaviyo: the API key is not set"
drive "$store" --key "pk_bad
X-Injected: 1" > /dev/null 2> "$work/badkey.err"
check "a key with a line break exits 2" test $? = 2
bounded "$driver" klaviyo "$store" "$work/state.db" --base-url http://klaviyo.example.com --key "$key" \
    > /dev/null 2> "$work/url.err"
check "plain http to another host exits 2" test $? = 2
check "plain http is explained" contains "$work/url.err" "the base URL must be an https:// URL"
drive "$work/empty" > /dev/null 2> "$work/missing.err"
check "missing files exit 3" test $? = 3
check "missing files are named" contains "$work/missing.err" "profile-bulk-import"
summarize_klaviyo main
check "nothing reached the server so far" summary_is "$work/main.sum" "requests=0"

# ---- the push: 429 on the second bulk POST, 503 on the second event -------------
drive "$store" > "$work/push.out" 2> "$work/push.err"
code=$?
check "push exits 0" test $code = 0
[ $code = 0 ] || cat "$work/push.err" >&2
summarize_klaviyo main
check "push: no header or body problem" summary_is "$work/main.sum" "problems=0"
check "push: 429 waited and retried" summary_is "$work/main.sum" "bulk_statuses=202,429,202"
check "push: 503 retried" summary_is "$work/main.sum" "event_statuses=202,503,202,202"
check "push: both jobs followed" summary_is "$work/main.sum" "job_statuses=200,200,200,200"
check "push: the retry is reported" contains "$work/push.err" "HTTP 429, retrying in 1 s (try 2 of 4)"
check "push: one line per job" test "$(grep -c ': job 01TESTJOB000[12] complete, ' "$work/push.err")" = 2
check "push: job counts" contains "$work/push.err" "job 01TESTJOB0002 complete, 3 profiles, 3 completed, 0 failed"
check "push: summary line" contains "$work/push.err" "klaviyo: 2 bulk jobs (5 profiles) sent, 0 already accepted; properties removed from 0 profiles; 3 events sent, 0 already in the ledger"
check "push: the key is never printed" lacks "$work/push.err" "$key"
check "push: the store holds the profiles" python3 -c "
import json, sys
s = json.load(open('$work/main.store'))
sys.exit(not (len(s['profiles']) == 5 and s['profiles']['a@example.com']['properties']['CVO Winback Date'] == '2026-07-21'))"

# ---- again: the ledger remembers every body and event ------------------------------
drive "$store" -q > /dev/null 2> "$work/quiet.err"
check "second push exits 0" test $? = 0
check "quiet push prints nothing" test ! -s "$work/quiet.err"
summarize_klaviyo main
check "second push: no bulk POST again" summary_is "$work/main.sum" "bulk=3"
check "second push: no event again" summary_is "$work/main.sum" "event_repeats=0"

# ---- a property a profile no longer has is removed with profile-import --------------
bulk "$(profile a@example.com Champions),$(profile b@example.com Loyal)" \
    > "$store/klaviyo/profile-bulk-import/0001.json"
drive "$store" > /dev/null 2> "$work/unset.err"
check "unset push exits 0" test $? = 0
summarize_klaviyo main
check "unset: one profile-import call" summary_is "$work/main.sum" "import_statuses=200"
check "unset: one property removed" summary_is "$work/main.sum" "unset_names=1"
check "unset: the property is gone" python3 -c "
import json, sys
s = json.load(open('$work/main.store'))
sys.exit('CVO Winback Date' in s['profiles']['a@example.com']['properties'])"
check "unset: reported" contains "$work/unset.err" "properties removed from 1 profiles"
drive "$store" > /dev/null 2>&1
summarize_klaviyo main
check "unset: not again" summary_is "$work/main.sum" "import=1"

# ---- 400: Klaviyo's detail, the file name, and a stop -------------------------
start_server refuse --marker "$work/refuse.marker"
rm -f "$work/state.db"
echo bulk > "$work/refuse.marker"
drive "$store" > /dev/null 2> "$work/refuse.err"
check "400 exits 4" test $? = 4
check "400 shows the detail" contains "$work/refuse.err" "Invalid email address in profile 1 (test server)."
check "400 names the file" contains "$work/refuse.err" "klaviyo/profile-bulk-import/0001.json: HTTP 400: Invalid input."
summarize_klaviyo refuse
check "400 stops the push" summary_is "$work/refuse.sum" "requests=1"
echo event > "$work/refuse.marker"
drive "$store" --wait 0 > /dev/null 2> "$work/refuse-event.err"
check "400 on an event exits 4" test $? = 4
check "400 on an event names the line" contains "$work/refuse-event.err" "klaviyo/events.jsonl:1: HTTP 400"
drive "$store" --wait 0 > /dev/null 2> "$work/after-refuse.err"
check "after a refused event the push goes on" test $? = 0
check "after a refused event: all three sent" contains "$work/after-refuse.err" "3 events sent, 0 already in the ledger"

# ---- a hung server: accepts, never answers; given up on within the bound ------------
start_server hung --hang
printf '[push]\ntimeout_seconds = 1\nconnect_timeout_seconds = 1\ntries = 2\n' > "$work/short.ini"
rm -f "$work/state.db"
start=$(date +%s)
drive "$store" --config "$work/short.ini" > /dev/null 2> "$work/hung.err"
code=$?
took=$(($(date +%s) - start))
check "hung server exits 4" test $code = 4
check "hung server: within tries x timeout and the wait between (+2 s)" test "$took" -le 5
check "hung server: a clear message" contains "$work/hung.err" "no answer from $url within 1 s (2 tries)"

# ---- cvo analyze --push klaviyo: the environment, end to end --------------------------
"$cvo" generate -n 500 -s 3 -o "$work/gen" 2> "$work/gen.err"
check "generate a store" test -s "$work/gen/orders.csv"
printf '[klaviyo]\nprofiles_per_job = 200\n' > "$work/cvo.ini"
analyze() { bounded "$cvo" analyze "$work/gen/orders.csv" --config "$work/cvo.ini" -o "$work/out" --push klaviyo "$@"; }
start_server e2e
export CVO_KLAVIYO_BASE_URL="$url" CVO_KLAVIYO_WAIT=10
env -u CVO_KLAVIYO_API_KEY "$cvo" analyze "$work/gen/orders.csv" -o "$work/out" --push klaviyo \
    > /dev/null 2> "$work/e2e-nokey.err"
check "analyze --push without a key exits 2" test $? = 2
check "analyze --push names the variable" contains "$work/e2e-nokey.err" "CVO_KLAVIYO_API_KEY"
export CVO_KLAVIYO_API_KEY=$key
CVO_KLAVIYO_WAIT=forever analyze > /dev/null 2> "$work/e2e-wait.err"
check "a bad CVO_KLAVIYO_WAIT exits 2" test $? = 2
CVO_KLAVIYO_BASE_URL=http://klaviyo.example.com analyze > /dev/null 2> "$work/e2e-url.err"
check "a bad CVO_KLAVIYO_BASE_URL exits 2" test $? = 2
analyze --dry-run > "$work/e2e-dry.out" 2> "$work/e2e-dry.err"
check "analyze --push --dry-run exits 0" test $? = 0
check "analyze --dry-run prints the plan" contains "$work/e2e-dry.out" "POST $url/api/profile-bulk-import-jobs  klaviyo/profile-bulk-import/0001.json"
analyze > "$work/e2e.out" 2> "$work/e2e.err"
code=$?
check "analyze --push exits 0" test $code = 0
[ $code = 0 ] || cat "$work/e2e.err" >&2
summarize_klaviyo e2e
jobs=$(ls "$work/out/klaviyo/profile-bulk-import" 2> /dev/null | grep -c '\.json$')
events=$(grep -c . "$work/out/klaviyo/events.jsonl" 2> /dev/null)
accepted=$(grep '^bulk_statuses=' "$work/e2e.sum" | tr ',' '\n' | grep -c 202)
check "analyze --push: no problem" summary_is "$work/e2e.sum" "problems=0"
check "analyze --push: every bulk body accepted" test "$accepted" = "$jobs"
check "analyze --push: the state database beside DIR" test -s "$work/.out.cvo/state.db"
check "analyze --push: summary line" contains "$work/e2e.err" "klaviyo: $jobs bulk jobs"
check "analyze --push: every event sent" contains "$work/e2e.err" "; ${events:-0} events sent"
check "analyze --push: no e-mail in a unique_id" test "$(grep -c '"unique_id":"[^"]*@' "$work/out/klaviyo/events.jsonl")" = 0
analyze -q > /dev/null 2> "$work/e2e-again.err"
check "analyze --push again exits 0" test $? = 0
summarize_klaviyo e2e
check "analyze --push again: nothing sent twice" summary_is "$work/e2e.sum" "event_repeats=0"
accepted=$(grep '^bulk_statuses=' "$work/e2e.sum" | tr ',' '\n' | grep -c 202)
check "analyze --push again: no body sent twice" test "$accepted" = "$jobs"

start_server e2e-hung --hang
printf '[push]\ntimeout_seconds = 1\ntries = 2\n' > "$work/hung.ini"
start=$(date +%s)
CVO_KLAVIYO_BASE_URL=$url bounded "$cvo" analyze "$work/gen/orders.csv" --config "$work/hung.ini" \
    -o "$work/out-hung" --push klaviyo > /dev/null 2> "$work/e2e-hung.err"
code=$?
took=$(($(date +%s) - start))
check "analyze --push to a hung server exits 4" test $code = 4
check "analyze --push to a hung server: a clear message" contains "$work/e2e-hung.err" "no answer from $url within 1 s (2 tries)"
check "analyze --push to a hung server: gives up in time" test "$took" -le 20

finish
