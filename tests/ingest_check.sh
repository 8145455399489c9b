#!/bin/sh
# ingest_check.sh RESULTS CVO - the platform presets, order statuses and
# currencies of issue 14 against an independent computation: for every
# generated fixture (tests/data/make_platforms.py) each customer's counted
# orders, net revenue and last order, and the records used / not counted /
# rejected, as tests/ingest_truth.py works them out from the raw file, must be
# what cvo rfm reports. Then the bad inputs: unknown statuses and currency
# codes, rates with a gap, a broken rates file (messages with file:line, exit
# codes of cvo(1)). And a count-only event log. Writes RESULTS/ingest.count.
results=$1
root=$(cd "$(dirname "$0")/.." && pwd)
cvo=${2:-${CVO:-$root/build/cvo}}
case $cvo in /*) ;; *) cvo=$(pwd)/$cvo ;; esac
if [ -z "$results" ]; then
    echo "usage: ingest_check.sh RESULTS [CVO]" >&2
    exit 2
fi
layer=ingest
. "$root/tests/servers.sh"
cd "$root" || exit 2
export SOURCE_DATE_EPOCH=1767225600
data=tests/data
need command -v python3
need test -x "$cvo"

# same_as_truth NAME PLATFORM FILE [RATES]: cvo's customers and record counts
# equal the independent computation.
same_as_truth() {
    name=$1 platform=$2 file=$3 rates=$4
    python3 tests/ingest_truth.py "$platform" "$file" $rates > "$work/$name.truth" || return 1
    set -- rfm "$file" --format "$platform"
    [ -n "$rates" ] && set -- "$@" --rates "$rates"
    "$cvo" "$@" -o "$work/$name.rfm" 2> "$work/$name.err"
    code=$?
    [ $code -le 1 ] || { cat "$work/$name.err" >&2; return 1; }
    # customer_id,email,first_order,last_order,recency_days,frequency,monetary,...
    awk -F, 'NR > 1 { print $2 "," $6 "," $7 "," $4 }' "$work/$name.rfm" | sort > "$work/$name.cvo"
    grep -v '^#' "$work/$name.truth" > "$work/$name.want"
    if ! cmp -s "$work/$name.cvo" "$work/$name.want"; then
        diff "$work/$name.want" "$work/$name.cvo" | head -10 >&2
        return 1
    fi
    records=$(sed -n 's/^#records //p' "$work/$name.truth")
    set -- $records
    line=$(grep ' records: ' "$work/$name.err")
    used=$(echo "$line" | sed -n 's/.* records: \([0-9]*\) used.*/\1/p')
    not_counted=$(echo "$line" | sed -n 's/.* \([0-9]*\) not counted.*/\1/p')
    rejected=$(echo "$line" | sed -n 's/.* \([0-9]*\) rejected.*/\1/p')
    total=$(echo "$line" | sed -n 's/.*: \([0-9]*\) records:.*/\1/p')
    [ "$used" = "$1" ] && [ "${not_counted:-0}" = "$2" ] && [ "$rejected" = "$3" ] &&
        [ "$total" = $(($1 + $2 + $3)) ] || {
        echo "$name: records '$line', want used $1, not counted $2, rejected $3" >&2
        return 1
    }
}

# Acceptance 1: each preset's fixture, by its documented rules
check woocommerce same_as_truth woo woocommerce $data/woocommerce_orders.csv $data/rates.csv
check bigcommerce same_as_truth bc bigcommerce $data/bigcommerce_orders.csv
check magento same_as_truth magento magento $data/magento_orders.csv
check shopify same_as_truth shop shopify $data/shopify_orders.csv
check woocommerce-statuses-named contains "$work/woo.err" \
    "19 cancelled (19 records), 8 checkout_draft (8 records), 9 failed (9 records), 16 on_hold"
"$cvo" rfm $data/magento_orders.csv -o /dev/null 2> "$work/auto.err"
check auto-detection-said contains "$work/auto.err" "magento export (detected from the header)"
check magento-dates-and-dollars test "$(wc -l < "$work/magento.want")" -gt 40
check preset-wrong-header sh -c "'$cvo' rfm $data/bigcommerce_orders.csv --format woocommerce \
    -o /dev/null 2> '$work/wrong.err'; test \$? = 3"
check preset-wrong-header-says contains "$work/wrong.err" \
    "bigcommerce_orders.csv:1: not a WooCommerce order export (needs order_number, order_date"

# Acceptance 2: two currencies, never added; rejected without rates, converted with
check two-currencies-no-rates same_as_truth two shopify $data/shopify_two_currencies.csv
check two-currencies-rejects sh -c "'$cvo' rfm $data/shopify_two_currencies.csv -o /dev/null \
    --rejects '$work/two.rej' 2> /dev/null; test \$? = 1"
check two-currencies-line-and-reason contains "$work/two.rej" \
    '13,"order in USD, the store currency is EUR: amounts in two currencies are never added'
check two-currencies-every-record sh -c "test \$(grep -c 'order in USD' '$work/two.rej') = \
    \$(sed -n 's/.*, \([0-9]*\) rejected.*/\1/p' '$work/two.err')"
check two-currencies-eur-only contains "$work/two.err" "USD: 0 orders, net 0.00 USD; 23 orders rejected"
check two-currencies-rates same_as_truth two_rates shopify $data/shopify_two_currencies.csv \
    $data/rates.csv
