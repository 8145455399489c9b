#!/usr/bin/env python3
"""make_messy.py - writes tests/data/messy.csv, a hand-made generic orders export
with every kind of mess cvo must survive (UTF-8 BOM, CRLF, blank lines, bad and
ambiguous dates, currency symbols, RFC 4180 quoting with "" and newlines, extra
and missing columns, exact duplicates, invalid UTF-8, returns, refunds, a
cancelled order, empty customer ids, formula-looking text, an unterminated
quote at the end).

Run from the repository root: python3 tests/data/make_messy.py
The bytes are fixed: run it again and the file does not change.

Each record carries what cvo must do with it (used / rejected and why). The
header is the canonical one plus an "Order Status" column (an alias of status).

Expected result, worked out by hand (as-of 2021-12-21, the day after the last
counted order, 2021-12-20):
  records 44 = used 31 + rejected 13
  rejected: 2 field count, 1 no customer, 1 no date, 2 bad date,
            1 ambiguous date, 1 bad amount, 1 no amount, 1 bad quantity,
            2 duplicate, 1 unterminated quote
  orders counted 21; not counted: 2 cancelled (1021 status Cancelled,
  1022 voided), 1 fully refunded (1018); 2 return lines (-22.99: -10.00 in
  1003, -12.99 in 1013); 16 customers; 3 joined by email (1014 -> C001,
  1015 -> C002, 1034 -> C016); 2 duplicates; 1 text field repaired (the
  customer id C\\xff07; the product name of 1011 is never read)
  customers (first appearance):
    C001  3 orders (1001, 1014 joined, 1025) 30.48-12.99+20.00+43.00 = 80.49
          first 2021-01-05 last 2021-11-20 (1013 is a return, not an order)
    C002  3 orders (1002, 1015 joined, 1033) 1200.00+4.00+4.00 = 1208.00
          2021-02-10 .. 2021-12-15
    C003  1 order 50.00-10.00 = 40.00, 2021-03-01
    C004  1 order 12.00, 2021-04-15
    C005  1 order 15.00, 2021-05-03
    C006  1 order 9.00, 2021-05-10
    C\\ufffd07  1 order 12.99, 2021-05-11
    (no id) newbie@example.com  1 order 12.99, 2021-07-02
    C008  1 order 4.00, 2021-08-20 (1018 fully refunded, not counted)
    C009  1 order 22.50, 2021-09-01 (1021 cancelled)
    C011  +plus@example.com  1 order 19.99, 2021-10-01
    @C012 1 order 4.00, 2021-10-02
    C013  1 order 17.99, 2021-12-01
    C014  1 order 4.00, 2021-12-05
    C015  1 order 7.50, 2021-12-10
    C016  2 orders (1034 joined, 1035) 30.00, 2021-03-10 .. 2021-12-20
  C010 has only a voided order: not in the table.
"""
import os

HEADER = (b"order_id,customer_id,email,order_date,sku,product,quantity,unit_price,"
          b"discount,unit_cost,shipping_cost,refund,country,discount_code,channel,"
          b"Order Status")

