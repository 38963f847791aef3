"""What gunicorn's master answers itself, on ports of its own, so that it never waits behind the workers' requests:
health (HEALTH_PORT), which a proxy and an orchestrator ask while every worker may be busy, and the metrics scrape
(METRICS_PORT).

The listeners are threads of the master, which forks the workers. Two rules keep the forks sound: what the threads
share with a fork (the metrics' lock, the log's stream) is touched only under FORK_GUARD, which a fork waits for; and
the master's MongoClient is built and used by the health thread alone, never by a worker (pymongo is not fork-safe:
the workers build their own after the fork, app.bootstrap).
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from app.adapters import indexes
from app.adapters.relay import relay_state
from app.adapters.unit_of_work import UNIQUENESS_CHECK_SECONDS
from app.domain.events import relay_health
from app.web import metrics
from app.web.access import LOGGED_TEXT_MAX, SANE_REQUEST_ID
from app.web.answers import HEALTHY
from app.web.endpoint import PREFIX
from app.web.errors import (
    DATABASE_NOT_READY_MESSAGE,
    DATABASE_UNAVAILABLE,
    DATABASE_UNAVAILABLE_MESSAGE,
    DONE,
    INTERNAL_ERROR,
    INTERNAL_ERROR_MESSAGE,
    INVALID,
)
from app.web.headers import NO_SNIFF, NO_STORE

access_log = logging.getLogger("app.access")
HEALTH_PATH = f"{PREFIX}/health"
# Health answers within a second. Finding the database's server (while it is down, or after a restart) gets half a
# second: pymongo looks again every half second, so a longer wait ends at the next half (0.8 s waits 1 s). A ping to
# a server found gets 0.8 s for its round trip. (Only the first ping after the server came back, which must also
# connect, can take longer than the second: both bounds then add up.)
FIND_SERVER_MS = 450
ROUND_TRIP_MS = 800
# A client of the listeners that sends nothing gives its thread back after this long.
CLIENT_TIMEOUT_SECONDS = 5
# The most requests the listeners serve at once; beyond, a connection is answered 503 without being read, so that a
# flood of health checks costs the master no more than this many threads.
MOST_IN_FLIGHT = 32

# Held while a listener thread touches what a forked worker inherits: prometheus_client's lock (which registers no
# fork handler) and the log's stream. A fork of the master waits for it, so no worker starts with either held. Fork
# hooks registered later run earlier: this one, registered after logging's, is waited for before logging's own locks
# are taken, so a listener thread holding the guard can still finish its log line.
FORK_GUARD = threading.Lock()


def _reset_guard_in_child() -> None:
    global FORK_GUARD
    FORK_GUARD = threading.Lock()


os.register_at_fork(before=lambda: FORK_GUARD.acquire(), after_in_parent=lambda: FORK_GUARD.release(),
                    after_in_child=_reset_guard_in_child)


@dataclass
class Answer:
    """An answer of a listener: HTTP code, JSON body or text, its contract status, extra headers."""

    code: int
    body: bytes
    content_type: str = "application/json"
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


def json_answer(code: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Answer:
    return Answer(code, json.dumps(body).encode(), status=body["status"], headers={**NO_STORE, **(headers or {})})


def error(code: int, status: int, message: str, request_id: str, headers: dict[str, str] | None = None,
          **extra: Any) -> Answer:
    """An error in the contract's shape, as app.web.errors makes them."""
    return json_answer(code, {"status": status, "message": message, **extra, "requestId": request_id}, headers)


