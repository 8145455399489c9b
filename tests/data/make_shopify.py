#!/usr/bin/env python3
"""make_shopify.py - writes tests/data/shopify_orders.csv, a hand-made Shopify
orders export: the 79-column header of docs formats.md section 1.1 in its
order, one row per line item, order-level fields on the first row of each
Name only, "Created at" like 2025-10-07 09:50:26 +0200, zips and phones with a
leading apostrophe, emails in mixed case. One currency (EUR): the
two-currency case is make_currencies.py. No real customer data.

Run from the repository root: python3 tests/data/make_shopify.py

Expected result, worked out by hand (customers are keyed by lower-cased
Email; revenue = Subtotal - Refunded Amount; as-of 2025-12-31):
  17 records, all used; 8 orders; not counted: 2 cancelled (#1005 voided,
  #1006 Cancelled at), 1 fully refunded (#1004 Financial Status refunded)
  sophie.gallas@example.fr  3 orders (#1001 69.00, #1003 114.00-25.00, #1009
                            35.00) = 193.00, 2025-10-07 .. 2025-12-20
  john.doe@example.com      2 orders (#1002 59.97, #1011 60.00-10.00)
                            = 109.97, 2025-10-08 .. 2025-12-30
  li.wei@example.cn         1 order 75.50, 2025-12-05
  maria.rossi@example.it    1 order 64.00, 2025-12-10 (#1004 refunded)
  new.customer@example.com  1 order 40.00, 2025-12-28
"""
import csv
import io
import os

COLUMNS = [
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
    "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total",
    "Discount Code", "Discount Amount", "Shipping Method", "Created at",
    "Lineitem quantity", "Lineitem name", "Lineitem price", "Lineitem compare at price",
    "Lineitem sku", "Lineitem requires shipping", "Lineitem taxable",
    "Lineitem fulfillment status", "Billing Name", "Billing Street", "Billing Address1",
    "Billing Address2", "Billing Company", "Billing City", "Billing Zip",
    "Billing Province", "Billing Country", "Billing Phone", "Shipping Name",
    "Shipping Street", "Shipping Address1", "Shipping Address2", "Shipping Company",
    "Shipping City", "Shipping Zip", "Shipping Province", "Shipping Country",
    "Shipping Phone", "Notes", "Note Attributes", "Cancelled at", "Payment Method",
    "Payment Reference", "Refunded Amount", "Vendor", "Outstanding Balance", "Employee",
    "Location", "Device ID", "Id", "Tags", "Risk Level", "Source", "Lineitem discount",
    "Tax 1 Name", "Tax 1 Value", "Tax 2 Name", "Tax 2 Value", "Tax 3 Name", "Tax 3 Value",
    "Tax 4 Name", "Tax 4 Value", "Tax 5 Name", "Tax 5 Value", "Phone", "Receipt Number",
    "Duties", "Billing Province Name", "Shipping Province Name", "Payment ID",
    "Payment Terms Name", "Next Payment Due At", "Payment References",
]
assert len(COLUMNS) == 79


def address(name, street, city, zip_code, country, phone, province=""):
    """Billing and shipping fields of one order (the same address for both)."""
    out = {}
    for side in ("Billing", "Shipping"):
        out.update({
            side + " Name": name, side + " Street": street, side + " Address1": street,
            side + " City": city, side + " Zip": zip_code, side + " Province": province,
            side + " Country": country, side + " Phone": phone,
        })
    return out


def order(name, email, status, created, currency, subtotal, shipping, taxes, total, lines,
          addr, order_id, extra=None, later_rows_created=True):
    """The rows of one order: order-level fields on the first row only."""
    rows = []
    for i, (qty, title, price, sku, discount) in enumerate(lines):
        row = {
            "Name": name, "Email": email, "Created at": created if (i == 0 or later_rows_created) else "",
            "Lineitem quantity": str(qty), "Lineitem name": title, "Lineitem price": price,
            "Lineitem compare at price": "", "Lineitem sku": sku,
            "Lineitem requires shipping": "true", "Lineitem taxable": "true",
            "Lineitem fulfillment status": "fulfilled" if status in ("paid", "partially_refunded") else "pending",
            "Vendor": "Atelier Nord", "Lineitem discount": discount,
        }
        if i == 0:
            row.update({
                "Financial Status": status, "Paid at": created if status != "voided" else "",
                "Fulfillment Status": "fulfilled" if status in ("paid", "partially_refunded") else "",
                "Fulfilled at": "", "Accepts Marketing": "yes", "Currency": currency,
                "Subtotal": subtotal, "Shipping": shipping, "Taxes": taxes, "Total": total,
                "Discount Amount": "0.00", "Shipping Method": "Standard",
                "Payment Method": "Shopify Payments", "Refunded Amount": "0.00",
                "Outstanding Balance": "0.00", "Id": order_id, "Risk Level": "Low",
                "Source": "web", "Tax 1 Name": "VAT 20%", "Tax 1 Value": taxes,
                "Payment ID": "c" + order_id + ".1",
                "Payment References": "c" + order_id + ".1",
            })
            row.update(addr)
            if extra:
                row.update(extra)
        rows.append(row)
    return rows


