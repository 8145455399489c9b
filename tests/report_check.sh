#!/bin/sh
# report_check.sh RESULTS CVO - render the report of a generated store in headless
# Chromium: save RESULTS/report.png, fail on any console message of the page
# (the report has no script, so any is a fault) and on a missing section. Then,
# at a 1280 px wide window, run tests/report_check.js inside a copy of the page:
# no table wider than its box unless the box scrolls, no internal code in the
# visible text, "This week" first with the row count of every list file; once
# for a plain run and once for the second weekly run of a --db history (trend
# and movers). Prints "report: N passed, M failed", writes "N M" to
# RESULTS/report.count.
set -u
results=$1
cvo=$2
here=$(cd "$(dirname "$0")" && pwd)
sections="this-week summary segments profit cohorts nps drivers rfm-grid clv p-alive backtest top-customers data-quality method"
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
check "What drives value shows every grouping, ranked tables with interval bars or why not" \
    sh -c 'sed -n "/<section id=\"drivers\"/,/<\/section>/p" "$1" > "$1.drivers" &&
        test "$(grep -o "<h3 id=\"drivers-" "$1.drivers" | wc -l)" -eq 6 &&
        test "$(grep -o "<caption>Most harmful: " "$1.drivers" | wc -l)" -ge 3 &&
        test "$(grep -o "<svg" "$1.drivers" | wc -l)" -ge 6 && ! grep -q "No deep dives" "$1.drivers"' \
    sh "$tmp/dom.html"
check "nothing loaded from the network" \
    sh -c '! grep -Eq "https?://|<script|@import|url\(" "$1"' sh "$report"
check "e-mail addresses masked in the report (j***@example.com)" \
    sh -c 'grep -q "<td class=\"id email\">[^<@]\*\*\*@" "$1" &&
        ! grep -Eq "[A-Za-z0-9._%+-]{2,}@[A-Za-z0-9-]+\." "$1"' sh "$report"

# ---- the page at 1280 px, checked from inside (tests/report_check.js) ----------

# The internal names that must not show: snake_case keys of summary.json,
# customers.csv and the lists, the deep dives' metric codes and their discount
# keys, and a few more codes of the model output. (A single-letter code, the
# q of a q-value column, is checked in the table headers by the script.)
codes_of() { # codes_of OUTDIR
    {
        grep -o '"[a-z0-9]*_[a-z0-9_]*":' "$1/summary.json" | tr -d '":'
        for f in "$1/customers.csv" "$1"/lists/*.csv; do head -1 "$f" | tr ',' '\n' | grep _; done
        "$cvo" dive -q "$tmp/store/orders.csv" --nps "$tmp/store/nps.csv" --json |
            grep -o '"metric":"[^"]*"' | sed 's/"metric":"//; s/"$//'
        printf '%s\n' full_price aov loglik p_alive q_value
    } | sort -u | sed 's/.*/"&"/' | paste -sd, -
}

# [file, rows] for every list file, the tickets and the win-back events.
expected_of() { # expected_of OUTDIR
    for f in "$1"/lists/*.csv; do
        printf '["lists/%s",%d],' "$(basename "$f")" $(($(wc -l < "$f") - 1))
    done
    printf '["gorgias/tickets.jsonl",%d],' "$(wc -l < "$1/gorgias/tickets.jsonl")"
    printf '["klaviyo/events.jsonl",%d]' "$(grep -c '"CVO Winback Due"' "$1/klaviyo/events.jsonl")"
}

# browser_check NAME OUTDIR WANT: the copy with the script, its DOM at 1280 px,
# and one check per PASS/FAIL line it wrote.
browser_check() {
    name=$1 out=$2 want=$3
    page="$tmp/check-$name.html"
    {
        sed 's|</body>||; s|</html>||' "$out/report.html"
        printf '<script>\nvar EXPECT = [%s];\nvar CODES = [%s];\nvar WANT = [%s];\n' \
            "$(expected_of "$out")" "$(codes_of "$out")" "$want"
        cat "$here/report_check.js"
        printf '</script>\n</body>\n</html>\n'
    } > "$page"
    chromium_run --window-size=1280,2000 --dump-dom "file://$page" > "$page.dom" 2> "$page.err"
    grep -E '^(PASS|FAIL) ' "$page.dom" > "$page.lines"
    if [ "$(grep -c '^PASS ' "$page.lines")" -lt 15 ]; then
        bad "$name: the check script did not run (too few results)"
        cat "$page.lines" "$page.err" >&2
    fi
    while IFS= read -r line; do
        case $line in
        PASS*) ok ;;
        *) bad "$name at 1280 px: ${line#FAIL }" ;;
        esac
    done < "$page.lines"
    if grep -h ':CONSOLE[:(]' "$page.err" > "$tmp/console.txt"; then
        bad "$name: console messages from the page or the check:"
        cat "$tmp/console.txt" >&2
    fi
}

browser_check plain "$tmp/out" '"this-week","summary","drivers","cohorts"'

# Two weekly runs on one history database: the second report has the trend and
# the movers, and its This week names lists/movers.csv with its rows.
check "weekly run 1 with --db" "$cvo" analyze -q "$tmp/store/orders.csv" \
    --nps "$tmp/store/nps.csv" --db "$tmp/history.db" --as-of 2025-12-25 -o "$tmp/week1"
check "weekly run 2 with --db" "$cvo" analyze -q "$tmp/store/orders.csv" \
    --nps "$tmp/store/nps.csv" --db "$tmp/history.db" -o "$tmp/week2"
check "run 2 wrote lists/movers.csv with movers" test "$(wc -l < "$tmp/week2/lists/movers.csv")" -gt 1
check "run 1 says the trend starts with the next run" \
    grep -q "no earlier run yet" "$tmp/week1/report.html"
browser_check history "$tmp/week2" '"this-week","trend","migration"'
rm -f "$results/report-history.png"
chromium_run --screenshot="$results/report-history.png" --window-size="1280,$height" \
    "file://$tmp/week2/report.html" > /dev/null 2>&1
check "screenshot of the history report saved in $results/report-history.png" \
    test -s "$results/report-history.png"
finish
