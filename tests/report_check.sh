#!/bin/sh
# report_check.sh RESULTS CVO - render the report of a generated store in headless
# Chromium: save RESULTS/report.png, fail on any console message of the page
# (the report has no script, so any is a fault) and on a missing section.
# Prints "report: N passed, M failed" and writes "N M" to RESULTS/report.count.
set -u
results=$1
cvo=$2
sections="summary segments profit cohorts nps drivers rfm-grid clv p-alive backtest top-customers data-quality method"
# Tall enough that the screenshot holds the whole page, the method note included.
height=${REPORT_SHOT_HEIGHT:-8000}
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: report: $*" >&2; }
check() { # check DESCRIPTION COMMAND... (its output is shown only when it fails)
    what=$1; shift
    if "$@" > "$tmp/check.log" 2>&1; then
        ok
    else
        bad "$what"
        cat "$tmp/check.log" >&2
    fi
}
finish() {
    echo "report: $pass passed, $fail failed"
    echo "$pass $fail" > "$results/report.count"
    [ "$fail" = 0 ]
    exit $?
}

mkdir -p "$results"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    bad "chromium not found (Debian: apt-get install -y chromium)"
    finish
fi

# Chromium without the services a headless test machine lacks; its own noise
# (dbus, GPU, sandbox warnings) goes to stderr beside the page's console lines.
chromium_run() {
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update \
        --disable-sync --user-data-dir="$(mktemp -d "$tmp/profile.XXXXXX")" \
        --enable-logging=stderr --v=0 "$@"
}

check "generate a store" "$cvo" generate -n 2000 -s 9 -o "$tmp/store"
check "analyze the store with its NPS answers" \
    "$cvo" analyze -q "$tmp/store/orders.csv" --nps "$tmp/store/nps.csv" -o "$tmp/out"
report="$tmp/out/report.html"
if [ ! -s "$report" ]; then
    bad "no report.html written"
    finish
fi

rm -f "$results/report.png"
chromium_run --screenshot="$results/report.png" --window-size="1280,$height" \
    "file://$report" > "$tmp/shot.out" 2> "$tmp/shot.err"
check "screenshot saved in $results/report.png" test -s "$results/report.png"

chromium_run --dump-dom "file://$report" > "$tmp/dom.html" 2> "$tmp/dom.err"
check "DOM dumped" test -s "$tmp/dom.html"

# Console messages read "[pid:tid:time:INFO:CONSOLE(line)] "text", source: ..." (or
# CONSOLE:line in newer releases), whatever their level.
if grep -h ':CONSOLE[:(]' "$tmp/shot.err" "$tmp/dom.err" > "$tmp/console.txt"; then
    bad "console messages from the page:"
    cat "$tmp/console.txt" >&2
else
    ok
fi

for id in $sections; do
    check "section #$id in the rendered DOM" grep -q "<section id=\"$id\"" "$tmp/dom.html"
done
check "charts rendered (at least seven <svg>, two of them NPS intervals)" \
    test "$(grep -o '<svg' "$tmp/dom.html" | wc -l)" -ge 7
check "NPS section shows its intervals, not the no-answers note" \
    sh -c 'sed -n "/<section id=\"nps\"/,/<\/section>/p" "$1" | grep -q "NPS by segment"' sh "$tmp/dom.html"
check "Cohorts section shows its heat maps (shaded cells), not the no-cohorts note" \
    sh -c 'sed -n "/<section id=\"cohorts\"/,/<\/section>/p" "$1" > "$1.cohorts" &&
        test "$(grep -o "<table class=\"heat\"" "$1.cohorts" | wc -l)" -ge 3 &&
        grep -q "<td class=\"p[1-9]" "$1.cohorts" && ! grep -q "No cohorts" "$1.cohorts"' \
    sh "$tmp/dom.html"
check "heat map shades are defined in the page's style" grep -q '\.heat \.p9{background:#' "$report"
check "What drives value shows every grouping with ranked tables and interval bars" \
    sh -c 'sed -n "/<section id=\"drivers\"/,/<\/section>/p" "$1" > "$1.drivers" &&
        test "$(grep -o "<h3 id=\"drivers-" "$1.drivers" | wc -l)" -eq 6 &&
        test "$(grep -o "<caption>Most harmful</caption>" "$1.drivers" | wc -l)" -eq 6 &&
        test "$(grep -o "<svg" "$1.drivers" | wc -l)" -ge 6 && ! grep -q "No deep dives" "$1.drivers"' \
    sh "$tmp/dom.html"
check "nothing loaded from the network" \
    sh -c '! grep -Eq "https?://|<script src|@import|url\(" "$1"' sh "$report"
finish
