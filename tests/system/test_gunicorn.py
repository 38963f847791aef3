"""The service as gunicorn runs it (gunicorn.conf.py): metrics across workers, graceful shutdown, bad settings, what
gunicorn refuses itself, the index check at start."""
import json
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
from pymongo import MongoClient

from scripts.embedded_db import EmbeddedDatabase, free_port
from tests.support.apps import RESELLER
from tests.support.database import upgrade, with_database
from tests.support.servers import ROOT, Gunicorn, call, environment, eventually, raw_answer


def requests_counted(scrape, endpoint):
    line = next((line for line in scrape.splitlines()
                 if line.startswith("provisioning_requests_total{") and f'endpoint="{endpoint}"' in line), None)
    return float(line.rsplit(" ", 1)[1]) if line else 0.0


@pytest.mark.parametrize("separate_port", [False, True])
def test_metrics_sum_the_requests_of_every_worker(database_uri, separate_port):
    metrics_port = free_port() if separate_port else None
    settings = {"METRICS_PORT": metrics_port} if metrics_port else {}
    with Gunicorn(MONGODB_URI=database_uri, **settings) as server:
        for _ in range(20):
            assert call(server.url("/services/rest/health"))[0] == 200
        deadline = time.monotonic() + 10
        while True:
            code, scrape, _ = call(server.url("/metrics", metrics_port))
            if metrics_port and code != 200 and time.monotonic() < deadline:
                time.sleep(0.2)
                continue
            break
        assert code == 200
    assert requests_counted(scrape, "/services/rest/health") == 20


def test_sigterm_lets_a_request_in_flight_finish(database_uri, make_reseller, db):
    make_reseller()
    slow = {"ARGON2_TIME_COST": 100, "ARGON2_MEMORY_KIB": 19456, "VERIFY_CACHE_SECONDS": 0}
    with Gunicorn(MONGODB_URI=database_uri, **slow) as server:
        answer = {}
        params = {**RESELLER, "customer": "slow", "username": "slow", "password": "p", "applyFreeCredits": "false"}
        request = threading.Thread(target=lambda: answer.update(result=call(server.url("/services/rest/customer-user/create"), params)))
        request.start()
        # A worker has the request once it has authenticated the reseller (and noted the client it came from);
        # hashing the new user's password then takes seconds.
        while db.reseller_known_clients.find_one() is None:
            assert request.is_alive(), answer
            time.sleep(0.02)
        server.process.send_signal(signal.SIGTERM)
        request.join(timeout=60)
        assert server.process.wait(timeout=60) == 0
    assert answer["result"][0] == 201


def test_health_is_answered_by_the_master_on_its_port_while_every_worker_is_busy(database_uri, make_reseller, db):
    make_reseller()
    slow = {"WEB_CONCURRENCY": 1, "ARGON2_TIME_COST": 300, "ARGON2_MEMORY_KIB": 19456, "VERIFY_CACHE_SECONDS": 0}
    with Gunicorn(MONGODB_URI=database_uri, HEALTH_PORT=free_port(), LOG_FORMAT="json", **slow) as server:
        answer = {}
        params = {**RESELLER, "customer": "slow", "username": "slow", "password": "p", "applyFreeCredits": "false"}
        request = threading.Thread(target=lambda: answer.update(result=call(server.url("/services/rest/customer-user/create"), params)))
        request.start()
        # The only worker has the request once it has authenticated the reseller (and noted the client it came
        # from); hashing the new user's password then takes seconds.
        eventually(lambda: db.reseller_known_clients.count_documents({}) >= 1, 60, "the worker did not take the request")
        code, body, headers = call(server.url("/services/rest/health", server.health_port),
                                   headers={"X-Request-ID": "health-1"})
        busy = request.is_alive()
        refused = [call(server.url(path, server.health_port), data) for path, data in (("/nowhere", None),
                                                                                       ("/services/rest/health", {}))]
        request.join(timeout=120)
    assert busy, "the worker was not busy while health answered"
    answered = json.loads(body)
    assert (code, answered["status"], answered["database"]) == (200, 0, "up")
    assert (headers["X-Request-ID"], headers["X-Content-Type-Options"], headers["Cache-Control"]) == (
        "health-1", "nosniff", "no-store")
    assert [(code, json.loads(body)["status"]) for code, body, _ in refused] == [(404, 1), (405, 1)]
    [line] = [json.loads(line) for line in server.output.splitlines() if '"health-1"' in line]
    assert (line["logger"], line["path"], line["httpStatus"], line["status"]) == (
        "app.access", "/services/rest/health", 200, 0)
    assert answer["result"][0] == 201


