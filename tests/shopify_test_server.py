#!/usr/bin/env python3
"""shopify_test_server.py - a fake Shopify GraphQL Admin API on 127.0.0.1 for
tests/pull_check.sh: the bulk-operation protocol of cvo pull shopify.

POST /admin/api/<version>/graphql.json needs X-Shopify-Access-Token (else 401 with
Shopify's error body) and a JSON body {query, variables}. It answers:
  currentAppInstallation { accessScopes }  the scopes of --scopes
  shop { ianaTimezone }                    the shop's time zone, --zone (any text: a zone
                                           the machine lacks, or not a zone name at all)
  bulkOperationRunQuery(query:)            a new operation CREATED (its filter
                                           updated_at:>='...' read from the query), or with
                                           --busy first a userError OPERATION_IN_PROGRESS
                                           while another operation runs for two polls
  currentBulkOperation(type: QUERY)        the running one (--busy), else the last
  bulkOperation(id:)                       CREATED, then RUNNING, then COMPLETED with a url
                                           (or FAILED with --fail CODE)
Every answer carries extensions.cost; with --throttle N the first N polls get
Shopify's throttled answer (errors[0].extensions.code THROTTLED, data absent).
GET /results/<n>.jsonl is the result: one line per order, then its line items as
lines of their own with __parentId, orders two at a time before their children (so
children are not always right after their parent). A download carrying the token
is logged as a leak. The orders come from --store F (a JSON list the test writes;
read at each bulk query). Each request is logged as one JSON line in --log.
Standard library only; exits by itself after --timeout seconds.

    shopify_test_server.py --port-file F --log F --store F --token T
                           [--scopes a,b] [--zone NAME] [--busy] [--fail CODE] [--throttle N]
                           [--timeout S]
"""
import argparse
import datetime
import http.server
import json
import re
import sys
import time

COST = {"requestedQueryCost": 10, "actualQueryCost": 10,
        "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": 990,
                           "restoreRate": 50.0}}
THROTTLED_COST = {"requestedQueryCost": 10, "actualQueryCost": None,
                  "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": 5,
                                     "restoreRate": 50.0}}


def iso(seconds):
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def money(amount):
    return {"shopMoney": {"amount": amount, "currencyCode": "EUR"}}


def order_node(o):
    """One order as the bulk query's order line (Shopify's GraphQL shape)."""
    node = {
        "id": "gid://shopify/Order/%d" % o["id"], "name": o["name"], "email": o["email"],
        "createdAt": o["createdAt"], "updatedAt": o["updatedAt"],
        "cancelledAt": o.get("cancelledAt"),
        "displayFinancialStatus": o["financial"],
        "displayFulfillmentStatus": o.get("fulfillment", "FULFILLED"),
        "currencyCode": o["currency"], "sourceName": o.get("source", "web"),
        "discountCodes": o.get("codes", []),
        "customer": None if o.get("customer") is None else {
            "id": "gid://shopify/Customer/%d" % o["customer"], "email": o["email"],
            "emailMarketingConsent": {"marketingState": o.get("marketing", "SUBSCRIBED")}},
        "billingAddress": {"countryCodeV2": o.get("country")},
        "shippingAddress": {"countryCodeV2": o.get("country")},
        "subtotalPriceSet": money(o["subtotal"]),
        "totalShippingPriceSet": money(o.get("shipping", "0.0")),
        "totalTaxSet": money(o.get("taxes", "0.0")),
        "totalPriceSet": money(o.get("total", o["subtotal"])),
        "totalDiscountsSet": money(o.get("discounts", "0.0")),
        "totalRefundedSet": money(o.get("refunded", "0.0")),
        "refunds": [],
        "fulfillments": [{"createdAt": o["fulfilledAt"]}] if o.get("fulfilledAt") else [],
    }
    return node


def line_node(o, line):
    return {"id": "gid://shopify/LineItem/%d" % line["id"], "name": line["name"],
            "sku": line.get("sku"), "quantity": line["quantity"],
            "originalUnitPriceSet": money(line["price"]),
            "totalDiscountSet": money(line.get("discount", "0.0")),
            "__parentId": "gid://shopify/Order/%d" % o["id"]}


def jsonl(orders):
    out = []
    for i in range(0, len(orders), 2):
        pair = orders[i:i + 2]
        out += [json.dumps(order_node(o)) for o in pair]
        out += [json.dumps(line_node(o, l)) for o in pair for l in o.get("lines", [])]
    return "".join(line + "\n" for line in out)


