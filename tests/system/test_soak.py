"""A bounded soak through gunicorn: thousands of mixed requests at 16 clients, with a database restart in the middle.

Creates go with and without an Idempotency-Key. Afterwards every 201 has exactly its documents, no document
exists that no 201 announced (but a create without a key whose answer a 503 took, whose retry then found its
name taken), no customer is left without its user, every retry with a key got the answer of the request that
created with it (before one did, a refusal of its own),
nothing answered 5xx but 503 (retried until it settled), and no password reached a log line.
"""
import json
import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

from bson import ObjectId
from pymongo import MongoClient

from app import create_app
from scripts.embedded_db import EmbeddedDatabase
from tests.support.apps import CHEAP_ARGON2, create_reseller, provisioning
from tests.support.database import upgrade, with_database
from tests.support.servers import Gunicorn, call

CLIENTS = 16
REQUESTS = 2400
RETRIES = 300
KEY_IN_FLIGHT = 8
RESELLER = {"resellerName": "soak", "resellerPassword": "soak-reseller-secret"}
ALLOWED_ANSWERS = {200, 201, 400, 401, 404, 409, 422, 429, 503}


def plan(customer_ids, rng):
    """The mixed requests: (path, params, Idempotency-Key or None), in a shuffled order."""
    requests = []
    for number in range(REQUESTS):
        kind = rng.choices(["customer", "unkeyed", "user", "customer-user", "invalid", "racing", "wrong", "update",
                            "suspension"], [25, 5, 20, 25, 10, 10, 5, 8, 4])[0]
        key = uuid.uuid4().hex
        if kind in ("customer", "unkeyed"):
            requests.append(("/services/rest/customer/create", {**RESELLER, "name": f"c{number}"},
                             key if kind == "customer" else None))
        elif kind == "user":
            requests.append(("/services/rest/user/create", {
                **RESELLER, "username": f"u{number}", "password": f"user-pw-{key}", "customerId": rng.choice(customer_ids),
                "email": f"u{number}@example.com", "phoneNumber": "+48 1"}, key))
        elif kind == "customer-user":
            requests.append(("/services/rest/customer-user/create", {
                **RESELLER, "customer": f"cu{number}@soak", "username": f"cu{number}@soak", "password": f"app-pw-{key}",
                "applyFreeCredits": rng.choice(["true", "false"])}, key))
        elif kind == "invalid":
            requests.append(("/services/rest/customer/create", {**RESELLER, "name": "has space", "moCharge": "x"}, None))
        elif kind == "update":
            requests.append(("/services/rest/customer/update", {**RESELLER, "customerId": rng.choice(customer_ids),
                                                                "moCharge": str(number)}, None))
        elif kind == "suspension":
            action = rng.choice(["suspend", "resume"])
            requests.append((f"/services/rest/customer/{action}", {**RESELLER, "customerId": rng.choice(customer_ids)}, None))
        elif kind == "racing":
            name = f"race{number % 40}"
            requests.append(("/services/rest/customer/create", {**RESELLER, "name": name}, key))
        else:
            requests.append(("/services/rest/customer/create", {"resellerName": "ghost", "resellerPassword": "guess",
                                                                "name": f"g{number}"}, None))
    rng.shuffle(requests)
    for index in rng.sample(range(len(requests)), 200):
        requests.append(requests[index])  # a client retrying a request whose answer it never read
    return requests


def send(url, params, key, answers_seen):
    """Send one request; retry a 503 or a key still in flight (status 8) until it settles. Return the answer, and
    whether a 503 came first (the outcome of a write then unknown to the caller)."""
    headers = {"Idempotency-Key": key} if key else {}
    unknown = False
    for _ in range(RETRIES):
        code, body, _ = call(url, params, headers)
        answers_seen.append(code)
        answer = json.loads(body)
        if code != 503 and answer["status"] != KEY_IN_FLIGHT:
            return code, answer, unknown
        unknown = unknown or code == 503
        time.sleep(0.1)
    raise AssertionError(f"{url} never settled after the database came back")


def test_a_soak_with_a_database_restart_loses_and_duplicates_nothing(tmp_path):
    rng = random.Random(20261126)
    database = EmbeddedDatabase(storage_path=str(tmp_path / "db")).start()
    uri = with_database(database.uri, "soak")
    setup = create_app({"MONGODB_URI": uri, **CHEAP_ARGON2})
    upgrade(provisioning(setup).database)
    create_reseller(setup, RESELLER["resellerName"], RESELLER["resellerPassword"], free_credits=3)
    provisioning(setup).database.client.close()
    answers_seen, settled, restarts, lost = [], [], [], set()
    try:
        with Gunicorn(MONGODB_URI=uri, MONGODB_TIMEOUT_MS=500, WEB_CONCURRENCY=4,
                      **CHEAP_ARGON2) as server:
            customer_ids = [json.loads(call(server.url("/services/rest/customer/create"),
                                            {**RESELLER, "name": f"base{n}"})[1])["id"] for n in range(20)]
            requests = plan(customer_ids, rng)
            done = threading.Event()

            def restart_midway():
                while len(settled) < len(requests) // 2 and not done.is_set():
                    time.sleep(0.05)
                database.stop()
                time.sleep(1.5)
                database.start()
                restarts.append(time.monotonic())

            restarter = threading.Thread(target=restart_midway)
            restarter.start()

            def run(request):
                path, params, key = request
                *answer, unknown = send(server.url(path), params, key, answers_seen)
                settled.append((path, params, key, tuple(answer)))
                if unknown and key is None:
                    lost.add(params.get("name"))

            with ThreadPoolExecutor(CLIENTS) as pool:
                list(pool.map(run, requests))
            done.set()
            restarter.join()
        log = server.output
    finally:
        database.stop()
    database.start()
    try:
        with MongoClient(uri) as client:
            check(client.get_default_database(), settled, answers_seen, log, customer_ids, restarts, lost)
    finally:
        database.stop()


