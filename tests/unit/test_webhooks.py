"""Webhooks' rules: the signature, the retry schedule (on a clock of the test's own: 24 hours in no time), the URL and
event types a webhook takes, the addresses a delivery may connect to, and the delivery worker over fakes."""
import hashlib
import hmac
import ipaddress
import itertools
import json
import random
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from app.adapters.webhook_sender import HttpSender
from app.domain import events, webhooks
from app.domain.events import FeedEvent
from app.domain.exceptions import ValueRefused
from app.domain.model import Event, Origin
from app.domain.webhooks import Outcome, RetrySchedule, Webhook
from app.service_layer import webhooks as webhook_service
from app.service_layer.deliveries import Delivering, Dispatcher, deliver_due
from tests.unit.fakes import FakeUnitOfWork

START = datetime(2027, 1, 1, tzinfo=UTC)
RESELLER_ID = ObjectId()


def test_the_signature_is_the_hmac_sha256_of_the_timestamp_a_dot_and_the_body():
    body = b'{"id":1}'
    expected = hmac.new(b"whsec_x", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert webhooks.signature("whsec_x", 1700000000, body) == f"t=1700000000,v1={expected}"


def test_a_delivery_is_the_event_as_the_feed_shows_it_with_its_id_and_signature():
    event = FeedEvent(7, RESELLER_ID, events.CUSTOMER_CREATED, START, "reseller", ("name",), "req-1",
                      customer_id=ObjectId())
    body, headers = webhooks.signed(event, "whsec_x", START)
    assert json.loads(body) == events.as_json(event)
    assert headers["X-Provisioning-Event-Id"] == "7"
    assert headers["X-Provisioning-Signature"] == webhooks.signature("whsec_x", int(START.timestamp()), body)


def test_new_secrets_have_256_random_bits_and_differ():
    made = {webhooks.new_secret() for _ in range(100)}
    assert len(made) == 100 and all(secret.startswith("whsec_") and len(secret) == 6 + 43 for secret in made)


def test_waits_double_from_the_first_within_their_jitter_up_to_the_most():
    schedule = RetrySchedule(first_seconds=10, most_seconds=3600, for_seconds=86400, draw=random.Random(1))
    for attempts in range(1, 20):
        whole = min(3600, 10 * 2 ** (attempts - 1))
        waits = [schedule.wait(attempts) for _ in range(50)]
        assert all(whole / 2 <= wait <= whole for wait in waits)
        assert len(set(waits)) > 1, "no jitter"


def test_retries_go_on_for_the_whole_period_the_last_at_its_end_then_stop():
    schedule = RetrySchedule(first_seconds=10, most_seconds=3600, for_seconds=86400, draw=random.Random(2))
    now, attempts, times = START, 0, []
    while True:
        attempts += 1
        next_at = schedule.next_attempt(START, attempts, now)
        if next_at is None:
            break
        assert next_at > now
        times.append(next_at)
        now = next_at
    assert now == START + timedelta(days=1)
    assert 20 < attempts < 60
    gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(times)]
    assert max(gaps) <= 3600


@pytest.mark.parametrize("url, allow_private, refused", [
    ("https://hooks.example.com/x", False, None),
    ("http://hooks.example.com/x", False, webhooks.HTTPS_ONLY),
    ("http://127.0.0.1:8000/x", True, None),
    ("https://127.0.0.1/x", False, "must not point at localhost or a private, loopback or reserved address"),
    ("https://metadata.google.internal/x", False, "must not point at localhost or a private, loopback or reserved address"),
    ("https://user:pw@hooks.example.com/x", False, "must not carry a user name or password"),
    ("ftp://hooks.example.com/x", False, "must be an absolute http or https URL"),
    ("https://hooks.example.com/" + "x" * 2048, False, "must be at most 2048 characters"),
])
def test_a_webhook_url_is_an_https_push_url(url, allow_private, refused):
    if refused is None:
        assert webhooks.webhook_url(url, allow_private=allow_private) == url
    else:
        with pytest.raises(ValueRefused) as error:
            webhooks.webhook_url(url, allow_private=allow_private)
        assert error.value.messages == [refused]