PARIS = address("Sophie Gallas", "12, rue de Rivoli", "Paris", "'75008", "FR", "'+33612345678")
BOSTON = address("John Doe", "1 Main St", "Boston", "'02108", "US", "'+16175550100", "MA")
MILAN = address("Maria Rossi", "Via Roma 5", "Milano", "'20121", "IT", "")
SHANGHAI = address("Li Wei", "88 Century Ave", "Shanghai", "'200120", "CN", "'+8613800000000")
LEEDS = address("Sam New", "4 Park Row", "Leeds", "LS1 5HD", "GB", "")

ORDERS = [
    order("#1001", "Sophie.Gallas@Example.fr", "paid", "2025-10-07 09:50:26 +0200", "EUR",
          "69.00", "4.90", "13.80", "87.70",
          [(1, "Linen shirt - M", "49.00", "LS-M", "0.00"),
           (2, "Canvas tote", "12.50", "CT-1", "5.00")], PARIS, "7410991464714"),
    order("#1002", "john.doe@example.com", "paid", "2025-10-08 14:02:11 -0400", "EUR",
          "59.97", "5.00", "0.00", "64.97",
          [(3, "Wool socks", "19.99", "WS-3", "0.00")], BOSTON, "7410991464715"),
    order("#1003", "sophie.gallas@example.fr", "partially_refunded", "2025-11-02 08:15:00 +0100",
          "EUR", "114.00", "0.00", "22.80", "136.80",
          [(1, "Wool scarf", "89.00", "SC-1", "0.00"),
           (1, "Beanie", "25.00", "BN-1", "0.00")], PARIS, "7410991464716",
          {"Refunded Amount": "25.00", "Tags": "vip, repeat"}),
    order("#1004", "maria.rossi@example.it", "refunded", "2025-11-15 23:59:59 +0100", "EUR",
          "120.00", "0.00", "24.00", "144.00",
          [(1, "Leather bag", "120.00", "LB-1", "0.00")], MILAN, "7410991464717",
          {"Refunded Amount": "144.00"}),
    order("#1005", "john.doe@example.com", "voided", "2025-11-20 10:00:00 -0500", "EUR",
          "30.00", "5.00", "0.00", "35.00",
          [(1, "Cap", "30.00", "CP-1", "0.00")], BOSTON, "7410991464718"),
    order("#1006", "JOHN.DOE@EXAMPLE.COM", "paid", "2025-12-01 12:30:45 -0500", "EUR",
          "45.00", "5.00", "0.00", "50.00",
          [(1, "Gloves", "45.00", "GL-1", "0.00")], BOSTON, "7410991464719",
          {"Cancelled at": "2025-12-02 09:00:00 -0500", "Notes": "customer changed mind"}),
    order("#1007", "li.wei@example.cn", "paid", "2025-12-05 18:20:00 +0800", "EUR",
          "75.50", "0.00", "0.00", "75.50",
          [(2, "Tea cup", "15.00", "TC-1", "0.00"),
           (1, "Teapot, large", "40.00", "TP-L", "4.00"),
           (1, "Tea towel", "9.50", "TT-1", "0.00")], SHANGHAI, "7410991464720",
          {"Discount Code": "WELCOME10", "Discount Amount": "4.00",
           "Notes": "Please gift wrap,\nthank you \"very\" much"}),
    order("#1008", "Maria.Rossi@example.it", "paid", "2025-12-10 07:05:00 +0100", "EUR",
          "64.00", "0.00", "12.80", "76.80",
          [(1, "Belt", "64.00", "BT-1", "0.00")], MILAN, "7410991464721"),
    order("#1009", "sophie.gallas@example.fr", "paid", "2025-12-20 16:45:10 +0100", "EUR",
          "35.00", "4.90", "7.00", "46.90",
          [(1, "Linen napkins", "35.00", "LN-4", "0.00")], PARIS, "7410991464722"),
    order("#1010", "new.customer@example.com", "paid", "2025-12-28 11:11:11 +0000", "EUR",
          "40.00", "3.50", "8.00", "51.50",
          [(1, "Notebook", "22.00", "NB-1", "0.00"),
           (1, "Pen set", "18.00", "PS-1", "0.00")], LEEDS, "7410991464723",
          later_rows_created=False),
    order("#1011", "john.doe@example.com", "partially_refunded", "2025-12-30 20:00:00 -0500",
          "EUR", "60.00", "5.00", "0.00", "65.00",
          [(2, "Wool socks", "25.00", "WS-3", "0.00"),
           (1, "Laces", "10.00", "LC-1", "0.00")], BOSTON, "7410991464724",
          {"Refunded Amount": "10.00"}),
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    for rows in ORDERS:
        writer.writerows(rows)
    with open(os.path.join(here, "shopify_orders.csv"), "w", encoding="utf-8", newline="") as f:
        f.write(buf.getvalue())


if __name__ == "__main__":
    main()
