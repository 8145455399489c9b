#!/usr/bin/env python3
"""pull_orders.py - the fake Shopify store of tests/pull_check.sh, and the check that a
pulled CSV holds exactly its orders, computed here independently of cvo.

    pull_orders.py make STORE N          N orders (seeded), updated in 2025
    pull_orders.py change STORE ADD UPD  ADD new orders and UPD updated ones, updated now
    pull_orders.py delete STORE ID...    orders deleted at Shopify
    pull_orders.py compare STORE CSV     exit 0 when CSV holds every order of STORE once,
                                         with its fields and line items, and nothing else
"""
import csv
import datetime
import json
import random
import sys

STATUSES = ["PAID", "PAID", "PAID", "PARTIALLY_REFUNDED", "REFUNDED", "PENDING", "VOIDED"]
PRODUCTS = [("Linen shirt - M", "LS-M", "49.00"), ("Canvas tote", "CT-1", "12.50"),
            ("Wool socks", "WS-3", "19.99"), ("Wool scarf", "SC-1", "89.00"),
            ('Mug "Morning", blue', None, "9.90")]


def utc(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def csv_time(iso):
    d = datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ")
    return d.strftime("%Y-%m-%d %H:%M:%S +0000")


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
            "country": rng.choice(["FR", "US", "DE", None]),
            "codes": rng.choice([[], [], ["WELCOME10"], ["VIP", "SPRING"]]),
            "marketing": rng.choice(["SUBSCRIBED", "NOT_SUBSCRIBED"]), "lines": lines}


def make(path, n):
    rng = random.Random(14)
    base = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc).timestamp()
    orders = []
    for i in range(1, n + 1):
        created = base + i * 86400 * 2 + rng.randint(0, 86399)
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


def expected_rows(o):
    """The rows an order must have: (column -> value) per row, independently built."""
    first = {"Name": o["name"], "Email": o["email"], "Financial Status": o["financial"].lower(),
             "Currency": o["currency"], "Subtotal": o["subtotal"],
             "Refunded Amount": o["refunded"], "Created at": csv_time(o["createdAt"]),
             "Cancelled at": csv_time(o["cancelledAt"]) if o["cancelledAt"] else "",
             "Discount Code": ", ".join(o["codes"]), "Id": str(o["id"]),
             "Customer ID": str(o["customer"]), "Billing Country": o["country"] or "",
             "Shipping Country": o["country"] or "",
             "Accepts Marketing": "yes" if o["marketing"] == "SUBSCRIBED" else "no"}
    rows = []
    for k, line in enumerate(o["lines"] or [None]):
        row = dict(first) if k == 0 else {
            "Name": o["name"], "Email": o["email"], "Created at": first["Created at"],
            "Customer ID": first["Customer ID"], "Financial Status": "", "Subtotal": "",
            "Id": "", "Currency": ""}
        if line:
            row.update({"Lineitem name": line["name"], "Lineitem sku": line["sku"] or "",
                        "Lineitem quantity": str(line["quantity"]),
                        "Lineitem price": line["price"], "Lineitem discount": line["discount"]})
        rows.append(row)
    return rows


def compare(store, path):
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
        want = expected_rows(orders[name])
        rows = by_name[name]
        if len(rows) != len(want):
            problems.append("%s: %d rows, expected %d" % (name, len(rows), len(want)))
            continue
        for k, (row, w) in enumerate(zip(rows, want)):
            for column, value in w.items():
                if row[column] != value:
                    problems.append("%s row %d: %s is %r, expected %r" % (
                        name, k + 1, column, row[column], value))
    created = [r["Created at"] for r in got if r["Id"]]
    if created != sorted(created):
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
        return compare(sys.argv[2], sys.argv[3])
    return 0


if __name__ == "__main__":
    sys.exit(main())
