#!/bin/sh
# push_check.sh RESULTS CVO - the Klaviyo push (cli/push_klaviyo.c) against a fake
# Klaviyo on 127.0.0.1 (tests/klaviyo_test_server.py): headers, 429 and 503 retries, 400
# detail, dry run, missing key. Loopback only, every wait bounded. Writes RESULTS/push.count.
results=$1
root=$(cd "$(dirname "$0")/.." && pwd)
cvo=${2:-${CVO:-$root/build/cvo}}
case $cvo in /*) ;; *) cvo=$(pwd)/$cvo ;; esac
if [ -z "$results" ]; then
    echo "usage: push_check.sh RESULTS [CVO]  (CVO: the built cvo, default build/cvo)" >&2
    exit 2
fi
mkdir -p "$results"
pass=0
fail=0
work=$(mktemp -d) || exit 2
servers=""
cleanup() {
    for pid in $servers; do kill "$pid" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

finish() {
    echo "push: $pass passed, $fail failed"
    echo "$pass $fail" > "$results/push.count"
    [ "$fail" = 0 ]
    exit $?
}

# check NAME COMMAND...: one test case.
check() {
    name=$1
    shift
    if "$@"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "push: FAIL: $name" >&2
    fi
}

contains() { grep -q -F -e "$2" "$1"; }
lacks() { ! grep -q -F -e "$2" "$1"; }
# summary_is SUM LINE: the server's key=value summary holds exactly LINE.
summary_is() { grep -q -x -F -e "$2" "$1"; }

key=pk_test_0123456789abcdef
revision=2026-07-15
export CVO_KLAVIYO_API_KEY=$key CVO_KLAVIYO_WAIT=10
bounded() { timeout 120 "$@"; }
command -v timeout > /dev/null 2>&1 || bounded() { "$@"; }

if ! command -v python3 > /dev/null 2>&1; then
    echo "push: python3 is needed for the fake Klaviyo server" >&2
    fail=1
    finish
fi

# ---- the push under test: a tiny driver over cli/push_klaviyo.c -----------------
# (cvo analyze wraps the same function; see the end-to-end step below.)
cat > "$work/driver.c" << 'EOF'
#include "push_klaviyo.h"
#include <string.h>
int main(int argc, char **argv)
{
    bool dry_run = false, quiet = false;
    for (int i = 2; i < argc; i++) {
        dry_run = dry_run || strcmp(argv[i], "--dry-run") == 0;
        quiet = quiet || strcmp(argv[i], "-q") == 0;
    }
    return argc < 2 ? 2 : push_klaviyo(argv[1], NULL, dry_run, quiet);
}
EOF
if ! ${CC:-cc} -std=c11 -D_GNU_SOURCE -I"$root/include" -I"$root/cli" -o "$work/push" \
    "$work/driver.c" "$root/cli/push_klaviyo.c" "$root/cli/clock.c" "$root/cli/http.c" -lcurl 2> "$work/cc.log"; then
    cat "$work/cc.log" >&2
    echo "push: cannot build the driver (libcurl4-openssl-dev installed?)" >&2
    fail=1
    finish
fi
push=$work/push

# ---- a hand-made DIR: two bulk bodies (2 + 3 profiles), three events -------------
store=$work/store
mkdir -p "$store/klaviyo/profile-bulk-import" "$work/empty"
profile() { printf '{"type":"profile","attributes":{"email":"%s","properties":{"CVO RFM Segment":"%s"}}}' "$1" "$2"; }
bulk() { printf '{"data":{"type":"profile-bulk-import-job","attributes":{"profiles":{"data":[%s]}}}}\n' "$1"; }
bulk "$(profile a@example.com Champions),$(profile b@example.com Loyal)" \
    > "$store/klaviyo/profile-bulk-import/0001.json"
bulk "$(profile c@example.com 'At risk'),$(profile d@example.com Lost),$(profile e@example.com New)" \
    > "$store/klaviyo/profile-bulk-import/0002.json"
for n in 1 2 3; do
    printf '{"data":{"type":"event","attributes":{"properties":{"CVO Winback Date":"2026-07-2%s"},' "$n"
    printf '"unique_id":"cvo-winback-%s","metric":{"data":{"type":"metric","attributes":{"name":' "$n"
    printf '"CVO Winback Due"}}},"profile":{"data":{"type":"profile","attributes":{"email":'
    printf '"w%s@example.com"}}}}}}\n' "$n"
done > "$store/klaviyo/events.jsonl"

# start_server NAME [OPTION...]: a fake Klaviyo; sets $port and CVO_KLAVIYO_BASE_URL.
start_server() {
    name=$1
    shift
    python3 "$root/tests/klaviyo_test_server.py" --port-file "$work/$name.port" \
        --log "$work/$name.log" --key "$key" --revision "$revision" --timeout 180 "$@" &
    servers="$servers $!"
    tries=0
    while [ ! -s "$work/$name.port" ] && [ $tries -lt 100 ]; do
        sleep 0.1
        tries=$((tries + 1))
    done
    port=$(cat "$work/$name.port" 2> /dev/null)
    export CVO_KLAVIYO_BASE_URL="http://127.0.0.1:$port"
    [ -n "$port" ]
}

# summarize NAME: the server's log as key=value lines in $work/NAME.sum.
summarize() {
    python3 "$root/tests/klaviyo_test_server.py" --summarize "$work/$1.log" > "$work/$1.sum"
    grep '^problem=' "$work/$1.sum" >&2
    return 0
}

if ! start_server main; then
    echo "push: the fake Klaviyo server did not start" >&2
    fail=1
    finish
fi

# ---- before anything is sent: dry run, no key, bad settings, missing files ------
bounded "$push" "$store" --dry-run > "$work/dry.out" 2> "$work/dry.err"
check "dry run exits 0" test $? = 0
check "dry run shows the bulk POST" contains "$work/dry.out" \
    "POST http://127.0.0.1:$port/api/profile-bulk-import-jobs  klaviyo/profile-bulk-import/0002.json"
check "dry run shows each event" contains "$work/dry.out" "klaviyo/events.jsonl:3"
check "dry run shows the masked key" contains "$work/dry.out" "Authorization: Klaviyo-API-Key ********"
check "dry run shows the headers" contains "$work/dry.out" "Content-Type: application/vnd.api+json"
check "dry run counts" contains "$work/dry.out" "2 bulk jobs (5 profiles), 3 events would be sent"
check "dry run never prints the key" lacks "$work/dry.out" "$key"

env -u CVO_KLAVIYO_API_KEY "$push" "$store" > /dev/null 2> "$work/nokey.err"
check "no key exits 2" test $? = 2
check "no key says which variable" contains "$work/nokey.err" "CVO_KLAVIYO_API_KEY is not set"

CVO_KLAVIYO_API_KEY="pk_bad
X-Injected: 1" "$push" "$store" > /dev/null 2> "$work/badkey.err"
check "a key with a line break exits 2" test $? = 2

CVO_KLAVIYO_BASE_URL=http://klaviyo.example.com "$push" "$store" > /dev/null 2> "$work/url.err"
check "plain http to another host exits 2" test $? = 2
check "plain http is explained" contains "$work/url.err" "CVO_KLAVIYO_BASE_URL must be an https:// URL"

"$push" "$work/empty" > /dev/null 2> "$work/missing.err"
check "missing files exit 3" test $? = 3
check "missing files are named" contains "$work/missing.err" "profile-bulk-import"

summarize main
check "nothing reached the server so far" summary_is "$work/main.sum" "requests=0"

# ---- the push: 429 on the second bulk POST, 503 on the second event -------------
bounded "$push" "$store" > "$work/push.out" 2> "$work/push.err"
code=$?
check "push exits 0" test $code = 0
[ $code = 0 ] || cat "$work/push.err" >&2
summarize main
check "push: no header or body problem" summary_is "$work/main.sum" "problems=0"
check "push: 429 waited and retried" summary_is "$work/main.sum" "bulk_statuses=202,429,202"
check "push: 503 retried" summary_is "$work/main.sum" "event_statuses=202,503,202,202"
check "push: both jobs followed" summary_is "$work/main.sum" "job_statuses=200,200,200,200"
check "push: the retry is reported" contains "$work/push.err" "HTTP 429, retrying in 1 s"
check "push: one line per job" test "$(grep -c ': job 01TESTJOB000[12] complete, ' "$work/push.err")" = 2
check "push: job counts" contains "$work/push.err" "job 01TESTJOB0002 complete, 3 profiles, 3 completed, 0 failed"
check "push: summary line" contains "$work/push.err" "klaviyo: 2 bulk jobs (5 profiles), 3 events sent"
check "push: stdout stays empty" test ! -s "$work/push.out"
check "push: the key is never printed" lacks "$work/push.err" "$key"

CVO_KLAVIYO_WAIT=0 bounded "$push" "$store" -q > /dev/null 2> "$work/quiet.err"
check "quiet push exits 0" test $? = 0
check "quiet push prints nothing" test ! -s "$work/quiet.err"
summarize main
check "quiet push: 2 more bulk POSTs, no GET" summary_is "$work/main.sum" "bulk=5"

# ---- 400: Klaviyo's detail, the file name, and a stop -------------------------
start_server refuse --marker "$work/refuse.marker"
echo bulk > "$work/refuse.marker"
bounded "$push" "$store" > /dev/null 2> "$work/refuse.err"
code=$?
check "400 exits 4" test $code = 4
check "400 shows the detail" contains "$work/refuse.err" "Invalid email address in profile 1 (test server)."
check "400 names the file" contains "$work/refuse.err" "klaviyo/profile-bulk-import/0001.json: HTTP 400: Invalid input."
summarize refuse
check "400 stops the push" summary_is "$work/refuse.sum" "requests=1"

echo event > "$work/refuse.marker"
CVO_KLAVIYO_WAIT=0 bounded "$push" "$store" > /dev/null 2> "$work/refuse-event.err"
check "400 on an event exits 4" test $? = 4
check "400 on an event names the line" contains "$work/refuse-event.err" "klaviyo/events.jsonl:1: HTTP 400"
check "400 on an event: what was sent" contains "$work/refuse-event.err" "2 bulk jobs (5 profiles), 0 events sent"

# ---- end to end through cvo analyze, once it has --push ------------------------
if [ -x "$cvo" ] && "$cvo" analyze --help 2> /dev/null | grep -q -e '--push'; then
    start_server e2e
    "$cvo" generate -n 500 -s 3 -o "$work/gen" 2> "$work/gen.err"
    printf '[klaviyo]\nprofiles_per_job = 200\n' > "$work/cvo.ini"
    bounded "$cvo" analyze "$work/gen/orders.csv" --config "$work/cvo.ini" -o "$work/out" \
        --push klaviyo > "$work/e2e.out" 2> "$work/e2e.err"
    code=$?
    check "analyze --push exits 0 or 1" test $code -le 1
    [ $code -le 1 ] || cat "$work/e2e.err" >&2
    summarize e2e
    jobs=$(ls "$work/out/klaviyo/profile-bulk-import" 2> /dev/null | grep -c '\.json$')
    events=$(grep -c . "$work/out/klaviyo/events.jsonl" 2> /dev/null)
    accepted=$(grep '^bulk_statuses=' "$work/e2e.sum" | tr ',' '\n' | grep -c 202)
    check "analyze --push: no problem" summary_is "$work/e2e.sum" "problems=0"
    check "analyze --push: every bulk body accepted" test "$accepted" = "$jobs"
    check "analyze --push: summary line" contains "$work/e2e.err" "klaviyo: $jobs bulk jobs"
    check "analyze --push: every event sent" contains "$work/e2e.err" ", ${events:-0} events sent"
else
    echo "push: note: cvo analyze has no --push yet; end-to-end step skipped" >&2
fi

finish
