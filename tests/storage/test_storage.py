"""What the service stores, and what `db upgrade` does to a live database that other parts of the platform share: only
the service's own indexes, built beside what they replace, never a moment without a uniqueness the service relies
on; one upgrade at a time; documents of earlier versions changed by resumable backfills."""
import threading

import pytest
from bson import ObjectId
from pymongo import MongoClient, monitoring
from pymongo.errors import DuplicateKeyError, OperationFailure

from app.adapters import backfills, indexes, upgrade
from app.adapters.lease import LeaseHeld, UpgradeLease
from app.adapters.upgrade import MongoUpgrade
from app.domain import names
from app.domain.exceptions import UpgradeBlocked
from app.domain.upgrades import Note, Progress

CANNOT_CREATE_INDEX = 67


def index_keys(db, collection):
    return {tuple(info["key"]): bool(info.get("unique")) for info in db[collection].index_information().values()}


def test_the_contract_indexes_exist_with_the_right_uniqueness(db):
    assert index_keys(db, "resellers")[(("name", 1),)] is True
    assert index_keys(db, "customers")[(("name", 1),)] is True
    assert index_keys(db, "customers")[(("resellerId", 1), ("_id", 1), ("name", 1), ("createdAt", 1))] is False
    assert index_keys(db, "users")[(("username", 1),)] is True
    assert index_keys(db, "users")[(("customerId", 1), ("_id", 1), ("username", 1), ("createdAt", 1))] is False
    assert index_keys(db, "credit_transactions")[(("customerId", 1), ("_id", 1))] is False


def test_look_alike_names_are_kept_apart_by_unique_indexes_on_their_keys(db):
    assert index_keys(db, "customers")[(("nameKey", 1),)] is True
    assert index_keys(db, "users")[(("usernameKey", 1),)] is True


def test_an_idempotency_key_is_unique_per_reseller_among_documents_that_have_one(db):
    [info] = [info for info in db.customers.index_information().values()
              if info["key"] == [("resellerId", 1), ("idempotency.key", 1)]]
    assert info["unique"] and info["partialFilterExpression"] == {"idempotency.key": {"$exists": True}}


class Indexing(monitoring.CommandListener):
    """The index commands a client sent, in order."""

    def __init__(self):
        self.sent = []

    def started(self, event):
        if event.command_name in ("createIndexes", "dropIndexes", "collMod", "drop"):
            command = event.command
            self.sent.append((event.command_name, command.get("index") or command.get("indexes")))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


@pytest.fixture
def fresh(spare_database):
    """A database of the test's own, upgraded, seen through a client that records its index commands."""
    listener = Indexing()
    with MongoClient(spare_database(), tz_aware=True, event_listeners=[listener]) as client:
        database = client.get_default_database()
        database.sent = listener.sent
        yield database


def run(database, **options):
    """The notes of an upgrade of database."""
    return [event.text for event in MongoUpgrade(database, pace=backfills.Pace(rest=0), **options).run()
            if isinstance(event, Note)]


def test_upgrading_again_changes_nothing_and_leaves_no_drift(fresh):
    assert run(fresh) == []
    assert upgrade.drift(fresh) == []


def test_a_ttl_changed_since_is_drift_that_the_upgrade_mends_in_place(fresh):
    fresh.command("collMod", "auth_failures", index={"keyPattern": {"expiresAt": 1}, "expireAfterSeconds": 60})
    [problem] = upgrade.drift(fresh)
    assert "auth_failures" in problem and "expireAfterSeconds" in problem
    assert run(fresh) == ["auth_failures: index expiresAt_1 now expires after 0 s"]
    assert upgrade.drift(fresh) == []


@pytest.mark.parametrize("keys", [[("virtualNumber", 1)], [("phoneNumber", "hashed")], [("contactName", "text")],
                                  [("location", "2dsphere")]], ids=["ascending", "hashed", "text", "2dsphere"])
