#!/bin/sh
# bench.sh CVO - speed and memory of cvo (rfm, predict, analyze, dive, cohorts, analyze --db) on a generated store with about
# 1e7 line items (1.4 million customers, ~1.26 GB), made once in bench/data/.
# Prints wall time, throughput and peak RSS; `wc -l` on the same file is shown
# for scale. Figures only - nothing here passes or fails on time.
set -e
cvo=$1
dir=bench/data
file=$dir/orders.csv
runs=${BENCH_RUNS:-3}
if [ ! -f "$file" ]; then
    echo "bench: generating $file (1.4e6 customers, seed 1)..."
    "$cvo" generate --customers 1400000 --seed 1 -o "$dir"
fi
bytes=$(stat -c %s "$file")
echo "bench: $file: $bytes bytes, $(nproc) cores, commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
/usr/bin/time -f "%e" -o /tmp/cvo-bench-wc wc -l "$file" > /tmp/cvo-bench-wc-out
echo "bench: wc -l: $(cat /tmp/cvo-bench-wc-out | cut -d' ' -f1) lines in $(cat /tmp/cvo-bench-wc) s"
run() {
    label=$1; shift
    best=""
    for i in $(seq "$runs"); do
        /usr/bin/time -f "%e %M" -o /tmp/cvo-bench-time "$@" > /dev/null
        read -r wall rss < /tmp/cvo-bench-time
        echo "bench: $label run $i: wall $wall s, peak RSS $((rss / 1024)) MiB"
        if [ -z "$best" ] || [ "$(echo "$wall < $best" | bc)" = 1 ]; then best=$wall; bestrss=$rss; fi
    done
    mbps=$(echo "scale=0; $bytes / 1048576 / $best" | bc)
    echo "bench: $label best: wall $best s, $mbps MiB/s, peak RSS $((bestrss / 1024)) MiB"
}
run "cvo rfm" "$cvo" rfm -q "$file" -o /dev/null
run "cvo rfm --ties ntile" "$cvo" rfm -q --ties ntile "$file" -o /dev/null
run "cvo segments" "$cvo" segments -q "$file"
echo "bench: cvo predict --model bgnbd --spend gg (phases, one run):"
"$cvo" predict -q --timings --model bgnbd --spend gg "$file" -o /dev/null
echo "bench: cvo predict --model bgnbd --spend gg --whole-periods (weekly, lifetimes-style):"
"$cvo" predict -q --timings --whole-periods --model bgnbd --spend gg "$file" -o /dev/null
echo "bench: cvo analyze (the main job; DuckDB needs 8.2 s for the RFM alone here):"
rm -rf bench/out bench/.out.cvo bench/out.lock bench/history.db
/usr/bin/time -f "bench: cvo analyze: wall %e s, peak RSS %M KiB" "$cvo" analyze -q "$file" -o bench/out
echo "bench: cvo dive (every grouping; with the predictions) and cvo cohorts:"
/usr/bin/time -f "bench: cvo dive: wall %e s, peak RSS %M KiB" "$cvo" dive -q "$file" > /dev/null
/usr/bin/time -f "bench: cvo cohorts: wall %e s, peak RSS %M KiB" "$cvo" cohorts -q "$file" > /dev/null
echo "bench: cvo analyze --db (records a snapshot of every customer in SQLite; a new file):"
/usr/bin/time -f "bench: cvo analyze --db: wall %e s, peak RSS %M KiB" "$cvo" analyze -q "$file" -o bench/out --db bench/history.db
ls -l bench/history.db | awk '{print "bench: history.db: " $5 " bytes"}'
