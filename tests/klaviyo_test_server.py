#!/usr/bin/env python3
"""klaviyo_test_server.py - a fake Klaviyo API on 127.0.0.1 for tests/push_check.sh.

Checks every request (path, method, Authorization, revision, content types, a JSON:API
body of the right data.type), answers like Klaviyo and logs each request as one JSON
line. Scripted answers: the --throttle-th bulk POST gets 429 with Retry-After: 1, the
--unavailable-th event POST gets 503; a marker file holding "bulk", "event" or "import"
makes the next request of that kind get 400 with a Klaviyo error body (the marker is
then removed). A job is "processing" at its first GET and "complete" after.

Like Klaviyo it keeps a profile store (--store F, rewritten after every change, keyed
by email): a bulk import sets the non-null properties of each profile (null is ignored,
as Klaviyo does), POST /api/profile-import applies attributes.properties and removes
meta.patch_properties.unset; events are kept once per profile, metric and unique_id
(a repeat is logged as a duplicate and not kept). --delay-events S answers each event
after S seconds (for a kill during the push); --hang accepts connections and never
answers. Standard library only; exits by itself after --timeout seconds.

    klaviyo_test_server.py --port-file F --log F --key K --revision R [--marker F]
                           [--store F] [--throttle N] [--unavailable N] [--delay-events S]
                           [--hang] [--timeout S]
    klaviyo_test_server.py --summarize LOG     (key=value lines for the shell test)
"""
import argparse
import http.server
import json
import os
import socket
import sys
import time

MEDIA_TYPE = "application/vnd.api+json"
BULK_PATH = "/api/profile-bulk-import-jobs"
EVENTS_PATH = "/api/events"
IMPORT_PATH = "/api/profile-import"
RETRY_AFTER = 1


class State:
    def __init__(self, args):
        self.args = args
        self.requests = 0
        self.bulk_posts = 0
        self.event_posts = 0
        self.jobs = {}  # id -> {"profiles": n, "polls": n}
        self.throttled_at = {}  # kind -> time of the 429/503 answered
        self.profiles = {}  # email (or external_id) -> {"properties": {...}}
        self.events = set()  # (profile, metric, unique_id)

    def profile(self, attributes):
        key = attributes.get("email") or attributes.get("external_id")
        if not key:
            return None
        return self.profiles.setdefault(key, {"properties": {}})

    def save(self):
        path = self.args.store
        if not path:
            return
        with open(path + ".tmp", "w") as f:
            json.dump({"profiles": self.profiles, "events": sorted(map(list, self.events))}, f,
                      sort_keys=True)
        os.rename(path + ".tmp", path)


def error_body(status, title, detail):
    return {"errors": [{"id": "test-%d" % status, "status": status, "code": "test",
                        "title": title, "detail": detail, "source": {"pointer": "/data"}}]}


def count_profiles(body):
    try:
        return len(body["data"]["attributes"]["profiles"]["data"])
    except (KeyError, TypeError):
        return 0


