"""What the service stores: the indexes the other components rely on, made and changed by `db upgrade`."""
import pytest
from bson import ObjectId
from pymongo import MongoClient

from app.adapters import indexes


def index_keys(db, collection):
    return {tuple(info["key"]): bool(info.get("unique")) for info in db[collection].index_information().values()}


def test_the_contract_indexes_exist_with_the_right_uniqueness(db):
    assert index_keys(db, "resellers")[(("name", 1),)] is True
    assert index_keys(db, "customers")[(("name", 1),)] is True
    assert index_keys(db, "customers")[(("resellerId", 1), ("_id", 1))] is False
    assert index_keys(db, "users")[(("username", 1),)] is True
    assert index_keys(db, "users")[(("customerId", 1), ("_id", 1))] is False
    assert index_keys(db, "credit_transactions")[(("customerId", 1),)] is False


def test_look_alike_names_are_kept_apart_by_unique_indexes_on_their_keys(db):
    assert index_keys(db, "customers")[(("nameKey", 1),)] is True
    assert index_keys(db, "users")[(("usernameKey", 1),)] is True


def test_an_idempotency_key_is_unique_per_reseller_among_documents_that_have_one(db):
    [info] = [info for info in db.customers.index_information().values()
              if info["key"] == [("resellerId", 1), ("idempotency.key", 1)]]
    assert info["unique"] and info["partialFilterExpression"] == {"idempotency.key": {"$exists": True}}


@pytest.fixture
def fresh(spare_database):
    with MongoClient(spare_database(), tz_aware=True) as client:
        yield client.get_default_database()


def test_upgrading_again_changes_nothing_and_leaves_no_drift(fresh):
    assert list(indexes.upgrade(fresh)) == []
    assert indexes.drift(fresh) == []


def test_a_ttl_changed_since_is_drift_that_the_upgrade_mends_in_place(fresh):
    fresh.command("collMod", "failed_reseller_names", index={"keyPattern": {"expiresAt": 1}, "expireAfterSeconds": 60})
    [problem] = indexes.drift(fresh)
    assert "failed_reseller_names" in problem and "expireAfterSeconds" in problem
    assert list(indexes.upgrade(fresh)) == ["failed_reseller_names: index expiresAt_1 now expires after 0 s"]
    assert indexes.drift(fresh) == []


def test_an_index_no_longer_used_is_drift_and_the_upgrade_drops_it(fresh):
    fresh.customers.create_index("resellerId")
    assert indexes.drift(fresh) == ["customers: index resellerId_1 is no longer used"]
    assert list(indexes.upgrade(fresh)) == ["customers: dropped index resellerId_1, no longer used"]


def test_documents_from_before_look_alike_keys_get_theirs_from_the_upgrade(fresh):
    fresh.customers.drop_index("nameKey_1")
    fresh.customers.insert_many([{"name": "Caf\u00e9"}, {"name": "Shop"}])
    assert "customers: documents without nameKey" in indexes.drift(fresh)
    done = list(indexes.upgrade(fresh))
    assert done[:1] == ["customers: gave 2 documents their nameKey"]
    assert {c["name"]: c["nameKey"] for c in fresh.customers.find()} == {"Caf\u00e9": "caf\u00e9", "Shop": "shop"}


def test_look_alike_names_already_stored_stop_the_upgrade_naming_them(fresh):
    fresh.customers.drop_index("nameKey_1")
    ids = fresh.customers.insert_many([{"name": "acme"}, {"name": "ACME"}]).inserted_ids
    with pytest.raises(indexes.UpgradeBlocked) as blocked:
        list(indexes.upgrade(fresh))
    assert all(str(ObjectId(found)) in str(blocked.value) for found in ids)
    assert "rename all but one" in str(blocked.value)


def test_keys_made_by_older_look_alike_rules_are_drift_that_the_upgrade_recomputes(fresh):
    fresh.customers.insert_one({"name": "shop\ufe0f", "nameKey": "shop\ufe0f"})
    fresh.upgrades.update_one({"_id": "lookalikeKeys"}, {"$set": {"rules": 1}})
    assert any("older rules" in problem for problem in indexes.drift(fresh))
    assert list(indexes.upgrade(fresh)) == ["customers: gave 1 documents their nameKey"]
    assert fresh.customers.find_one({"name": "shop\ufe0f"})["nameKey"] == "shop"
    assert indexes.drift(fresh) == []


def test_a_name_that_looks_like_another_under_newer_rules_stops_the_upgrade_naming_both(fresh):
    ids = fresh.customers.insert_many([{"name": "shop", "nameKey": "shop"},
                                       {"name": "shop\ufe0f", "nameKey": "shop\ufe0f"}]).inserted_ids
    fresh.upgrades.update_one({"_id": "lookalikeKeys"}, {"$set": {"rules": 1}})
    with pytest.raises(indexes.UpgradeBlocked) as blocked:
        list(indexes.upgrade(fresh))
    assert all(str(found) in str(blocked.value) for found in ids)
    assert "rename all but one" in str(blocked.value)
