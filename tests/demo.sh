#!/bin/sh
# demo.sh CVO - the main job on sample data: cvo demo generates a store and
# analyses it; the report and every output land in demo/analysis/.
set -e
cvo=$1
"$cvo" demo -o demo
echo
echo "cvo demo: open $(pwd)/demo/analysis/report.html"
echo "cvo demo: customer table demo/analysis/customers.csv, Klaviyo files demo/analysis/klaviyo/, lists demo/analysis/lists/"