class Handler(http.server.BaseHTTPRequestHandler):
    state = None
    timeout = 10  # seconds a connection may stay silent

    def log_message(self, fmt, *args):  # quiet: the JSON log is the record
        pass

    def check_headers(self, problems, with_body):
        st = self.state
        want_auth = "Klaviyo-API-Key " + st.args.key
        if self.headers.get("Authorization") != want_auth:
            problems.append("Authorization is not 'Klaviyo-API-Key <key>'")
        if self.headers.get("revision") != st.args.revision:
            problems.append("revision is %r" % self.headers.get("revision"))
        if self.headers.get("Accept") != MEDIA_TYPE:
            problems.append("Accept is %r" % self.headers.get("Accept"))
        if with_body and self.headers.get("Content-Type") != MEDIA_TYPE:
            problems.append("Content-Type is %r" % self.headers.get("Content-Type"))

    def read_body(self, problems, want_type):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if 0 < length <= 6 * 1024 * 1024 else b""
        try:
            body = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            problems.append("the body is not JSON")
            return None, len(raw)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or data.get("type") != want_type:
            problems.append("data.type is not %r" % want_type)
        return body, len(raw)

    def marker_says(self, kind):
        path = self.state.args.marker
        if not path or not os.path.exists(path):
            return False
        with open(path) as f:
            says = f.read().strip()
        if says == kind:
            os.remove(path)
            return True
        return False

    def early_retry(self, kind, problems):
        """A request right after a 429 must have waited Retry-After."""
        at = self.state.throttled_at.pop(kind, None)
        if at is not None and time.monotonic() - at < RETRY_AFTER - 0.1:
            problems.append("retried %.2f s after a 429 with Retry-After: %d"
                            % (time.monotonic() - at, RETRY_AFTER))

    def answer(self, status, body, extra_headers=()):
        data = json.dumps(body).encode("utf-8") if body is not None else b""
        try:
            self.send_response(status)
            self.send_header("Content-Type", MEDIA_TYPE)
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra_headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (killed): what it sent is logged

    def log_request_line(self, record):
        with open(self.state.args.log, "a") as f:
            f.write(json.dumps(record) + "\n")

    def record(self, kind, status, problems, size, **extra):
        self.log_request_line(dict(extra, **{
            "n": self.state.requests, "kind": kind, "method": self.command, "path": self.path,
            "authorization": self.headers.get("Authorization"),
            "revision": self.headers.get("revision"),
            "content_type": self.headers.get("Content-Type"),
            "accept": self.headers.get("Accept"), "bytes": size, "status": status,
            "problems": problems}))

    # ---- the endpoints ----------------------------------------------------

    def bulk_post(self, problems):
        st = self.state
        st.bulk_posts += 1
        body, size = self.read_body(problems, "profile-bulk-import-job")
        self.check_headers(problems, True)
        self.early_retry("bulk", problems)
        profiles = count_profiles(body) if body else 0
        if body and profiles == 0:
            problems.append("no profiles in the bulk body")
        if problems:
            return self.fail("bulk", problems, size)
        if self.marker_says("bulk"):
            return self.refuse("bulk", size)
        if st.bulk_posts == st.args.throttle:
            st.throttled_at["bulk"] = time.monotonic()
            self.answer(429, error_body(429, "Throttled.", "Request was throttled."),
                        [("Retry-After", str(RETRY_AFTER))])
            return self.record("bulk", 429, problems, size)
        for p in body["data"]["attributes"]["profiles"]["data"]:
            attributes = p.get("attributes", {})
            stored = st.profile(attributes)
            if stored is None:
                problems.append("a profile without email or external_id")
                continue
            for name, value in (attributes.get("properties") or {}).items():
                if value is not None:  # Klaviyo's bulk import ignores null
                    stored["properties"][name] = value
        st.save()
        job_id = "01TESTJOB%04d" % (len(st.jobs) + 1)
        st.jobs[job_id] = {"profiles": profiles, "polls": 0}
        self.answer(202, job_body(job_id, "queued", profiles, None))
        self.record("bulk", 202, problems, size)

    def event_post(self, problems):
        st = self.state
        st.event_posts += 1
        body, size = self.read_body(problems, "event")
        self.check_headers(problems, True)
        if problems:
            return self.fail("event", problems, size)
        if self.marker_says("event"):
            return self.refuse("event", size)
        if st.event_posts == st.args.unavailable:
            self.answer(503, error_body(503, "Service unavailable.", "Try again later."))
            return self.record("event", 503, problems, size)
        attributes = body["data"]["attributes"]
        who = attributes.get("profile", {}).get("data", {}).get("attributes", {})
        metric = attributes.get("metric", {}).get("data", {}).get("attributes", {}).get("name")
        uid = attributes.get("unique_id")
        key = (who.get("email") or who.get("external_id"), metric, uid)
        duplicate = key in st.events
        st.events.add(key)
        st.save()
        # logged when received: a client killed while waiting has still sent it
        self.record("event", 202, problems, size, unique_id=uid, duplicate=duplicate)
        if st.args.delay_events:
            time.sleep(st.args.delay_events)
        self.answer(202, None)

    def import_post(self, problems):
        """Create or update a profile: properties set, meta.patch_properties.unset removed."""
        st = self.state
        body, size = self.read_body(problems, "profile")
        self.check_headers(problems, True)
        if problems:
            return self.fail("import", problems, size)
        if self.marker_says("import"):
            return self.refuse("import", size)
        data = body["data"]
        attributes = data.get("attributes", {})
        existed = (attributes.get("email") or attributes.get("external_id")) in st.profiles
        stored = st.profile(attributes)
        if stored is None:
            problems.append("no email or external_id")
            return self.fail("import", problems, size)
        for name, value in (attributes.get("properties") or {}).items():
            if value is None:
                stored["properties"].pop(name, None)
            else:
                stored["properties"][name] = value
        unset = data.get("meta", {}).get("patch_properties", {}).get("unset", [])
        unset = [unset] if isinstance(unset, str) else unset
        for name in unset:
            stored["properties"].pop(name, None)
        st.save()
        status = 200 if existed else 201
        self.answer(status, {"data": {"type": "profile", "id": "P" + str(len(st.profiles)),
                                      "attributes": attributes}})
        self.record("import", status, problems, size, unset=unset)

    def job_get(self, problems):
        job_id = self.path[len(BULK_PATH) + 1:]
        self.check_headers(problems, False)
        job = self.state.jobs.get(job_id)
        if job is None:
            problems.append("GET of an unknown job %r" % job_id)
        if problems:
            return self.fail("job", problems, 0)
        job["polls"] += 1
        status = "processing" if job["polls"] == 1 else "complete"
        self.answer(200, job_body(job_id, status, job["profiles"], job["polls"] > 1))
        self.record("job", 200, problems, 0)

    def fail(self, kind, problems, size):
        self.answer(400, error_body(400, "Test server check failed.", "; ".join(problems)))
        self.record(kind, 400, problems, size)

    def refuse(self, kind, size):
        detail = "Invalid email address in profile 1 (test server)."
        self.answer(400, error_body(400, "Invalid input.", detail))
        self.record(kind, 400, [], size)

    def do_POST(self):
        self.state.requests += 1
        if self.path == BULK_PATH:
            return self.bulk_post([])
        if self.path == EVENTS_PATH:
            return self.event_post([])
        if self.path == IMPORT_PATH:
            return self.import_post([])
        self.fail("unknown", ["POST to an unknown path %r" % self.path], 0)

    def do_GET(self):
        self.state.requests += 1
        if self.path.startswith(BULK_PATH + "/"):
            return self.job_get([])
        self.fail("unknown", ["GET of an unknown path %r" % self.path], 0)


