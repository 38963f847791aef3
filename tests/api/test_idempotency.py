"""Idempotency-Key: a retry gets the first answer again and creates nothing; the key lives with what it created."""
import hashlib
import hmac
import json
import threading
import time

import pytest

from app.adapters.customers import MongoCustomers
from tests.support.apps import RESELLER, app_for, create_reseller
from tests.support.database import disarm, fail_command
from tests.support.servers import eventually

CUSTOMER_CREATE = "/services/rest/customer/create"
USER_CREATE = "/services/rest/user/create"
CUSTOMER_USER_CREATE = "/services/rest/customer-user/create"
PHONE_APP = {"customer": "c@acme", "username": "c@acme", "password": "p", "applyFreeCredits": "true"}


def post(client, path=CUSTOMER_CREATE, key="key-1", **params):
    body = {**RESELLER, **({"name": "shop"} if path == CUSTOMER_CREATE else {}), **params}
    return client.post(path, data=body, headers={"Idempotency-Key": key} if key else {})


def test_a_retry_gets_the_first_answer_marked_as_a_replay_and_creates_nothing(client, reseller, db):
    first = post(client)
    again = post(client)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_data() == first.get_data()
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert db.customers.count_documents({}) == 1


def test_the_key_and_a_fingerprint_are_stored_on_what_was_created_never_the_password(client, reseller, db):
    post(client)
    stored = db.customers.find_one()
    assert stored["idempotency"]["key"] == "key-1" and len(stored["idempotency"]["fingerprint"]) == 64
    assert RESELLER["resellerPassword"] not in str(stored)


def test_a_retry_of_a_refused_request_gets_the_same_answer_afresh(client, reseller, customer_of):
    customer_of("shop")
    first, again = post(client), post(client)
    assert (first.status_code, first.json["status"]) == (again.status_code, again.json["status"]) == (409, 3)
    assert "Idempotent-Replayed" not in again.headers


def test_customer_user_create_replays_both_ids_and_credits_once(client, reseller, db):
    first = post(client, CUSTOMER_USER_CREATE, **PHONE_APP)
    again = post(client, CUSTOMER_USER_CREATE, **PHONE_APP)
    assert again.json == first.json and first.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert db.customers.count_documents({}) == db.users.count_documents({}) == db.credit_transactions.count_documents({}) == 1


def test_user_create_replays_its_id(client, reseller, customer_of, db):
    params = {"username": "u", "password": "p", "customerId": customer_of(), "email": "a@b.com", "phoneNumber": "1"}
    first, again = post(client, USER_CREATE, **params), post(client, USER_CREATE, **params)
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert db.users.count_documents({}) == 1


def test_the_same_key_with_other_parameters_is_422_status_7(client, reseller, db):
    post(client)
    response = post(client, name="other")
    assert (response.status_code, response.json["status"]) == (422, 7)
    assert db.customers.count_documents({}) == 1


@pytest.mark.parametrize("path, params", [
    (CUSTOMER_CREATE, {}),
    (USER_CREATE, {"username": "u", "password": "p", "email": "a@b.com", "phoneNumber": "1"}),
    (CUSTOMER_USER_CREATE, PHONE_APP),
])
def test_a_dry_run_of_a_request_made_before_with_its_key_passes_as_the_replay_would(client, reseller, customer_of, path,
                                                                                   params):
    params = {**params, "customerId": customer_of()} if path == USER_CREATE else params
    assert post(client, path, **params).status_code == 201
    response = post(client, path, **params, dryRun="true")
    assert (response.status_code, response.json) == (200, {"status": 0, "dryRun": True})


@pytest.mark.parametrize("path, params, changed", [
    (CUSTOMER_CREATE, {}, {"name": "other"}),
    (USER_CREATE, {"username": "u", "password": "p", "email": "a@b.com", "phoneNumber": "1"}, {"username": "v"}),
    (CUSTOMER_USER_CREATE, PHONE_APP, {"applyFreeCredits": "false"}),
])
def test_a_dry_run_with_a_key_used_for_other_parameters_is_422_status_7(client, reseller, customer_of, path, params,
                                                                       changed):
    params = {**params, "customerId": customer_of()} if path == USER_CREATE else params
    assert post(client, path, **params).status_code == 201
    response = post(client, path, **{**params, **changed}, dryRun="true")
    assert (response.status_code, response.json["status"]) == (422, 7)


@pytest.mark.parametrize("first, then", [
    ((CUSTOMER_CREATE, {}), (CUSTOMER_USER_CREATE, {**PHONE_APP, "customer": "shop2"})),
    ((CUSTOMER_USER_CREATE, PHONE_APP), (CUSTOMER_CREATE, {"name": "shop3"})),
])
def test_the_same_key_on_another_endpoint_creating_the_same_kind_is_422_status_7(client, reseller, first, then):
    assert post(client, first[0], **first[1]).status_code == 201
    response = post(client, then[0], **then[1])
    assert (response.status_code, response.json["status"]) == (422, 7)