@pytest.mark.parametrize("items, taken", [
    (["*"], ("*",)), (["customer.created", "credits.changed"], ("customer.created", "credits.changed")),
    (["user.created", "*"], ("*",)), (["user.created", "user.created"], ("user.created",)),
])
def test_a_webhook_takes_event_types_or_all(items, taken):
    assert webhooks.event_types(items) == taken


@pytest.mark.parametrize("items", [["customer.deleted"], [], ["customer.created", "nope"]])
def test_unknown_event_types_are_refused(items):
    with pytest.raises(ValueRefused):
        webhooks.event_types(items)


@pytest.mark.parametrize("address, allow_private, refused", [
    ("93.184.215.14", False, False), ("10.0.0.1", False, True), ("127.0.0.1", False, True),
    ("127.0.0.1", True, False), ("10.0.0.1", True, False), ("::ffff:192.168.1.1", False, True),
    ("169.254.169.254", True, True), ("fd00:ec2::254", True, True), ("0.0.0.0", True, True),
    ("fe80::1", True, True), ("224.0.0.1", True, True), ("2606:4700::1111", False, False),
])
def test_a_delivery_connects_only_to_addresses_the_push_url_rules_allow(address, allow_private, refused):
    assert (webhooks.refusal(ipaddress.ip_address(address), allow_private=allow_private) is not None) is refused


def test_a_name_that_resolves_to_a_private_address_at_delivery_time_is_refused_without_connecting():
    """DNS rebinding: the name was public when the webhook was made; now it answers an inside address. The unit tier
    fails any connection attempt, so refusing here proves none was made."""
    asked = []

    def rebound(host, port):
        asked.append((host, port))
        return [ipaddress.ip_address("93.184.215.14"), ipaddress.ip_address("10.1.2.3")]

    outcome = HttpSender(allow_private=False, resolver=rebound).post("https://hooks.example.com/x", b"{}", {})
    assert asked == [("hooks.example.com", 443)]
    assert outcome.code is None and "10.1.2.3 is a private" in outcome.error and not outcome.taken


class Clock:
    def __init__(self):
        self.now = START

    def __call__(self):
        return self.now


class Receiver:
    """A fake sender: answers by event id from a script (200 when the script is out), recording every request."""

    def __init__(self, **script):
        self.script = {int(key.removeprefix("e")): list(codes) for key, codes in script.items()}
        self.sent = []

    def post(self, url, body, headers):
        event_id = json.loads(body)["id"]
        self.sent.append(event_id)
        codes = self.script.get(event_id) or [200]
        return Outcome(codes.pop(0) if len(codes) > 1 or event_id not in self.script else codes[0])


def feed_with(uow, count, event_type=events.CUSTOMER_CREATED):
    return [uow.events.append(FeedEvent(0, RESELLER_ID, event_type, START, "reseller")) for _ in range(count)]


def hooked(uow, types=("*",)):
    webhook = Webhook(ObjectId(), RESELLER_ID, "https://hooks.example.com/x", types,
                      Event("webhook.create", START, Origin("tests")))
    uow.webhooks.add(webhook, "whsec_test")
    return webhook.id


def work(uow, sender, clock, **schedule):
    return Delivering(lambda: uow, sender, clock, RetrySchedule(draw=random.Random(3), **schedule))


def test_an_event_refused_three_times_is_retried_on_the_schedule_and_later_events_wait_behind_it():
    uow, clock = FakeUnitOfWork(), Clock()
    feed_with(uow, 3)
    webhook_id = hooked(uow)
    receiver = Receiver(e2=[500, 500, 500, 200])
    doing = work(uow, receiver, clock)
    assert deliver_due(webhook_id, doing) == 1
    for _ in range(3):
        retry_at = uow.webhooks.with_id(webhook_id).retry_at
        assert retry_at > clock.now
        assert deliver_due(webhook_id, doing) == 0, "tried before its time"
        clock.now = retry_at
        deliver_due(webhook_id, doing)
    assert receiver.sent == [1, 2, 2, 2, 2, 3]
    delivery = uow.deliveries.of(webhook_id, 2)
    assert (delivery.state, delivery.attempts, delivery.last_code) == ("delivered", 4, 200)
    assert uow.webhooks.with_id(webhook_id).through == 3


