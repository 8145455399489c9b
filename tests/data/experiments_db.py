#!/usr/bin/env python3
"""Writes an experiment and its members into a history database, as cvo analyze --db
would (tables of the issue 12 design), for the golden tests of cvo experiments.

usage: experiments_db.py ORDERS DB KEY_TEXT EXPERIMENT_ID SHARE WINDOW PLANNED [MODE]

Members: every customer whose first order is before the experiment's start day, entered
on that day, in the arm cvo draws (HMAC-SHA-256 of sha256(KEY_TEXT), "arm", id, customer
key; holdout when u < SHARE). MODE: "" (as is), "renamed" (members keyed with another
key: ids not found), "no-members" (the experiment alone), "treatment-only" (the holdout
arm left out)."""
import csv
import hashlib
import hmac
import sqlite3
import sys

SCHEMA = """
CREATE TABLE IF NOT EXISTS experiments (
  id TEXT PRIMARY KEY NOT NULL, list TEXT NOT NULL, share REAL NOT NULL,
  start_day TEXT NOT NULL, stop_day TEXT, primary_metric TEXT NOT NULL,
  window_days INTEGER NOT NULL, planned_members INTEGER NOT NULL,
  restart INTEGER NOT NULL DEFAULT 0, run_id TEXT,
  state TEXT NOT NULL CHECK (state IN ('pending','committed')));
CREATE TABLE IF NOT EXISTS experiment_members (
  experiment_id TEXT NOT NULL REFERENCES experiments (id), customer TEXT NOT NULL,
  arm TEXT NOT NULL CHECK (arm IN ('treatment','holdout')), entry_day TEXT NOT NULL,
  run_id TEXT, state TEXT NOT NULL CHECK (state IN ('pending','committed')),
  PRIMARY KEY (experiment_id, customer)) WITHOUT ROWID;
"""


def keyed(key, *parts):
    return hmac.new(key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()[:24]


def arm_draw(key, experiment, customer):
    mac = hmac.new(key, ("arm\x1f%s\x1f%s" % (experiment, customer)).encode(), hashlib.sha256)
    return (int.from_bytes(mac.digest()[:8], "big") >> 11) / 2.0**53


def first_orders(path):
    first = {}
    for row in csv.DictReader(open(path, newline="")):
        customer = row["customer_id"] or row["email"]
        day = row["order_date"][:10]
        if customer not in first or day < first[customer]:
            first[customer] = day
    return first


def main():
    orders, db, key_text, exp, share, window, planned = sys.argv[1:8]
    mode = sys.argv[8] if len(sys.argv) > 8 else ""
    key = hashlib.sha256(key_text.encode()).digest()
    member_key = hashlib.sha256(b"another store").digest() if mode == "renamed" else key
    list_name, start = exp.split("@")
    con = sqlite3.connect(db)
    con.executescript(SCHEMA)
    con.execute("INSERT INTO experiments VALUES (?,?,?,?,NULL,'profit',?,?,0,NULL,'committed')",
                (exp, list_name, float(share), start[:10], int(window), int(planned)))
    for customer, day in sorted(first_orders(orders).items()):
        if mode == "no-members" or day >= start[:10]:
            continue
        holdout = arm_draw(key, exp, customer) < float(share)
        if holdout and mode == "treatment-only":
            continue
        con.execute("INSERT INTO experiment_members VALUES (?,?,?,?,NULL,'committed')",
                    (exp, keyed(member_key, "customer", customer),
                     "holdout" if holdout else "treatment", start[:10]))
    con.commit()


main()
