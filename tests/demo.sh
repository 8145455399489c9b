#!/bin/sh
# demo.sh CVO - the main job on sample data: cvo demo generates a store and
# analyses it; the report and every output land in demo/.
set -e
cvo=$1
"$cvo" demo -o demo
echo
echo "cvo demo: open $(pwd)/demo/report.html"
echo "cvo demo: customer table demo/customers.csv, Klaviyo files demo/klaviyo/, lists demo/lists/"
