# servers.sh - what the push checks share (sourced by push_check.sh,
# gorgias_check.sh and weekly_check.sh): the counters, a scratch folder and
# the fake servers it kills at exit, and starting a fake server on loopback.
# The sourcing script sets $layer (the name in its lines and its count file),
# $results and $root first. A step that cannot run is a failure, never a skip.
mkdir -p "$results"
pass=0
fail=0
work=$(mktemp -d) || exit 2
servers=""
cleanup() {
    for pid in $servers; do kill "$pid" 2> /dev/null; done
    if [ -n "$KEEP" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM

finish() {
    echo "$layer: $pass passed, $fail failed"
    echo "$pass $fail" > "$results/$layer.count"
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
        echo "$layer: FAIL: $name" >&2
    fi
}

# need COMMAND...: a step every later one relies on; failing it ends the check.
need() {
    if ! "$@" > /dev/null 2>&1; then
        echo "$layer: cannot run: $*" >&2
        fail=$((fail + 1))
        finish
    fi
}

contains() { grep -q -F -e "$2" "$1"; }
lacks() { ! grep -q -F -e "$2" "$1"; }
# summary_is SUM LINE: the server's key=value summary holds exactly LINE.
summary_is() { grep -q -x -F -e "$2" "$1"; }

# serve NAME klaviyo|gorgias ARG...: starts tests/KIND_test_server.py with
# ARG... (its log, store and port file are $work/NAME.*) and waits for its
# port: sets $port and $url. A server that does not start fails the check.
serve() {
    name=$1
    kind=$2
    shift 2
    python3 "$root/tests/${kind}_test_server.py" --port-file "$work/$name.port" \
        --log "$work/$name.log" --store "$work/$name.store" "$@" &
    servers="$servers $!"
    tries=0
    while [ ! -s "$work/$name.port" ] && [ $tries -lt 100 ]; do
        sleep 0.1
        tries=$((tries + 1))
    done
    port=$(cat "$work/$name.port" 2> /dev/null)
    url="http://127.0.0.1:$port"
    if [ -z "$port" ]; then
        echo "$layer: the fake $kind server $name did not start" >&2
        fail=$((fail + 1))
        finish
    fi
}

# summarize NAME klaviyo|gorgias: the server's log as key=value lines in $work/NAME.sum.
summarize() {
    python3 "$root/tests/${2}_test_server.py" --summarize "$work/$1.log" > "$work/$1.sum"
    grep '^problem=' "$work/$1.sum" >&2
    return 0
}
