"""A back-end that lost an answer finds what it created: customers by name, lists filtered, and the id of its own
object in a 409 (never another reseller's)."""
from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from tests.support.apps import RESELLER

OTHER = {"resellerName": "other", "resellerPassword": "other secret"}
BASE = "/services/rest/"


def post(client, path, credentials=RESELLER, **params):
    return client.post(BASE + path, data={**credentials, **params})


def names_of(answer, key="customers", name="name"):
    return [item[name] for item in answer.json[key]]


def test_customer_get_finds_the_resellers_customer_by_its_name(client, reseller, customer_of):
    customer_id = customer_of("cafe\u0301-shop")
    by_name = post(client, "customer/get", name="caf\u00e9-shop")
    assert (by_name.status_code, by_name.json["customer"]["id"]) == (200, customer_id)
    assert by_name.json == post(client, "customer/get", customerId=customer_id).json


def test_customer_get_by_name_does_not_find_another_resellers_customer(client, reseller, make_reseller):
    make_reseller(OTHER["resellerName"], OTHER["resellerPassword"])
    post(client, "customer/create", OTHER, name="theirs")
    foreign = post(client, "customer/get", name="theirs")
    missing = post(client, "customer/get", name="nobody-has-this")
    assert (foreign.status_code, foreign.json["status"]) == (404, 5)
    assert {**foreign.json, "requestId": ""} == {**missing.json, "requestId": ""}


@pytest.mark.parametrize("params, message", [({}, "is required (or name)"),
                                             ({"customerId": str(ObjectId()), "name": "x"},
                                              "give customerId or name, not both")])
def test_customer_get_needs_exactly_one_of_id_and_name(client, reseller, params, message):
    response = post(client, "customer/get", **params)
    assert (response.status_code, response.json["errors"]) == (400, {"customerId": [message]})


@pytest.fixture
def customers(client, reseller, make_reseller, db):
    """acme's customers a1 (crm-1), a2 (crm-2, suspended), b1 (crm-1), created an hour apart; another reseller's
    a3 (crm-1) beside them."""
    made = {}
    for number, (name, integration) in enumerate([("a1", "crm-1"), ("a2", "crm-2"), ("b1", "crm-1")]):
        made[name] = post(client, "customer/create", name=name, integrationId=integration).json["id"]
        db.customers.update_one({"_id": ObjectId(made[name])},
                                {"$set": {"createdAt": datetime(2026, 1, 1, number, tzinfo=UTC)}})
    post(client, "customer/suspend", customerId=made["a2"])
    make_reseller(OTHER["resellerName"], OTHER["resellerPassword"])
    post(client, "customer/create", OTHER, name="a3", integrationId="crm-1")
    return made


@pytest.mark.parametrize("params, expected", [
    ({}, ["a1", "a2", "b1"]),
    ({"active": "true"}, ["a1", "b1"]),
    ({"active": "false"}, ["a2"]),
    ({"integrationId": "crm-1"}, ["a1", "b1"]),
    ({"namePrefix": "a"}, ["a1", "a2"]),
    ({"namePrefix": "A"}, []),
    ({"createdAfter": "2026-01-01T01:00:00Z"}, ["a2", "b1"]),
    ({"createdBefore": "2026-01-01T01:00:00Z"}, ["a1"]),
    ({"createdAfter": "2026-01-01T00:30:00+00:00", "createdBefore": "2026-01-01T03:00:00+01:00"}, ["a2"]),
    ({"namePrefix": "a", "active": "true", "integrationId": "crm-1"}, ["a1"]),
])
def test_customer_list_keeps_what_every_filter_given_keeps(client, customers, params, expected):
    assert names_of(post(client, "customer/list", **params)) == expected


def test_a_filtered_list_pages_in_creation_order(client, customers):
    first = post(client, "customer/list", integrationId="crm-1", limit="1").json
    second = post(client, "customer/list", integrationId="crm-1", limit="1", after=first["next"]).json
    assert [c["name"] for c in first["customers"] + second["customers"]] == ["a1", "b1"]
    assert second["next"] is None


@pytest.mark.parametrize("params, bad", [({"active": "yes"}, "active"), ({"createdAfter": "yesterday"}, "createdAfter"),
                                         ({"createdBefore": "2026-01-01T00:00:00"}, "createdBefore"),
                                         ({"namePrefix": "a\u0000"}, "namePrefix")])
def test_a_filter_that_is_not_one_is_status_1_on_it(client, reseller, params, bad):
    response = post(client, "customer/list", **params)
    assert (response.status_code, list(response.json["errors"])) == (400, [bad])


