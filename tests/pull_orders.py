#!/usr/bin/env python3
"""pull_orders.py - the fake Shopify store of tests/pull_check.sh, and the check that a
pulled CSV holds exactly its orders, computed here independently of cvo.

    pull_orders.py make STORE N          N orders (seeded), updated in 2025
    pull_orders.py change STORE ADD UPD  ADD new orders and UPD updated ones, updated now
    pull_orders.py delete STORE ID...    orders deleted at Shopify
    pull_orders.py compare STORE CSV ZONE
                                         exit 0 when CSV holds every order of STORE once,
                                         with its fields and line items, and nothing else;
                                         times in ZONE (the shop's, an IANA name) as the
                                         export writes them, by Python's zoneinfo
"""
import csv
import datetime
import json
import random
import sys
import zoneinfo

STATUSES = ["PAID", "PAID", "PAID", "PARTIALLY_REFUNDED", "REFUNDED", "PENDING", "VOIDED"]
PRODUCTS = [("Linen shirt - M", "LS-M", "49.00"), ("Canvas tote", "CT-1", "12.50"),
            ("Wool socks", "WS-3", "19.99"), ("Wool scarf", "SC-1", "89.00"),
            ('Mug "Morning", blue', None, "9.90")]


# The first orders are placed near midnight in New York and in Kolkata, and at New
# York's changes of 2025: their local day is not their UTC day, and the last two of
# November sort one way by instant and the other by their local text (01:30 EDT is
# before 01:10 EST).
EDGES = ["2025-03-15T03:30:00Z",  # New York 2025-03-14 23:30:00 -0400
         "2025-03-15T04:10:00Z",  # New York 2025-03-15 00:10:00 -0400
         "2025-06-10T18:29:59Z",  # Kolkata 2025-06-10 23:59:59 +0530
         "2025-06-10T18:30:00Z",  # Kolkata 2025-06-11 00:00:00 +0530
         "2025-03-09T06:59:59Z",  # New York 2025-03-09 01:59:59 -0500
         "2025-03-09T07:00:00Z",  # New York 2025-03-09 03:00:00 -0400
         "2025-11-02T05:30:00Z",  # New York 2025-11-02 01:30:00 -0400
         "2025-11-02T06:10:00Z"]  # New York 2025-11-02 01:10:00 -0500


def utc(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def parse_utc(iso):
    return datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)


def csv_time(iso, zone):
    """Shopify's export form: the shop's local time and the offset then in force."""
    return parse_utc(iso).astimezone(zoneinfo.ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S %z")


def new_order(rng, number, created, updated):
    lines = []
    for k in range(rng.choice([1, 1, 2, 3])):
        name, sku, price = rng.choice(PRODUCTS)
        lines.append({"id": number * 10 + k, "name": name, "sku": sku,
                      "quantity": rng.randint(1, 3), "price": price,
                      "discount": rng.choice(["0.0", "0.0", "5.00"])})
    customer = rng.randint(1, 12)
    status = rng.choice(STATUSES)
    subtotal = sum(l["quantity"] * float(l["price"]) - float(l["discount"]) for l in lines)
    return {"id": 5000000000 + number, "name": "#%d" % (1000 + number),
            "email": "customer%d@example.com" % customer, "customer": customer,
            "createdAt": utc(created), "updatedAt": utc(updated), "financial": status,
            "currency": "EUR", "subtotal": "%.2f" % subtotal,
            "refunded": "10.00" if status == "PARTIALLY_REFUNDED" else
                        "%.2f" % subtotal if status == "REFUNDED" else "0.0",
            "cancelledAt": utc(updated) if status == "VOIDED" else None,
            "fulfilledAt": utc(created + 60 * (5 + number % 50))
                           if status in ("PAID", "PARTIALLY_REFUNDED") else None,
            "country": rng.choice(["FR", "US", "DE", None]),
            "codes": rng.choice([[], [], ["WELCOME10"], ["VIP", "SPRING"]]),
            "marketing": rng.choice(["SUBSCRIBED", "NOT_SUBSCRIBED"]), "lines": lines}


def make(path, n):
    rng = random.Random(14)
    base = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc).timestamp()
    orders = []
    for i in range(1, n + 1):
        created = base + i * 86400 * 2 + rng.randint(0, 86399)
        if i <= len(EDGES):  # after the draw, so the other orders stay as they were
            created = parse_utc(EDGES[i - 1]).timestamp()
        orders.append(new_order(rng, i, created, created + rng.randint(0, 86400 * 30)))
    rng.shuffle(orders)  # the store's order is not the export's
    save(path, orders)


