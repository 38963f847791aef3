"""Idempotency-Key: a retry gets the first answer again and creates nothing."""
import threading
from datetime import timedelta

import pytest

from tests.conftest import RESELLER, app_for, fail_next_insert

CUSTOMER_CREATE = "/services/rest/customer/create"
CUSTOMER_USER_CREATE = "/services/rest/customer-user/create"


def post(client, path=CUSTOMER_CREATE, key="key-1", **params):
    body = {**RESELLER, "name": "shop", **params}
    return client.post(path, data=body, headers={"Idempotency-Key": key} if key else {})


def test_a_retry_gets_the_first_answer_marked_as_a_replay_and_creates_nothing(client, reseller, db):
    first = post(client)
    again = post(client)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_data() == first.get_data()
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert db.customers.count_documents({}) == 1
    assert db.audit_events.count_documents({"action": "customer.create"}) == 1


def test_a_first_answer_that_was_an_error_is_replayed_too(client, reseller, customer_of):
    customer_of("shop")
    first = post(client)
    again = post(client)
    assert (first.status_code, first.json["status"]) == (409, 3)
    assert (again.status_code, again.get_data(), again.headers["Idempotent-Replayed"]) == (409, first.get_data(), "true")


def test_customer_user_create_replays_both_ids(client, reseller, db):
    params = {"customer": "c", "username": "c", "password": "p", "applyFreeCredits": "true"}
    first = post(client, CUSTOMER_USER_CREATE, **params)
    again = post(client, CUSTOMER_USER_CREATE, **params)
    assert again.json == first.json and first.status_code == 201
    assert db.users.count_documents({}) == db.credit_transactions.count_documents({}) == 1


def test_the_same_key_with_other_parameters_is_422_status_7(client, reseller, db):
    post(client)
    response = post(client, name="other")
    assert (response.status_code, response.json["status"]) == (422, 7)
    assert db.customers.count_documents({}) == 1


def test_the_same_key_on_another_endpoint_is_422_status_7(client, reseller):
    post(client)
    response = post(client, CUSTOMER_USER_CREATE, customer="shop2", username="u", password="p", applyFreeCredits="false")
    assert (response.status_code, response.json["status"]) == (422, 7)


def test_the_same_key_while_the_first_request_runs_is_409_status_8(app, reseller, monkeypatch):
    repository = app.extensions["provisioning"]["repository"]
    inside, release = threading.Event(), threading.Event()
    insert_customer = repository.insert_customer

    def slow_insert(*args, **kwargs):
        inside.set()
        release.wait(10)
        return insert_customer(*args, **kwargs)

    monkeypatch.setattr(repository, "insert_customer", slow_insert)
    first = {}
    runner = threading.Thread(target=lambda: first.update(response=post(app.test_client())))
    runner.start()
    assert inside.wait(10)
    during = post(app.test_client())
    release.set()
    runner.join(10)
    assert (during.status_code, during.json["status"]) == (409, 8)
    assert first["response"].status_code == 201
    assert post(app.test_client()).headers["Idempotent-Replayed"] == "true"


def test_keys_are_scoped_to_the_reseller(client, reseller, make_reseller, db):
    make_reseller("other", "other secret")
    post(client)
    response = post(client, resellerName="other", resellerPassword="other secret", name="theirs")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
    assert db.customers.count_documents({}) == 2


@pytest.mark.parametrize("key", ["k" * 256, "with space", "t\u00e9st"])
def test_an_unusable_key_is_status_1_with_the_other_bad_parameters(client, reseller, key):
    response = client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "bad name"},
                           headers={"Idempotency-Key": key.encode().decode("latin-1")})
    assert (response.status_code, response.json["status"]) == (400, 1)
    assert set(response.json["errors"]) == {"name", "Idempotency-Key"}


def test_a_key_of_255_characters_is_fine(client, reseller):
    assert post(client, key="k" * 255).status_code == 201


@pytest.mark.parametrize("params", [{"name": "bad name"}, {"resellerPassword": "wrong"}])
def test_requests_failing_validation_or_authentication_store_nothing(client, reseller, db, params):
    post(client, **params)
    assert db.idempotency_keys.count_documents({}) == 0


def test_the_stored_fingerprint_is_an_hmac_under_the_configured_secret(database_uri, client, reseller, db):
    post(client)
    stored = db.idempotency_keys.find_one()
    assert RESELLER["resellerPassword"] not in str(stored)
    other_secret = app_for(database_uri, IDEMPOTENCY_SECRET="another-secret-of-thirty-two-characters").test_client()
    response = post(other_secret)
    assert (response.status_code, response.json["status"]) == (422, 7)


def test_keys_are_kept_a_day_by_a_ttl_index(client, reseller, db):
    post(client)
    ttl = [index for index in db.idempotency_keys.index_information().values() if "expireAfterSeconds" in index]
    assert [(index["key"], index["expireAfterSeconds"]) for index in ttl] == [([("createdAt", 1)], 86400)]


def test_a_database_failure_releases_the_key_so_that_the_retry_creates(client, reseller, db):
    fail_next_insert(db, "customers", closeConnection=True)
    assert post(client).status_code == 503
    retry = post(client)
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry.headers
    assert db.customers.count_documents({}) == 1


def test_the_answer_is_recorded_in_the_same_transaction_as_the_create(client, reseller, db):
    db.client.admin.command("configureFailPoint", "failCommand", mode={"times": 1}, data={
        "failCommands": ["update"], "namespace": f"{db.name}.idempotency_keys", "errorCode": 2})
    assert post(client).status_code == 500
    assert db.customers.count_documents({}) == 0
    assert post(client).status_code == 201


def test_a_claim_whose_request_died_is_taken_over_once_its_lease_runs_out(app, client, reseller, db, monkeypatch):
    repository = app.extensions["provisioning"]["repository"]
    monkeypatch.setattr(repository, "release_claim", lambda claim_id: None)
    monkeypatch.setattr(repository, "insert_customer", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("worker died")))
    assert post(client).status_code == 500
    monkeypatch.undo()
    assert post(client).json["status"] == 8
    clock = app.extensions["provisioning"]["clock"]
    monkeypatch.setitem(app.extensions["provisioning"], "clock", lambda: clock() + timedelta(seconds=61))
    assert post(client).status_code == 201
    assert db.customers.count_documents({}) == 1


def test_a_retry_after_the_reseller_changed_its_password_is_still_a_replay(client, runner, reseller):
    first = post(client)
    runner.invoke(args=["reseller", "set-password", "acme"], env={"RESELLER_PASSWORD": "new secret"})
    again = post(client, resellerPassword="new secret")
    assert (again.status_code, again.get_data(), again.headers["Idempotent-Replayed"]) == (201, first.get_data(), "true")
