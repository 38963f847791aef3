"""nginx as deploy/nginx configures it, in front of gunicorn's sync workers: Debian's nginx, real sockets."""
import contextlib
import http.client
import json
import re
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

import config
from scripts.embedded_db import free_port
from tests.support.servers import Gunicorn, Nginx, eventually, raw_answer, template_defaults

HEALTH = "/services/rest/health"
CREATE = "/services/rest/customer/create"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
LIMIT = int(config.VARIABLES["MAX_BODY_BYTES"][0])
NGINX_REQUEST_ID = re.compile("[0-9a-f]{32}")
SLOW_CLIENTS = 32
# Half the body it announces: enough for a server to start reading it, never enough to finish.
SLOW_REQUEST = (f"POST {CREATE} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                "Content-Length: 1000\r\n\r\nname=").encode() + b"x" * 495

# The headers every answer nginx gives itself carries, as the service's own JSON answers do.
OWN_ANSWER_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


@pytest.fixture(scope="module")
def service(database_uri):
    with Gunicorn(MONGODB_URI=database_uri, TRUSTED_PROXIES=1, WEB_CONCURRENCY=4, LOG_FORMAT="json",
                  HEALTH_PORT=free_port()) as server:
        yield server


@pytest.fixture(scope="module")
def proxy(service, tmp_path_factory):
    with Nginx(tmp_path_factory.mktemp("nginx"), service.port, service.health_port) as nginx:
        assert request(nginx.port, "GET", HEALTH)[0] == 200, nginx.log()
        yield nginx


def request(port, method, path, body=None, headers=None, source="127.0.0.1"):
    """Send one request from the source address; return its HTTP code, headers and JSON answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, json.loads(response.read())
    finally:
        connection.close()


@contextlib.contextmanager
def slow_clients(port, count):
    """Hold count connections open that have sent half of the body they announced."""
    with contextlib.ExitStack() as stack:
        for _ in range(count):
            stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=10)).sendall(SLOW_REQUEST)
        yield


def test_without_nginx_four_slow_clients_stop_health_answering_within_a_second(service):
    with slow_clients(service.port, 4):
        connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=1)
        try:
            connection.request("GET", HEALTH)
            with pytest.raises(TimeoutError):
                connection.getresponse()
        finally:
            connection.close()


def test_32_slow_clients_do_not_stop_health_answering_within_a_second(proxy):
    with slow_clients(proxy.port, SLOW_CLIENTS):
        eventually(lambda: proxy.writing() >= SLOW_CLIENTS + 1, 30, "nginx did not take the slow clients' requests")
        started = time.monotonic()
        code, _, answer = request(proxy.port, "GET", HEALTH)
        took = time.monotonic() - started
    assert (code, answer["status"]) == (200, 0)
    assert took < 1, f"health answered after {took:.2f} s"


@pytest.mark.parametrize("announced", [True, False], ids=["content-length", "chunked"])
def test_nginx_refuses_a_body_over_the_service_limit_with_413_in_the_contract_shape(proxy, announced):
    body = b"name=" + b"x" * (LIMIT - 4)
    code, headers, answer = request(proxy.port, "POST", CREATE, body if announced else iter([body]), FORM)
    assert code == 413 and headers["Content-Type"] == "application/json"
    assert answer == {"status": 1, "message": f"the request body is larger than {LIMIT} bytes", "errors": {},
                      "requestId": headers["X-Request-ID"]}
    assert {name: headers[name] for name in OWN_ANSWER_HEADERS} == OWN_ANSWER_HEADERS
    assert NGINX_REQUEST_ID.fullmatch(answer["requestId"])


def test_a_request_id_sent_by_the_client_never_reaches_nginx_own_answers(proxy):
    code, headers, answer = request(proxy.port, "POST", CREATE, b"name=" + b"x" * LIMIT,
                                    {**FORM, "X-Request-ID": 'a","status":0,"x":"'})
    assert (code, answer["status"]) == (413, 1) and NGINX_REQUEST_ID.fullmatch(answer["requestId"])
    assert headers.get_all("X-Request-ID") == [answer["requestId"]]


def test_a_body_of_exactly_the_service_limit_passes_nginx_to_the_service(proxy):
    code, _, answer = request(proxy.port, "POST", CREATE, b"name=" + b"x" * (LIMIT - 5), FORM)
    assert code == 400 and answer["status"] == 1 and "requestId" in answer, answer


@pytest.mark.parametrize("forged", [None, "203.0.113.7"])
def test_the_service_sees_the_address_the_client_connected_from(service, proxy, forged):
    request_id = uuid.uuid4().hex
    headers = {"X-Request-ID": request_id, **({"X-Forwarded-For": forged} if forged else {})}
    # nginx reaches the service from 127.0.0.1: a client elsewhere on loopback tells the two apart.
    assert request(proxy.port, "GET", HEALTH, headers=headers, source="127.0.0.2")[0] == 200
    logged = [json.loads(line) for line in service.output_so_far().splitlines() if request_id in line]
    assert [line["client"] for line in logged if line["logger"] == "app.access"] == ["127.0.0.2"]


@pytest.mark.parametrize("raw, code", [
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX-A: " + b"b" * 9000 + b"\r\n\r\n", 431),
    (b"GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400),
    (b"GET /errors/uri-too-long HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404),
], ids=["uri too long", "header too large", "malformed request line", "nginx's internal error location"])
def test_what_nginx_cannot_read_is_answered_in_the_contract_shape(proxy, raw, code):
    lines, body = raw_answer(proxy.port, raw)
    assert lines[0].startswith(f"HTTP/1.1 {code} ") and "Content-Type: application/json" in lines
    assert {f"{name}: {value}" for name, value in OWN_ANSWER_HEADERS.items()} <= set(lines)
    answer = json.loads(body)
    assert answer["status"] == 1 and f"X-Request-ID: {answer['requestId']}" in lines


def test_nginx_does_not_tell_its_version(proxy):
    assert request(proxy.port, "GET", HEALTH)[1]["Server"] == "nginx"


def test_with_the_service_down_nginx_answers_503_status_98_with_retry_after(tmp_path):
    with Nginx(tmp_path, upstream_port=free_port()) as proxy:
        code, headers, answer = request(proxy.port, "GET", HEALTH)
    assert code == 503 and headers["Content-Type"] == "application/json"
    assert answer == {"status": 98, "message": "service unavailable, try again later", "requestId": headers["X-Request-ID"]}
    assert int(headers["Retry-After"]) > 0
    assert {name: headers[name] for name in OWN_ANSWER_HEADERS} == OWN_ANSWER_HEADERS


@pytest.mark.parametrize("method, path, body, cache", [
    ("POST", CREATE, b"name=x", ["no-store"]), ("GET", HEALTH, None, ["no-store"]),
    ("GET", "/services/rest/openapi.json", None, None),
], ids=["error", "health", "document"])
def test_the_services_own_answers_pass_with_their_headers_once(proxy, method, path, body, cache):
    _, headers, _ = request(proxy.port, method, path, body, FORM if body else None)
    assert headers.get_all("X-Content-Type-Options") == ["nosniff"]
    assert headers.get_all("Cache-Control") == cache


OUTSIDE_THE_API = ["/metrics", "/", "/favicon.ico", "/services/rest", "/services/restful/metrics",
                   "/services/rest/../../metrics", "/services/rest/%2e%2e/%2e%2e/metrics", "/errors/malformed"]


@pytest.mark.parametrize("path", OUTSIDE_THE_API)
def test_metrics_and_all_else_outside_the_api_are_404_from_nginx_itself(service, proxy, path):
    request_id = uuid.uuid4().hex
    code, headers, answer = request(proxy.port, "GET", path, headers={"X-Request-ID": request_id})
    assert (code, headers["Content-Type"]) == (404, "application/json")
    assert answer == {"status": 1, "message": "no such endpoint", "errors": {}, "requestId": headers["X-Request-ID"]}
    assert {name: headers[name] for name in OWN_ANSWER_HEADERS} == OWN_ANSWER_HEADERS
    # The service serves GET /metrics on this port (no METRICS_PORT here): nginx never passed the request on.
    assert call_service_metrics(service) == 200
    assert request_id not in service.output_so_far()


def call_service_metrics(service):
    connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=30)
    try:
        connection.request("GET", "/metrics")
        return connection.getresponse().status
    finally:
        connection.close()


def test_a_request_start_sent_by_a_client_is_replaced_by_nginx_own(proxy):
    """A client cannot have its request shed (or spared) by its own X-Request-Start: nginx sets the header."""
    code, _, answer = request(proxy.port, "POST", CREATE, b"resellerName=x&resellerPassword=y&name=z",
                              {**FORM, "X-Request-Start": "t=1000000000.000"})
    assert (code, answer["status"]) == (401, 2)


def test_a_burst_the_template_allows_from_one_address_passes_at_once(proxy):
    burst = int(template_defaults()["BURST_PER_ADDRESS"])
    with ThreadPoolExecutor(burst + 1) as pool:
        codes = list(pool.map(lambda _: request(proxy.port, "GET", "/services/rest/openapi.json",
                                                source="127.0.0.4")[0], range(burst + 1)))
    assert codes == [200] * (burst + 1)


# Lower than the template's defaults, so that however slowly this machine sends, one address's requests outrun them.
LOW_RATE = {"RATE_PER_ADDRESS": 5, "BURST_PER_ADDRESS": 10}
GUESSES = 150


@pytest.fixture(scope="module")
def limited_proxy(service, tmp_path_factory):
    with Nginx(tmp_path_factory.mktemp("nginx-limited"), service.port, service.health_port, **LOW_RATE) as nginx:
        yield nginx


def test_one_address_guessing_at_many_names_is_held_to_its_rate_with_429_status_6(service, limited_proxy):
    marker = uuid.uuid4().hex[:12]

    def guess(number):
        body = f"resellerName=guess-{number}&resellerPassword=guess&name=x".encode()
        return request(limited_proxy.port, "POST", CREATE, body,
                       {**FORM, "X-Request-ID": f"{marker}-{number}"}, source="127.0.0.3")

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(guess, range(GUESSES)))
    refused = [(headers, answer) for code, headers, answer in answers if code == 429]
    passed = [answer for code, _, answer in answers if code != 429]
    assert len(refused) > GUESSES // 2, f"only {len(refused)} of {GUESSES} refused"
    for headers, answer in refused:
        assert answer == {"status": 6, "message": "too many requests from this address; try again later",
                          "requestId": headers["X-Request-ID"]}
        assert int(headers["Retry-After"]) >= 1
        assert {name: headers[name] for name in OWN_ANSWER_HEADERS} == OWN_ANSWER_HEADERS
    assert all(answer["status"] == 2 for answer in passed)
    # The service saw the ones that passed, and only those.
    eventually(lambda: service.output_so_far().count(f'"requestId": "{marker}-') == len(passed), 30,
               "the service did not log the requests that passed")


def test_health_is_never_rate_limited(limited_proxy):
    codes = []
    lock = threading.Lock()

    def check(_):
        code = request(limited_proxy.port, "GET", HEALTH, source="127.0.0.5")[0]
        with lock:
            codes.append(code)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(check, range(100)))
    assert codes == [200] * 100