store=$(sed -n 's/^#currency USD [0-9]* \([0-9]*\) \([0-9]*\)$/\1 \2/p' "$work/two_rates.truth")
usd=$(echo "$store" | awk '{ printf "%d.%02d USD = %d.%02d EUR", $1 / 100, $1 % 100, $2 / 100, $2 % 100 }')
check two-currencies-totals contains "$work/two_rates.err" "USD: 23 orders, net $usd"

gzip -c $data/shopify_two_currencies.csv > "$work/two.csv.gz"
"$cvo" rfm "$work/two.csv.gz" -o /dev/null 2> "$work/gz.err"
check gzip-file-majority contains "$work/gz.err" "store currency EUR, the currency of most orders (116 of 150"
gzip -c $data/shopify_two_currencies.csv | "$cvo" rfm - -o /dev/null 2> "$work/pipe.err"
check pipe-first-order contains "$work/pipe.err" "store currency USD, the first order's (the input is read once"

# Acceptance 5: bad input
check gap-rates same_as_truth gap shopify $data/shopify_two_currencies.csv $data/rates_gap.csv
check gap-rates-reason sh -c "'$cvo' rfm $data/shopify_two_currencies.csv --rates \
    $data/rates_gap.csv -o /dev/null --rejects '$work/gap.rej' 2> /dev/null; test \$? = 1"
check gap-rates-says contains "$work/gap.rej" \
    '36,no USD rate in force on 2025-02-25 in tests/data/rates_gap.csv: its first USD rate is for 2025-03-24'
"$cvo" rfm $data/woocommerce_bad.csv -o /dev/null --rejects "$work/bad.rej" 2> "$work/bad.err"
check bad-exit test $? = 1
check bad-status contains "$work/bad.rej" \
    "5,\"unknown status 'wc-awaiting-pickup-custom' (woocommerce statuses that count: completed, processing; add it to [orders] count_statuses or skip_statuses)"
check bad-currency contains "$work/bad.rej" \
    "9,\"unknown currency code 'EURO' (ISO 4217 codes, three capital letters: EUR, USD)"
# rows 1-12: 9 completed (one of them in EURO), 1 refunded, 1 cancelled, 1 unknown
# status: 8 used + 2 not counted + 2 rejected
check bad-adds-up contains "$work/bad.err" "12 records: 8 used, 2 not counted, 2 rejected"
printf 'date,currency,rate\n2025-01-01,USD,0.91\n2025-02-01,USD,abc\n' > "$work/broken.csv"
"$cvo" rfm $data/shopify_two_currencies.csv --rates "$work/broken.csv" -o /dev/null 2> "$work/broken.err"
check broken-rates-exit test $? = 3
check broken-rates-says contains "$work/broken.err" \
    "broken.csv:3: bad rate 'abc' (a positive number, at most 8 decimals: what 1 USD is worth in EUR)"
printf '[orders]\ncount_statuses = completed, processing, awaiting-pickup-custom\n' > "$work/custom.ini"
"$cvo" cohorts $data/woocommerce_bad.csv --config "$work/custom.ini" > /dev/null 2> "$work/custom.err"
check custom-status-counts contains "$work/custom.err" "12 records: 9 used, 2 not counted, 1 rejected"

python3 -c 'import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
i = rows[0].index("Customer Email")
csv.writer(sys.stdout).writerows(r[:i] + r[i + 1:] for r in rows[:4])' $data/magento_orders.csv > "$work/grid.csv"
"$cvo" rfm "$work/grid.csv" -o /dev/null 2> "$work/grid.err"
check magento-default-grid-exit test $? = 3
check magento-default-grid-says contains "$work/grid.err" \
    "grid.csv:1: a Magento order grid export without a customer column: switch on Customer Email"

# Acceptance 4: a count-only event log (customer, date)
cut -d, -f1-4 $data/cdnowElog.csv > "$work/elog_counts.csv"
"$cvo" fit -m bgnbd $data/cdnowElog.csv --calibration-end 1997-09-30 > "$work/full.fit" 2> /dev/null
"$cvo" fit -m bgnbd "$work/elog_counts.csv" --calibration-end 1997-09-30 > "$work/counts.fit" \
    2> "$work/counts.err"
# the same fit: only the data line (the file's name) differs
same_fit() { sed '/^data /d' "$1" > "$1.x" && sed '/^data /d' "$2" > "$2.x" && cmp "$1.x" "$2.x"; }
check count-only-bgnbd same_fit "$work/full.fit" "$work/counts.fit"
check count-only-note contains "$work/counts.err" "no amount column: a count-only event log"
"$cvo" fit -m pnbd $data/cdnowElog.csv --calibration-end 1997-09-30 > "$work/full.pnbd" 2> /dev/null
"$cvo" fit -m pnbd "$work/elog_counts.csv" --calibration-end 1997-09-30 > "$work/counts.pnbd" 2> /dev/null
check count-only-pnbd same_fit "$work/full.pnbd" "$work/counts.pnbd"
"$cvo" predict -m bgnbd --spend gg "$work/elog_counts.csv" -q > "$work/counts.pred" 2> "$work/pred.err"
check count-only-predict test $? = 0
check count-only-predictions test "$(wc -l < "$work/counts.pred")" = 2358
check count-only-spend-note contains "$work/pred.err" "--spend gg skipped, expected_spend and clv are left empty"
"$cvo" fit -m gg "$work/elog_counts.csv" -q 2> "$work/gg.err"
check count-only-gg-exit test $? = 3
finish
