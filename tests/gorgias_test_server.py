#!/usr/bin/env python3
"""gorgias_test_server.py - a fake Gorgias ticket API on 127.0.0.1 for tests/gorgias_check.sh.

Checks every request (POST /api/tickets, HTTP Basic user:key, JSON content type, a JSON
body with customer.email, external_id, tags and a first message with channel and
from_agent) and logs it as one JSON line. Answers 201 with a ticket id; the
--throttle-th request gets 429 with Retry-after: 1 (a retry sooner is a problem).
Standard library only; exits by itself after --timeout seconds.

    gorgias_test_server.py --port-file F --log F --user U --key K [--throttle N] [--timeout S]
    gorgias_test_server.py --summarize LOG     (key=value lines for the shell test)
"""
import argparse
import base64
import http.server
import json
import os
import sys
import time

RETRY_AFTER = 1


class Handler(http.server.BaseHTTPRequestHandler):
    state = None
    timeout = 10

    def log_message(self, fmt, *args):
        pass

    def check(self, problems):
        a = self.state["args"]
        want = "Basic " + base64.b64encode(("%s:%s" % (a.user, a.key)).encode()).decode()
        if self.headers.get("Authorization") != want:
            problems.append("Authorization is not Basic base64(user:key)")
        if self.headers.get("Content-Type") != "application/json":
            problems.append("Content-Type is %r" % self.headers.get("Content-Type"))
        if self.path != "/api/tickets":
            problems.append("POST to %r" % self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if 0 < length <= 1024 * 1024 else b""
        try:
            body = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            problems.append("the body is not JSON")
            return None
        try:
            message = body["messages"][0]
            assert isinstance(message["from_agent"], bool) and message["channel"]
            assert body["customer"]["email"] and body["external_id"] and body["via"] == "api"
            assert {"name": "vip-detractor"} in body["tags"]
        except (KeyError, IndexError, TypeError, AssertionError):
            problems.append("the body lacks a needed ticket field")
        return body

    def answer(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        st = self.state
        st["requests"] += 1
        problems = []
        body = self.check(problems)
        at = st.pop("throttled_at", None)
        if at is not None and time.monotonic() - at < RETRY_AFTER - 0.1:
            problems.append("retried %.2f s after a 429" % (time.monotonic() - at))
        key = body.get("external_id") if isinstance(body, dict) else None
        if problems:
            status = 400
            self.answer(400, {"error": {"msg": "; ".join(problems)}})
        elif st["requests"] == st["args"].throttle:
            status = 429
            st["throttled_at"] = time.monotonic()
            self.answer(429, {"error": {"msg": "Too Many Requests"}},
                        [("Retry-after", str(RETRY_AFTER)),
                         ("X-Gorgias-Account-Api-Call-Limit", "40/40")])
        else:
            status = 201
            self.answer(201, {"id": 1000 + st["requests"], "external_id": key})
        with open(st["args"].log, "a") as f:
            f.write(json.dumps({"status": status, "key": key, "problems": problems}) + "\n")


def summarize(path):
    records = []
    if os.path.exists(path):
        with open(path) as f:
            records = [json.loads(line) for line in f if line.strip()]
    made = [r["key"] for r in records if r["status"] == 201]
    print("requests=%d" % len(records))
    print("statuses=%s" % (",".join(str(r["status"]) for r in records) or "-"))
    print("tickets=%d" % len(made))
    print("duplicates=%d" % (len(made) - len(set(made))))
    print("problems=%d" % sum(len(r["problems"]) for r in records))
    for r in records:
        for p in r["problems"]:
            print("problem=%s" % p)


def main():
    ap = argparse.ArgumentParser(description="fake Gorgias ticket API for tests")
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("--user")
    ap.add_argument("--key")
    ap.add_argument("--throttle", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--summarize", metavar="LOG")
    args = ap.parse_args()
    if args.summarize:
        return summarize(args.summarize)
    if not (args.port_file and args.log and args.user and args.key):
        ap.error("--port-file, --log, --user and --key are required")
    Handler.state = {"args": args, "requests": 0}
    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    httpd.timeout = 0.2
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % httpd.server_address[1])
    os.rename(args.port_file + ".tmp", args.port_file)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        httpd.handle_request()
    httpd.server_close()


if __name__ == "__main__":
    sys.exit(main())
