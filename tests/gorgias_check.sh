#!/bin/sh
# gorgias_check.sh RESULTS CVO - the Gorgias push (cli/push_gorgias.c) against a fake
# Gorgias on 127.0.0.1 (tests/gorgias_test_server.py): Basic auth, path, JSON body, a 429
# with Retry-after, the ledger (a second push sends nothing), dry run, missing settings.
# Loopback only, every wait bounded. Writes RESULTS/gorgias.count.
results=$1
root=$(cd "$(dirname "$0")/.." && pwd)
cvo=${2:-${CVO:-$root/build/cvo}}
case $cvo in /*) ;; *) cvo=$(pwd)/$cvo ;; esac
if [ -z "$results" ]; then
    echo "usage: gorgias_check.sh RESULTS [CVO]  (CVO: the built cvo; libcvo.a beside it)" >&2
    exit 2
fi
mkdir -p "$results"
pass=0
fail=0
work=$(mktemp -d) || exit 2
servers=""
cleanup() {
    for pid in $servers; do kill "$pid" 2> /dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

finish() {
    echo "gorgias: $pass passed, $fail failed"
    echo "$pass $fail" > "$results/gorgias.count"
    [ "$fail" = 0 ]
    exit $?
}

check() {
    name=$1
    shift
    if "$@"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "gorgias: FAIL: $name" >&2
    fi
}

contains() { grep -q -F -e "$2" "$1"; }
lacks() { ! grep -q -F -e "$2" "$1"; }
summary_is() { grep -q -x -F -e "$2" "$1"; }
bounded() { timeout 120 "$@"; }
command -v timeout > /dev/null 2>&1 || bounded() { "$@"; }

user=agent@example.com
key=gorgias_test_key_0123456789
export CVO_GORGIAS_USER=$user CVO_GORGIAS_API_KEY=$key CVO_GORGIAS_DOMAIN=example-shop

if ! command -v python3 > /dev/null 2>&1; then
    echo "gorgias: python3 is needed for the fake Gorgias server" >&2
    fail=1
    finish
fi

# ---- a driver: "write DIR" writes DIR/gorgias/tickets.jsonl with the library writer
# on a generated store; "push DIR [--dry-run] [-q]" runs push_gorgias (until cvo analyze
# has --push gorgias).
cat > "$work/driver.c" << 'EOF'
#include "cvo.h"
#include "push_gorgias.h"
#include <stdio.h>
#include <string.h>
static int write_tickets(const char *dir)
{
    char orders[4096], nps[4096], tickets[4096];
    snprintf(orders, sizeof orders, "%s/orders.csv", dir);
    snprintf(nps, sizeof nps, "%s/nps.csv", dir);
    snprintf(tickets, sizeof tickets, "%s/gorgias/tickets.jsonl", dir);
    cvo_ctx *ctx;
    cvo_generate_options g;
    cvo_load_options lo;
    cvo_nps_options no;
    cvo_config *config = NULL;
    cvo_customers *customers = NULL;
    cvo_analysis *a = NULL;
    cvo_nps *answers = NULL;
    if (cvo_ctx_new(&ctx, NULL) != CVO_OK)
        return 4;
    cvo_generate_options_init(&g);
    g.customers = 300;
    g.seed = 5;
    FILE *o = fopen(orders, "wb"), *n = fopen(nps, "wb");
    cvo_status st = o && n ? cvo_generate(ctx, &g, o, NULL, n) : CVO_ERR_IO;
    if (o) fclose(o);
    if (n) fclose(n);
    cvo_load_options_init(&lo);
    lo.path = orders;
    lo.keep_orders = true;
    if (st == CVO_OK) st = cvo_orders_load(ctx, &lo, &customers, NULL);
    if (st == CVO_OK) st = cvo_config_new(ctx, &config);
    if (st == CVO_OK) st = cvo_analyze(ctx, customers, NULL, config, &a);
    cvo_nps_options_init(&no);
    no.path = nps;
    no.customers = customers;
    if (st == CVO_OK) st = cvo_nps_load(ctx, &no, &answers, NULL);
    FILE *t = st == CVO_OK ? fopen(tickets, "wb") : NULL;
    if (st == CVO_OK) st = t ? cvo_write_gorgias_tickets(ctx, a, answers, t) : CVO_ERR_IO;
    if (t && fclose(t) != 0 && st == CVO_OK) st = CVO_ERR_IO;
    if (st != CVO_OK) fprintf(stderr, "driver: %s %s\n", cvo_strerror(st), cvo_ctx_message(ctx));
    cvo_nps_free(answers);
    cvo_analysis_free(a);
    cvo_config_free(config);
    cvo_customers_free(customers);
    cvo_ctx_free(ctx);
    return st == CVO_OK ? 0 : 4;
}
int main(int argc, char **argv)
{
    bool dry_run = false, quiet = false;
    for (int i = 3; i < argc; i++) {
        dry_run = dry_run || strcmp(argv[i], "--dry-run") == 0;
        quiet = quiet || strcmp(argv[i], "-q") == 0;
    }
    if (argc >= 3 && strcmp(argv[1], "write") == 0)
        return write_tickets(argv[2]);
    return argc >= 3 ? push_gorgias(argv[2], dry_run, quiet) : 2;
}
EOF
lib=$(dirname "$cvo")/libcvo.a
# a library built with the sanitizers (make SAN=1) needs their runtime in the driver too
san=""
if nm "$lib" 2>/dev/null | grep -q "__asan_report"; then
    san="-fsanitize=address,undefined"
fi
if ! ${CC:-cc} -std=c11 -D_GNU_SOURCE $san -I"$root/include" -I"$root/cli" -o "$work/driver" \
    "$work/driver.c" "$root/cli/push_gorgias.c" "$root/cli/clock.c" "$root/cli/http.c" "$lib" -lxlsxwriter -lcurl -lgsl -lgslcblas \
    -lz -lm -pthread 2> "$work/cc.log"; then
    cat "$work/cc.log" >&2
    echo "gorgias: cannot build the driver (libcvo.a built? libcurl installed?)" >&2
    fail=1
    finish
fi
driver=$work/driver

store=$work/store
mkdir -p "$store/gorgias" "$work/empty"
"$driver" write "$store" 2> "$work/write.err"
check "the library writes tickets.jsonl" test $? = 0
tickets=$(grep -c . "$store/gorgias/tickets.jsonl" 2> /dev/null)
check "the store has tickets to send (2 to 39)" test "${tickets:-0}" -ge 2 -a "${tickets:-0}" -le 39

start_server() {
    name=$1
    shift
    python3 "$root/tests/gorgias_test_server.py" --port-file "$work/$name.port" \
        --log "$work/$name.log" --user "$user" --key "$key" --timeout 120 "$@" &
    servers="$servers $!"
    tries=0
    while [ ! -s "$work/$name.port" ] && [ $tries -lt 100 ]; do
        sleep 0.1
        tries=$((tries + 1))
    done
    port=$(cat "$work/$name.port" 2> /dev/null)
    export CVO_GORGIAS_BASE_URL="http://127.0.0.1:$port"
    [ -n "$port" ]
}

summarize() {
    python3 "$root/tests/gorgias_test_server.py" --summarize "$work/$1.log" > "$work/$1.sum"
    grep '^problem=' "$work/$1.sum" >&2
    return 0
}

if ! start_server main; then
    echo "gorgias: the fake Gorgias server did not start" >&2
    fail=1
    finish
fi

# ---- before anything is sent ------------------------------------------------------
bounded "$driver" push "$store" --dry-run > "$work/dry.out" 2> "$work/dry.err"
check "dry run exits 0" test $? = 0
check "dry run shows the POST" contains "$work/dry.out" "POST http://127.0.0.1:$port/api/tickets  "
check "dry run counts" contains "$work/dry.out" "gorgias: $tickets tickets would be sent, 0 already in the ledger"
check "dry run never prints the key" lacks "$work/dry.out" "$key"

env -u CVO_GORGIAS_API_KEY "$driver" push "$store" > /dev/null 2> "$work/nokey.err"
check "no key exits 2" test $? = 2
check "no key names the variable" contains "$work/nokey.err" "CVO_GORGIAS_API_KEY is not set"
CVO_GORGIAS_BASE_URL=http://gorgias.example.com "$driver" push "$store" > /dev/null 2>&1
check "plain http to another host exits 2" test $? = 2
env -u CVO_GORGIAS_BASE_URL CVO_GORGIAS_DOMAIN='evil.com/x' "$driver" push "$store" > /dev/null 2>&1
check "a domain with a slash exits 2" test $? = 2
"$driver" push "$work/empty" > /dev/null 2> "$work/missing.err"
check "a missing tickets file exits 3" test $? = 3
summarize main
check "nothing reached the server so far" summary_is "$work/main.sum" "requests=0"

# ---- the push: 201, then 429 (Retry-after 1), then 201s -------------------------
bounded "$driver" push "$store" > "$work/push.out" 2> "$work/push.err"
code=$?
check "push exits 0" test $code = 0
[ $code = 0 ] || cat "$work/push.err" >&2
summarize main
check "push: no auth, path or body problem" summary_is "$work/main.sum" "problems=0"
check "push: 429 waited and retried" contains "$work/main.sum" "statuses=201,429,201"
check "push: one ticket per line" summary_is "$work/main.sum" "tickets=$tickets"
check "push: the retry is reported" contains "$work/push.err" "HTTP 429, retrying in 1 s"
check "push: summary line" contains "$work/push.err" "gorgias: $tickets tickets sent, 0 already in the ledger"
check "push: the key is never printed" lacks "$work/push.err" "$key"
check "push: the ledger holds every key" test "$(grep -c . "$store/gorgias/sent.ledger")" = "$tickets"

# ---- a second push sends nothing (ledger) -----------------------------------------
bounded "$driver" push "$store" > /dev/null 2> "$work/again.err"
check "second push exits 0" test $? = 0
summarize main
check "second push: no new ticket" summary_is "$work/main.sum" "tickets=$tickets"
check "second push: never a duplicate" summary_is "$work/main.sum" "duplicates=0"
check "second push: all in the ledger" contains "$work/again.err" "0 tickets sent, $tickets already in the ledger"

# ---- a line added later is sent alone; a broken line stops before sending ---------
head -n 1 "$store/gorgias/tickets.jsonl" | sed 's/"external_id":"cvo-nps-/"external_id":"cvo-nps-new-/' \
    >> "$store/gorgias/tickets.jsonl"
bounded "$driver" push "$store" -q > /dev/null 2> "$work/new.err"
check "a new answer is sent" test $? = 0
check "quiet prints nothing" test ! -s "$work/new.err"
summarize main
check "exactly one more ticket" summary_is "$work/main.sum" "tickets=$((tickets + 1))"
echo '{"subject":"no key"}' >> "$store/gorgias/tickets.jsonl"
"$driver" push "$store" > /dev/null 2> "$work/broken.err"
check "a broken line exits 3" test $? = 3
check "a broken line is named" contains "$work/broken.err" "tickets.jsonl:$((tickets + 2)): not a ticket body"

finish
