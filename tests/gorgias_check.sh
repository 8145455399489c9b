#!/bin/sh
# gorgias_check.sh RESULTS CVO DRIVER - the Gorgias client (lib/push) against a fake
# Gorgias on 127.0.0.1 (tests/gorgias_test_server.py): Basic auth, path, the ticket's
# shape (the customer's words, then cvo's internal note; no e-mail in external_id), a
# 429 with Retry-after, the ledger (a second push sends nothing), one ticket per customer
# within max_answer_age_days, a 500 or a hung server leaving the outcome unknown (never
# sent again), dry run, settings from the environment. DRIVER is build/tests/push_driver.
# Loopback only, every wait bounded. Writes RESULTS/gorgias.count.
results=$1
root=$(cd "$(dirname "$0")/.." && pwd)
cvo=${2:-${CVO:-$root/build/cvo}}
driver=${3:-$(dirname "$cvo")/tests/push_driver}
case $cvo in /*) ;; *) cvo=$(pwd)/$cvo ;; esac
case $driver in /*) ;; *) driver=$(pwd)/$driver ;; esac
if [ -z "$results" ]; then
    echo "usage: gorgias_check.sh RESULTS [CVO [DRIVER]]" >&2
    exit 2
fi
layer=gorgias
. "$root/tests/servers.sh"
bounded() { timeout 120 "$@"; }

user=agent@example.com
key=gorgias_test_key_0123456789
need command -v python3
need command -v timeout
need command -v sqlite3
need test -x "$cvo"
need test -x "$driver"

start_server() {
    name=$1
    shift
    serve "$name" gorgias --user "$user" --key "$key" --timeout 150 "$@"
}
summarize_gorgias() { summarize "$1" gorgias; }

# ---- tickets from cvo analyze on a generated store ----------------------------------
"$cvo" generate -n 300 -s 5 -o "$work/gen" 2> /dev/null
out=$work/out
state=$work/.out.cvo/state.db
"$cvo" analyze -q "$work/gen/orders.csv" --nps "$work/gen/nps.csv" -o "$out"
check "analyze writes tickets.jsonl" test -s "$out/gorgias/tickets.jsonl"
tickets=$(grep -c . "$out/gorgias/tickets.jsonl" 2> /dev/null)
as_of=$(grep -o '"as_of":"[^"]*"' "$out/summary.json" | head -n 1 | cut -d '"' -f 4)
check "the store has tickets to send (3 to 39)" test "${tickets:-0}" -ge 3 -a "${tickets:-0}" -le 39
check "no e-mail in an external_id" test "$(grep -c '"external_id":"[^"]*@' "$out/gorgias/tickets.jsonl")" = 0
check "the state database holds the identifier key" \
    test "$(sqlite3 "$state" "select length(value) from state_secrets where name = 'id_key'")" = 32

start_server main
drive() { bounded "$driver" gorgias "$out" "$state" --base-url "$url" --user "$user" --key "$key" --as-of "$as_of" "$@"; }
export CVO_GORGIAS_USER=$user CVO_GORGIAS_API_KEY=$key CVO_GORGIAS_DOMAIN=example-shop
push() { bounded "$cvo" analyze "$work/gen/orders.csv" --nps "$work/gen/nps.csv" -o "$out" --push gorgias "$@"; }

# ---- before anything is sent --------------------------------------------------------
drive --dry-run > "$work/dry.out" 2> "$work/dry.err"
check "dry run exits 0" test $? = 0
check "dry run shows the POST" contains "$work/dry.out" "POST $url/api/tickets  gorgias/tickets.jsonl:1  cvo-nps-"
check "dry run counts" contains "$work/dry.out" "gorgias: $tickets tickets would be sent, 0 already in the ledger, 0 held"
check "dry run never prints the key" lacks "$work/dry.out" "$key"
env -u CVO_GORGIAS_API_KEY CVO_GORGIAS_BASE_URL="$url" "$cvo" analyze "$work/gen/orders.csv" \
    --nps "$work/gen/nps.csv" -o "$out" --push gorgias > /dev/null 2> "$work/nokey.err"
check "no key exits 2" test $? = 2
check "no key names the variable" contains "$work/nokey.err" "CVO_GORGIAS_API_KEY"
CVO_GORGIAS_BASE_URL=http://gorgias.example.com push -q > /dev/null 2> "$work/url.err"
check "plain http to another host exits 2" test $? = 2
check "plain http is explained" contains "$work/url.err" "gorgias: the base URL must be an https:// URL"
CVO_GORGIAS_DOMAIN='evil.com/x' push -q > /dev/null 2> "$work/domain.err"
check "a domain with a slash exits 2" test $? = 2
drive --dry-run --as-of 2026-13-01 > /dev/null 2>&1
check "a bad as-of day exits 2" test $? = 2
mkdir -p "$work/empty"
bounded "$driver" gorgias "$work/empty" "$work/empty.db" --base-url "$url" --user "$user" --key "$key" \
    --as-of "$as_of" > /dev/null 2> "$work/missing.err"
check "a missing tickets file exits 3" test $? = 3
summarize_gorgias main
check "nothing reached the server so far" summary_is "$work/main.sum" "requests=0"

# ---- the push through cvo analyze: 201, then 429 (Retry-after 1), then 201s ---------
CVO_GORGIAS_BASE_URL=$url push > "$work/push.out" 2> "$work/push.err"
code=$?
check "push exits 0" test $code = 0
[ $code = 0 ] || cat "$work/push.err" >&2
summarize_gorgias main
check "push: no auth, path or body problem" summary_is "$work/main.sum" "problems=0"
check "push: 429 waited and retried" contains "$work/main.sum" "statuses=201,429,201"
check "push: one ticket per line" summary_is "$work/main.sum" "tickets=$tickets"
check "push: the retry is reported" contains "$work/push.err" "HTTP 429, retrying in 1 s (try 2 of 4)"
check "push: summary line" contains "$work/push.err" "gorgias: $tickets tickets sent, 0 already in the ledger, 0 held"
check "push: the key is never printed" lacks "$work/push.err" "$key"
check "push: the ledger holds every ticket with its id" \
    test "$(sqlite3 "$state" "select count(*) from push_ledger where kind = 'gorgias-ticket' and state = 'done' and remote_id > 1000")" = "$tickets"
check "push: the customer's words come first" python3 -c "
import json, sys
t = json.load(open('$work/main.store'))
sys.exit(not all(m['messages'][0]['from_agent'] is False and m['messages'][1]['channel'] == 'internal-note' for m in t))"

# ---- a second push sends nothing (ledger) -------------------------------------------
CVO_GORGIAS_BASE_URL=$url push > /dev/null 2> "$work/again.err"
check "second push exits 0" test $? = 0
summarize_gorgias main
check "second push: no new ticket" summary_is "$work/main.sum" "tickets=$tickets"
check "second push: never a duplicate" summary_is "$work/main.sum" "duplicates=0"
check "second push: all in the ledger" contains "$work/again.err" "gorgias: 0 tickets sent, $tickets already in the ledger"

# ---- a later answer of the same customer is held; a new customer is sent ------------
first=$(head -n 1 "$out/gorgias/tickets.jsonl")
hash=$(printf '%s' "$first" | cut -c 25-48)
printf '%s\n' "$first" | sed 's/"external_id":"cvo-nps-\([0-9a-f]*\)-[0-9]*"/"external_id":"cvo-nps-\1-20991231"/' \
    >> "$out/gorgias/tickets.jsonl"
drive > /dev/null 2> "$work/held.err"
check "a second answer of a customer: exits 0" test $? = 0
check "a second answer of a customer is held" contains "$work/held.err" "0 tickets sent, $tickets already in the ledger, 1 held"
printf '%s\n' "$first" | sed "s/$hash/abcdefabcdefabcdefabcdef/" >> "$out/gorgias/tickets.jsonl"
drive -q > /dev/null 2> "$work/new.err"
check "a new customer's answer is sent" test $? = 0
check "quiet prints nothing" test ! -s "$work/new.err"
summarize_gorgias main
check "exactly one more ticket" summary_is "$work/main.sum" "tickets=$((tickets + 1))"
echo '{"subject":"no key"}' >> "$out/gorgias/tickets.jsonl"
drive > /dev/null 2> "$work/broken.err"
check "a broken line exits 3" test $? = 3
check "a broken line is named" contains "$work/broken.err" "tickets.jsonl:$((tickets + 3)): not a ticket body"

# ---- a 500 after the ticket was made: unknown, never sent again ----------------------
start_server failing --fail 1 --throttle 0
rm -f "$work/fresh.db"
fresh() { bounded "$driver" gorgias "$out" "$work/fresh.db" --base-url "$url" --user "$user" --key "$key" --as-of "$as_of" "$@"; }
head -n "$tickets" "$out/gorgias/tickets.jsonl" > "$work/t" && mv "$work/t" "$out/gorgias/tickets.jsonl"
fresh > /dev/null 2> "$work/500.err"
check "a 500 exits 4" test $? = 4
check "a 500 says the ticket may exist" contains "$work/500.err" "the ticket may have been made: recorded as unknown"
fresh > /dev/null 2> "$work/after500.err"
check "after a 500 the push goes on" test $? = 0
summarize_gorgias failing
check "after a 500: that ticket is never sent again" summary_is "$work/failing.sum" "duplicates=0"
check "after a 500: the others are sent" summary_is "$work/failing.sum" "tickets=$tickets"

# ---- a hung server: accepts, never answers --------------------------------------------
start_server hung --hang
printf '[push]\ntimeout_seconds = 1\nconnect_timeout_seconds = 1\ntries = 3\n' > "$work/short.ini"
rm -f "$work/fresh.db"
start=$(date +%s)
fresh --config "$work/short.ini" > /dev/null 2> "$work/hung.err"
code=$?
took=$(($(date +%s) - start))
check "hung server exits 4" test $code = 4
check "hung server: a timeout is not tried again (1 try, 1 s)" test "$took" -le 3
check "hung server: a clear message" contains "$work/hung.err" "no answer from $url within 1 s (1 try)"
check "hung server: recorded as unknown" \
    test "$(sqlite3 "$work/fresh.db" "select count(*) from push_ledger where state = 'unknown'")" = 1
start_server after-hung
fresh > /dev/null 2> "$work/after-hung.err"
summarize_gorgias after-hung
check "after a hung server: the unknown ticket is not sent" summary_is "$work/after-hung.sum" "tickets=$((tickets - 1))"

finish
