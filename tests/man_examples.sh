#!/bin/sh
# man_examples.sh RESULTS [CVO] - runs the examples of docs/cvo.1 as tests.
# Runnable examples are the lines of the EXAMPLES section, inside .EX/.EE,
# that begin with "$ cvo " (a line ending in \e continues on the next). Each
# runs with sh in a scratch directory that holds a generated store
# (orders.csv, products.csv, nps.csv from "cvo generate -n 200 -s 3"), copies
# of the model data of tests/data (cdnowElog.csv, cdnow_cbs.csv,
# donations.csv) and the small files the examples name, written below; the
# examples run in order, in that one directory, and may write into it (out/,
# demo/); "cvo" is the binary under test. An example passes when it exits 0 or 1 (success, or success with
# rejected records). Writes "passed failed" to RESULTS/man.count.
results=$1
root=$(cd "$(dirname "$0")/.." && pwd)
cvo=${2:-${CVO:-$root/build/cvo}}
case $cvo in /*) ;; *) cvo=$(pwd)/$cvo ;; esac
if [ -z "$results" ] || [ ! -x "$cvo" ]; then
    echo "usage: man_examples.sh RESULTS [CVO]  (CVO: the built cvo, default build/cvo)" >&2
    exit 2
fi
mkdir -p "$results"
work=$(mktemp -d) || exit 2
trap 'rm -rf "$work"' EXIT INT TERM
mkdir "$work/bin" "$work/store"
ln -s "$cvo" "$work/bin/cvo"
store=$work/store

# The examples, one command per line, roff escapes undone.
awk '
    /^\.SH / { in_examples = ($0 ~ /^\.SH EXAMPLES/); next }
    !in_examples { next }
    /^\.EX/ { in_block = 1; next }
    /^\.EE/ { in_block = 0; next }
    !in_block { next }
    {
        line = $0
        if (pending == "" && line !~ /^\$ cvo /) next
        cont = sub(/[ \t]*\\e$/, "", line)
        if (pending == "") sub(/^\$ /, "", line); else sub(/^[ \t]+/, " ", line)
        pending = pending line
        if (cont) next
        gsub(/\\-/, "-", pending); gsub(/\\\(aq/, "\047", pending)
        gsub(/\\\(dq/, "\"", pending); gsub(/\\&/, "", pending); gsub(/\\e/, "\\", pending)
        print pending
        pending = ""
    }
' "$root/docs/cvo.1" > "$work/examples"

# ---- the store and the files the examples name ---------------------------
if ! "$cvo" generate -n 200 -s 3 -o "$store" 2> "$work/generate.log"; then
    cat "$work/generate.log" >&2
    echo "man: 0 passed, 1 failed (cvo generate failed)"
    echo "0 1" > "$results/man.count"
    exit 1
fi
gzip -c "$store/orders.csv" > "$store/orders.csv.gz"

# UCI Online Retail: US dates, a C-cancellation, a record without CustomerID.
cat > "$store/online_retail.csv" <<'EOF'
InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2010 8:26,2.55,17850,United Kingdom
536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850,United Kingdom
536366,22633,HAND WARMER UNION JACK,6,12/1/2010 8:28,1.85,17850,United Kingdom
536380,22961,JAM MAKING SET PRINTED,24,12/1/2010 9:41,1.45,14527,United Kingdom
C536379,D,Discount,-1,12/1/2010 9:41,27.50,14527,United Kingdom
536381,22139,RETROSPOT TEA SET,1,12/1/2010 9:41,4.95,,United Kingdom
536382,10002,INFLATABLE POLITICAL GLOBE,12,12/2/2010 9:45,0.85,12583,France
EOF

# A Shopify orders export (79 columns): a two-line order, a refunded, a
# partially refunded and a voided order.
cat > "$store/orders_export.csv" <<'EOF'
Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem compare at price,Lineitem sku,Lineitem requires shipping,Lineitem taxable,Lineitem fulfillment status,Billing Name,Billing Street,Billing Address1,Billing Address2,Billing Company,Billing City,Billing Zip,Billing Province,Billing Country,Billing Phone,Shipping Name,Shipping Street,Shipping Address1,Shipping Address2,Shipping Company,Shipping City,Shipping Zip,Shipping Province,Shipping Country,Shipping Phone,Notes,Note Attributes,Cancelled at,Payment Method,Payment Reference,Refunded Amount,Vendor,Outstanding Balance,Employee,Location,Device ID,Id,Tags,Risk Level,Source,Lineitem discount,Tax 1 Name,Tax 1 Value,Tax 2 Name,Tax 2 Value,Tax 3 Name,Tax 3 Value,Tax 4 Name,Tax 4 Value,Tax 5 Name,Tax 5 Value,Phone,Receipt Number,Duties,Billing Province Name,Shipping Province Name,Payment ID,Payment Terms Name,Next Payment Due At,Payment References
#1001,ann@example.com,paid,,,,,EUR,45.00,4.95,,49.95,,,,2025-10-07 09:50:26 +0200,2,Mug,20.00,,,,,,,,,,,,'75008,,FR,,,,,,,,,,,,,,,,,0.00,,,,,,,,,web,0.00,,,,,,,,,,,,,,,,,,,
#1001,ann@example.com,,,,,,,,,,,,,,2025-10-07 09:50:26 +0200,1,Tea,5.00,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,0.00,,,,,,,,,,,,,,,,,,,
#1002,bob@example.com,refunded,,,,,EUR,10.00,,,10.00,,,,2025-10-08 10:00:00 +0200,1,Tea,10.00,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,10.00,,,,,,,,,,0.00,,,,,,,,,,,,,,,,,,,
#1003,Ann@Example.com,partially_refunded,,,,,EUR,30.00,,,30.00,,,,2025-11-02 18:12:40 +0100,3,Cup,10.00,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,10.00,,,,,,,,,,0.00,,,,,,,,,,,,,,,,,,,
#1004,cy@example.com,voided,,,,,EUR,30.00,,,30.00,,,,2025-11-03 08:00:00 +0100,3,Cup,10.00,,,,,,,,,,,,,,,,,,,,,,,,,,,,2025-11-03 09:00:00 +0100,,,,,,,,,,,,,0.00,,,,,,,,,,,,,,,,,,,
#1005,dee@example.com,paid,,,,,EUR,18.00,,,22.95,,,,2025-11-04 12:30:00 +0100,1,Beans,20.00,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,2.00,,,,,,,,,,,,,,,,,,,
EOF

# The CDNOW master log: id, YYYYMMDD, cds, dollars; no header.
cat > "$store/CDNOW_master.txt" <<'EOF'
00001 19970101  1   11.77
00002 19970112  1   12.00
00002 19970112  5   77.00
00003 19970102  2   20.76
00003 19970330  2   20.76
00003 19970402  2   19.54
00004 19970101  2   29.33
00004 19970118  2   29.73
EOF

# The cut points of the RFM SCORES section and a 3-level segment map.
cat > "$store/cuts.txt" <<'EOF'
# days, orders, currency units
recency   = 30,90,180,365
frequency = 1,2,3,5
monetary  = 50,100,250,500
EOF
for r in 1 2 3; do
    for f in 1 2 3; do
        for m in 1 2 3; do
            case $r in 3) name=Active ;; 2) name=Lapsing ;; *) name=Lapsed ;; esac
            echo "$r$f$m,$name"
        done
    done
done > "$store/segments.csv"

# The model examples: the CDNOW log and BTYD summary, the donations summary.
for f in cdnowElog.csv cdnow_cbs.csv donations.csv; do
    if ! cp "$root/tests/data/$f" "$store/$f"; then
        echo "man: 0 passed, 1 failed (tests/data/$f missing)"
        echo "0 1" > "$results/man.count"
        exit 1
    fi
done

# The configuration of the cvo analyze example (EXAMPLES shows these lines).
cat > "$store/store.ini" <<'EOF'
[scoring]
scheme = classic
[model]
currency = EUR
horizon_months = 6
[lists]
vip_share = 0.1
EOF

# The configuration of the cvo profit example (EXAMPLES shows these lines).
cat > "$store/profit.ini" <<'EOF'
[profit]
payment_fee_percent = 0.025
acquisition_cost = paid_social:25, paid_search:30, organic:0
default_acquisition_cost = 5
EOF

# ---- run -------------------------------------------------------------------
pass=0; fail=0; n=0
while IFS= read -r cmd; do
    n=$((n + 1))
    (cd "$store" && PATH="$work/bin:$PATH" sh -c "$cmd") < /dev/null \
        > "$work/out.$n" 2> "$work/err.$n"
    code=$?
    if [ "$code" = 0 ] || [ "$code" = 1 ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL man example (exit $code): $cmd" >&2
        tail -n 5 "$work/err.$n" >&2
    fi
done < "$work/examples"
if [ "$n" = 0 ]; then
    echo "FAIL man examples: no runnable example found in docs/cvo.1" >&2
    fail=1
fi
echo "man: $pass passed, $fail failed"
echo "$pass $fail" > "$results/man.count"
[ "$fail" = 0 ]
