"""Work nobody waits for, through the app: stale requests answered at once, and argon2 work stopped when the caller
has closed its connection (gunicorn hands the app the socket; here the test does)."""
import logging
import socket
import time

import pytest
from prometheus_client import REGISTRY

from app.web.overload import SHED_MESSAGE
from tests.support.apps import RESELLER, app_for

CREATE = "/services/rest/customer/create"
SHED = {"status": 98, "message": SHED_MESSAGE}


def sample(name):
    return REGISTRY.get_sample_value(name) or 0.0


@pytest.fixture(scope="module")
def proxied(database_uri):
    """The app as behind nginx: one trusted proxy, and the default STALE_REQUEST_MS (2000)."""
    return app_for(database_uri, TRUSTED_PROXIES=1)


def started(seconds_ago):
    return {"X-Request-Start": f"t={time.time() - seconds_ago:.3f}"}


def test_a_request_that_waited_too_long_is_answered_503_status_98_at_once(proxied, db, caplog):
    caplog.set_level(logging.INFO)
    shed_before, database_before = sample("provisioning_shed_total"), sample("provisioning_database_errors_total")
    # A body that would be refused (status 1) and no reseller: nothing of the request is looked at.
    response = proxied.test_client().post(CREATE, data={"name": "a b"}, headers=started(2.5))
    assert response.status_code == 503
    assert {key: response.json[key] for key in SHED} == SHED
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["Cache-Control"] == "no-store"
    assert sample("provisioning_shed_total") == shed_before + 1
    assert sample("provisioning_database_errors_total") == database_before, "not counted as the database's"
    [line] = [record for record in caplog.records if record.name == "app.access"]
    assert (line.httpStatus, line.status) == (503, 98)


@pytest.mark.parametrize("headers", [
    lambda: {}, lambda: started(1), lambda: started(-3), lambda: {"X-Request-Start": "t=abc"},
    lambda: {"X-Request-Start": f"{time.time() - 60:.3f}"},
], ids=["no header", "within the limit", "in the future", "malformed", "without t="])
def test_a_request_that_did_not_wait_too_long_is_served(proxied, reseller, headers):
    response = proxied.test_client().post(CREATE, data={**RESELLER, "name": "shop"}, headers=headers())
    assert (response.status_code, response.json["status"]) == (201, 0)


@pytest.mark.parametrize("settings", [{"TRUSTED_PROXIES": 0}, {"TRUSTED_PROXIES": 1, "STALE_REQUEST_MS": 0}],
                         ids=["no proxy trusted", "shedding off"])
def test_the_header_is_ignored_without_a_trusted_proxy_or_with_shedding_off(database_uri, reseller, settings):
    response = app_for(database_uri, **settings).test_client().post(CREATE, data={**RESELLER, "name": "shop"},
                                                                   headers=started(3600))
    assert (response.status_code, response.json["status"]) == (201, 0)


@pytest.fixture
def uncached(database_uri):
    """An app that verifies every reseller password in full."""
    return app_for(database_uri, VERIFY_CACHE_SECONDS=0)


def test_a_request_whose_caller_has_gone_is_stopped_before_the_password_check(uncached, reseller, db, caplog):
    caplog.set_level(logging.INFO)
    gone_before = sample("provisioning_clients_gone_total")
    database_before = sample("provisioning_database_errors_total")
    mine, peer = socket.socketpair()
    peer.close()
    with mine:
        response = uncached.test_client().post(CREATE, data={**RESELLER, "name": "shop"},
                                               environ_base={"gunicorn.socket": mine})
    assert (response.status_code, response.json["status"]) == (503, 98)
    assert db.customers.count_documents({}) == 0
    assert sample("provisioning_clients_gone_total") == gone_before + 1
    assert sample("provisioning_database_errors_total") == database_before
    [event] = [record for record in caplog.records if record.getMessage() == "client gone before the work"]
    assert event.requestId == response.json["requestId"] and event.path == CREATE


def test_a_request_whose_caller_has_gone_is_stopped_before_hashing_a_new_password(app, reseller, customer_of, db):
    customer_id = customer_of()
    client = app.test_client()
    # The reseller's password is verified (and remembered) on an open connection first.
    assert client.post("/services/rest/customer/get", data={**RESELLER, "customerId": customer_id}).status_code == 200
    mine, peer = socket.socketpair()
    peer.close()
    with mine:
        response = client.post("/services/rest/user/create", environ_base={"gunicorn.socket": mine}, data={
            **RESELLER, "username": "u", "password": "p", "customerId": customer_id, "email": "a@b.com",
            "phoneNumber": "1"})
    assert (response.status_code, response.json["status"]) == (503, 98)
    assert db.users.count_documents({}) == 0


def test_a_request_whose_caller_is_still_there_is_served(uncached, reseller):
    mine, peer = socket.socketpair()
    with mine, peer:
        response = uncached.test_client().post(CREATE, data={**RESELLER, "name": "shop"},
                                               environ_base={"gunicorn.socket": mine})
        # The next request on this thread has no socket: its check is gone with the request before.
        assert uncached.test_client().post(CREATE, data={**RESELLER, "name": "shop2"}).status_code == 201
    assert (response.status_code, response.json["status"]) == (201, 0)