def test_a_second_request_while_the_first_still_writes_waits_for_it_and_gets_its_answer(app, reseller, db, commands):
    """In a transaction the first request's claim is not visible yet: the second's conflicts and is retried."""
    client = app.test_client()
    post(client, CUSTOMER_USER_CREATE, key="warm", **{**PHONE_APP, "customer": "w", "username": "w"})
    fail_command(db, "insert", "users", skip=2, blockConnection=True, blockTimeMS=1500)
    first = {}
    with commands.recorded():
        runner = threading.Thread(target=lambda: first.update(response=post(app.test_client(), CUSTOMER_USER_CREATE, **PHONE_APP)))
        runner.start()
        eventually(lambda: any(collection == "credit_transactions" for _, collection, _ in commands.started_commands),
                   30, "the first request never wrote its credit entry")
        second = post(app.test_client(), CUSTOMER_USER_CREATE, **PHONE_APP)
        runner.join(30)
    assert first["response"].status_code == 201
    assert (second.status_code, second.json) == (201, first["response"].json)
    assert db.users.count_documents({"username": "c@acme"}) == 1


@pytest.mark.parametrize("dry_run", [{}, {"dryRun": "true"}], ids=["create", "dry run"])
def test_without_transactions_a_second_request_while_the_first_still_writes_is_409_status_8(standalone_app, standalone,
                                                                                           dry_run):
    client, db = standalone
    post(client, CUSTOMER_USER_CREATE, key="warm", **{**PHONE_APP, "customer": "w", "username": "w"})
    fail_command(db, "insert", "users", skip=2, blockConnection=True, blockTimeMS=1500)
    first = {}
    runner = threading.Thread(target=lambda: first.update(response=post(standalone_app.test_client(), CUSTOMER_USER_CREATE, **PHONE_APP)))
    runner.start()
    eventually(lambda: db.customers.count_documents({"name": "c@acme"}) > 0, 30, "the first request never wrote its customer")
    during = post(client, CUSTOMER_USER_CREATE, **PHONE_APP, **dry_run)
    runner.join(30)
    assert (during.status_code, during.json["status"], during.headers["Retry-After"]) == (409, 8, "1")
    assert first["response"].status_code == 201
    assert post(client, CUSTOMER_USER_CREATE, **PHONE_APP).headers["Idempotent-Replayed"] == "true"


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
def test_requests_failing_validation_or_authentication_claim_no_key(client, reseller, db, params):
    post(client, **params)
    assert post(client, name="fresh").status_code == 201
    assert db.customers.count_documents({}) == 1


def test_the_fingerprint_is_an_hmac_under_the_configured_secret(database_uri, client, reseller):
    post(client)
    other_secret = app_for(database_uri, IDEMPOTENCY_SECRET="another-secret-of-thirty-two-characters").test_client()
    response = post(other_secret)
    assert (response.status_code, response.json["status"]) == (422, 7)


def test_a_database_failure_claims_nothing_so_that_the_retry_creates(client, reseller, db, commands):
    post(client, key="warm", name="warm")
    fail_command(db, "insert", "customers", closeConnection=True)
    with commands.recorded():
        assert post(client).status_code == 503
    assert [collection for _, collection, _ in commands.failed_commands] == ["customers"]
    retry = post(client)
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry.headers
    assert db.customers.count_documents({"name": "shop"}) == 1


def test_an_insert_answered_too_late_does_not_lock_its_key(spare_database, inspector):
    """The insert is the claim: nothing is held while its outcome is unknown, so the retry is never status 8.

    The late insert fails as a duplicate whenever it runs; it runs in a database of the test's own.
    """
    uri = spare_database()
    impatient = app_for(uri, MONGODB_TIMEOUT_MS=500)
    create_reseller(impatient)
    client = impatient.test_client()
    post(client, key="warm", name="warm")
    db = inspector[uri.rsplit("/", 1)[1].split("?")[0]]
    fail_command(db, "insert", "customers", blockConnection=True, blockTimeMS=1500)
    assert post(client).status_code == 503
    retry = post(client)  # at once, while the server still holds the first insert
    assert retry.status_code == 201
    assert db.customers.count_documents({"name": "shop"}) == 1
    assert post(client).json == retry.json


def test_a_retry_after_an_answer_lost_on_the_way_gets_the_first_requests_ids(database_uri, reseller, db):
    impatient = app_for(database_uri, MONGODB_TIMEOUT_MS=500).test_client()
    post(impatient, key="warm", name="warm")
    fail_command(db, "insert", "customers", blockConnection=True, blockTimeMS=1500)
    assert post(impatient).status_code == 503
    while db.customers.count_documents({"name": "shop"}) == 0:
        time.sleep(0.05)
    retry = post(impatient)
    assert (retry.status_code, retry.headers["Idempotent-Replayed"]) == (201, "true")
    assert retry.json["id"] == str(db.customers.find_one({"name": "shop"})["_id"])


