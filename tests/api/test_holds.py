"""Operator holds: what the platform's operators suspended stays suspended until they resume it; no user is created
under a suspended customer."""
import pytest
from bson import ObjectId

from app.adapters.migrations import holds
from tests.support.apps import as_reseller
from tests.support.database import upgrade


@pytest.fixture
def shop(client, reseller):
    customer_id = as_reseller(client, "customer/create", name="shop").json["id"]
    user_id = as_reseller(client, "user/create", username="jdoe", password="p", customerId=customer_id, email="j@doe.com",
                   phoneNumber="1").json["id"]
    return customer_id, user_id


@pytest.mark.parametrize("kind, name", [("customer", "shop"), ("user", "jdoe")])
def test_a_reseller_cannot_resume_what_an_operator_suspended(client, runner, shop, db, kind, name):
    key, value = ("customerId", shop[0]) if kind == "customer" else ("userId", shop[1])
    assert runner.invoke(args=[kind, "suspend", name]).exit_code == 0
    collection = db.customers if kind == "customer" else db.users
    assert collection.find_one({"_id": ObjectId(value)})["suspendedBy"] == "operator"
    assert as_reseller(client, f"{kind}/get" if kind == "customer" else "user/get",
                **{key: value}).json[kind]["suspendedBy"] == "operator"
    for dry_run in ({"dryRun": "true"}, {}):
        refused = as_reseller(client, f"{kind}/resume", **{key: value}, **dry_run)
        assert (refused.status_code, refused.json["status"]) == (403, 11)
    assert collection.find_one({"_id": ObjectId(value)})["active"] is False
    assert runner.invoke(args=[kind, "resume", name]).exit_code == 0
    resumed = collection.find_one({"_id": ObjectId(value)})
    assert resumed["active"] is True and "suspendedBy" not in resumed


@pytest.mark.parametrize("kind", ["customer", "user"])
def test_a_resellers_own_suspension_is_its_to_lift_until_an_operator_holds_it(client, runner, shop, db, kind):
    key, value, name = ("customerId", shop[0], "shop") if kind == "customer" else ("userId", shop[1], "jdoe")
    suspended = as_reseller(client, f"{kind}/suspend", **{key: value}).json[kind]
    assert (suspended["active"], suspended["suspendedBy"]) == (False, "reseller")
    assert as_reseller(client, f"{kind}/resume", **{key: value}).json[kind]["active"] is True
    as_reseller(client, f"{kind}/suspend", **{key: value})
    assert runner.invoke(args=[kind, "suspend", name]).exit_code == 0
    assert as_reseller(client, f"{kind}/get", **{key: value}).json[kind]["suspendedBy"] == "operator"
    assert as_reseller(client, f"{kind}/resume", **{key: value}).json["status"] == 11
    assert as_reseller(client, f"{kind}/suspend", **{key: value}).json[kind]["suspendedBy"] == "operator"


@pytest.mark.parametrize("dry_run", [{}, {"dryRun": "true"}])
def test_no_user_is_created_under_a_suspended_customer(client, shop, db, dry_run):
    customer_id, _ = shop
    as_reseller(client, "customer/suspend", customerId=customer_id)
    response = as_reseller(client, "user/create", username="new", password="p", customerId=customer_id, email="a@b.com",
                    phoneNumber="1", **dry_run)
    assert (response.status_code, response.json["status"]) == (409, 12)
    assert db.users.count_documents({"username": "new"}) == 0


def test_db_upgrade_gives_older_suspensions_the_side_the_audit_trail_names(client, runner, shop, db):
    customer_id, user_id = shop
    runner.invoke(args=["customer", "suspend", "shop"])
    as_reseller(client, "user/suspend", userId=user_id)
    other = as_reseller(client, "customer/create", name="untold").json["id"]
    db.customers.update_one({"_id": ObjectId(other)}, {"$set": {"active": False}})
    legacy = as_reseller(client, "customer/create", name="legacy").json["id"]
    db.customers.update_one({"_id": ObjectId(legacy)}, {"$unset": {"active": ""}})
    db.customers.update_many({}, {"$unset": {"suspendedBy": ""}})
    db.users.update_many({}, {"$unset": {"suspendedBy": ""}})
    db.upgrades.delete_many({"_id": {"$regex": "^backfill:holds-"}})
    assert as_reseller(client, "customer/get", customerId=other).json["customer"]["suspendedBy"] == "operator"
    upgrade(db)
    assert db.customers.find_one({"_id": ObjectId(customer_id)})["suspendedBy"] == "operator"
    assert db.users.find_one({"_id": ObjectId(user_id)})["suspendedBy"] == "reseller"
    assert db.customers.find_one({"_id": ObjectId(other)})["suspendedBy"] == "operator"
    assert db.customers.find_one({"_id": ObjectId(legacy)})["active"] is True
    assert holds("customers").key == "holds-customers"