def test_a_webhook_that_refuses_for_the_whole_period_is_failing_until_replayed():
    uow, clock = FakeUnitOfWork(), Clock()
    feed_with(uow, 2)
    webhook_id = hooked(uow)
    receiver = Receiver(e1=[503])
    doing = work(uow, receiver, clock, first_seconds=10, most_seconds=3600, for_seconds=86400)
    while not uow.webhooks.with_id(webhook_id).failing:
        deliver_due(webhook_id, doing)
        retry_at = uow.webhooks.with_id(webhook_id).retry_at
        if retry_at:
            clock.now = retry_at
    assert clock.now == START + timedelta(days=1)
    failed = uow.deliveries.of(webhook_id, 1)
    assert failed.state == "failed" and failed.last_code == 503 and failed.attempts == len(receiver.sent)
    assert deliver_due(webhook_id, doing) == 0 and 2 not in receiver.sent
    receiver.script = {}
    replayed = webhook_service.replay(webhook_id, None, uow=uow)
    assert replayed.first == 1 and replayed.webhook.state == "active"
    assert deliver_due(webhook_id, doing) == 2
    assert receiver.sent[-2:] == [1, 2]


def test_a_webhook_is_given_only_the_types_it_takes_and_moves_past_the_others():
    uow, clock = FakeUnitOfWork(), Clock()
    feed_with(uow, 2)
    feed_with(uow, 1, events.CREDITS_CHANGED)
    feed_with(uow, 2)
    webhook_id = hooked(uow, (events.CREDITS_CHANGED,))
    receiver = Receiver()
    assert deliver_due(webhook_id, work(uow, receiver, clock)) == 1
    assert receiver.sent == [3]
    assert uow.webhooks.with_id(webhook_id).through == 5


def test_a_new_webhook_is_given_the_events_after_it_was_made():
    uow, clock = FakeUnitOfWork(), Clock()
    feed_with(uow, 4)
    made, _ = webhook_service.create_webhook(
        RESELLER_ID, webhook_service.NewWebhook(None, "https://hooks.example.com/x", ("*",)), Origin("tests"),
        uow=uow, clock=clock)
    feed_with(uow, 1)
    receiver = Receiver()
    deliver_due(made.id, work(uow, receiver, clock))
    assert receiver.sent == [5]


class Stalled:
    """A sender whose receiver at one URL holds every delivery until released (a slow receiver); the others answer
    at once. Records what each URL was sent."""

    def __init__(self, stalled_url):
        self.stalled_url = stalled_url
        self.release = threading.Event()
        self.sent = {}

    def post(self, url, body, headers):
        self.sent.setdefault(url, []).append(json.loads(body)["id"])
        if url == self.stalled_url:
            self.release.wait(30)
        return Outcome(200)


def test_a_stalled_receiver_holds_only_its_own_deliveries():
    uow, clock = FakeUnitOfWork(), Clock()
    feed_with(uow, 5)
    slow, quick = hooked(uow), hooked(uow)
    uow.webhooks.stored[quick] = replace(uow.webhooks.stored[quick], url="https://quick.example.com/x")
    sender = Stalled("https://hooks.example.com/x")
    dispatcher = Dispatcher(work(uow, sender, clock), concurrency=2, tick_seconds=0.01)
    stop = threading.Event()
    running = threading.Thread(target=dispatcher.run, args=(stop,))
    running.start()
    try:
        deadline = time.monotonic() + 30
        while sender.sent.get("https://quick.example.com/x") != [1, 2, 3, 4, 5]:
            assert time.monotonic() < deadline, f"the quick receiver waited behind the stalled one: {sender.sent}"
            stop.wait(0.01)
        assert sender.sent["https://hooks.example.com/x"] == [1], "the stalled receiver got more than its first"
        assert uow.webhooks.with_id(slow).through == 0
    finally:
        sender.release.set()
        stop.set()
        running.join(30)
    assert uow.webhooks.with_id(quick).through == 5
