"""Every write path with the driver's retryable writes on, as production URIs keep them (the suite's default turns
them off because SecantusDB slows down under them)."""
import re

import pytest

from tests.support.apps import RESELLER, Operator, app_for

BASE = "/services/rest/"


@pytest.fixture
def retrying(database_uri, db):
    uri = re.sub(r"retryWrites=\w+", "retryWrites=true", database_uri)
    app = app_for(uri if "retryWrites=" in uri else f"{uri}{'&' if '?' in uri else '?'}retryWrites=true",
                  THROTTLE_FAILURES=2)
    assert app.extensions["provisioning"].database.client.options.retry_writes
    return app


def test_every_write_path_works_with_retryable_writes(retrying, db):
    client, runner = retrying.test_client(), Operator(retrying)
    assert runner.invoke(args=["reseller", "create", "acme"], env={"RESELLER_PASSWORD": RESELLER["resellerPassword"]}).exit_code == 0

    def post(path, expected, headers=None, **params):
        response = client.post(BASE + path, data={**RESELLER, **params}, headers=headers or {})
        assert response.status_code == expected, (path, response.json)
        return response.json

    customer_id = post("customer/create", 201, {"Idempotency-Key": "k"}, name="shop")["id"]
    assert post("customer/create", 201, {"Idempotency-Key": "k"}, name="shop")["id"] == customer_id
    user_id = post("user/create", 201, username="u", password="p", customerId=customer_id, email="a@b.com",
                   phoneNumber="1")["id"]
    post("customer-user/create", 201, customer="c@acme", username="c@acme", password="p", applyFreeCredits="true")
    post("customer/update", 200, customerId=customer_id, moCharge="3")
    post("customer/suspend", 200, customerId=customer_id)
    post("user/update", 200, userId=user_id, password="new secret", contactName="John")
    post("user/suspend", 200, userId=user_id)
    for _ in range(2):
        client.post(BASE + "customer/create", data={**RESELLER, "resellerPassword": "wrong", "name": "x"},
                    environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert client.post(BASE + "customer/create", data={**RESELLER, "name": "x"},
                       environ_base={"REMOTE_ADDR": "192.0.2.9"}).status_code == 429
    assert runner.invoke(args=["reseller", "unlock", "acme"]).exit_code == 0
    assert runner.invoke(args=["reseller", "set-password", "acme"], env={"RESELLER_PASSWORD": "another secret"}).exit_code == 0
    assert (db.customers.count_documents({}), db.users.count_documents({}), db.credit_transactions.count_documents({})) == (2, 2, 1)
    assert db.customers.find_one({"name": "shop"})["active"] is False
