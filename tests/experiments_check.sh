#!/bin/sh
# experiments_check.sh RESULTS CVO - holdouts of cvo analyze --db on a generated
# store, two runs at different as-of dates: every member common to both runs
# keeps their arm; each run's lists/<list>.csv, lists/<list>.holdout.csv,
# customers.csv (holdout column), Klaviyo profiles (CVO <List>, CVO Holdout
# <List>), win-back events and summary.json agree with the arms stored in the
# database, which agree with the keyed draw recomputed here (HMAC-SHA-256 of
# the experiment id and the customer under [privacy] id_key). Writes
# RESULTS/experiments.count.
results=$1
cvo=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
tmp=$(mktemp -d)
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL experiments: $1" >&2; }
same() { if [ "$1" = "$2" ]; then ok; else bad "$3: '$1' vs '$2'"; fi; }

"$cvo" generate -n 3000 -s 12 -o "$tmp/store" 2>/dev/null
orders=$tmp/store/orders.csv
printf '[holdout]\nshare = 0.2\nvip = 0.3\n[privacy]\nid_key = experiments-check\n' > "$tmp/cvo.ini"

"$cvo" analyze -q "$orders" -o "$tmp/run1" --as-of 2025-09-01 --db "$tmp/h.db" -c "$tmp/cvo.ini"
same "$?" 0 "run 1 exit code"
"$cvo" analyze -q "$orders" -o "$tmp/run2" --db "$tmp/h.db" -c "$tmp/cvo.ini"
same "$?" 0 "run 2 exit code"
same "$(sqlite3 "$tmp/h.db" "SELECT count(*), count(DISTINCT start_day) FROM experiments WHERE state = 'committed' AND stop_day IS NULL")" \
    "4|1" "four experiments, started by run 1"

cat > "$tmp/check.py" << 'PY'
import csv, hashlib, hmac, json, os, sqlite3, sys

db, key_text, first, second = sys.argv[1:5]
key = hashlib.sha256(key_text.encode()).digest()
problems = []
sections = {}  # what is checked -> whether every check of it held
section = "setup"

def check(ok, what):
    sections[section] = sections.get(section, True) and bool(ok)
    if not ok:
        problems.append(what)

def keyed(customer):
    return hmac.new(key, b"customer\x1f" + customer.encode(), hashlib.sha256).hexdigest()[:24]

def drawn_holdout(experiment, customer, share):
    mac = hmac.new(key, b"arm\x1f" + experiment.encode() + b"\x1f" + customer.encode(),
                   hashlib.sha256).digest()
    return (int.from_bytes(mac[:8], "big") >> 11) / 2.0**53 < share

con = sqlite3.connect(db)
stored = {}
for exp, customer, arm, entry in con.execute(
        "SELECT experiment_id, customer, arm, entry_day FROM experiment_members"
        " WHERE state = 'committed'"):
    stored[(exp, customer)] = (arm, entry)
experiments = {row[0]: (row[1], row[2]) for row in
               con.execute("SELECT id, list, share FROM experiments")}
props = {"winback": "Winback", "vip": "VIP", "referral": "Referral",
         "no-discount": "No Discount"}
columns = {"winback": "winback", "vip": "vip", "referral": "referral",
           "no-discount": "no_discount"}

def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))

def run_arms(out):
    """(experiment, customer key) -> arm, from the run's files; checked against the db."""
    summary = json.load(open(os.path.join(out, "summary.json")))
    arms = {}
    customers = rows(os.path.join(out, "customers.csv"))
    profiles = {r["Email"]: r for r in rows(os.path.join(out, "klaviyo", "profiles.csv"))}
    events = set()
    for line in open(os.path.join(out, "klaviyo", "events.jsonl")):
        event = json.loads(line)["data"]["attributes"]
        if event["metric"]["data"]["attributes"]["name"] == "CVO Winback Due":
            events.add(event["profile"]["data"]["attributes"]["email"])
    check(len(events) > 0, "no win-back event at all")
    for h in summary["holdouts"]:
        exp, lst, share = h["id"], h["list"], h["share"]
        check(experiments.get(exp) == (lst, share), f"{exp}: summary vs experiments table")
        counts = {"treatment": 0, "holdout": 0}
        for arm, name in (("treatment", f"{lst}.csv"), ("holdout", f"{lst}.holdout.csv")):
            for r in rows(os.path.join(out, "lists", name)):
                customer = r["customer_id"] or r["Email"]
                arms[(exp, customer)] = arm
                counts[arm] += 1
                check(stored.get((exp, keyed(customer)), ("none",))[0] == arm,
                      f"{exp}: {customer} in {name} but stored as "
                      f"{stored.get((exp, keyed(customer)))}")
                check(drawn_holdout(exp, customer, share) == (arm == "holdout"),
                      f"{exp}: {customer} in {name}, the draw says otherwise")
        check(counts["treatment"] == h["treatment"] and counts["holdout"] == h["holdout"],
              f"{exp}: list files {counts} vs summary.json {h}")
        check(h["holdout"] > 0 and h["treatment"] > 0, f"{exp}: an empty arm")
        for r in customers:
            customer = r["customer_id"] or r["email"]
            held = lst in r["holdout"].split(";")
            listed = r[columns[lst]] == "1"
            check(not (held and listed), f"{exp}: {customer} listed and held out")
            if held or listed:
                check(arms.get((exp, customer)) == ("holdout" if held else "treatment"),
                      f"{exp}: customers.csv of {customer} vs the list files")
            p = profiles.get(r["email"])
            if p is None:
                continue
            check(p["CVO Holdout " + props[lst]] == ("true" if held else "false"),
                  f"{exp}: CVO Holdout {props[lst]} of {r['email']}")
            check(p["CVO " + props[lst]] == ("true" if listed else "false"),
                  f"{exp}: CVO {props[lst]} of {r['email']}")
            if lst == "winback" and held:
                check(r["email"] not in events, f"{exp}: win-back event for holdout {customer}")
    return arms

section = "run 1: files agree with the stored arms"
arms1 = run_arms(first)
section = "run 2: files agree with the stored arms"
arms2 = run_arms(second)
section = "arms stable across the two runs"
common = set(arms1) & set(arms2)
check(len(common) > 50, f"only {len(common)} members common to both runs")
for member in common:
    check(arms1[member] == arms2[member], f"{member}: arm changed between runs")
section = "entry days are the as-of days of the runs"
entries = {entry for (arm, entry) in stored.values()}
check(entries == {"2025-09-01", "2026-01-01"}, f"entry days {entries}")
for problem in problems[:20]:
    print(problem, file=sys.stderr)
passed = sum(1 for ok in sections.values() if ok)
print(passed, len(sections) - passed)
PY
set -- $(python3 "$tmp/check.py" "$tmp/h.db" experiments-check "$tmp/run1" "$tmp/run2")
if [ -n "$1" ]; then pass=$((pass + $1)); fail=$((fail + $2)); else bad "check.py did not run"; fi

same "$(sqlite3 "$tmp/h.db" "SELECT count(*) FROM experiment_members WHERE state <> 'committed'")" 0 \
    "no pending members after two published runs"

rm -rf "$tmp"
echo "experiments: $pass passed, $fail failed"
echo "$pass $fail" > "$results/experiments.count"
[ "$fail" = 0 ]