def test_an_index_another_component_added_is_reported_and_never_touched(fresh, keys):
    try:
        name = fresh.users.create_index(keys)
    except OperationFailure as refused:
        if refused.code != CANNOT_CREATE_INDEX:
            raise
        pytest.skip(f"this server builds no such index ({refused.details.get('errmsg')}); the next test reads one")
    assert run(fresh) == [f"users: index {name} is not the service's; left as it is"]
    assert name in fresh.users.index_information()
    assert upgrade.drift(fresh) == []
    assert not any(command == "dropIndexes" for command, _ in fresh.sent)


@pytest.mark.parametrize("direction", ["hashed", "text", "2dsphere", -1, 1.0])
def test_an_index_of_any_kind_of_key_is_read_without_failing(direction):
    """What listIndexes answers for the kinds of index SecantusDB cannot build (mongod can): the upgrade reads them."""
    info = {"name": f"x_{direction}", "key": {"x": direction}}
    assert indexes.difference(info, indexes.index(("x", direction))) is None
    assert indexes.difference(info, indexes.index(("x", "other"))) is not None


def test_an_index_the_service_no_longer_uses_is_dropped_only_once_its_replacement_is_built(fresh, monkeypatch):
    wanted = indexes.wanted_indexes()
    replacement = indexes.index("name", "resellerId", name="name_1_resellerId_1", unique=True, replaces=("name_1",))
    wanted["customers"] = [replacement if one.name == "name_1" else one for one in wanted["customers"]]
    monkeypatch.setattr(indexes, "wanted_indexes", lambda: wanted)
    assert upgrade.drift(fresh) == ["customers: index name_1_resellerId_1 is missing",
                                    "customers: index name_1 is no longer used"]
    assert run(fresh) == ["customers: created index name_1_resellerId_1", "customers: dropped index name_1, no longer used"]
    assert [command for command, _ in fresh.sent] == ["createIndexes", "dropIndexes"]
    assert index_keys(fresh, "customers")[(("name", 1), ("resellerId", 1))] is True


def test_an_index_made_unique_refuses_new_duplicates_from_the_first_step_and_is_never_dropped(fresh):
    fresh.customers.drop_index("name_1")
    fresh.customers.create_index("name", name="name_1")
    fresh.sent.clear()
    assert "customers.name_1" in indexes.missing_uniqueness(fresh)
    assert run(fresh) == ["customers: index name_1 refuses new duplicates (prepareUnique)",
                          "customers: index name_1 is now unique"]
    assert [command for command, _ in fresh.sent] == ["collMod", "collMod"]
    assert indexes.missing_uniqueness(fresh) == []


def test_duplicates_keep_an_index_from_becoming_unique_but_no_new_duplicate_gets_in(fresh):
    fresh.customers.drop_index("name_1")
    fresh.customers.create_index("name", name="name_1")
    fresh.customers.insert_many([{"name": "twin", "nameKey": "twin-a"}, {"name": "twin", "nameKey": "twin-b"}])
    with pytest.raises(UpgradeBlocked, match=r"cannot become unique.*twin"):
        run(fresh)
    with pytest.raises(DuplicateKeyError):
        fresh.customers.insert_one({"name": "twin", "nameKey": "twin-c"})
    assert indexes.missing_uniqueness(fresh) == []


def test_a_second_upgrade_waits_for_the_lease_and_gives_up_when_it_is_not_freed(fresh):
    holder = UpgradeLease(fresh)
    assert holder.take()
    notes = []
    with pytest.raises(LeaseHeld):
        for event in MongoUpgrade(fresh, wait_seconds=1).run():
            notes.append(event)
    assert "another upgrade holds the lease" in notes[0].text and holder.holder in notes[0].text
    holder.release()
    assert run(fresh) == []


def test_an_expired_lease_is_taken_over(fresh):
    fresh.upgrades.insert_one({"_id": "lease", "holder": "a dead upgrade", "expiresAt": ObjectId().generation_time})
    assert run(fresh, wait_seconds=0) == []


