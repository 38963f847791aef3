"""Sending limits through the API: on the user creates and user/update, in the three body forms, stored under
`limits` with integers and arrays of strings (the SMPP server and the router read them), removable with `clear`,
every bad value named at once."""
import pytest
from bson import ObjectId

from tests.support.apps import RESELLER, user_params

USER_CREATE = "/services/rest/user/create"
SIGN_UP = "/services/rest/customer-user/create"
UPDATE = "/services/rest/user/update"
LIMITS = {"throughput": "50", "maxBindings": "4", "dailyLimit": "100000", "allowedSenders": "ACME,+4475,Shop 24",
          "allowedPrefixes": "0044,1"}
STORED = {"throughput": 50, "maxBindings": 4, "dailyLimit": 100000, "allowedSenders": ["ACME", "+4475", "Shop 24"],
          "allowedPrefixes": ["0044", "1"]}


def post(client, path, params, body):
    if body == "form":
        return client.post(path, data=params)
    if body == "multipart":
        return client.post(path, data=params, content_type="multipart/form-data")
    return client.post(path, json=params)


@pytest.mark.parametrize("body", ["form", "multipart", "json"])
def test_limits_given_on_user_create_are_stored_and_answered_with_their_types(client, reseller, customer_of, db,
                                                                               body):
    response = post(client, USER_CREATE, {**user_params(customer_of()), **LIMITS}, body)
    assert (response.status_code, response.json["status"]) == (201, 0), response.json
    assert db.users.find_one({"_id": ObjectId(response.json["id"])})["limits"] == STORED
    got = client.post("/services/rest/user/get", data={**RESELLER, "userId": response.json["id"]}).json["user"]
    assert got["limits"] == STORED


def test_json_takes_the_lists_as_arrays_too(client, reseller, customer_of, db):
    params = {**user_params(customer_of()), "allowedSenders": ["ACME", "Shop 24"], "allowedPrefixes": ["0044"],
              "throughput": 5}
    assert client.post(USER_CREATE, json=params).status_code == 201
    assert db.users.find_one()["limits"] == {"throughput": 5, "allowedSenders": ["ACME", "Shop 24"],
                                             "allowedPrefixes": ["0044"]}


def test_a_user_without_limits_has_none_stored_nor_answered(client, reseller, customer_of, db):
    response = client.post(USER_CREATE, data=user_params(customer_of()))
    assert "limits" not in db.users.find_one() and "limits" not in response.json.get("user", {})


def test_customer_user_create_takes_limits_for_its_user(client, reseller, db):
    response = client.post(SIGN_UP, data={**RESELLER, "customer": "c@acme", "username": "c@acme", "password": "p",
                                          "applyFreeCredits": "false", "throughput": "10", "allowedPrefixes": "44"})
    assert response.status_code == 201, response.json
    assert db.users.find_one()["limits"] == {"throughput": 10, "allowedPrefixes": ["44"]}


@pytest.fixture
def limited_user(client, reseller, customer_of):
    response = client.post(USER_CREATE, data={**user_params(customer_of()), **LIMITS})
    return response.json["id"]


def test_an_update_changes_one_limit_and_keeps_the_others(client, limited_user, db):
    response = client.post(UPDATE, data={**RESELLER, "userId": limited_user, "dailyLimit": "5"})
    assert response.json["user"]["limits"] == {**STORED, "dailyLimit": 5}
    assert db.users.find_one()["limits"] == {**STORED, "dailyLimit": 5}


def test_clear_removes_limits_and_the_last_one_removes_the_object(client, limited_user, db):
    client.post(UPDATE, data={**RESELLER, "userId": limited_user, "clear": "throughput,allowedSenders"})
    assert db.users.find_one()["limits"] == {"maxBindings": 4, "dailyLimit": 100000, "allowedPrefixes": ["0044", "1"]}
    response = client.post(UPDATE, data={**RESELLER, "userId": limited_user,
                                         "clear": "maxBindings,dailyLimit,allowedPrefixes"})
    assert response.status_code == 200 and "limits" not in response.json["user"]
    assert "limits" not in db.users.find_one()


def test_a_limit_both_given_and_cleared_is_status_1(client, limited_user):
    response = client.post(UPDATE, data={**RESELLER, "userId": limited_user, "throughput": "3", "clear": "throughput"})
    assert (response.status_code, response.json["status"]) == (400, 1) and "throughput" in response.json["errors"]


def test_limit_changes_are_in_the_audit_trail_by_name(client, limited_user, db):
    client.post(UPDATE, data={**RESELLER, "userId": limited_user, "throughput": "7", "clear": "allowedSenders"})
    [event] = db.audit_events.find({"userId": ObjectId(limited_user), "action": "user.update"})
    assert event["fields"] == ["allowedSenders", "throughput"]


@pytest.mark.parametrize("field, value", [
    ("throughput", "0"), ("throughput", "10001"), ("throughput", "1.5"), ("throughput", "many"),
    ("maxBindings", "0"), ("maxBindings", "101"),
    ("dailyLimit", "0"), ("dailyLimit", "100000001"),
    ("allowedSenders", "way-too-long-sender-id"), ("allowedSenders", "bad;char"), ("allowedSenders", "ok,a_b"),
    ("allowedSenders", ",".join(f"S{n}" for n in range(51))),
    ("allowedPrefixes", "44x"), ("allowedPrefixes", "1234567890123456"), ("allowedPrefixes", "+44"),
    ("allowedPrefixes", ",".join(str(n) for n in range(201))),
])
def test_a_bad_limit_is_status_1_naming_it(client, reseller, customer_of, field, value, db):
    response = client.post(USER_CREATE, data={**user_params(customer_of()), field: value})
    assert (response.status_code, response.json["status"]) == (400, 1)
    assert list(response.json["errors"]) == [field]
    assert db.users.count_documents({}) == 0


@pytest.mark.parametrize("body", ["form", "json"])
def test_every_bad_limit_is_named_at_once(client, limited_user, body):
    params = {**RESELLER, "userId": limited_user, "throughput": "0", "maxBindings": "500", "dailyLimit": "-1",
              "allowedSenders": "!!", "allowedPrefixes": "abc"}
    response = post(client, UPDATE, params, body)
    assert (response.status_code, response.json["status"]) == (400, 1)
    assert set(response.json["errors"]) == {"throughput", "maxBindings", "dailyLimit", "allowedSenders",
                                            "allowedPrefixes"}