class DatabaseHealth:
    """Whether the database answers a ping within the deadline and has every unique index the service relies on (as
    the workers' health asks it), asked with a MongoClient of the master's own; requests that come while a ping is
    under way wait for its outcome rather than send their own, so a flood of health checks sends one ping at a time.
    The indexes are listed once every UNIQUENESS_CHECK_SECONDS, as each worker lists them."""

    def __init__(self, uri: str):
        self._uri = uri
        self._client: MongoClient | None = None
        self._lock = threading.Lock()
        self._under_way: Future[str | None] | None = None
        self._uniqueness_checked_at = float("-inf")
        self._uniqueness_missing: list[str] = []
        self.relay: dict[str, Any] = relay_health(None, datetime.now(UTC))

    def trouble(self) -> str | None:
        """None when the database answers and has its unique indexes, else the message health answers with; what the
        events relay last told is kept meanwhile (relay)."""
        with self._lock:
            mine = self._under_way is None
            if mine:
                self._under_way = Future()
            flight = self._under_way
        assert flight is not None
        if mine:
            try:
                flight.set_result(self._ping())
            except Exception as failure:
                flight.set_exception(failure)
            finally:
                with self._lock:
                    self._under_way = None
        try:
            return flight.result(timeout=(FIND_SERVER_MS + ROUND_TRIP_MS) / 1000 + 1)
        except TimeoutError:
            return DATABASE_UNAVAILABLE_MESSAGE

    def _ping(self) -> str | None:
        if self._client is None:
            # Built on first use, by a listener thread of the master; connect=False: no thread of its own before that.
            self._client = MongoClient(self._uri, connect=False, serverSelectionTimeoutMS=FIND_SERVER_MS,
                                       connectTimeoutMS=FIND_SERVER_MS, socketTimeoutMS=ROUND_TRIP_MS, maxPoolSize=2)
        database = self._client.get_default_database("provisioning")
        try:
            database.command("ping")
            self.relay = relay_health(relay_state(database), datetime.now(UTC))
            if time.monotonic() - self._uniqueness_checked_at > UNIQUENESS_CHECK_SECONDS:
                self._uniqueness_missing = indexes.missing_uniqueness(database)
                self._uniqueness_checked_at = time.monotonic()
                if self._uniqueness_missing:
                    with FORK_GUARD:
                        logging.getLogger("app.errors").error(
                            "a unique index the service relies on is missing: %s; run db upgrade",
                            ", ".join(self._uniqueness_missing))
        except PyMongoError:
            return DATABASE_UNAVAILABLE_MESSAGE
        return DATABASE_NOT_READY_MESSAGE if self._uniqueness_missing else None


@dataclass(frozen=True)
class Routes:
    """The paths one listener serves, each a function of the request id, and how many proxies in front it trusts."""

    paths: dict[str, Callable[[str], Answer]]
    trusted_proxies: int


def health_routes(ping: DatabaseHealth, *, trusted_proxies: int, retry_after: int) -> Routes:
    """GET /services/rest/health, answered as the service's own health endpoint answers it."""

    def health(request_id: str) -> Answer:
        trouble = ping.trouble()
        if trouble is None:
            return json_answer(200, {"status": DONE, **HEALTHY.body(ping.relay)})
        return error(503, DATABASE_UNAVAILABLE, trouble, request_id,
                     {"Retry-After": str(retry_after)})

    return Routes({HEALTH_PATH: health}, trusted_proxies)


def metrics_routes() -> Routes:
    """GET /metrics: the scrape, summed over the workers."""

    def scrape(request_id: str) -> Answer:
        body, content_type = metrics.exposition()
        return Answer(200, body, content_type)

    return Routes({"/metrics": scrape}, 0)


