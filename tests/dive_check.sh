#!/bin/sh
# dive_check.sh RESULTS CVO - the deep dives find planted effects and only them.
# Stores of 20000 customers are generated with planted effects (two toxic SKUs,
# a late region SE, discount-acquired customers churning) and without; cvo dive
# --json must flag exactly the planted groups as significantly harmful, and the
# stores without plants may show no more discoveries than the FDR allows.
# Prints "dive: N passed, M failed" and writes "N M" to RESULTS/dive.count.
set -u
results=$1
cvo=$2
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$results"

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: dive: $*" >&2; }

# dive KIND SEED [PLANT OPTIONS] - generate a store and write its dives as JSON lines.
dive() {
    kind=$1 seed=$2; shift 2
    if "$cvo" generate -n 20000 -s "$seed" -o "$tmp/$kind$seed" "$@" > /dev/null 2>&1 &&
        "$cvo" dive -q --json "$tmp/$kind$seed/orders.csv" --products "$tmp/$kind$seed/products.csv" \
            --nps "$tmp/$kind$seed/nps.csv" > "$tmp/$kind$seed.jsonl"; then
        ok
    else
        bad "generate or dive failed for the $kind store of seed $seed"
    fi
}

for seed in 1 2 3; do
    dive planted "$seed" --plant-toxic SKU-0007,SKU-0042 --plant-late-region SE --plant-discount-churn
done
for seed in 1 2 3 4 5; do
    dive null "$seed"
done

# cvo analyze on the first planted store: its summary.json drivers are judged below.
if "$cvo" analyze -q "$tmp/planted1/orders.csv" --products "$tmp/planted1/products.csv" \
        --nps "$tmp/planted1/nps.csv" -o "$tmp/analyzed1" > /dev/null 2>&1; then
    ok
else
    bad "analyze failed on the planted store of seed 1"
fi

# The judge prints one line per check: "ok what" or "bad what".
python3 - "$tmp" > "$tmp/judge.out" <<'PY'
import glob, json, os, sys

tmp = sys.argv[1]
# Metrics the generator leaves alone unless planted. Revenue and profit are not
# among them: products differ in price and countries in shipping cost, so
# those differences are real in every store, planted or not.
NULL_METRICS = ("repeat_180d", "orders_365d", "nps_post")
PLANTED = {("product", "SKU-0007"), ("product", "SKU-0042"), ("country", "SE"),
           ("discount", "code")}
# Planted by construction, not false: the categories holding a toxic SKU, and
# every code on a first order (with discount churn each such customer is planted).
CONTAINS_PLANTED = {("category", "Coffee Beans"), ("category", "Brewing Equipment")}

def tables(path):
    with open(path) as f:
        return [json.loads(line) for line in f]

def say(good, what):
    print(("ok " if good else "bad ") + what)

false_planted = []
for path in sorted(glob.glob(os.path.join(tmp, "planted*.jsonl"))):
    store = os.path.basename(path)
    rows = {}
    for t in tables(path):
        for g in t["groups"]:
            rows[(t["by"], g["key"], g["metric"])] = g
    for by, key in sorted(PLANTED):
        for metric in NULL_METRICS:
            if by == "discount" and metric == "nps_post":
                continue  # discount churn plants no NPS
            g = rows.get((by, key, metric))
            say(g is not None and g["significant"] and g["direction"] == "harmful",
                "%s: %s %s is significantly harmful on %s" % (store, by, key, metric))
    codes = [g for (by, _, m), g in rows.items()
             if by == "code" and m in NULL_METRICS[:2] and g["p_value"] is not None]
    say(len(codes) > 0 and all(g["significant"] and g["direction"] == "harmful" for g in codes),
        "%s: every tested first-order code is significantly harmful" % store)
    for (by, key, metric), g in sorted(rows.items()):
        if metric not in NULL_METRICS or by == "code" or (by, key) in PLANTED:
            continue
        if (by, key) in CONTAINS_PLANTED:
            continue
        if g["significant"] and g["direction"] == "harmful":
            false_planted.append("%s %s %s %s q=%.2g" % (store, by, key, metric, g["q_value"]))
# BH keeps the expected share of false discoveries in each table at or below
# 5 %; with a few true discoveries per planted table and the all-null tables
# (each rejecting with probability <= 5 %), about one false harmful discovery
# per store is expected (seeds 1-6 gave 2, 0, 0, 1, 1, 1). At most one per
# store on average over the three stores; a broken test (anti-conservative
# p-values, rest not the complement) gives dozens.
say(len(false_planted) <= 3,
    "at most 3 false harmful discoveries over the planted stores: %d %s"
    % (len(false_planted), false_planted))

# Without plants every table and null metric is a true null: BH then rejects
# anything with probability <= fdr = 0.05 per (grouping, metric) family.
# 5 stores x 6 groupings x 3 metrics = 90 families, expected <= 4.5 with a
# discovery; P(12 or more) < 0.002 for Binomial(90, 0.05). Seeds 1-5 give 4.
families = []
for path in sorted(glob.glob(os.path.join(tmp, "null*.jsonl"))):
    for t in tables(path):
        for metric in NULL_METRICS:
            hits = [g["key"] for g in t["groups"] if g["metric"] == metric and g["significant"]]
            if hits:
                families.append("%s %s %s %s" % (os.path.basename(path), t["by"], metric, hits))
say(len(families) <= 11,
    "stores without plants: at most 11 of 90 families with a discovery: %d %s"
    % (len(families), families))

# summary.json of cvo analyze: per grouping, exactly the significant rows of
# cvo dive on the same store (at most 20 per direction), planted ones among them.
with open(os.path.join(tmp, "analyzed1", "summary.json")) as f:
    drivers = json.load(f)["drivers"]
rows = {}
for t in tables(os.path.join(tmp, "planted1.jsonl")):
    rows[t["by"]] = [g for g in t["groups"] if g["significant"]]
for by, found in sorted(drivers.items()):
    want = rows.get(by, [])
    per = {d: [g for g in want if g["direction"] == d] for d in ("harmful", "helpful")}
    expect = min(20, len(per["harmful"])) + min(20, len(per["helpful"]))
    keys = {(g["key"], g["metric"]) for g in want}
    say(len(found) == expect and all((g["key"], g["metric"]) in keys for g in found),
        "summary.json drivers.%s holds the significant rows of cvo dive (%d, want %d)"
        % (by, len(found), expect))
harmful = {(by, g["key"]) for by, found in drivers.items() for g in found
           if g["direction"] == "harmful"}
say({("country", "SE"), ("product", "SKU-0042"), ("discount", "code")} <= harmful,
    "summary.json drivers name SE, SKU-0042 and code as harmful")
PY
while read -r verdict what; do
    if [ "$verdict" = ok ]; then ok; else bad "$what"; fi
done < "$tmp/judge.out"
[ -s "$tmp/judge.out" ] || bad "the judge printed nothing"
echo "dive: $pass passed, $fail failed"
echo "$pass $fail" > "$results/dive.count"
[ "$fail" = 0 ]
