"""Every error, routing and server ones included, answers the contract's JSON shape."""
import time

import pytest

from app.adapters.authentications import MongoAuthentications
from scripts.embedded_db import EmbeddedDatabase, free_port
from tests.support.apps import RESELLER, app_for, create_reseller, provisioning
from tests.support.database import upgrade, with_database
from tests.support.servers import eventually

ENDPOINTS = ["/services/rest/customer/create", "/services/rest/user/create", "/services/rest/customer-user/create"]


@pytest.mark.parametrize("path", ["/nothing-here", "/services/rest/customer/delete", "/services/rest/customer/create/"])
def test_an_unknown_path_is_404_status_1(client, path):
    response = client.post(path)
    assert (response.status_code, response.json["status"]) == (404, 1)
    assert response.json["message"]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_a_wrong_method_is_405_status_1_with_allow(client, method):
    response = client.open(ENDPOINTS[0], method=method)
    assert (response.status_code, response.json["status"]) == (405, 1)
    assert response.headers["Allow"] == "POST"


def test_an_internal_error_is_500_status_99_without_internals(client, reseller, app, monkeypatch, caplog):
    def broken(authentications, name):
        raise RuntimeError("internal detail /srv/secret")

    monkeypatch.setattr(MongoAuthentications, "attempt_of", broken)
    response = client.post(ENDPOINTS[0], data={**RESELLER, "name": "shop"})
    assert (response.status_code, response.json["status"], response.json["message"]) == (500, 99, "internal error")
    assert set(response.json) == {"status", "message", "requestId"}
    assert "RuntimeError" in caplog.text
    assert RESELLER["resellerPassword"] not in caplog.text


@pytest.fixture(scope="module")
def unreachable_port():
    return free_port()


@pytest.fixture(scope="module")
def app_without_database(unreachable_port):
    return app_for(with_database(f"mongodb://127.0.0.1:{unreachable_port}/?retryWrites=false", "provisioning"),
                   MONGODB_TIMEOUT_MS=500)


@pytest.mark.parametrize("path", ENDPOINTS)
def test_with_the_database_down_every_endpoint_is_503_status_98_within_the_timeout(app_without_database, path):
    params = {**RESELLER, "name": "s", "customer": "s", "username": "u", "password": "p", "applyFreeCredits": "true",
              "customerId": "5a4e96a030046095c7ef280f", "email": "a@b.com", "phoneNumber": "1"}
    started = time.monotonic()
    response = app_without_database.test_client().post(path, data=params)
    assert (response.status_code, response.json["status"]) == (503, 98)
    assert int(response.headers["Retry-After"]) > 0
    assert time.monotonic() - started < 10


def test_with_the_database_down_health_is_503_status_98(app_without_database):
    response = app_without_database.test_client().get("/services/rest/health")
    assert (response.status_code, response.json["status"]) == (503, 98)


def test_with_the_database_down_an_invalid_request_is_still_status_1(app_without_database):
    response = app_without_database.test_client().post(ENDPOINTS[0], data={"name": "a b"})
    assert (response.status_code, response.json["status"]) == (400, 1)


def test_the_service_recovers_by_itself_when_the_database_comes_back(app_without_database, unreachable_port):
    client = app_without_database.test_client()
    assert client.get("/services/rest/health").status_code == 503
    server = EmbeddedDatabase(port=unreachable_port).start()
    try:
        upgrade(provisioning(app_without_database).database)
        eventually(lambda: client.get("/services/rest/health").status_code == 200, 10, "health did not come back")
        create_reseller(app_without_database)
        assert client.post(ENDPOINTS[0], data={**RESELLER, "name": "shop"}).status_code == 201
    finally:
        server.stop()


def test_health_answers_status_0_when_the_database_answers(client):
    response = client.get("/services/rest/health")
    assert (response.status_code, response.json["status"]) == (200, 0)