class Handler(BaseHTTPRequestHandler):
    """One request to a listener: GET of one of its paths; anything else answered in the contract's JSON shape."""

    server: Listener
    timeout = CLIENT_TIMEOUT_SECONDS
    def version_string(self) -> str:
        """Nothing about the software in the answers' Server header, as nginx's (server_tokens off)."""
        return "provisioning"

    def do_GET(self) -> None:
        started = time.perf_counter()
        request_id = self._request_id()
        path = self.path.split("?", 1)[0]
        route = self.server.routes.paths.get(path)
        try:
            answer = route(request_id) if route else error(404, INVALID, "no such endpoint", request_id, errors={})
        except Exception:
            logging.getLogger(__name__).exception("internal error on GET %s", path[:LOGGED_TEXT_MAX])
            answer = error(500, INTERNAL_ERROR, INTERNAL_ERROR_MESSAGE, request_id)
        self._send(answer, request_id, path, started, counted=route is not None)

    def _refuse_method(self) -> None:
        request_id = self._request_id()
        answer = error(405, INVALID, "method is not allowed here", request_id, {"Allow": "GET"}, errors={})
        self._send(answer, request_id, self.path.split("?", 1)[0], time.perf_counter(), counted=False)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _refuse_method

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """What http.server refuses itself (a malformed request line, headers too long, an unknown method)."""
        request_id = uuid.uuid4().hex
        answer = error(code, INVALID, f"the request is malformed: {self.responses.get(code, ('',))[0]}", request_id,
                       errors={})
        answer.headers["Connection"] = "close"
        self._send(answer, request_id, "", time.perf_counter(), counted=False)

    def _request_id(self) -> str:
        headers = getattr(self, "headers", None)
        given = headers.get("X-Request-ID", "") if headers else ""
        return given if SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex

    def _client(self) -> str:
        """The client's address: the socket's, or X-Forwarded-For's as the service reads it (werkzeug's ProxyFix)."""
        trusted = self.server.routes.trusted_proxies
        headers = getattr(self, "headers", None)
        if trusted and headers:
            forwarded = [part.strip() for value in headers.get_all("X-Forwarded-For", []) for part in value.split(",")]
            if len(forwarded) >= trusted:
                return forwarded[-trusted]
        return self.client_address[0]

    def _send(self, answer: Answer, request_id: str, path: str, started: float, *, counted: bool) -> None:
        """Count and log the answer, as the service does before its answers go out, then send it."""
        seconds = time.perf_counter() - started
        with FORK_GUARD:
            if counted and path == HEALTH_PATH:
                metrics.record(HEALTH_PATH, answer.code, answer.status, seconds)
            if answer.status is not None and access_log.isEnabledFor(logging.INFO):
                method = getattr(self, "command", None) or "-"
                access_log.info("%s %s %s", method, path[:LOGGED_TEXT_MAX], answer.code, extra={
                    "requestId": request_id, "method": method, "path": path[:LOGGED_TEXT_MAX],
                    "httpStatus": answer.code, "status": answer.status, "reseller": None, "client": self._client(),
                    "durationMs": round(seconds * 1000, 2)})
        self.send_response(answer.code)
        headers = {"Content-Type": answer.content_type, "Content-Length": str(len(answer.body)),
                   "X-Request-ID": request_id, **NO_SNIFF, **answer.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if getattr(self, "command", None) != "HEAD":
            self.wfile.write(answer.body)

    def log_message(self, format: str, *args: Any) -> None:
        """http.server's own line per request: the access line above replaces it."""


class Listener(ThreadingHTTPServer):
    """A listener of the master, a thread per request, at most MOST_IN_FLIGHT at once."""

    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], routes: Routes):
        self.routes = routes
        self._slots = threading.BoundedSemaphore(MOST_IN_FLIGHT)
        super().__init__(address, Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            with contextlib.suppress(OSError):
                request.sendall(busy_answer())
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


def busy_answer() -> bytes:
    """The whole answer to a connection beyond MOST_IN_FLIGHT, in the contract's shape, as nginx's own 503."""
    request_id = uuid.uuid4().hex
    body = json.dumps({"status": DATABASE_UNAVAILABLE, "message": "service unavailable, try again later",
                       "requestId": request_id}).encode()
    head = (f"HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"X-Request-ID: {request_id}\r\nRetry-After: 1\r\nX-Content-Type-Options: nosniff\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\n\r\n")
    return head.encode() + body


def serve(host: str, port: int, routes: Routes, name: str) -> Listener:
    """Listen on host:port and serve routes from a daemon thread of this process; the bind fails at once if the port is
    taken."""
    listener = Listener((host, port), routes)
    threading.Thread(target=listener.serve_forever, name=name, daemon=True).start()
    return listener