def test_a_retry_after_the_reseller_changed_its_password_is_still_a_replay(client, runner, reseller):
    first = post(client)
    runner.invoke(args=["reseller", "set-password", "acme"], env={"RESELLER_PASSWORD": "new secret"})
    again = post(client, resellerPassword="new secret")
    assert (again.status_code, again.get_data(), again.headers["Idempotent-Replayed"]) == (201, first.get_data(), "true")


def test_a_user_create_retried_after_its_customer_was_suspended_is_still_a_replay(client, reseller, customer_of):
    user = {"username": "u", "customerId": customer_of("shop"), "email": "a@b.com", "phoneNumber": "1",
            "password": "a user password"}
    first = post(client, USER_CREATE, key="u", **user)
    suspended = client.post("/services/rest/customer/suspend", data={**RESELLER, "customerId": user["customerId"]})
    again = post(client, USER_CREATE, key="u", **user)
    other = post(client, USER_CREATE, key="another", **{**user, "username": "v"})
    assert (first.status_code, suspended.status_code) == (201, 200)
    assert (again.status_code, again.get_data(), again.headers["Idempotent-Replayed"]) == (201, first.get_data(), "true")
    assert (other.status_code, other.json["status"]) == (409, 12)


@pytest.fixture(autouse=True)
def no_fail_point_left(db):
    yield
    disarm(db)


def test_a_fingerprint_covers_no_password_so_a_stored_one_gives_none_away(client, reseller, customer_of, db):
    user = {"username": "u", "customerId": customer_of("shop"), "email": "a@b.com", "phoneNumber": "1"}
    first = post(client, USER_CREATE, key="u", password="first password", **user)
    again = post(client, USER_CREATE, key="u", password="another password", **user)
    assert (first.status_code, again.status_code, again.headers.get("Idempotent-Replayed")) == (201, 201, "true")
    stored = db.users.find_one()["idempotency"]
    secret = b"development-only-idempotency-secret"
    for password in ("first password", "another password"):
        canonical = json.dumps(["user/create", {"credentials": {"reseller_name": "acme"}, "customer_id": user["customerId"],
                                                "user": {**NEW_USER_DEFAULTS, "username": "u", "email": "a@b.com",
                                                         "phone_number": "1"}}], sort_keys=True)
        assert hmac.new(secret, canonical.encode(), hashlib.sha256).hexdigest() == stored["fingerprint"]
        assert hmac.new(secret, (canonical + password).encode(), hashlib.sha256).hexdigest() != stored["fingerprint"]


NEW_USER_DEFAULTS = {"swapping_source_address_allowed": False}


@pytest.mark.parametrize("path, params", [(CUSTOMER_CREATE, {}), (CUSTOMER_USER_CREATE, PHONE_APP)],
                         ids=["customer", "customer-user"])
def test_what_a_replay_reports_is_read_as_a_majority_has_it_in_the_writes_session(client, reseller, commands, path,
                                                                                  params):
    post(client, path, **params)
    with commands.recorded():
        assert post(client, path, **params).headers["Idempotent-Replayed"] == "true"
    reads = [command for name, _, command in commands.started_commands if name == "find" and
             "idempotency.key" in command.get("filter", {})]
    assert reads and all(read["readConcern"]["level"] == "majority" for read in reads)
    assert all("afterClusterTime" in read["readConcern"] for read in reads)
    sessions = {command["lsid"]["id"] for _, _, command in commands.started_commands if "lsid" in command}
    assert len(sessions) == 1


def test_a_replay_that_a_majority_does_not_hold_yet_is_503_and_the_retry_converges(client, reseller, db, monkeypatch):
    first = post(client)
    holds = MongoCustomers.with_key

    def not_yet(customers, reseller_id, key, *, durable=False):
        return None if durable else holds(customers, reseller_id, key, durable=durable)

    monkeypatch.setattr(MongoCustomers, "with_key", not_yet)
    holder = MongoCustomers.holder
    monkeypatch.setattr(MongoCustomers, "holder", lambda customers, name, *, durable=False:
                        None if durable else holder(customers, name))
    lost = post(client)
    assert (lost.status_code, lost.json["status"], "Retry-After" in lost.headers) == (503, 98, True)
    monkeypatch.undo()
    assert post(client).get_data() == first.get_data()
    assert db.customers.count_documents({}) == 1


def test_a_conflict_that_a_majority_does_not_hold_yet_is_503_not_409(client, reseller, customer_of, monkeypatch):
    customer_of("shop")
    holder = MongoCustomers.holder
    monkeypatch.setattr(MongoCustomers, "holder", lambda customers, name, *, durable=False:
                        None if durable else holder(customers, name))
    response = post(client, key=None)
    assert (response.status_code, response.json["status"]) == (503, 98)
