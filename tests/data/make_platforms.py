#!/usr/bin/env python3
"""make_platforms.py - writes the generated platform fixtures of issue 14 into
tests/data (seeded: the same files every run). No real customer data.

  woocommerce_orders.csv   WooCommerce order export (the WebToffee / Customer-
                           Order-Coupon Export column keys), one row per order:
                           statuses with and without the wc- prefix and as
                           labels, coupon_items and refund_items lists, EUR with
                           some USD orders (converted with rates.csv)
  bigcommerce_orders.csv   BigCommerce order export (its default template's
                           column names), Order Status as the status name
  magento_orders.csv       Magento admin order grid export (Sales > Orders >
                           Export) with Customer Email, Shipping and Handling and
                           Total Refunded switched on: "$1,234.50" amounts,
                           "Oct 7, 2025 9:50:26 AM" dates, a multi-line
                           Purchase Point
  shopify_two_currencies.csv  a Shopify orders export (79 columns), EUR and USD
  rates.csv                USD -> EUR, dated; rates_gap.csv starts too late
  woocommerce_bad.csv      an unknown status and an unknown currency code

Run from the repository root: python3 tests/data/make_platforms.py
tests/ingest_check.sh recomputes every customer's figures from these files
itself and compares them with cvo's.
"""
import csv
import datetime
import io
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))

FIRST = ["Anna", "Ben", "Chloe", "David", "Emma", "Felix", "Greta", "Hugo", "Ines", "Jonas",
         "Klara", "Luca", "Mila", "Noah", "Olivia", "Paul", "Rosa", "Sami", "Tara", "Yann"]
LAST = ["Meyer", "Dubois", "Rossi", "Novak", "Larsen", "Silva", "Kowalski", "Brown", "Garcia",
        "Jensen", "Moreau", "Bauer", "Costa", "Nagy", "Ortiz"]
PRODUCTS = [("Blue Mug", "MUG-BL", "12.50"), ("Tea Sampler", "TEA-SMP", "24.00"),
            ("Linen Apron", "APR-LN", "39.90"), ("Pour-over Kit", "POUR-1", "54.00"),
            ("Coffee Beans 1kg", "BEAN-1K", "31.75"), ("Gift Card", "GIFT-50", "50.00")]
COUNTRIES = ["DE", "FR", "IT", "NL", "AT", "BE", "ES", "US"]


def write(name, header, rows, crlf=False):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n" if crlf else "\n")
    w.writerow(header)
    for row in rows:
        w.writerow([row.get(h, "") for h in header])
    with open(os.path.join(HERE, name), "w", newline="", encoding="utf-8") as f:
        f.write(buf.getvalue())


def customers(rng, n):
    out = []
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = "%s.%s%d@example.com" % (first.lower(), last.lower(), i)
        out.append((first, last, email, rng.choice(COUNTRIES), rng.random() < 0.7))
    return out


def when(rng, start=datetime.datetime(2024, 1, 2), days=690):
    return start + datetime.timedelta(days=rng.randrange(days), seconds=rng.randrange(86400))


def cents(x):
    return "%.2f" % (x / 100)


def lines(rng):
    out = []
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
        title, sku, price = rng.choice(PRODUCTS)
        out.append((title, sku, int(round(float(price) * 100)), rng.choice([1, 1, 1, 2])))
    return out


# ---- WooCommerce ---------------------------------------------------------------

WOO_HEADER = (
    "order_id,order_number,order_date,paid_date,status,shipping_total,shipping_tax_total,"
    "fee_total,fee_tax_total,tax_total,cart_discount,order_discount,discount_total,order_total,"
    "order_subtotal,order_currency,payment_method,payment_method_title,transaction_id,"
    "customer_ip_address,customer_user_agent,shipping_method,customer_id,customer_user,"
    "customer_email,billing_first_name,billing_last_name,billing_company,billing_email,"
    "billing_phone,billing_address_1,billing_address_2,billing_postcode,billing_city,"
    "billing_state,billing_country,shipping_first_name,shipping_last_name,shipping_company,"
    "shipping_phone,shipping_address_1,shipping_address_2,shipping_postcode,shipping_city,"
    "shipping_state,shipping_country,customer_note,wt_import_key,shipping_items,fee_items,"
    "tax_items,coupon_items,refund_items,order_notes,download_permissions,line_item_1,"
    "line_item_2,line_item_3").split(",")

