"""The events relay as `provisioning events relay` runs it, in a process of its own, and a webhook receiver: a small
HTTP server that records what it is sent and answers as the test says."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.support.servers import ROOT, environment, eventually

# Quick to take over, quick to retry: what the system tests run the relay with.
FAST = {"RELAY_LEASE_SECONDS": 2, "WEBHOOK_RETRY_FIRST_MS": 100, "WEBHOOK_RETRY_MOST_SECONDS": 1,
        "ALLOW_PRIVATE_PUSH_TARGETS": "on", "LOG_FORMAT": "json", "LOG_LEVEL": "INFO"}


# The operators' console script, as `make install` puts it beside the virtualenv's python.
PROVISIONING = Path(sys.executable).parent / "provisioning"


class Relay:
    """`provisioning events relay` on a database; its output goes to a file read at the end (or on demand)."""

    def __init__(self, database_uri, **settings):
        self.env = environment(**{"MONGODB_URI": database_uri, **FAST, **settings})

    def __enter__(self):
        self.log = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen([str(PROVISIONING), "events", "relay"], cwd=ROOT, env=self.env,
                                        stdout=self.log, stderr=subprocess.STDOUT, text=True)
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        self.output = self.output_so_far()
        self.log.close()

    def kill(self):
        """SIGKILL: the relay dies wherever it is, as in a crash."""
        self.process.kill()
        self.process.wait()

    def output_so_far(self):
        size = os.fstat(self.log.fileno()).st_size
        return os.pread(self.log.fileno(), size, 0).decode(errors="replace")

    def leading(self):
        """Whether this relay said it took the lease."""
        return '"events relay leading"' in self.output_so_far()


class Receiver:
    """A webhook's receiver on 127.0.0.1: records each POST (its headers and body, in arrival order) and answers what
    answer(event id, how many times this id came before) says (200 by default)."""

    def __init__(self, answer=lambda event_id, seen: 200):
        self.answer = answer
        self.received = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                event = json.loads(body)
                with receiver._lock:
                    seen = sum(1 for one in receiver.received if one["event"]["id"] == event["id"])
                    code = receiver.answer(event["id"], seen)
                    receiver.received.append({"headers": dict(self.headers), "body": body, "event": event,
                                              "code": code, "at": time.monotonic()})
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def taken(self):
        """The events answered 2xx, in the order they were taken."""
        with self._lock:
            return [one["event"] for one in self.received if 200 <= one["code"] < 300]

    def all(self):
        with self._lock:
            return list(self.received)


class InProcessRelay:
    """The events relay of an app, run on a thread of the test (the api and storage tiers): quick to read and retry.
    wait_for(count) returns once the database holds that many events."""

    def __init__(self, tools):
        self.tools = tools
        self.stop = threading.Event()

    def __enter__(self):
        from app.service_layer.relay import Pace, run_relay

        self.thread = threading.Thread(target=run_relay, args=(self.tools.relay(), 2.0, self.stop), kwargs={
            "pace": Pace(wait_seconds=0.1, heartbeat_seconds=0.2, retry_seconds=0.1)}, name="relay", daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=30)

    def wait_for(self, count, seconds=60):
        events = self.tools.database["events"]
        # A count of the collection, not a query (the index proof records the app's queries meanwhile).
        eventually(lambda: events.estimated_document_count() >= count, seconds,
                   f"the relay did not write {count} events")
