"""nginx as deploy/nginx configures it, in front of gunicorn's sync workers: Debian's nginx, real sockets."""
import contextlib
import http.client
import json
import os
import re
import socket
import subprocess
import time
import urllib.request
import uuid

import pytest

import config
from scripts.embedded_db import answers, free_port
from tests.support.servers import ROOT, Gunicorn, eventually, raw_answer, tool

TEMPLATE = ROOT / "deploy" / "nginx" / "templates" / "default.conf.template"
HEALTH = "/services/rest/health"
CREATE = "/services/rest/customer/create"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
LIMIT = int(config.VARIABLES["MAX_BODY_BYTES"][0])
NGINX_REQUEST_ID = re.compile("[0-9a-f]{32}")
SLOW_CLIENTS = 32
# Half the body it announces: enough for a server to start reading it, never enough to finish.
SLOW_REQUEST = (f"POST {CREATE} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                "Content-Length: 1000\r\n\r\nname=").encode() + b"x" * 495

# What the nginx image's own nginx.conf provides around the rendered site, with every path in the test's folder, and
# a status page of the test's own to see the requests nginx holds.
MAIN_CONFIG = """\
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log stderr warn;
{user}
events {{}}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/default.conf;
    server {{
        listen 127.0.0.1:{status_port};
        location / {{
            stub_status;
        }}
    }}
}}
"""


def nginx_binary():
    return tool("nginx", "apt-get install nginx")


def rendered(template, **values):
    """The template as the nginx image renders it: each ${NAME} given a value replaced by it, the rest left alone."""
    return re.sub(r"\$\{(\w+)\}", lambda match: values.get(match.group(1), match.group(0)), template)


class Nginx:
    """nginx in the foreground with the shipped site on a port of its own, passing to upstream_port on loopback;
    everything it writes stays in folder."""

    def __init__(self, folder, upstream_port):
        self.folder = folder
        self.upstream_port = upstream_port
        self.port = free_port()
        self.status_port = free_port()

    def __enter__(self):
        binary = nginx_binary()
        # The resolver is never asked: UPSTREAM is an address.
        site = rendered(TEMPLATE.read_text(), LISTEN=f"127.0.0.1:{self.port}",
                        UPSTREAM=f"127.0.0.1:{self.upstream_port}", NGINX_LOCAL_RESOLVERS="127.0.0.1")
        (self.folder / "default.conf").write_text(site)
        # Workers of a master started by root become nobody, who may not enter pytest's folders.
        user = "user root;" if os.geteuid() == 0 else ""
        (self.folder / "nginx.conf").write_text(
            MAIN_CONFIG.format(folder=self.folder, user=user, status_port=self.status_port))
        self.log_path = self.folder / "nginx.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [binary, "-p", f"{self.folder}/", "-c", str(self.folder / "nginx.conf"), "-e", "stderr"],
                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while not (answers("127.0.0.1", self.port) and answers("127.0.0.1", self.status_port)):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                self.process.wait()
                pytest.fail(f"nginx did not start: {self.log()}")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)

    def log(self):
        return self.log_path.read_text()

    def writing(self):
        """The requests nginx has read the head of and not answered yet, its status page's own included."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.status_port}/", timeout=10) as response:
            return int(re.search(rb"Writing: (\d+)", response.read()).group(1))


@pytest.fixture(scope="module")
def service(database_uri):
    with Gunicorn(MONGODB_URI=database_uri, TRUSTED_PROXIES=1, WEB_CONCURRENCY=4, LOG_FORMAT="json") as server:
        yield server


@pytest.fixture(scope="module")
def proxy(service, tmp_path_factory):
    with Nginx(tmp_path_factory.mktemp("nginx"), service.port) as nginx:
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