@pytest.mark.parametrize(
    "settings, variable",
    [
        ({"PORT": "eighty"}, "PORT"),
        ({"DEPLOYMENT": "production"}, "MONGODB_URI"),
        ({"DEPLOYMENT": "production", "MONGODB_URI": "mongodb://db/p", "ARGON2_MEMORY_KIB": "4096"}, "ARGON2_MEMORY_KIB"),
        ({"MONGODB_URI": "mongodb://"}, "MONGODB_URI"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
    ],
)
def test_a_bad_setting_stops_gunicorn_with_one_line_naming_it(settings, variable):
    env = environment(**{"PORT": free_port(), "MONGODB_URI": "", **settings})
    result = subprocess.run([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert len(lines) == 1 and variable in lines[0], lines


def test_with_the_database_down_every_endpoint_answers_503_in_time_and_recovers_without_a_restart(tmp_path):

    database = EmbeddedDatabase(storage_path=str(tmp_path / "db")).start()
    uri = with_database(database.uri, "faults")
    with MongoClient(uri) as client:
        upgrade(client.get_default_database())
    params = {**RESELLER, "name": "n", "customer": "c", "username": "u", "password": "p", "applyFreeCredits": "true",
              "customerId": "5a4e96a030046095c7ef280f", "email": "a@b.com", "phoneNumber": "1"}
    paths = ["/services/rest/customer/create", "/services/rest/user/create", "/services/rest/customer-user/create"]
    try:
        with Gunicorn(MONGODB_URI=uri, MONGODB_TIMEOUT_MS=1000, HEALTH_PORT=free_port()) as server:
            master_health = server.url("/services/rest/health", server.health_port)
            assert call(server.url("/services/rest/health"))[0] == 200
            assert call(master_health)[0] == 200
            database.crash()
            for url in [*map(server.url, paths), server.url("/services/rest/health"), master_health]:
                started = time.monotonic()
                code, body, headers = call(url, None if url.endswith("health") else params)
                assert (code, json.loads(body)["status"]) == (503, 98), url
                assert int(headers["Retry-After"]) > 0
                assert time.monotonic() - started < 5, "answered later than the configured timeout allows"
            database.start()
            # Each worker's client finds the server again on its own schedule: wait until answers from any worker
            # are normal again, a few in a row, within a bound.
            eventually(lambda: all(call(server.url(paths[0]), params)[0] == 401 for _ in range(8)), 30,
                       "the service did not recover by itself")
            assert call(server.url("/services/rest/health"))[0] == 200
            eventually(lambda: call(master_health)[0] == 200, 30, "the master's health did not recover")
        assert "Traceback" not in server.output
    finally:
        database.stop()


def test_a_malformed_chunked_body_is_status_1(database_uri):
    with Gunicorn(MONGODB_URI=database_uri) as server, socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(b"POST /services/rest/customer/create HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    head, body = answer.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 400")
    assert json.loads(body)["status"] == 1



@pytest.mark.parametrize("threads", ["1", "2"], ids=["sync", "gthread"])
def test_what_gunicorn_refuses_before_the_app_is_answered_in_the_contracts_json(database_uri, threads):
    requests = {
        414: b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        431: b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 101 + b"\r\n",
        400: b"GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n",
        501: b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: foo, chunked\r\n\r\n0\r\n\r\n",
    }
    reasons = {414: "URI Too Long", 431: "Request Header Fields Too Large", 400: "Bad Request", 501: "Not Implemented"}
    with Gunicorn(MONGODB_URI=database_uri, THREADS=threads) as server:
        for code, request in requests.items():
            head, body = raw_answer(server.port, request)
            assert head[0] == f"HTTP/1.1 {code} {reasons[code]}", head
            assert "Content-Type: application/json" in head
            assert {"X-Content-Type-Options: nosniff", "Cache-Control: no-store"} <= set(head)
            answer = json.loads(body)
            assert (answer["status"], answer["errors"]) == (1, {}) and answer["message"].startswith("the request")
            assert f"X-Request-ID: {answer['requestId']}" in head
            logged = answer["requestId"]
            eventually(lambda logged=logged: logged in server.output_so_far(), 10, "the refusal was not logged")


def test_index_drift_found_at_start_is_logged_and_the_service_still_starts(spare_database):
    uri = spare_database()
    with MongoClient(uri) as client:
        client.get_default_database().command("collMod", "auth_failures",
                                              index={"keyPattern": {"expiresAt": 1}, "expireAfterSeconds": 60})
    with Gunicorn(MONGODB_URI=uri) as server:
        assert call(server.url("/services/rest/health"))[0] == 200
        eventually(lambda: "database drift" in server.output_so_far(), 30, "the drift was not logged")
    [line] = [line for line in server.output.splitlines() if "database drift" in line]
    assert "auth_failures" in line and "expireAfterSeconds" in line and "db upgrade" in line


def test_the_masters_health_answers_503_while_a_unique_index_is_missing(spare_database):
    uri = spare_database()
    with Gunicorn(MONGODB_URI=uri, HEALTH_PORT=free_port(), LOG_FORMAT="json") as server:
        health = server.url("/services/rest/health", server.health_port)
        assert call(health)[0] == 200
        with MongoClient(uri) as admin:
            database = admin.get_default_database()
            database.customers.drop_index("nameKey_1")
            eventually(lambda: call(health)[0] == 503, 15, "the master's health did not notice")
            _, body, _ = call(health)
            assert json.loads(body)["status"] == 98 and "unique index" in json.loads(body)["message"]
            upgrade(database)
        eventually(lambda: call(health)[0] == 200, 15, "the master's health did not come back")
        eventually(lambda: "customers.nameKey_1" in server.output_so_far(), 10, "the missing index was not logged")