def created_at(answers):
    """Where the first answer that created something is among a key's answers (the first answer when none did)."""
    return next((at for at, answer in enumerate(answers) if answer.startswith("[20")), 0)


def check(db, settled, answers_seen, log, base_customer_ids, restarts, lost):
    codes = Counter(answers_seen)
    assert set(codes) <= ALLOWED_ANSWERS, codes
    assert len(restarts) == 1 and codes[503] > 0, "the restart was not felt"
    assert all(code != 503 and answer["status"] != KEY_IN_FLIGHT for _, _, _, (code, answer) in settled)
    by_key = defaultdict(list)
    for _, _, key, (code, body) in settled:
        if key:
            # A refused request (409 status 3, say) claims no key: its retry is refused afresh, under its own request id.
            answer = {name: value for name, value in body.items() if name != "requestId"}
            by_key[key].append(json.dumps([code, answer], sort_keys=True))
    assert sum(len(answers) for answers in by_key.values()) > len(by_key), "no retry was sent twice"
    # Once a key has created something, every retry gets that answer; before, a refusal that depends on a state the
    # soak changes (a user under a customer suspended then, status 12) may differ from a later request's.
    differing = {key: answers for key, answers in by_key.items() if len(set(answers[created_at(answers):])) > 1}
    assert not differing, f"a retry with the same key got another answer (in the order they were settled): {differing}"

    announced_customers = set(base_customer_ids)
    announced_users = {}
    customer_by_name = defaultdict(set)
    for path, params, _, (code, body) in settled:
        if code != 201:
            continue
        if path.endswith("/customer/create"):
            announced_customers.add(body["id"])
            customer_by_name[params["name"]].add(body["id"])
        elif path.endswith("/user/create"):
            announced_users[body["id"]] = params["customerId"]
        else:
            announced_customers.add(body["customerId"])
            announced_users[body["id"]] = body["customerId"]

    stored_customers = {str(c["_id"]): c for c in db.customers.find()}
    stored_users = {str(u["_id"]): u for u in db.users.find()}
    assert announced_customers <= stored_customers.keys(), "201s naming customers that are not stored"
    # A create without a key whose answer a 503 took may have happened all the same: its retry then found the name taken
    # (409). Only such a customer is stored without a 201 (when the first try had not written, the retry's 201 announced
    # it, and it is announced like any other).
    unannounced = stored_customers.keys() - announced_customers
    assert all(stored_customers[customer]["name"] in lost for customer in unannounced), "customers that no 201 announced"
    assert set(stored_users) == announced_users.keys(), "users that no 201 announced, or 201s without a user"
    assert all(str(stored_users[user]["customerId"]) == customer for user, customer in announced_users.items())
    assert all(len(ids) == 1 for ids in customer_by_name.values()), "a racing name announced twice"
    phone_app_customers = [c for c in stored_customers.values() if c["name"].startswith("cu")]
    with_users = {str(u["customerId"]) for u in stored_users.values()}
    assert all(str(c["_id"]) in with_users for c in phone_app_customers), "a customer left without its user"
    credited = {str(t["customerId"]) for t in db.credit_transactions.find()}
    assert credited == {str(c["_id"]) for c in phone_app_customers if c["credits"] > 0}
    created_by = Counter(document["createdBy"]["action"] for document in [*stored_customers.values(), *stored_users.values()])
    phone_app_users = {user for user, customer in announced_users.items() if stored_customers[customer]["name"].startswith("cu")}
    assert created_by["customer-user.create"] == 2 * len(phone_app_users)
    assert created_by["user.create"] == len(announced_users) - len(phone_app_users)
    assert created_by["customer.create"] == len(announced_customers) + len(unannounced) - len(phone_app_users)

    check_changes(db, settled, base_customer_ids)
    secrets = {RESELLER["resellerPassword"], "guess"} | {params["password"] for _, params, _, _ in settled if "password" in params}
    assert not [secret for secret in secrets if secret in log]
    print(f"soak: {len(settled)} requests settled, {len(answers_seen)} sent, answers {dict(codes)}, "
          f"{len(restarts)} database restart survived")


def check_changes(db, settled, base_customer_ids):
    """Every settled update or suspension is recorded in the audit trail, in the change's transaction (a retried one
    may be recorded twice, never lost), each customer's moCharge is one that was sent for it, and nothing but the base
    customers changed."""
    updates, sent_charges = Counter(), defaultdict(set)
    for path, params, _, (code, _) in settled:
        if path.endswith("/update"):
            sent_charges[params["customerId"]].add(int(params["moCharge"]))
            updates[params["customerId"]] += code == 200
    for customer in db.customers.find({"_id": {"$in": [ObjectId(c) for c in base_customer_ids]}}):
        recorded = Counter(event["action"] for event in db.audit_events.find({"customerId": customer["_id"]}))
        assert recorded["customer.update"] >= updates[str(customer["_id"])]
        assert customer["moCharge"] == 0 or customer["moCharge"] in sent_charges[str(customer["_id"])]
    assert not db.audit_events.find_one({"customerId": {"$nin": [ObjectId(c) for c in base_customer_ids]}})
