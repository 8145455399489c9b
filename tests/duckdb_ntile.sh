#!/bin/sh
# duckdb_ntile.sh RESULTS CVO - cvo rfm --ties ntile must equal DuckDB's
# NTILE(N) OVER (ORDER BY value, customer_id) on the same customer table, for
# 3, 4 and 5 levels, on a generated store with refunds, fully refunded orders
# and repeated rows. DuckDB comes from the npm registry (@duckdb/node-api).
results=$1
cvo=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
root=$(cd "$(dirname "$0")/.." && pwd)
work=$root/build/duckdb
pass=0; fail=0
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    "$root/.ci/deps.sh" nodejs npm || { echo "0 1" > "$results/duckdb.count"; exit 1; }
fi
mkdir -p "$work"
if [ ! -d "$work/node_modules/@duckdb/node-api" ]; then
    (cd "$work" && npm install --silent --no-audit --no-fund @duckdb/node-api@1.5.6-r.1 >/dev/null 2>&1) || {
        echo "duckdb: npm install @duckdb/node-api failed" >&2
        echo "0 1" > "$results/duckdb.count"; exit 1; }
fi
tmp=$(mktemp -d)
"$cvo" generate -n 20000 -s 77 --duplicate-rate 0.02 -o "$tmp/store" 2>/dev/null
cat > "$work/check.mjs" <<'JS'
import { DuckDBInstance } from '@duckdb/node-api';
const [file, levels] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
await c.run(`CREATE TABLE t AS SELECT * FROM read_csv('${file}', header=true, all_varchar=true)`);
const q = `WITH k AS (SELECT CAST(recency_days AS INTEGER) rec, CAST(frequency AS INTEGER) fr,
    CAST(monetary AS DECIMAL(18,2)) mo, CAST(r AS INTEGER) r0, CAST(f AS INTEGER) f0,
    CAST(m AS INTEGER) m0, CASE WHEN coalesce(customer_id, '') = '' THEN email ELSE customer_id END AS key
    FROM t),
  s AS (SELECT *, NTILE(${levels}) OVER (ORDER BY rec DESC, key) r1,
                  NTILE(${levels}) OVER (ORDER BY fr, key) f1,
                  NTILE(${levels}) OVER (ORDER BY mo, key) m1 FROM k)
  SELECT count(*) AS n, count(*) FILTER (WHERE r0 = r1 AND f0 = f1 AND m0 = m1) AS same FROM s`;
const row = (await c.runAndReadAll(q)).getRows()[0];
console.log(`${row[0]} ${row[1]}`);
JS
for levels in 3 4 5; do
    "$cvo" rfm -q --ties ntile --levels $levels "$tmp/store/orders.csv" -o "$tmp/rfm.csv"
    out=$(cd "$work" && node check.mjs "$tmp/rfm.csv" $levels)
    set -- $out
    if [ -n "$1" ] && [ "$1" = "$2" ] && [ "$1" -gt 1000 ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1)); echo "FAIL duckdb ntile levels $levels: $out (customers, equal)" >&2
    fi
done
rm -rf "$tmp"
echo "duckdb ntile: $pass passed, $fail failed"
echo "$pass $fail" > "$results/duckdb.count"
[ "$fail" = 0 ]
