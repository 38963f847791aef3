"""The events relay against the database: each committed change becomes one event, numbered in its reseller's order
without gaps; a change read again (after a crash) makes no second event and takes no number; the position is saved
with the events; a relay whose lease another took writes nothing; db upgrade notes where the first relay starts."""
from datetime import timedelta

import pytest
from pymongo import MongoClient
from pymongo.errors import DuplicateKeyError

from app.adapters.documents import EVENT_RELAY
from app.adapters.relay import LEASE_ID, POSITION_ID
from app.domain.exceptions import RelayLeaseLost
from tests.support.apps import RESELLER, app_for, create_reseller, provisioning
from tests.support.relays import InProcessRelay

OTHER = {"resellerName": "other", "resellerPassword": "other secret"}


@pytest.fixture
def fresh(spare_database):
    """An app on a database of the test's own (db upgrade noted where the first relay starts), with two resellers."""
    uri = spare_database()
    app = app_for(uri)
    create_reseller(app)
    create_reseller(app, OTHER["resellerName"], OTHER["resellerPassword"])
    with MongoClient(uri, tz_aware=True) as client:
        yield app, app.test_client(), client.get_default_database()


def post(client, path, credentials=RESELLER, **params):
    answer = client.post(f"/services/rest/{path}", data={**credentials, **params})
    assert answer.status_code in (200, 201), (path, answer.json)
    return answer.json


def read_all(relay, count):
    """The changes the stream holds from the relay's start (at least count of them), and the position after them."""
    reader = relay.open_changes(0.1)
    try:
        changes, token = [], None
        while len(changes) < count:
            batch = reader.next_batch(count - len(changes), 1.0)
            changes += batch.changes
            token = batch.token
        return tuple(changes), token
    finally:
        reader.close()


def test_db_upgrade_notes_where_the_first_relay_starts_so_writes_before_it_ran_have_events(fresh):
    app, client, database = fresh
    assert database[EVENT_RELAY].find_one({"_id": POSITION_ID})["startAt"] is not None
    post(client, "customer/create", name="before-any-relay")
    with InProcessRelay(provisioning(app)) as relay:
        relay.wait_for(1)
    [event] = database.events.find()
    assert (event["type"], event["seq"]) == ("customer.created", 1)


def test_each_reseller_has_its_own_order_without_gaps_whatever_the_interleaving(fresh):
    app, client, database = fresh
    for number in range(6):
        post(client, "customer/create", RESELLER if number % 2 else OTHER, name=f"c{number}")
    with InProcessRelay(provisioning(app)) as relay:
        relay.wait_for(6)
    for reseller in database.resellers.find():
        numbers = [event["seq"] for event in database.events.find({"resellerId": reseller["_id"]}).sort("seq", 1)]
        assert numbers == [1, 2, 3]
        assert database.event_sequences.find_one({"_id": reseller["_id"]})["last"] == 3


def test_a_change_read_again_after_a_crash_makes_no_second_event_and_takes_no_number(fresh):
    app, client, database = fresh
    customer = post(client, "customer/create", name="shop")["id"]
    post(client, "customer/update", customerId=customer, moCharge=5)
    relay = provisioning(app).relay()
    assert relay.take_lease()
    changes, token = read_all(relay, 2)
    assert [event.id for event in relay.append(changes, token)] == [1, 2]
    # The same changes again, as a relay that died after its commit and before its position reached it reads them.
    assert relay.append(changes, token) == []
    assert database.events.count_documents({}) == 2
    assert database.event_sequences.find_one()["last"] == 2
    stored = database.events.find_one({"seq": 1})
    assert stored["_id"] == f"customers:{customer}"
    with pytest.raises(DuplicateKeyError):
        database.events.insert_one({**stored, "seq": 3})
    relay.release_lease()


def test_the_position_is_saved_with_the_events_and_a_new_relay_reads_only_what_came_after(fresh):
    app, client, database = fresh
    post(client, "customer/create", name="first")
    tools = provisioning(app)
    relay = tools.relay()
    assert relay.take_lease()
    changes, token = read_all(relay, 1)
    relay.append(changes, token)
    assert database[EVENT_RELAY].find_one({"_id": POSITION_ID})["token"] == token
    relay.release_lease()
    post(client, "customer/create", name="second")
    after = tools.relay()
    assert after.take_lease()
    [change], _ = read_all(after, 1)
    assert change.sourced.event.type == "customer.created"
    assert after.append((change,), None)[0].id == 2
    after.release_lease()


def test_a_batch_written_in_parts_saves_the_position_only_with_its_last_part(fresh):
    app, client, database = fresh
    post(client, "customer/create", name="first")
    post(client, "customer/create", name="second")
    relay = provisioning(app).relay()
    assert relay.take_lease()
    before = database[EVENT_RELAY].find_one({"_id": POSITION_ID})
    changes, token = read_all(relay, 2)
    assert [event.id for event in relay.append(changes[:1], None)] == [1]
    assert database[EVENT_RELAY].find_one({"_id": POSITION_ID}) == before
    assert [event.id for event in relay.append(changes, token)] == [2]
    assert database[EVENT_RELAY].find_one({"_id": POSITION_ID})["token"] == token
    relay.release_lease()


def test_a_relay_whose_lease_another_took_writes_nothing(fresh):
    app, client, database = fresh
    post(client, "customer/create", name="shop")
    tools = provisioning(app)
    first, second = tools.relay(), tools.relay()
    assert first.take_lease()
    assert not second.take_lease(), "two relays held the lease"
    changes, token = read_all(first, 1)
    # The first stalls past its lease (a long pause, a partition): the second takes it over.
    database[EVENT_RELAY].update_one({"_id": LEASE_ID}, {"$set": {"expiresAt": first.database_now() - timedelta(1)}})
    assert second.take_lease()
    with pytest.raises(RelayLeaseLost):
        first.append(changes, token)
    assert database.events.count_documents({}) == 0
    assert [event.id for event in second.append(changes, token)] == [1]
    second.release_lease()


def test_creations_changes_credits_and_keys_make_the_events_the_contract_names(fresh):
    app, client, database = fresh
    customer = post(client, "customer/create", name="shop", integrationId="crm-1")["id"]
    user = post(client, "user/create", customerId=customer, username="jdoe", password="secret-pw", email="a@b.com",
                phoneNumber="1")["id"]
    post(client, "user/update", userId=user, password="another-pw")
    post(client, "customer/credit", customerId=customer, amount=7, reason="TOPUP")
    key = post(client, "apikey/create", label="l")["id"]
    post(client, "apikey/revoke", keyId=key)
    post(client, "customer/get", customerId=customer)  # a read makes none
    with InProcessRelay(provisioning(app)) as relay:
        relay.wait_for(6)
    events = list(database.events.find().sort("seq", 1))
    assert [event["type"] for event in events] == ["customer.created", "user.created", "user.updated",
                                                   "credits.changed", "apikey.created", "apikey.revoked"]
    assert "integrationId" in events[0]["changed"] and events[2]["changed"] == ["password"]
    assert "secret-pw" not in str(events) and "another-pw" not in str(events)
    assert (events[3]["amount"], events[3]["balanceAfter"], events[3]["reason"]) == (7, 7, "TOPUP")
    assert all(event["origin"] == "reseller" and event["requestId"] for event in events)
    assert database.events.count_documents({}) == 6