def save(path, orders):
    with open(path, "w") as f:
        json.dump(orders, f, indent=1)


def load(path):
    with open(path) as f:
        return json.load(f)


def change(path, add, update):
    orders = load(path)
    rng = random.Random(len(orders))
    now = datetime.datetime.now(datetime.timezone.utc).timestamp()
    top = max(o["id"] for o in orders) - 5000000000
    for o in sorted(orders, key=lambda o: o["id"])[:update]:
        o["financial"] = "PARTIALLY_REFUNDED"
        o["refunded"] = "3.50"
        o["updatedAt"] = utc(now)
    for k in range(1, add + 1):
        orders.append(new_order(rng, top + k, now - 3600, now))
    save(path, orders)


def delete(path, ids):
    save(path, [o for o in load(path) if str(o["id"]) not in ids])


def expected_rows(o, zone):
    """The rows an order must have: (column -> value) per row, independently built."""
    first = {"Name": o["name"], "Email": o["email"], "Financial Status": o["financial"].lower(),
             "Currency": o["currency"], "Subtotal": o["subtotal"],
             "Refunded Amount": o["refunded"], "Created at": csv_time(o["createdAt"], zone),
             "Cancelled at": csv_time(o["cancelledAt"], zone) if o["cancelledAt"] else "",
             "Fulfilled at": csv_time(o["fulfilledAt"], zone) if o.get("fulfilledAt") else "",
             "Discount Code": ", ".join(o["codes"]), "Id": str(o["id"]),
             "Customer ID": str(o["customer"]), "Billing Country": o["country"] or "",
             "Shipping Country": o["country"] or "",
             "Accepts Marketing": "yes" if o["marketing"] == "SUBSCRIBED" else "no"}
    rows = []
    for k, line in enumerate(o["lines"] or [None]):
        row = dict(first) if k == 0 else {
            "Name": o["name"], "Email": o["email"], "Created at": first["Created at"],
            "Customer ID": first["Customer ID"], "Financial Status": "", "Subtotal": "",
            "Id": "", "Currency": "", "Cancelled at": "", "Fulfilled at": ""}
        if line:
            row.update({"Lineitem name": line["name"], "Lineitem sku": line["sku"] or "",
                        "Lineitem quantity": str(line["quantity"]),
                        "Lineitem price": line["price"], "Lineitem discount": line["discount"]})
        rows.append(row)
    return rows


def compare(store, path, zone):
    orders = {o["name"]: o for o in load(store)}
    with open(path, newline="") as f:
        got = list(csv.DictReader(f))
    by_name, seen_order = {}, []
    for row in got:
        if not seen_order or seen_order[-1] != row["Name"]:
            seen_order.append(row["Name"])
        by_name.setdefault(row["Name"], []).append(row)
    problems = []
    if len(seen_order) != len(set(seen_order)):
        problems.append("an order's rows are split or an order is written twice")
    if set(by_name) != set(orders):
        problems.append("orders missing: %s; orders not at Shopify: %s" % (
            sorted(set(orders) - set(by_name)), sorted(set(by_name) - set(orders))))
    for name in sorted(set(by_name) & set(orders)):
        want = expected_rows(orders[name], zone)
        rows = by_name[name]
        if len(rows) != len(want):
            problems.append("%s: %d rows, expected %d" % (name, len(rows), len(want)))
            continue
        for k, (row, w) in enumerate(zip(rows, want)):
            for column, value in w.items():
                if row[column] != value:
                    problems.append("%s row %d: %s is %r, expected %r" % (
                        name, k + 1, column, row[column], value))
    created = [datetime.datetime.strptime(r["Created at"], "%Y-%m-%d %H:%M:%S %z").timestamp()
               for r in got if r["Id"]]
    if created != sorted(created):  # by instant: the local text repeats an hour in autumn
        problems.append("orders are not sorted by Created at")
    for p in problems[:20]:
        print("compare: " + p, file=sys.stderr)
    if problems:
        print("%d orders, %d rows" % (len(by_name), len(got)), file=sys.stderr)
    return 1 if problems else 0


def main():
    command = sys.argv[1]
    if command == "make":
        make(sys.argv[2], int(sys.argv[3]))
    elif command == "change":
        change(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif command == "delete":
        delete(sys.argv[2], set(sys.argv[3:]))
    elif command == "compare":
        return compare(sys.argv[2], sys.argv[3], sys.argv[4])
    return 0


if __name__ == "__main__":
    sys.exit(main())