WOO_STATUSES = [("completed", 50), ("processing", 14), ("on-hold", 5), ("pending", 5),
                ("cancelled", 5), ("refunded", 5), ("failed", 4), ("checkout-draft", 2)]


def woo_status(rng):
    status = rng.choices([s for s, _ in WOO_STATUSES], [w for _, w in WOO_STATUSES])[0]
    style = rng.random()
    if style < 0.3:
        return "wc-" + status
    if style < 0.4:
        return status.replace("-", " ").title()  # label style: "On Hold", "Completed"
    return status


def woocommerce(rng):
    people = customers(rng, 70)
    rows = []
    for n in range(300):
        first, last, email, country, registered = rng.choice(people)
        created = when(rng)
        status = woo_status(rng)
        items = lines(rng)
        subtotal = sum(p * q for _, _, p, q in items)
        coupon = ""
        discount = 0
        if rng.random() < 0.2:
            discount = subtotal // 10
            coupon = "code:WELCOME10|amount:%s" % cents(discount)
        shipping = rng.choice([0, 490, 590])
        tax = (subtotal - discount) * 19 // 100
        refunds = []
        if status.endswith("completed") and rng.random() < 0.12:
            for _ in range(rng.choice([1, 2])):
                amount = rng.choice([500, 1250, 990])
                day = (created + datetime.timedelta(days=5)).strftime("%Y-%m-%d %H:%M:%S")
                refunds.append("amount:%s|reason:Damaged in transit|date:%s" % (cents(amount), day))
        currency = "USD" if rng.random() < 0.08 else "EUR"
        number = 1000 + n
        row = {
            "order_id": str(5000 + n), "order_number": str(number),
            "order_date": created.strftime("%Y-%m-%d %H:%M:%S"),
            "paid_date": created.strftime("%Y-%m-%d %H:%M:%S") if "pending" not in status else "",
            "status": status, "shipping_total": cents(shipping), "shipping_tax_total": "0.00",
            "fee_total": "0.00", "fee_tax_total": "0.00", "tax_total": cents(tax),
            "cart_discount": cents(discount), "order_discount": "0.00",
            "discount_total": cents(discount),
            "order_total": cents(subtotal - discount + shipping + tax),
            "order_subtotal": cents(subtotal), "order_currency": currency,
            "payment_method": "stripe", "payment_method_title": "Credit card (Stripe)",
            "transaction_id": "ch_%08d" % (n * 7919 % 10 ** 8),
            "customer_ip_address": "203.0.113.%d" % (n % 250),
            "customer_user_agent": "Mozilla/5.0", "shipping_method": "flat_rate",
            "customer_id": str(100 + people.index((first, last, email, country, registered)))
            if registered else "0",
            "customer_user": "", "customer_email": email.upper() if n % 17 == 0 else email,
            "billing_first_name": first, "billing_last_name": last, "billing_email": email,
            "billing_phone": "+49 30 1234%03d" % n, "billing_address_1": "Hauptstr. %d" % (n % 90 + 1),
            "billing_postcode": "10%03d" % (n % 1000), "billing_city": "Berlin",
            "billing_country": country, "shipping_first_name": first, "shipping_last_name": last,
            "shipping_address_1": "Hauptstr. %d" % (n % 90 + 1),
            "shipping_postcode": "10%03d" % (n % 1000), "shipping_city": "Berlin",
            "shipping_country": country,
            "shipping_items": "method_id:flat_rate|method_title:Flat rate|total:%s" % cents(shipping),
            "tax_items": "rate_id:1|code:DE-VAT-1|total:%s" % cents(tax),
            "coupon_items": coupon, "refund_items": ";".join(refunds),
            "download_permissions": "0",
        }
        for i, (title, sku, price, qty) in enumerate(items):
            row["line_item_%d" % (i + 1)] = (
                "name:%s|product_id:%d|sku:%s|quantity:%d|total:%s|sub_total:%s|tax:0.00|meta:"
                % (title, 10 + i, sku, qty, cents(price * qty), cents(price * qty)))
        rows.append(row)
    write("woocommerce_orders.csv", WOO_HEADER, rows)
    bad = [dict(r) for r in rows[:12]]
    bad[3]["status"] = "wc-awaiting-pickup-custom"
    bad[7]["order_currency"] = "EURO"
    write("woocommerce_bad.csv", WOO_HEADER, bad)


