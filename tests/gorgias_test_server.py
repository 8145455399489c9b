#!/usr/bin/env python3
"""gorgias_test_server.py - a fake Gorgias ticket API on 127.0.0.1 for the push checks.

Checks every request (POST /api/tickets, HTTP Basic user:key, JSON content type, a JSON
body with customer.email, external_id, via "api", the --tag tag, a first message from the
customer (from_agent false, sender.email the customer's) and an internal note from an
agent) and logs it as one JSON line. Keeps the tickets it made (--store F, rewritten after
each). Answers 201 with a ticket id; the --throttle-th request gets 429 with Retry-after: 1
(a retry sooner is a problem); the --fail-th gets 500 after making the ticket (the client
cannot know); --delay S answers each ticket after S seconds (for a kill during the push);
--hang accepts connections and never answers. Standard library only; exits by itself
after --timeout seconds.

    gorgias_test_server.py --port-file F --log F --user U --key K [--throttle N] [--fail N]
                           [--store F] [--tag T] [--delay S] [--hang] [--timeout S]
    gorgias_test_server.py --summarize LOG     (key=value lines for the shell test)
"""
import argparse
import base64
import http.server
import json
import os
import socket
import sys
import time

RETRY_AFTER = 1


def check_messages(body, problems):
    try:
        messages = body["messages"]
        first = messages[0]
        assert first["from_agent"] is False and first["channel"] and first["via"] == "api"
        assert first["sender"]["email"] == body["customer"]["email"]
        assert isinstance(first["body_text"], str) and first["body_text"]
        notes = [m for m in messages[1:] if m.get("channel") == "internal-note"]
        assert notes and all(m["from_agent"] is True for m in notes)
        assert not [m for m in messages[1:] if m.get("channel") != "internal-note"]
    except (KeyError, IndexError, TypeError, AssertionError):
        problems.append("messages: not the customer's words first, then internal notes")


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
            assert body["customer"]["email"] and body["external_id"] and body["via"] == "api"
            assert "@" not in body["external_id"]
            assert {"name": a.tag} in body["tags"]
        except (KeyError, IndexError, TypeError, AssertionError):
            problems.append("the body lacks a needed ticket field, or its external_id has an email")
        check_messages(body, problems)
        return body

    def answer(self, status, body, headers=()):
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (killed): what it sent is logged

    def log(self, record):
        with open(self.state["args"].log, "a") as f:
            f.write(json.dumps(record) + "\n")

    def make(self, body):
        st = self.state
        ticket = {"id": 1000 + len(st["tickets"]) + 1, "external_id": body.get("external_id"),
                  "customer": body["customer"]["email"], "subject": body.get("subject"),
                  "messages": body["messages"], "tags": body.get("tags"),
                  "channel": body.get("channel"), "assignee_team": body.get("assignee_team")}
        st["tickets"].append(ticket)
        if st["args"].store:
            with open(st["args"].store + ".tmp", "w") as f:
                json.dump(st["tickets"], f)
            os.rename(st["args"].store + ".tmp", st["args"].store)
        return ticket["id"]

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
            self.log({"status": 400, "key": key, "problems": problems})
            return self.answer(400, {"error": {"msg": "; ".join(problems)}})
        if st["requests"] == st["args"].throttle:
            st["throttled_at"] = time.monotonic()
            self.log({"status": 429, "key": key, "problems": problems})
            return self.answer(429, {"error": {"msg": "Too Many Requests"}},
                               [("Retry-after", str(RETRY_AFTER)),
                                ("X-Gorgias-Account-Api-Call-Limit", "40/40")])
        ticket = self.make(body)
        status = 500 if st["requests"] == st["args"].fail else 201
        # logged when made: a client killed while waiting has still made it
        self.log({"status": status, "key": key, "customer": body["customer"]["email"],
                  "problems": problems})
        if st["args"].delay:
            time.sleep(st["args"].delay)
        if status == 500:
            return self.answer(500, {"error": {"msg": "Internal error"}})
        self.answer(201, {"id": ticket, "external_id": key})


def summarize(path):
    records = []
    if os.path.exists(path):
        with open(path) as f:
            records = [json.loads(line) for line in f if line.strip()]
    made = [r["key"] for r in records if r["status"] in (201, 500)]
    customers = [r.get("customer") for r in records if r["status"] in (201, 500)]
    print("requests=%d" % len(records))
    print("statuses=%s" % (",".join(str(r["status"]) for r in records) or "-"))
    print("tickets=%d" % len(made))
    print("duplicates=%d" % (len(made) - len(set(made))))
    print("customer_repeats=%d" % (len(customers) - len(set(customers))))
    print("problems=%d" % sum(len(r["problems"]) for r in records))
    for r in records:
        for p in r["problems"]:
            print("problem=%s" % p)


def publish_port(path, port):
    with open(path + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(path + ".tmp", path)


def hang(args):
    """Accept connections (the kernel completes them) and never answer."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    publish_port(args.port_file, listener.getsockname()[1])
    time.sleep(args.timeout)
    listener.close()


def main():
    ap = argparse.ArgumentParser(description="fake Gorgias ticket API for tests")
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("--user")
    ap.add_argument("--key")
    ap.add_argument("--throttle", type=int, default=2)
    ap.add_argument("--fail", type=int, default=0, help="this request makes the ticket, answers 500")
    ap.add_argument("--store", help="the tickets as JSON, rewritten after each")
    ap.add_argument("--tag", default="vip-detractor", help="a tag every ticket must have")
    ap.add_argument("--delay", type=float, default=0, help="seconds before each ticket's answer")
    ap.add_argument("--hang", action="store_true", help="accept connections, never answer")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--summarize", metavar="LOG")
    args = ap.parse_args()
    if args.summarize:
        return summarize(args.summarize)
    if args.hang and args.port_file:
        return hang(args)
    if not (args.port_file and args.log and args.user and args.key):
        ap.error("--port-file, --log, --user and --key are required")
    Handler.state = {"args": args, "requests": 0, "tickets": []}
    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    httpd.timeout = 0.2
    publish_port(args.port_file, httpd.server_address[1])
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        httpd.handle_request()
    httpd.server_close()


if __name__ == "__main__":
    sys.exit(main())