# (record bytes, expectation). A record may hold a quoted newline; it is
# written as is (its inner newline as CRLF too, as a spreadsheet would).
ROWS = [
    # line 2-4: order 1001, two lines and an exact duplicate of the second
    (b"1001,C001,alice@example.com,2021-01-05,SKU-1,Blue Mug,2,$12.99,0,4.00,5.00,0,US,,web,paid",
     "used: 2 x 12.99 = 25.98"),
    (b'1001,C001,alice@example.com,2021-01-05,SKU-2,"Tea, green",1,USD 5.00,0.50,1.00,,0,US,,web,',
     "used: 5.00 - 0.50 = 4.50 (order 1001 = 30.48)"),
    (b'1001,C001,alice@example.com,2021-01-05,SKU-2,"Tea, green",1,USD 5.00,0.50,1.00,,0,US,,web,',
     "rejected: duplicate of line 3"),
    # line 5: quoted "" escapes and a quoted amount with a thousands separator
    (b'1002,C002,Bob@Example.com,2021-02-10,SKU-3,"Poster ""Big"" edition",1,"$1,234.50",34.50,300,10,0,UK,SPRING,email,paid',
     "used: 1234.50 - 34.50 = 1200.00"),
    # line 6-7: a product name with an embedded newline; line 8 a return line
    (b'1003,C003,carol@example.com,2021-03-01,SKU-4,"Gift card\r\nwith note",1,50.00,0,0,0,0,US,,web,paid',
     "used: 50.00 (record on lines 6-7)"),
    (b"1003,C003,carol@example.com,2021-03-01,SKU-5,Candle,-1,10.00,0,2,0,0,US,,web,",
     "used: return line -10.00 (order 1003 = 40.00)"),
    (b"", "blank line 9"),
    (b"1004,C004,dave@example.com,2021-13-01,SKU-1,Blue Mug,1,12.99,0,4,0,0,US,,web,paid",
     "rejected: bad date (month 13)"),
    (b"1005,C004,dave@example.com,yesterday,SKU-1,Blue Mug,1,12.99,0,4,0,0,US,,web,paid",
     "rejected: bad date"),
    (b"1006,C004,dave@example.com,03/04/2021,SKU-1,Blue Mug,1,12.99,0,4,0,0,US,,web,paid",
     "rejected: ambiguous date"),
    (b"1007,C004,dave@example.com,2021-04-15,SKU-6,Socks,3,4.00,0,1,0,0,US,,web,paid",
     "used: 12.00"),
    (b"1008,C005,erin@example.com,2021-05-01,SKU-1,Blue Mug,1,12.99,0,4,0,0,US,,web,paid,EXTRA",
     "rejected: 17 fields"),
    (b"1009,C005,erin@example.com,2021-05-02,SKU-1,Blue Mug,1,12.99,0,4,0,0,US,,web",
     "rejected: 15 fields"),
    (b"1010,C005,erin@example.com,2021-05-03,SKU-7,Notebook,2,7.50,0,2,0,0,FR,,web,paid",
     "used: 15.00"),
    (b"1011,C006,frank@example.com,2021-05-10,SKU-8,Caf\xe9 cup,1,9.00,0,3,0,0,FR,,web,paid",
     "used: 9.00 (Latin-1 byte in the product name)"),
    (b"1012,C\xff07,grace@example.com,2021-05-11,SKU-1,Blue Mug,1,12.99,0,4,0,0,US,,web,paid",
     "used: 12.99, customer id repaired to C\\ufffd07"),
    (b"1013,C001,alice@example.com,2021-06-01,SKU-1,Blue Mug,-1,12.99,0,4,0,0,US,,web,",
     "used: a return order, -12.99, not an order"),
    (b'1014,,alice@example.com,2021-06-15,SKU-2,"Tea, green",4,5.00,0,1,0,0,US,,web,paid',
     "used: 20.00, no id: joined to C001 by email"),
    (b"1015,,BOB@example.com,2021-07-01,SKU-6,Socks,1,4.00,0,1,0,0,UK,,web,paid",
     "used: 4.00, no id: joined to C002 by email (case folded)"),
    (b"1016,,newbie@example.com,2021-07-02,SKU-1,Blue Mug,1,12.99,0,4,0,0,DE,,web,paid",
     "used: 12.99, a customer known by email only"),
    (b"1017,,,2021-07-03,SKU-1,Blue Mug,1,12.99,0,4,0,0,DE,,web,paid",
     "rejected: no customer"),
    (b"", "blank line 24"),
    (b"", "blank line 25"),
    (b"1018,C008,heidi@example.com,2021-08-01,SKU-3,Poster,1,40.00,0,10,5,40.00,US,,web,",
     "used: refunded in full"),
    (b"1018,C008,heidi@example.com,2021-08-01,SKU-6,Socks,2,4.00,0,1,,8.00,US,,web,",
     "used: refunded in full (order 1018 = 0: fully refunded)"),
    (b"1019,C008,heidi@example.com,2021-08-20,SKU-6,Socks,1,4.00,0,1,0,0,US,,web,paid",
     "used: 4.00"),
    (b"1020,C009,ivan@example.com,2021-09-01,SKU-7,Notebook,4,7.50,0,2,0,7.50,US,,web,partially_refunded",
     "used: 30.00 - 7.50 = 22.50"),
    (b"1021,C009,ivan@example.com,2021-09-05,SKU-1,Blue Mug,2,12.99,0,4,0,0,US,,web,Cancelled",
     "used: in a cancelled order"),
    (b"1021,C009,ivan@example.com,2021-09-05,SKU-2,Tea,1,5.00,0,1,0,0,US,,web,",
     "used: in a cancelled order"),
    (b"1022,C010,judy@example.com,2021-09-06,SKU-1,Blue Mug,1,12.99,0,4,0,0,US,,web,voided",
     "used: in a voided order (C010 has no other order)"),
    (b"1023,C011,+plus@example.com,2021-10-01,SKU-9,=SUM(A1:A9),1,19.99,0,5,0,0,US,,web,paid",
     "used: 19.99; the email is written as '+plus@example.com"),
    (b"1024,@C012,at@example.com,2021-10-02,SKU-6,Socks,1,4.00,0,1,0,0,US,,web,paid",
     "used: 4.00; the id is written as '@C012"),
    (b"1025,C001,alice@example.com,2021-11-20,SKU-3,Poster,1,40.00,5.00,10,7.50,0,US,BF20,email,paid",
     "used: 35.00"),
    (b"1025,,,,SKU-6,Socks,2,4.00,0,1,,0,,,,",
     "used: 8.00, customer and date from the order's first line (1025 = 43.00)"),
    (b"1026,C013,kim@example.com,2021-12-01,SKU-1,Blue Mug,1,12.99,0,4,0,0,US,,web,paid",
     "used: 12.99"),
    (b'1026,C013,kim@example.com,2021-12-01,SKU-2,"Tea, green",1,5.00,0,1,0,0,US,,web,',
     "used: 5.00 (1026 = 17.99)"),
    (b"1026,C013,kim@example.com,2021-12-01,SKU-1,Blue Mug,1,12.99,0,4,0,0,US,,web,paid",
     "rejected: duplicate of line 37 (not adjacent)"),
    (b"1027,C013,kim@example.com,2021-12-02,SKU-1,Blue Mug,1,twelve,0,4,0,0,US,,web,paid",
     "rejected: bad amount"),
    (b"1028,C013,kim@example.com,2021-12-03,SKU-1,Blue Mug,1.5,12.99,0,4,0,0,US,,web,paid",
     "rejected: bad quantity"),
    (b"1029,C013,kim@example.com,2021-12-04,SKU-1,Blue Mug,1,,0,4,0,0,US,,web,paid",
     "rejected: no amount"),
    (b"1030,C014,leo@example.com,,SKU-1,Blue Mug,1,12.99,0,4,0,0,US,,web,paid",
     "rejected: no date"),
    (b"1031,C014,leo@example.com,2021-12-05T23:30:00-05:00,SKU-6,Socks,1,4.00,0,1,0,0,US,,web,paid",
     "used: 4.00 on the local day 2021-12-05"),
    (b"1032,C015,mia@example.com,20211210,SKU-7,Notebook,1,7.50,0,2,0,0,US,,web,paid",
     "used: 7.50 (compact date)"),
    (b"1033, C002 ,  bob@example.com ,2021-12-15,SKU-6,Socks,1,4.00,0,1,0,0,UK,,web,paid",
     "used: 4.00, blanks around the id and email trimmed"),
    (b"1034,,Nora@Example.com,2021-03-10,SKU-7,Notebook,1,10.00,0,2,0,0,US,,web,paid",
     "used: 10.00, no id: joined to C016 (which appears later)"),
    (b"1035,C016,nora@example.com,2021-12-20,SKU-3,Poster,1,20.00,0,5,0,0,US,,web,paid",
     "used: 20.00"),
    (b"", "blank line 49"),
    (b'1036,C017,"oops@example.com,2021-12-30,SKU-1,Blue Mug,1,12.99,0,4,0,0,US,,web,paid',
     "rejected: unterminated quote (the rest of the file)"),
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    lines = [b"\xef\xbb\xbf" + HEADER] + [row for row, _ in ROWS]
    data = b"\r\n".join(lines)  # the last record has no line ending: EOF inside quotes
    with open(os.path.join(here, "messy.csv"), "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