class State:
    def __init__(self, args):
        self.args = args
        self.ops = {}  # number -> {"status", "polls", "orders", "created"}
        self.next_op = 1
        self.busy_left = 2 if args.busy else 0
        self.throttle_left = args.throttle
        self.results = {}

    def log(self, entry):
        with open(self.args.log, "a") as f:
            f.write(json.dumps(entry) + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, content_type="application/json"):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        st = self.server.state
        leaked = self.headers.get("X-Shopify-Access-Token") is not None
        m = re.fullmatch(r"/results/(\d+)\.jsonl", self.path)
        st.log({"kind": "download", "path": self.path, "token_sent": leaked})
        if not m or int(m.group(1)) not in st.results:
            return self.answer(404, {"errors": "Not Found"})
        self.answer(200, st.results[int(m.group(1))], "application/jsonl")

    def do_POST(self):
        st = self.server.state
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        if not re.fullmatch(r"/admin/api/(\d{4}-\d{2}|unstable)/graphql\.json", self.path):
            st.log({"kind": "bad_path", "path": self.path})
            return self.answer(404, {"errors": "Not Found"})
        if self.headers.get("X-Shopify-Access-Token") != st.args.token:
            st.log({"kind": "unauthorized"})
            return self.answer(401, {"errors": "[API] Invalid API key or access token "
                                               "(unrecognized login or wrong password)"})
        try:
            doc = json.loads(raw)
            query, variables = doc["query"], doc.get("variables") or {}
        except (ValueError, KeyError, TypeError):
            st.log({"kind": "bad_body"})
            return self.answer(400, {"errors": "bad body"})
        self.answer(200, self.graphql(st, query, variables))

    def graphql(self, st, query, variables):
        if "currentAppInstallation" in query:
            st.log({"kind": "scopes"})
            scopes = [{"handle": h} for h in st.args.scopes.split(",") if h]
            return {"data": {"currentAppInstallation": {"accessScopes": scopes}},
                    "extensions": {"cost": COST}}
        if "ianaTimezone" in query:
            st.log({"kind": "zone"})
            return {"data": {"shop": {"ianaTimezone": st.args.zone}},
                    "extensions": {"cost": COST}}
        if "bulkOperationRunQuery" in query:
            return self.run_query(st, variables.get("query", ""))
        if "currentBulkOperation" in query:
            return self.current(st)
        if "bulkOperation(id:" in query:
            return self.poll(st, variables.get("id", ""))
        st.log({"kind": "unknown_query", "query": query[:200]})
        return {"errors": [{"message": "unknown query"}]}

    def run_query(self, st, inner):
        if st.busy_left > 0:
            st.log({"kind": "start_refused_busy"})
            return {"data": {"bulkOperationRunQuery": {"bulkOperation": None, "userErrors": [
                {"field": None, "code": "OPERATION_IN_PROGRESS",
                 "message": "A bulk query operation for this app and shop is already in "
                            "progress: gid://shopify/BulkOperation/999."}]}},
                "extensions": {"cost": COST}}
        m = re.search(r"updated_at:>='([0-9T:\-]+Z)'", inner)
        ok = "lineItems { edges { node" in inner and inner.strip().startswith("{ orders")
        since = parse_iso(m.group(1)) if m else None
        with open(st.args.store) as f:
            orders = json.load(f)
        picked = [o for o in orders if since is None or parse_iso(o["updatedAt"]) >= since]
        n = st.next_op
        st.next_op += 1
        now = time.time()
        st.ops[n] = {"status": "CREATED", "polls": 0, "orders": picked, "created": now}
        st.log({"kind": "start", "op": n, "since": m.group(1) if m else None,
                "query_ok": ok, "orders": [o["id"] for o in picked]})
        return {"data": {"bulkOperationRunQuery": {"bulkOperation": {
            "id": "gid://shopify/BulkOperation/%d" % n, "status": "CREATED",
            "createdAt": iso(now)}, "userErrors": []}}, "extensions": {"cost": COST}}

    def current(self, st):
        st.log({"kind": "current", "busy_left": st.busy_left})
        if st.busy_left > 0:
            st.busy_left -= 1
            return {"data": {"currentBulkOperation": {
                "id": "gid://shopify/BulkOperation/999", "status": "RUNNING",
                "createdAt": iso(time.time()), "objectCount": "12"}},
                "extensions": {"cost": COST}}
        return {"data": {"currentBulkOperation": {
            "id": "gid://shopify/BulkOperation/999", "status": "COMPLETED",
            "createdAt": iso(time.time()), "objectCount": "40"}}, "extensions": {"cost": COST}}

    def poll(self, st, gid):
        if st.throttle_left > 0:
            st.throttle_left -= 1
            st.log({"kind": "poll_throttled"})
            return {"errors": [{"message": "Throttled", "extensions": {
                "code": "THROTTLED",
                "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                "extensions": {"cost": THROTTLED_COST}}
        m = re.fullmatch(r"gid://shopify/BulkOperation/(\d+)", gid)
        op = st.ops.get(int(m.group(1))) if m else None
        if op is None:
            st.log({"kind": "poll_unknown", "id": gid})
            return {"data": {"bulkOperation": None}, "extensions": {"cost": COST}}
        op["polls"] += 1
        n = int(m.group(1))
        if op["polls"] >= 2:
            op["status"] = "RUNNING"
        if op["polls"] >= 3:
            op["status"] = "FAILED" if st.args.fail else "COMPLETED"
        body = {"id": gid, "status": op["status"], "errorCode": None,
                "createdAt": iso(op["created"]), "objectCount": "0", "rootObjectCount": "0",
                "fileSize": None, "url": None, "partialDataUrl": None}
        if op["status"] == "COMPLETED":
            text = jsonl(op["orders"])
            lines = text.count("\n")
            body.update(objectCount=str(lines), rootObjectCount=str(len(op["orders"])),
                        fileSize=str(len(text)))
            if op["orders"]:
                st.results[n] = text
                body["url"] = "http://127.0.0.1:%d/results/%d.jsonl" % (
                    self.server.server_port, n)
        elif op["status"] == "FAILED":
            body["errorCode"] = st.args.fail
        st.log({"kind": "poll", "op": n, "status": op["status"]})
        return {"data": {"bulkOperation": body}, "extensions": {"cost": COST}}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--store", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--scopes", default="read_orders,read_all_orders")
    p.add_argument("--zone", default="America/New_York")
    p.add_argument("--busy", action="store_true")
    p.add_argument("--fail", default="")
    p.add_argument("--throttle", type=int, default=0)
    p.add_argument("--timeout", type=float, default=300)
    args = p.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.state = State(args)
    server.timeout = 1
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_port))
    import os
    os.replace(args.port_file + ".tmp", args.port_file)
    end = time.time() + args.timeout
    while time.time() < end:
        server.handle_request()
    return 0


if __name__ == "__main__":
    sys.exit(main())