def job_body(job_id, status, profiles, done):
    attributes = {"status": status, "total_count": profiles,
                  "completed_count": profiles if done else 0, "failed_count": 0,
                  "created_at": "2026-07-20T09:00:00+00:00"}
    return {"data": {"type": "profile-bulk-import-job", "id": job_id,
                     "attributes": attributes,
                     "relationships": {"lists": {"data": [{"type": "list", "id": "XYZ"}]}}},
            "links": {"self": "http://127.0.0.1" + BULK_PATH + "/" + job_id}}


def summarize(log_path):
    """Counts for the shell test: requests, per kind and status, problems."""
    records = []
    if os.path.exists(log_path):
        with open(log_path) as f:
            records = [json.loads(line) for line in f if line.strip()]
    def statuses(kind):
        return ",".join(str(r["status"]) for r in records if r["kind"] == kind) or "-"
    print("requests=%d" % len(records))
    for kind in ("bulk", "event", "job", "import"):
        print("%s=%d" % (kind, sum(r["kind"] == kind for r in records)))
        print("%s_statuses=%s" % (kind, statuses(kind)))
    sent = [r["unique_id"] for r in records if r["kind"] == "event" and r.get("unique_id")]
    print("event_repeats=%d" % (len(sent) - len(set(sent))))
    print("event_duplicates=%d" % sum(bool(r.get("duplicate")) for r in records))
    print("unset_names=%d" % sum(len(r.get("unset", [])) for r in records))
    print("problems=%d" % sum(len(r["problems"]) for r in records))
    for r in records:
        for p in r["problems"]:
            print("problem=%s %s: %s" % (r["method"], r["path"], p))


def hang(args):
    """Accept connections (the kernel completes them) and never answer."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % listener.getsockname()[1])
    os.rename(args.port_file + ".tmp", args.port_file)
    time.sleep(args.timeout)
    listener.close()


def serve(args):
    if args.hang:
        return hang(args)
    Handler.state = State(args)
    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    httpd.timeout = 0.2
    temp = args.port_file + ".tmp"
    with open(temp, "w") as f:
        f.write("%d\n" % httpd.server_address[1])
    os.rename(temp, args.port_file)  # the test never reads half a port
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        httpd.handle_request()
    httpd.server_close()


def main():
    ap = argparse.ArgumentParser(description="fake Klaviyo API for tests")
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("--key")
    ap.add_argument("--revision", default="2026-07-15")
    ap.add_argument("--marker")
    ap.add_argument("--throttle", type=int, default=2, help="this bulk POST gets 429")
    ap.add_argument("--unavailable", type=int, default=2, help="this event POST gets 503")
    ap.add_argument("--store", help="the profile store as JSON, rewritten on every change")
    ap.add_argument("--delay-events", type=float, default=0, help="seconds before each event answer")
    ap.add_argument("--hang", action="store_true", help="accept connections, never answer")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--summarize", metavar="LOG")
    args = ap.parse_args()
    if args.summarize:
        return summarize(args.summarize)
    if not (args.port_file and (args.hang or (args.log and args.key))):
        ap.error("--port-file, --log and --key are required")
    serve(args)


if __name__ == "__main__":
    sys.exit(main())