def test_upgrades_started_together_run_one_after_the_other(fresh):
    started = []
    original = UpgradeLease.take

    def take(lease):
        taken = original(lease)
        if taken:
            started.append(lease.holder)
        return taken

    monkey = pytest.MonkeyPatch()
    monkey.setattr(UpgradeLease, "take", take)
    try:
        threads = [threading.Thread(target=run, args=(fresh,)) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        monkey.undo()
    holders = [holder for number, holder in enumerate(started) if number == 0 or started[number - 1] != holder]
    assert len(set(holders)) == len(holders) == 3, started


def test_a_backfill_stopped_part_way_goes_on_from_where_it_stopped(fresh):
    fresh.customers.insert_many([{"name": f"c{number}", "nameKey": f"c{number}", "resellerId": ObjectId()}
                                 for number in range(50)])
    fresh.customers.update_many({}, {"$unset": {"keyRules": ""}})
    batches = []

    def stop_after_two():
        batches.append(1)
        if len(batches) > 2:
            raise KeyboardInterrupt

    backfill = next(one for one in upgrade.migrations.every_backfill() if one.key.startswith("lookalike-customers"))
    with pytest.raises(KeyboardInterrupt):
        list(backfills.run(fresh, backfill, backfills.Pace(batch_size=10, rest=0), before_batch=stop_after_two))
    assert fresh.customers.count_documents({"keyRules": {"$exists": True}}) == 20
    events = list(backfills.run(fresh, backfill, backfills.Pace(batch_size=10, rest=0), before_batch=lambda: None))
    assert next(event.total for event in events if isinstance(event, Progress)) == 30
    assert fresh.customers.count_documents({"keyRules": {"$exists": False}}) == 0


def test_documents_from_before_look_alike_keys_get_theirs_with_the_rules_that_made_them(fresh):
    fresh.customers.drop_index("nameKey_1")
    fresh.customers.insert_many([{"name": "Caf\u00e9"}, {"name": "Shop"}])
    assert any("customers: look-alike keys: not done" in problem for problem in upgrade.drift(fresh)) or \
        "customers: index nameKey_1 is missing" in upgrade.drift(fresh)
    notes = run(fresh)
    assert "customers: created index nameKey_1" in notes
    stored = {c["name"]: (c["nameKey"], c["keyRules"], c["keyUnicode"]) for c in fresh.customers.find()}
    assert stored == {"Caf\u00e9": ("caf\u00e9", 2, names.UNICODE_VERSION), "Shop": ("shop", 2, names.UNICODE_VERSION)}


def test_names_already_stored_that_look_alike_are_reported_and_both_stand(fresh):
    fresh.customers.drop_index("nameKey_1")
    ids = fresh.customers.insert_many([{"name": "acme"}, {"name": "ACME"}]).inserted_ids
    notes = run(fresh)
    [clash] = [note for note in notes if "looks like" in note]
    assert all(str(found) in clash for found in ids) and "both stand" in clash
    assert fresh.customers.count_documents({}) == 2 and "nameKey_1" in fresh.customers.index_information()
    with pytest.raises(DuplicateKeyError):
        fresh.customers.insert_one({"name": "Acme", "nameKey": "acme"})


def zero_is_o(name):
    """Rules of a next generation, for the tests: what generation 2 makes, with the digit 0 read as the letter o."""
    return names.lookalike_key(name).replace("0", "o")


@pytest.fixture
def next_generation(monkeypatch):
    """The look-alike rules of generation 3 written beside generation 2's (expand)."""
    monkeypatch.setattr(names, "LOOKALIKE_GENERATIONS", {2: names.lookalike_key, 3: zero_is_o})
    monkeypatch.setattr(names, "LOOKALIKE_RULES", 3)


def test_a_new_generation_of_the_rules_is_built_beside_the_old_and_collisions_stand(fresh, next_generation):
    ids = fresh.customers.insert_many([{"name": "sh0p", "nameKey": "sh0p"}, {"name": "shop", "nameKey": "shop"}],
                                      ).inserted_ids
    notes = run(fresh)
    assert "customers: created index nameKey3_1" in notes
    [clash] = [note for note in notes if "looks like" in note]
    assert str(ids[1]) in clash and str(ids[0]) in clash
    info = fresh.customers.index_information()
    assert info["nameKey3_1"]["partialFilterExpression"] == {"nameKey3": {"$exists": True}}
    assert "nameKey_1" in info and fresh.customers.find_one({"_id": ids[0]})["nameKey3"] == "shop"
    assert fresh.customers.find_one({"_id": ids[0]})["keyRules"] == 3
    # An older process still writes only generation 2's key: both unique indexes keep new names apart meanwhile.
    fresh.customers.insert_one({"name": "other", "nameKey": "other"})
    with pytest.raises(DuplicateKeyError):
        fresh.customers.insert_one({"name": "sh0p", "nameKey": "sh0p-new", "nameKey3": "shop"})


def test_the_old_generation_is_removed_once_the_code_no_longer_writes_it(fresh, next_generation, monkeypatch):
    fresh.customers.insert_one({"name": "written by an older process", "nameKey": "written by an older process"})
    run(fresh)
    monkeypatch.setattr(names, "LOOKALIKE_GENERATIONS", {3: zero_is_o})
    monkeypatch.setattr(names, "RETIRED_LOOKALIKE_GENERATIONS", (2,))
    notes = run(fresh)
    assert "customers: dropped index nameKey_1, no longer used" in notes
    assert fresh.customers.count_documents({"nameKey": {"$exists": True}}) == 0
    assert fresh.customers.count_documents({"nameKey3": {"$exists": True}}) == 1


def test_change_histories_of_earlier_versions_move_to_audit_events_once(fresh):
    at = ObjectId().generation_time
    customer = fresh.customers.insert_one({"name": "old", "nameKey": "old", "resellerId": ObjectId(), "history": [
        {"action": "customer.update", "at": at, "client": "192.0.2.1", "fields": ["moCharge"], "requestId": "r1"},
        {"action": "customer.suspend", "at": at, "client": "cli ops@host", "fields": ["active"]}]}).inserted_id
    run(fresh)
    moved = list(fresh.audit_events.find({"customerId": customer}).sort("_id", 1))
    assert [(event["action"], event["fields"], event["client"]) for event in moved] == [
        ("customer.update", ["moCharge"], "192.0.2.1"), ("customer.suspend", ["active"], "cli ops@host")]
    assert "history" not in fresh.customers.find_one({"_id": customer})
    fresh.upgrades.delete_many({"_id": {"$regex": "^backfill:histories"}})
    fresh.customers.update_one({"_id": customer}, {"$set": {"history": [
        {"action": "customer.update", "at": at, "client": "192.0.2.1", "fields": ["moCharge"], "requestId": "r1"}]}})
    run(fresh)
    assert fresh.audit_events.count_documents({"customerId": customer}) == 2


def test_fingerprints_that_covered_a_password_are_dropped_and_the_key_still_replays(fresh):
    reseller = ObjectId()
    fresh.users.insert_one({"username": "u", "usernameKey": "u", "resellerId": reseller, "customerId": ObjectId(),
                            "idempotency": {"key": "k", "fingerprint": "over-a-password"}})
    fresh.customers.insert_one({"name": "c", "nameKey": "c", "resellerId": reseller,
                                "idempotency": {"key": "k", "fingerprint": "no-password"}})
    run(fresh)
    assert fresh.users.find_one()["idempotency"] == {"key": "k", "v": 2}
    assert fresh.customers.find_one()["idempotency"] == {"key": "k", "fingerprint": "no-password", "v": 2}


def test_failures_counted_by_earlier_versions_are_removed(fresh):
    fresh.resellers.insert_one({"name": "old", "nameKey": "old", "authFailures": [{"client": "x"}],
                                "authFailuresVersion": 3})
    fresh.failed_reseller_names.insert_one({"_id": "ghost", "failures": []})
    notes = run(fresh)
    assert "dropped collection failed_reseller_names, no longer used" in notes
    stored = fresh.resellers.find_one({"name": "old"})
    assert "authFailures" not in stored and "authFailuresVersion" not in stored
