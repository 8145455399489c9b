#!/usr/bin/env python3
"""ingest_truth.py PLATFORM ORDERS [RATES] - the per-customer figures of a
platform export worked out from the raw file by the documented rules
(docs/cvo.1, STATUSES and CURRENCIES), independently of cvo: one line
"email,orders,net,last_order" per customer with a counted order, sorted by
email, then "#records used not_counted" and "#currency CODE orders net store".

The rules, as cvo(1) documents them:
  shopify      rows grouped by Name, order fields on the first row; counts
               paid, partially_paid, partially_refunded unless Cancelled at is
               set; net = Subtotal - Outstanding Balance (partially_paid only)
               - Refunded Amount
  woocommerce  one row per order; status folded (case, wc- prefix, '-' and
               ' ' alike); counts completed, processing; net = order_subtotal
               - discount_total - every amount: of refund_items
  bigcommerce  counts Shipped, Partially Shipped, Awaiting Pickup, Awaiting
               Shipment, Completed, Awaiting Fulfillment, Partially Refunded;
               net = Order Total (ex tax) - Shipping Cost (ex tax) - Handling
               Cost (ex tax) - Refund Amount
  magento      counts Processing, Complete; net = Grand Total (Base) -
               Shipping and Handling - Total Refunded
An order with net below zero, or at zero with a refund, does not count (its
revenue still moves). The
store currency is the currency of most orders; another currency is converted
at the rate dated on or before the order day, rounded half away from zero
per order.
"""
import csv
import sys
from collections import OrderedDict, defaultdict
from decimal import Decimal, ROUND_HALF_UP

COUNTED = {
    "shopify": {"paid", "partially_paid", "partially_refunded"},
    "woocommerce": {"completed", "processing"},
    "bigcommerce": {"shipped", "partially_shipped", "awaiting_pickup", "awaiting_shipment",
                    "completed", "awaiting_fulfillment", "partially_refunded"},
    "magento": {"processing", "complete"},
}

MONTHS = {m: i + 1 for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}


def cents(text):
    text = (text or "").replace("$", "").replace(",", "").strip()
    return int((Decimal(text) * 100).to_integral_value(ROUND_HALF_UP)) if text else 0


def fold(status):
    s = status.strip().lower().replace(" ", "_").replace("-", "_")
    return s[3:] if s.startswith("wc_") else s


def day_of(text):
    text = text.strip()
    if text[:4].isdigit():
        return text[:10]
    month, rest = text.split(" ", 1)  # "Oct 7, 2025 9:50:26 AM"
    d, y = rest.split(",")[0], rest.split(",")[1].split()[0]
    return "%s-%02d-%02d" % (y, MONTHS[month.lower()[:3]], int(d))


def orders_of(platform, path):
    """(email, day, status, currency, net cents, records, cancelled) per order."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = []
    if platform == "shopify":
        groups = OrderedDict()
        for r in rows:
            groups.setdefault(r["Name"], []).append(r)
        for rs in groups.values():
            first = rs[0]
            status = fold(first["Financial Status"])
            net = cents(first["Subtotal"]) - cents(first["Refunded Amount"])
            if status == "partially_paid":
                net -= cents(first["Outstanding Balance"])
            out.append((first["Email"].lower(), day_of(first["Created at"]), status,
                        first["Currency"], net, len(rs), bool(first["Cancelled at"]),
                        cents(first["Refunded Amount"]) > 0))
        return out
    for r in rows:
        if platform == "woocommerce":
            refunds = sum(cents(part.split(":", 1)[1]) for item in r["refund_items"].split(";")
                          for part in item.split("|") if part.startswith("amount:"))
            net = cents(r["order_subtotal"]) - cents(r["discount_total"]) - refunds
            out.append((r["customer_email"].lower(), day_of(r["order_date"]), fold(r["status"]),
                        r["order_currency"], net, 1, False, refunds > 0))
        elif platform == "bigcommerce":
            refund = cents(r["Refund Amount"])
            net = (cents(r["Order Total (ex tax)"]) - cents(r["Shipping Cost (ex tax)"]) -
                   cents(r["Handling Cost (ex tax)"]) - refund)
            out.append((r["Customer Email"].lower(), day_of(r["Order Date"]),
                        fold(r["Order Status"]), r["Order Currency Code"], net, 1, False,
                        refund > 0))
        else:
            refund = cents(r["Total Refunded"])
            net = cents(r["Grand Total (Base)"]) - cents(r["Shipping and Handling"]) - refund
            out.append((r["Customer Email"].lower(), day_of(r["Purchase Date"]), fold(r["Status"]),
                        "", net, 1, False, refund > 0))
    return out


def load_rates(path):
    rates = defaultdict(list)
    if path:
        with open(path, newline="") as f:
            for r in csv.DictReader(f):
                rates[r["currency"]].append((r["date"], Decimal(r["rate"])))
    for v in rates.values():
        v.sort()
    return rates


def convert(net, currency, day, store, rates):
    if not currency or currency == store:
        return net
    in_force = [rate for d, rate in rates.get(currency, []) if d <= day]
    if not in_force:
        return None  # rejected
    p = Decimal(net) * in_force[-1]
    q = p.copy_abs().to_integral_value(ROUND_HALF_UP)
    return int(q if p >= 0 else -q)


def main():
    platform, path = sys.argv[1], sys.argv[2]
    rates = load_rates(sys.argv[3] if len(sys.argv) > 3 else None)
    orders = orders_of(platform, path)
    tally = defaultdict(int)
    for o in orders:
        if o[3]:
            tally[o[3]] += 1
    store = max(tally, key=lambda c: tally[c]) if tally else ""
    customers = {}
    used = not_counted = rejected = 0
    by_currency = defaultdict(lambda: [0, 0, 0])
    for email, day, status, currency, net, records, cancelled, refunded in orders:
        if cancelled or (status and status not in COUNTED[platform]):
            not_counted += records
            continue
        store_net = convert(net, currency, day, store, rates)
        if store_net is None or (currency and currency != store and not rates):
            rejected += records
            continue
        used += records
        c = customers.setdefault(email, [0, 0, ""])
        if net < 0 or (net <= 0 and refunded):
            c[1] += store_net  # the revenue moves, but it is no order
            continue
        c[0] += 1
        c[1] += store_net
        c[2] = max(c[2], day)
        t = by_currency[currency or store]
        t[0] += 1
        t[1] += net
        t[2] += store_net
    for email in sorted(customers):
        n, net, last = customers[email]
        if n == 0:
            continue
        print("%s,%d,%d.%02d,%s" % (email, n, net // 100, net % 100, last))
    print("#records %d %d %d" % (used, not_counted, rejected))
    for code in sorted(by_currency):
        n, net, store_net = by_currency[code]
        print("#currency %s %d %d %d" % (code, n, net, store_net))


if __name__ == "__main__":
    main()
