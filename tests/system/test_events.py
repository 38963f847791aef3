"""The events relay and webhook deliveries through real processes: the relay (`provisioning events relay`) and a
receiver (an HTTP server of the test), with the writes made through the API."""
import hashlib
import hmac
import json
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from pymongo import MongoClient

from scripts.embedded_db import free_port
from tests.support.apps import RESELLER, Operator, app_for, create_reseller
from tests.support.relays import Receiver, Relay
from tests.support.servers import Gunicorn, call, eventually

API = "/services/rest"


def verified(delivery, secret):
    """Check a delivery's signature as a receiver does (README.md, "Receiving webhooks")."""
    fields = dict(part.split("=", 1) for part in delivery["headers"]["X-Provisioning-Signature"].split(","))
    expected = hmac.new(secret.encode(), fields["t"].encode() + b"." + delivery["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


@pytest.fixture
def fresh(spare_database):
    """A database of the test's own (its indexes made, the relay's start noted by db upgrade), the app on it with
    private webhook targets allowed (the receiver is on loopback), and the reseller acme."""
    uri = spare_database()
    app = app_for(uri, ALLOW_PRIVATE_PUSH_TARGETS="on")
    create_reseller(app)
    with MongoClient(uri, tz_aware=True) as client:
        yield uri, app, app.test_client(), client.get_default_database()


def post(client, path, **params):
    answer = client.post(f"{API}/{path}", data={**RESELLER, **params})
    assert answer.status_code in (200, 201), (path, answer.json)
    return answer.json


def relay_metrics(port):
    """The relay's Prometheus metrics, by name (the samples without labels)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    return {line.split()[0]: float(line.split()[1]) for line in text.splitlines()
            if line and not line.startswith("#") and "{" not in line}


def subscribe(client, receiver, events="*"):
    made = post(client, "webhook/create", url=receiver.url, events=events)
    return made["id"], made["secret"]


def feed(client, after=0, **filters):
    """Every event of the feed after an id, page by page."""
    found = []
    while True:
        page = post(client, "events/list", after=after, limit=100, **filters)
        found += page["events"]
        if page["next"] is None:
            return found
        after = page["next"]


def test_a_receiver_gets_every_change_in_order_signed(fresh):
    uri, _, client, _ = fresh
    metrics_port = free_port()
    with Receiver() as receiver, Relay(uri, RELAY_METRICS_PORT=metrics_port):
        _, secret = subscribe(client, receiver)
        customer = post(client, "customer/create", name="shop")["id"]
        post(client, "customer/update", customerId=customer, moCharge=5)
        user = post(client, "user/create", customerId=customer, username="jdoe", password="p", email="a@b.com",
                    phoneNumber="1")["id"]
        post(client, "user/update", userId=user, email="c@d.com")
        post(client, "user/suspend", userId=user)
        post(client, "user/resume", userId=user)
        post(client, "customer/suspend", customerId=customer)
        post(client, "customer/resume", customerId=customer)
        post(client, "customer/credit", customerId=customer, amount=50, reason="TOPUP")
        post(client, "customer/credit", customerId=customer, amount=-20, reason="REFUND")
        key = post(client, "apikey/create", label="billing")["id"]
        post(client, "apikey/revoke", keyId=key)
        post(client, "customer-user/create", customer="kiosk", username="kiosk", password="p", applyFreeCredits="true")
        expected = ["customer.created", "customer.updated", "user.created", "user.updated", "user.suspended",
                    "user.resumed", "customer.suspended", "customer.resumed", "credits.changed", "credits.changed",
                    "apikey.created", "apikey.revoked", "customer.created", "credits.changed", "user.created"]
        eventually(lambda: len(receiver.taken()) >= len(expected), 60, "the receiver did not get every event")
        eventually(lambda: relay_metrics(metrics_port)["provisioning_webhook_deliveries_taken_total"] == len(expected),
                   30, "the relay's metrics did not count every delivery")
        metrics = relay_metrics(metrics_port)
    assert metrics["provisioning_events_relay_leading"] == 1
    assert metrics["provisioning_events_relayed_total"] == len(expected)
    assert metrics["provisioning_events_relay_lag_seconds"] >= 0
    deliveries = receiver.all()
    assert [one["event"]["type"] for one in deliveries] == expected
    assert [one["event"]["id"] for one in deliveries] == list(range(1, len(expected) + 1))
    assert all(verified(one, secret) for one in deliveries)
    assert all(one["headers"]["X-Provisioning-Event-Id"] == str(one["event"]["id"]) for one in deliveries)
    assert deliveries[1]["event"]["changed"] == ["moCharge"] and deliveries[3]["event"]["changed"] == ["email"]
    assert deliveries[8]["event"]["amount"] == 50 and deliveries[9]["event"]["balanceAfter"] == 30
    assert all(one["event"]["origin"] == "reseller" and one["event"]["requestId"] for one in deliveries)
    assert [event["id"] for event in feed(client)] == list(range(1, len(expected) + 1))
    assert [event["type"] for event in feed(client, customerId=customer)] == expected[:10]


def test_a_receiver_that_refuses_an_event_gets_it_again_and_later_events_wait_behind_it(fresh):
    uri, app, client, _ = fresh
    with Receiver(answer=lambda event_id, seen: 500 if event_id == 2 and seen < 3 else 200) as receiver, Relay(uri):
        webhook, _ = subscribe(client, receiver, events="customer.created")
        for name in ("one", "two", "three"):
            post(client, "customer/create", name=name)
        eventually(lambda: len(receiver.taken()) == 3, 60, "the receiver did not take the three events")
        deliveries = receiver.all()
    assert [(one["event"]["id"], one["code"]) for one in deliveries] == [
        (1, 200), (2, 500), (2, 500), (2, 500), (2, 200), (3, 200)]
    listed = Operator(app).invoke(["webhook", "deliveries", webhook])
    assert listed.exit_code == 0, listed.output
    rows = {line.split()[0]: line.split() for line in listed.output.splitlines()[1:]}
    assert rows["2"][2:5] == ["delivered", "4", "200"] and rows["3"][2:5] == ["delivered", "1", "200"]


def test_a_relay_killed_amid_a_thousand_changes_leaves_one_event_per_change_and_every_webhook_gets_each(fresh):
    uri, _, client, database = fresh
    changes = 1000
    with Receiver() as first, Receiver() as second:
        subscribe(client, first)
        subscribe(client, second, events="customer.created,credits.changed")
        with Relay(uri) as killed:
            eventually(killed.leading, 30, "the first relay did not take the lease")
            with Relay(uri) as standby:
                writer = threading.Thread(target=write_changes, args=(client, changes))
                writer.start()
                eventually(lambda: database.events.count_documents({}) >= changes // 3, 120,
                           "the relay wrote too few events")
                killed.kill()
                written_by_the_first = database.events.count_documents({})
                writer.join()
                eventually(lambda: database.events.count_documents({}) == changes, 120,
                           "the standby relay did not write every event")
                eventually(lambda: {event["id"] for event in first.taken()} == set(range(1, changes + 1)), 120,
                           "a webhook did not get every event")
                eventually(lambda: {event["id"] for event in second.taken()} == set(range(1, changes + 1)), 120,
                           "a webhook did not get every event")
        assert '"events relay leading"' in standby.output
    assert written_by_the_first < changes
    events = feed(client)
    assert [event["id"] for event in events] == list(range(1, changes + 1))
    sources = [event.get("transactionId") or event["customerId"] for event in events]
    assert len(set(sources)) == changes
    assert sorted({event["type"] for event in events}) == ["credits.changed", "customer.created"]


def write_changes(client, count):
    """count changes through the API: each a customer's creation followed by a credit change of it."""
    for number in range(count // 2):
        customer = post(client, "customer/create", name=f"c{number}")["id"]
        post(client, "customer/credit", customerId=customer, amount=1, reason="TOPUP")


def test_the_feed_paged_from_0_under_32_concurrent_writers_holds_every_change_once(fresh):
    uri, _, _, _ = fresh
    writers, total = 32, 320
    read, failures = [], []
    with Gunicorn(MONGODB_URI=uri, ARGON2_TIME_COST=1, ARGON2_MEMORY_KIB=8) as server, Relay(uri) as relay:
        def create(number):
            code, body, _ = call(server.url(f"{API}/customer/create"), {**RESELLER, "name": f"w{number}"})
            assert code == 201, body
            return json.loads(body)["id"]

        def read_while_they_write():
            after, deadline = 0, time.monotonic() + 180
            try:
                while len(read) < total and time.monotonic() < deadline:
                    code, body, _ = call(server.url(f"{API}/events/list"), {**RESELLER, "after": after, "limit": 100})
                    assert code == 200, body
                    page = json.loads(body)["events"]
                    read.extend(page)
                    after = page[-1]["id"] if page else after
                    if not page:
                        threading.Event().wait(0.05)  # polling the feed, as a back-end does
            except Exception as error:  # the reader's failure is the test's, not a thread's warning
                failures.append(error)

        reader = threading.Thread(target=read_while_they_write)
        reader.start()
        with ThreadPoolExecutor(writers) as pool:
            created = set(pool.map(create, range(total)))
        reader.join()
    assert not failures, failures
    # What the relay logged tells why, when the feed is short: the relay's lines are the test's failure message.
    assert [event["id"] for event in read] == list(range(1, total + 1)), relay.output[-4000:]
    assert {event["customerId"] for event in read} == created
