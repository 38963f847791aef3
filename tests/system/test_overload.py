"""Overload, tried from outside: clients that give up and retry, through the shipped nginx in front of gunicorn. Stale
requests are answered at once, health answers throughout, and the service is healthy as soon as the load stops; a
request whose client has gone is stopped before its argon2 work."""
import http.client
import json
import socket
import threading
import uuid

from app.web.overload import SHED_MESSAGE
from scripts.embedded_db import free_port
from tests.support.apps import RESELLER
from tests.support.servers import Gunicorn, Nginx, call, eventually

HEALTH = "/services/rest/health"
SIGN_UP = "/services/rest/customer-user/create"
CLIENTS = 40
# How long a flooding client waits for an answer before it gives up and sends the request again, as phone apps do.
PATIENCE_SECONDS = 2
# A health check's own bound: generous, for a loaded machine; it must answer, not be fast.
HEALTH_TIMEOUT_SECONDS = 10


def post(port, path, params, *, timeout, source="127.0.0.1", headers=None):
    """POST a form; return (HTTP code, JSON answer, headers), or raise TimeoutError when no answer came in time."""
    body = "&".join(f"{key}={value}" for key, value in params.items()).encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0))
    try:
        connection.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})
        response = connection.getresponse()
        return response.status, json.loads(response.read()), response.headers
    finally:
        connection.close()


def health(port):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=HEALTH_TIMEOUT_SECONDS)
    try:
        connection.request("GET", HEALTH)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


class Flood:
    """CLIENTS clients, each from an address of its own, signing up customers one after another; a client that gets
    no answer within PATIENCE_SECONDS gives up and sends the same request again (same Idempotency-Key); one answered
    503 or 429 waits a little first."""

    def __init__(self, port):
        self.port = port
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.answers = []
        self.gave_up = 0
        self.threads = [threading.Thread(target=self.client, args=(number,)) for number in range(CLIENTS)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def client(self, number):
        source = f"127.0.1.{number + 1}"
        sent = 0
        while not self.stop.is_set():
            sent += 1
            name = f"flood-{number}-{sent}"
            params = {**RESELLER, "customer": name, "username": name, "password": "p", "applyFreeCredits": "false"}
            key = {"Idempotency-Key": uuid.uuid4().hex}
            while not self.stop.is_set():
                try:
                    code, answer, _ = post(self.port, SIGN_UP, params, timeout=PATIENCE_SECONDS, source=source,
                                           headers=key)
                except (TimeoutError, OSError):
                    with self.lock:
                        self.gave_up += 1
                    continue
                with self.lock:
                    self.answers.append((code, answer))
                if code == 201:
                    break
                self.stop.wait(0.5)

    def shed(self):
        with self.lock:
            return [answer for code, answer in self.answers if code == 503 and answer["message"] == SHED_MESSAGE]

    def created(self):
        with self.lock:
            return sum(code == 201 for code, _ in self.answers)


def test_a_flood_of_clients_that_give_up_is_shed_health_answers_throughout_and_the_service_recovers_at_once(
        database_uri, make_reseller, tmp_path):
    make_reseller()
    # A sign-up's argon2 hash costs some 100 ms of CPU here: 40 clients are several times what 2 workers serve.
    settings = {"MONGODB_URI": database_uri, "WEB_CONCURRENCY": 2, "TRUSTED_PROXIES": 1, "HEALTH_PORT": free_port(),
                "STALE_REQUEST_MS": 500, "ARGON2_TIME_COST": 8, "LOG_FORMAT": "json"}
    with Gunicorn(**settings) as service, Nginx(tmp_path, service.port, service.health_port) as proxy:
        checks = []
        checking = threading.Event()

        def check_health():
            while not checking.is_set():
                try:
                    checks.append(health(proxy.port))
                except OSError as failure:
                    checks.append(failure)
                checking.wait(0.25)

        checker = threading.Thread(target=check_health)
        with Flood(proxy.port) as flood:
            checker.start()
            eventually(lambda: flood.shed() and len(checks) >= 8, 120, "no stale request was shed under the flood")
        checking.set()
        checker.join(timeout=60)

        # The moment the load stops: healthy, and a new request is served.
        code, answered = health(proxy.port)
        assert (code, answered["status"], answered["database"]) == (200, 0, "up")
        params = {**RESELLER, "customer": "after", "username": "after", "password": "p", "applyFreeCredits": "false"}
        assert post(proxy.port, SIGN_UP, params, timeout=30)[0] == 201
        scrape = call(service.url("/metrics"))[1]

    assert [check for check in checks if not isinstance(check, tuple)] == [], "health did not answer"
    assert {(code, answer["status"]) for code, answer in checks} <= {(200, 0), (503, 98)}
    assert flood.created() > 0
    shed = flood.shed()[0]
    assert set(shed) == {"status", "message", "requestId"} and shed["status"] == 98
    assert shed_count(scrape) > 0


def shed_count(scrape):
    line = next(line for line in scrape.splitlines() if line.startswith("provisioning_shed_total "))
    return float(line.split()[1])


def test_a_request_whose_client_has_gone_is_stopped_before_its_argon2_work(database_uri, make_reseller, db):
    make_reseller()
    # One worker, each new password's hash taking seconds, every reseller password verified in full.
    slow = {"WEB_CONCURRENCY": 1, "ARGON2_TIME_COST": 300, "ARGON2_MEMORY_KIB": 19456, "VERIFY_CACHE_SECONDS": 0}
    with Gunicorn(MONGODB_URI=database_uri, LOG_FORMAT="json", **slow) as service:
        first = {}
        params = {**RESELLER, "customer": "first", "username": "first", "password": "p", "applyFreeCredits": "false"}
        busy = threading.Thread(target=lambda: first.update(answer=post(service.port, SIGN_UP, params, timeout=120)))
        busy.start()
        # The worker has the first request once it has authenticated the reseller (and noted the client it came
        # from); hashing the new user's password then takes seconds.
        eventually(lambda: db.reseller_known_clients.count_documents({}) >= 1, 60,
                   "the worker did not take the first request")
        # Meanwhile a second request waits in the listen queue, and its client gives up: it closes the connection.
        request_id = uuid.uuid4().hex
        body = b"resellerName=acme&resellerPassword=acme+secret&name=abandoned"
        with socket.create_connection(("127.0.0.1", service.port), timeout=30) as sock:
            sock.sendall(b"POST /services/rest/customer/create HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: application/x-www-form-urlencoded\r\n"
                         + f"X-Request-ID: {request_id}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        busy.join(timeout=120)
        assert first["answer"][0] == 201
        eventually(lambda: request_id in service.output_so_far(), 60, "the abandoned request was not logged")
        scrape = call(service.url("/metrics"))[1]

    [gone] = [json.loads(line) for line in service.output.splitlines()
              if request_id in line and "client gone before the work" in line]
    assert gone["path"] == "/services/rest/customer/create"
    assert db.customers.count_documents({"name": "abandoned"}) == 0
    assert "provisioning_clients_gone_total 1.0" in scrape