# ---- BigCommerce ---------------------------------------------------------------

BC_HEADER = [
    "Order ID", "Customer ID", "Customer Name", "Customer Email", "Customer Phone", "Order Date",
    "Order Status", "Subtotal (inc tax)", "Subtotal (ex tax)", "Tax Total",
    "Shipping Cost (inc tax)", "Shipping Cost (ex tax)", "Ship Method", "Handling Cost (inc tax)",
    "Handling Cost (ex tax)", "Order Total (inc tax)", "Order Total (ex tax)", "Payment Method",
    "Total Quantity", "Total Shipped", "Date Shipped", "Order Currency Code", "Exchange Rate",
    "Order Notes", "Customer Message", "Billing First Name", "Billing Last Name",
    "Billing Company", "Billing Street 1", "Billing Street 2", "Billing Suburb", "Billing State",
    "Billing Zip", "Billing Country", "Billing Phone", "Billing Email",
    "Billing Accounts Email Address", "Shipping First Name", "Shipping Last Name",
    "Shipping Company", "Shipping Street 1", "Shipping Street 2", "Shipping Suburb",
    "Shipping State", "Shipping Zip", "Shipping Country", "Shipping Phone", "Shipping Email",
    "Shipping Accounts Email Address", "Product Details", "Store Credit Redeemed",
    "Gift Certificate Amount Redeemed", "Gift Certificate Code",
    "Gift Certificate Expiration Date", "Coupon Details", "Refund Amount", "Fee Details"]

BC_STATUSES = [("Awaiting Fulfillment", 20), ("Completed", 25), ("Shipped", 20),
               ("Partially Shipped", 3), ("Awaiting Shipment", 4), ("Awaiting Pickup", 2),
               ("Partially Refunded", 4), ("Pending", 4), ("Awaiting Payment", 4),
               ("Cancelled", 4), ("Refunded", 4), ("Declined", 3), ("Incomplete", 2),
               ("Manual Verification Required", 1)]