@pytest.fixture
def users(client, reseller, make_reseller, db):
    """acme's users across two customers: ann (+48 1, a@b.com), anna (suspended, +48 2), bob (under shop2)."""
    shop = post(client, "customer/create", name="shop").json["id"]
    shop2 = post(client, "customer/create", name="shop2").json["id"]
    made = {}
    for name, customer, email, phone in [("ann", shop, "a@b.com", "+48 1"), ("anna", shop, "c@d.com", "+48 2"),
                                         ("bob", shop2, "a@b.com", "+48 3")]:
        made[name] = post(client, "user/create", username=name, password="p", customerId=customer, email=email,
                          phoneNumber=phone).json["id"]
    post(client, "user/suspend", userId=made["anna"])
    make_reseller(OTHER["resellerName"], OTHER["resellerPassword"])
    theirs = post(client, "customer/create", OTHER, name="theirs").json["id"]
    post(client, "user/create", OTHER, username="ann-other", password="p", customerId=theirs, email="a@b.com",
         phoneNumber="+48 1")
    return {"shop": shop, "shop2": shop2, **made}


@pytest.mark.parametrize("params, expected", [
    ({}, ["ann", "anna", "bob"]),
    ({"email": "a@B.COM"}, ["ann", "bob"]),
    ({"phoneNumber": "+48 1"}, ["ann"]),
    ({"phoneNumber": "+481"}, []),
    ({"active": "false"}, ["anna"]),
    ({"usernamePrefix": "ann"}, ["ann", "anna"]),
    ({"email": "a@b.com", "usernamePrefix": "b"}, ["bob"]),
])
def test_user_list_across_the_resellers_customers_keeps_what_every_filter_keeps(client, users, params, expected):
    assert names_of(post(client, "user/list", **params), "users", "username") == expected


def test_user_list_of_one_customer_keeps_to_it_with_the_filters(client, users):
    assert names_of(post(client, "user/list", customerId=users["shop"], active="true"), "users", "username") == ["ann"]
    assert names_of(post(client, "user/list", customerId=users["shop2"], email="a@b.com"), "users", "username") == \
        ["bob"]


def test_user_list_by_creation_time(client, users, db):
    db.users.update_one({"_id": ObjectId(users["bob"])},
                        {"$set": {"createdAt": datetime.now(UTC) + timedelta(days=1)}})
    tomorrow = (datetime.now(UTC) + timedelta(hours=12)).isoformat()
    assert names_of(post(client, "user/list", createdAfter=tomorrow), "users", "username") == ["bob"]
    assert names_of(post(client, "user/list", createdBefore=tomorrow), "users", "username") == ["ann", "anna"]


@pytest.mark.parametrize("path, params, status", [
    ("customer/create", {"name": "SHOP"}, 3),
    ("customer-user/create", {"customer": "shop", "username": "new", "password": "p", "applyFreeCredits": "true"}, 3),
])
def test_a_conflict_with_the_callers_own_customer_names_its_id(client, reseller, customer_of, path, params, status):
    customer_id = customer_of("shop")
    for dry_run in ({}, {"dryRun": "true"}):
        response = post(client, path, **params, **dry_run)
        assert (response.status_code, response.json["status"], response.json["id"]) == (409, status, customer_id)


def test_a_conflict_with_the_callers_own_user_names_its_id(client, reseller, customer_of):
    customer_id = customer_of("shop")
    user = {"username": "jdoe", "password": "p", "customerId": customer_id, "email": "a@b.com", "phoneNumber": "1"}
    user_id = post(client, "user/create", **user).json["id"]
    for path, params in [("user/create", user), ("user/create", {**user, "dryRun": "true"}),
                         ("customer-user/create", {"customer": "new", "username": "JDOE", "password": "p",
                                                   "applyFreeCredits": "false"})]:
        response = post(client, path, **params)
        assert (response.status_code, response.json["status"], response.json["id"]) == (409, 4, user_id), path


@pytest.mark.parametrize("dry_run", [{}, {"dryRun": "true"}])
def test_a_conflict_with_another_resellers_object_names_no_id(client, reseller, make_reseller, dry_run):
    make_reseller(OTHER["resellerName"], OTHER["resellerPassword"])
    post(client, "customer-user/create", OTHER, customer="theirs", username="their-user", password="p",
         applyFreeCredits="false")
    for path, params, status in [("customer/create", {"name": "theirs"}, 3),
                                 ("customer-user/create", {"customer": "mine", "username": "their-user",
                                                           "password": "p", "applyFreeCredits": "false"}, 4)]:
        response = post(client, path, **params, **dry_run)
        assert (response.status_code, response.json["status"]) == (409, status)
        assert "id" not in response.json
