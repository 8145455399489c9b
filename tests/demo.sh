#!/bin/sh
# demo.sh CVO - the main job on sample data: generate a store, score it.
set -e
cvo=$1
out=demo
mkdir -p "$out"
"$cvo" generate --customers 5000 --seed 42 -o "$out/store"
"$cvo" rfm "$out/store/orders.csv" -o "$out/customers.csv" --rejects "$out/rejects.csv" || [ $? = 1 ]
"$cvo" segments "$out/store/orders.csv" -q | tee "$out/segments.txt"
echo
echo "cvo demo: scored customers in $out/customers.csv, segment table in $out/segments.txt"
echo "cvo demo: the generated store is in $out/store/ (orders.csv, products.csv, nps.csv)"