def bigcommerce(rng):
    people = customers(rng, 60)
    rows = []
    for n in range(280):
        first, last, email, country, registered = rng.choice(people)
        created = when(rng)
        status = rng.choices([s for s, _ in BC_STATUSES], [w for _, w in BC_STATUSES])[0]
        items = lines(rng)
        subtotal = sum(p * q for _, _, p, q in items)
        coupon = ""
        discount = 0
        if rng.random() < 0.15:
            discount = 500
            coupon = "Coupon Code: SAVE5, Coupon Value: 5.00"
        shipping = rng.choice([0, 799, 1299])
        handling = rng.choice([0, 0, 0, 150])
        tax = (subtotal - discount) * 8 // 100
        refund = 0
        if status == "Partially Refunded":
            refund = rng.choice([500, 1000, 1599])
        if status == "Refunded":
            refund = subtotal - discount + shipping + handling + tax
        total_ex = subtotal - discount + shipping + handling
        qty = sum(q for _, _, _, q in items)
        details = "; ".join("Product ID: %d, Product Qty: %d, Product SKU: %s, Product Name: %s, "
                            "Product Unit Price: %s" % (20 + i, q, sku, title, cents(p))
                            for i, (title, sku, p, q) in enumerate(items))
        rows.append({
            "Order ID": str(100 + n),
            "Customer ID": str(10 + people.index((first, last, email, country, registered)))
            if registered else "0",
            "Customer Name": "%s %s" % (first, last), "Customer Email": email,
            "Customer Phone": "555-01%02d" % (n % 100),
            "Order Date": created.strftime("%Y-%m-%d"), "Order Status": status,
            "Subtotal (inc tax)": cents(subtotal + tax), "Subtotal (ex tax)": cents(subtotal),
            "Tax Total": cents(tax), "Shipping Cost (inc tax)": cents(shipping),
            "Shipping Cost (ex tax)": cents(shipping), "Ship Method": "Flat Rate",
            "Handling Cost (inc tax)": cents(handling), "Handling Cost (ex tax)": cents(handling),
            "Order Total (inc tax)": cents(total_ex + tax), "Order Total (ex tax)": cents(total_ex),
            "Payment Method": "Credit Card", "Total Quantity": str(qty),
            "Total Shipped": str(qty) if status in ("Shipped", "Completed") else "0",
            "Date Shipped": "", "Order Currency Code": "USD", "Exchange Rate": "1.0000000000",
            "Billing First Name": first, "Billing Last Name": last,
            "Billing Street 1": "%d Main St" % (n + 1), "Billing Suburb": "Austin",
            "Billing State": "Texas", "Billing Zip": "787%02d" % (n % 100),
            "Billing Country": "United States", "Billing Email": email,
            "Shipping First Name": first, "Shipping Last Name": last,
            "Shipping Street 1": "%d Main St" % (n + 1), "Shipping Suburb": "Austin",
            "Shipping State": "Texas", "Shipping Zip": "787%02d" % (n % 100),
            "Shipping Country": "United States", "Shipping Email": email,
            "Product Details": details, "Store Credit Redeemed": "0.00",
            "Gift Certificate Amount Redeemed": "0.00", "Coupon Details": coupon,
            "Refund Amount": cents(refund),
        })
    write("bigcommerce_orders.csv", BC_HEADER, rows)


# ---- Magento ---------------------------------------------------------------------

MAGENTO_HEADER = ["ID", "Purchase Point", "Purchase Date", "Bill-to Name", "Ship-to Name",
                  "Grand Total (Base)", "Grand Total (Purchased)", "Status", "Customer Email",
                  "Shipping and Handling", "Total Refunded", "Action"]
MAGENTO_STATUSES = [("Complete", 45), ("Processing", 20), ("Pending", 8), ("Closed", 6),
                    ("Canceled", 8), ("Suspected Fraud", 3), ("On Hold", 4),
                    ("Payment Review", 3), ("Pending Payment", 3)]


def dollars(c):
    return "${:,.2f}".format(c / 100)


def magento(rng):
    people = customers(rng, 55)
    rows = []
    for n in range(260):
        first, last, email, country, registered = rng.choice(people)
        created = when(rng)
        status = rng.choices([s for s, _ in MAGENTO_STATUSES], [w for _, w in MAGENTO_STATUSES])[0]
        items = lines(rng)
        subtotal = sum(p * q for _, _, p, q in items) * rng.choice([1, 1, 1, 12])
        shipping = rng.choice([500, 1000])
        total = subtotal + shipping
        refund = rng.choice([0, 0, 0, 0, 1500]) if status in ("Complete", "Processing") else 0
        if status == "Closed":
            refund = total
        hour = created.hour % 12 or 12
        rows.append({
            "ID": "%09d" % (1 + n),
            "Purchase Point": "Main Website\nMain Website Store\nDefault Store View",
            "Purchase Date": "%s %d, %d %d:%02d:%02d %s" % (
                created.strftime("%b"), created.day, created.year, hour, created.minute,
                created.second, "AM" if created.hour < 12 else "PM"),
            "Bill-to Name": "%s %s" % (first, last), "Ship-to Name": "%s %s" % (first, last),
            "Grand Total (Base)": dollars(total), "Grand Total (Purchased)": dollars(total),
            "Status": status, "Customer Email": email,
            "Shipping and Handling": dollars(shipping),
            "Total Refunded": dollars(refund) if refund else "", "Action": "View",
        })
    write("magento_orders.csv", MAGENTO_HEADER, rows)


