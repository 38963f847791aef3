"""Every change as a dry run (the object as it would become, what would change, nothing written), and updates that
refuse to change what cannot change and name what they ignored."""
import pytest
from bson import ObjectId

from tests.support.apps import as_reseller
from tests.support.database import trail


@pytest.fixture
def shop(client, reseller):
    customer_id = as_reseller(client, "customer/create", name="shop", moCharge="5").json["id"]
    user_id = as_reseller(client, "user/create", username="jdoe", password="user secret", customerId=customer_id,
                   email="j@doe.com", phoneNumber="+48 1", throughput="10").json["id"]
    return customer_id, user_id


def stored(db):
    return [list(db[name].find()) for name in ("customers", "users", "audit_events", "credit_transactions")]


@pytest.mark.parametrize("path, params, kind, changed, became", [
    ("customer/update", {"moCharge": "11", "billingType": "POST_PAID"}, "customer", ["moCharge"], {"moCharge": 11}),
    ("customer/update", {"moCharge": "5"}, "customer", [], {"moCharge": 5}),
    ("customer/suspend", {}, "customer", ["active", "suspendedBy"], {"active": False, "suspendedBy": "reseller"}),
    ("customer/resume", {}, "customer", [], {"active": True}),
    ("customer/credit", {"amount": "7", "reason": "TOPUP"}, "customer", ["credits"], {"credits": 7}),
    ("user/update", {"email": "new@doe.com", "password": "new secret", "clear": "throughput"}, "user",
     ["email", "throughput", "password"], {"email": "new@doe.com"}),
    ("user/update", {"maxBindings": "3", "throughput": "10"}, "user", ["maxBindings"],
     {"limits": {"throughput": 10, "maxBindings": 3}}),
    ("user/suspend", {}, "user", ["active", "suspendedBy"], {"active": False, "suspendedBy": "reseller"}),
    ("user/resume", {}, "user", [], {"active": True}),
])
def test_a_dry_run_of_a_change_answers_what_it_would_make_and_writes_nothing(client, shop, db, path, params, kind,
                                                                          changed, became):
    customer_id, user_id = shop
    target = {"customerId": customer_id} if kind == "customer" else {"userId": user_id}
    before = stored(db)
    response = as_reseller(client, path, **target, **params, dryRun="true")
    assert (response.status_code, response.json["status"], response.json["dryRun"]) == (200, 0, True)
    assert response.json["changed"] == changed
    assert {key: response.json[kind].get(key) for key in became} == became
    assert stored(db) == before
    if kind == "user" and "clear" in params:
        assert "limits" not in response.json["user"]


def test_a_dry_run_answers_exactly_what_the_change_then_makes(client, shop):
    customer_id, _ = shop
    preview = as_reseller(client, "customer/update", customerId=customer_id, moCharge="11", dryRun="true").json
    real = as_reseller(client, "customer/update", customerId=customer_id, moCharge="11").json
    assert preview["customer"] == real["customer"]
    assert "changed" not in real and "dryRun" not in real


def test_a_dry_run_of_another_resellers_or_no_object_is_not_found(client, shop):
    assert as_reseller(client, "customer/update", customerId=str(ObjectId()), moCharge="1", dryRun="true").json["status"] == 5
    assert as_reseller(client, "user/suspend", userId=str(ObjectId()), dryRun="true").json["status"] == 9


@pytest.mark.parametrize("path, key, field", [
    ("customer/update", "customerId", "name"), ("customer/update", "customerId", "credits"),
    ("customer/update", "customerId", "active"), ("customer/update", "customerId", "resellerId"),
    ("user/update", "userId", "username"), ("user/update", "userId", "customerId"), ("user/update", "userId", "active"),
])
def test_an_update_naming_a_field_that_cannot_change_is_status_1_on_it_and_changes_nothing(client, shop, db, path,
                                                                                          key, field):
    target = shop[0] if key == "customerId" else shop[1]
    before = stored(db)
    for dry_run in ({}, {"dryRun": "true"}):
        response = as_reseller(client, path, **{key: target, field: "x" if field != "customerId" else shop[0],
                                         "contactName": "Jo"} if key == "userId" else
                        {key: target, field: "x", "moCharge": "9"}, **dry_run)
        assert (response.status_code, response.json["status"]) == (400, 1)
        assert list(response.json["errors"]) == [field] and "cannot be changed" in response.json["errors"][field][0]
    assert stored(db) == before


def test_an_update_names_the_parameters_it_ignored(client, shop):
    customer_id, user_id = shop
    response = as_reseller(client, "customer/update", customerId=customer_id, moCharge="9", mocharge="10", colour="red")
    assert (response.status_code, response.json["customer"]["moCharge"]) == (200, 9)
    assert response.json["ignored"] == ["colour", "mocharge"]
    assert "ignored" not in as_reseller(client, "customer/update", customerId=customer_id, moCharge="8").json
    preview = as_reseller(client, "user/update", userId=user_id, email="x@doe.com", emial="y@doe.com", dryRun="true").json
    assert (preview["changed"], preview["ignored"]) == (["email"], ["emial"])


def test_a_change_records_what_it_changed_and_its_dry_run_nothing(client, shop, db):
    customer_id, _ = shop
    as_reseller(client, "customer/suspend", customerId=customer_id, dryRun="true")
    as_reseller(client, "customer/suspend", customerId=customer_id)
    [entry] = trail(db, {"customerId": ObjectId(customer_id), "userId": None})
    assert (entry["action"], entry["fields"]) == ("customer.suspend", ["active", "suspendedBy"])