# ---- Shopify, two currencies ------------------------------------------------------

SHOPIFY_HEADER = [
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
    "Payment Terms Name", "Next Payment Due At", "Payment References"]
assert len(SHOPIFY_HEADER) == 79

SHOPIFY_STATUSES = [("paid", 70), ("partially_refunded", 8), ("partially_paid", 4),
                    ("pending", 5), ("authorized", 3), ("refunded", 4), ("voided", 3),
                    ("expired", 3)]


def shopify(rng):
    people = customers(rng, 40)
    rows = []
    for n in range(150):
        first, last, email, country, _ = rng.choice(people)
        created = when(rng, datetime.datetime(2025, 1, 6), 320)
        status = rng.choices([s for s, _ in SHOPIFY_STATUSES], [w for _, w in SHOPIFY_STATUSES])[0]
        currency = "USD" if country == "US" or n % 7 == 0 else "EUR"
        items = lines(rng)
        subtotal = sum(p * q for _, _, p, q in items)
        shipping = 500
        tax = subtotal * 20 // 100
        total = subtotal + shipping + tax
        refunded = rng.choice([500, 1250]) if status == "partially_refunded" else (
            subtotal if status == "refunded" else 0)
        outstanding = total // 2 if status == "partially_paid" else 0
        cancelled = created.strftime("%Y-%m-%d %H:%M:%S +0100") if rng.random() < 0.03 else ""
        stamp = created.strftime("%Y-%m-%d %H:%M:%S +0100")
        for i, (title, sku, price, qty) in enumerate(items):
            row = {"Name": "#%d" % (1001 + n), "Email": email, "Created at": stamp,
                   "Lineitem quantity": str(qty), "Lineitem name": title,
                   "Lineitem price": cents(price), "Lineitem sku": sku,
                   "Lineitem requires shipping": "true", "Lineitem taxable": "true",
                   "Lineitem fulfillment status": "fulfilled", "Vendor": "Atelier Nord",
                   "Lineitem discount": "0.00"}
            if i == 0:
                row.update({"Financial Status": status, "Paid at": stamp,
                            "Fulfillment Status": "fulfilled", "Accepts Marketing": "no",
                            "Currency": currency, "Subtotal": cents(subtotal),
                            "Shipping": cents(shipping), "Taxes": cents(tax),
                            "Total": cents(total), "Discount Amount": "0.00",
                            "Shipping Method": "Standard", "Billing Name": first + " " + last,
                            "Billing Country": country, "Shipping Country": country,
                            "Cancelled at": cancelled, "Payment Method": "Shopify Payments",
                            "Refunded Amount": cents(refunded),
                            "Outstanding Balance": cents(outstanding),
                            "Id": str(7410991464714 + n), "Risk Level": "Low", "Source": "web",
                            "Tax 1 Name": "VAT 20%", "Tax 1 Value": cents(tax)})
            rows.append(row)
    write("shopify_two_currencies.csv", SHOPIFY_HEADER, rows)


def rates():
    """USD -> EUR, one rate every 4 weeks from 2024-01-01 (rates.csv), and the
    same from 2025-03-01 only (rates_gap.csv: earlier orders have no rate)."""
    rows, day, k = [], datetime.date(2024, 1, 1), 0
    while day < datetime.date(2026, 1, 1):
        rows.append({"date": day.isoformat(), "currency": "USD",
                     "rate": "%.4f" % (0.9 + 0.002 * ((k * 7) % 23))})
        day += datetime.timedelta(days=28)
        k += 1
    write("rates.csv", ["date", "currency", "rate"], rows)
    write("rates_gap.csv", ["date", "currency", "rate"],
          [r for r in rows if r["date"] >= "2025-03-01"])


def main():
    woocommerce(random.Random(14))
    bigcommerce(random.Random(1414))
    magento(random.Random(141414))
    shopify(random.Random(14141414))
    rates()


if __name__ == "__main__":
    main()
