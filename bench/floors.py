"""The floor of each endpoint: the least work the contract makes one request do, in raw pymongo, with no HTTP, no
validation and no framework, from as many processes as gunicorn has workers and as many threads as clients.

- customer/create: read the reseller, insert the customer. With an Idempotency-Key, the key goes in the insert
  (under its unique index). With an API key: read the key with its reseller (one $lookup), insert. With the
  reseller's password checked in full: read the reseller, verify its argon2id hash, insert.
- user/create: read the reseller and the customer, hash the new password, insert the user.
- customer-user/create: read the reseller, hash the password, write the customer, its free-credit entry and the
  user in one transaction.
- customer/get: read the reseller and the customer.
- user/update: read the reseller; update the user and record the change in the audit trail, in one transaction
  (the contract records every change).
- customer/credit: read the reseller; change the balance (never below 0) and read it, append the ledger entry and
  the audit event, in one transaction (an update and a read rather than a findAndModify, which SecantusDB runs as a
  scan).

The creates write into collections of their own with only the indexes the contract requires. The transactions are
retried on a write conflict (pymongo's with_transaction), as the service retries them; each client changes its own
turn of the users or customers, as wrk spreads the service's requests.
"""
import os
import statistics
import threading
import time
from datetime import UTC, datetime
from multiprocessing import get_context

from argon2 import PasswordHasher, Type
from bson import ObjectId
from pymongo import MongoClient

KEYED = {"unique": True, "partialFilterExpression": {"idempotency.key": {"$exists": True}}}
FLOOR_INDEXES = {"floor_customers": [([("name", 1)], {"unique": True}), ([("resellerId", 1)], {}),
                                     ([("resellerId", 1), ("idempotency.key", 1)], KEYED)],
                 "minimal_customers": [([("name", 1)], {"unique": True}), ([("resellerId", 1)], {})],
                 "floor_users": [([("username", 1)], {"unique": True}), ([("customerId", 1)], {})],
                 "floor_credit_transactions": [([("customerId", 1)], {})],
                 "floor_audit_events": [([("customerId", 1)], {})]}
HASHING = {"user", "customer-user"}


def prepare(uri):
    """The floors' collections, with the contract's indexes only."""
    with MongoClient(uri) as client:
        database = client.get_default_database()
        for collection, indexes in FLOOR_INDEXES.items():
            for keys, options in indexes:
                database[collection].create_index(keys, **options)


class Request:
    """One floor request of a kind, with what it needs: the fixture's ids, the reseller's credentials, a hasher."""

    def __init__(self, database, client, fixture, argon2):
        self.db, self.client, self.fixture = database, client, fixture
        self.hasher = PasswordHasher(**argon2, type=Type.ID)

    def reseller(self):
        return self.db.resellers.find_one({"name": self.fixture.reseller})

    def customer(self, unique, reseller_id, **more):
        return {"_id": ObjectId(), "name": unique, "resellerId": reseller_id, "integrationId": "",
                "rotationAlgorithm": "MAX_ROTATION", "billingType": "PRE_PAID", "moCharge": 5, "credits": 0,
                "active": True, "createdAt": datetime.now(UTC), **more}

    def user(self, unique, reseller_id, customer_id):
        return {"_id": ObjectId(), "username": unique, "passwordHash": self.hasher.hash(f"user-pw-{unique}"),
                "resellerId": reseller_id, "customerId": customer_id, "email": f"{unique}@example.com",
                "swappingSourceAddressAllowed": False, "active": True, "createdAt": datetime.now(UTC)}

    def audit(self, action, **ids):
        return {"action": action, "at": datetime.now(UTC), "client": "bench", **ids}

    def run(self, kind, unique, count):
        getattr(self, kind.replace("-", "_"))(unique, count)

    def customer_plain(self, unique, count):
        self.db.floor_customers.insert_one(self.customer(unique, self.reseller()["_id"]))

    def customer_keyed(self, unique, count):
        reseller_id = self.reseller()["_id"]
        self.db.floor_customers.insert_one(self.customer(unique, reseller_id, idempotency={"key": f"key-{unique}"}))

    def customer_apikey(self, unique, count):
        [key] = self.db.api_keys.aggregate([
            {"$match": {"_id": self.fixture.key_id}},
            {"$lookup": {"from": "resellers", "localField": "resellerId", "foreignField": "_id", "as": "reseller"}}])
        self.db.floor_customers.insert_one(self.customer(unique, key["reseller"][0]["_id"]))

    def customer_cold(self, unique, count):
        reseller = self.reseller()
        self.hasher.verify(reseller["passwordHash"], self.fixture.password)
        self.db.floor_customers.insert_one(self.customer(unique, reseller["_id"]))

    def user_plain(self, unique, count):
        reseller_id = self.reseller()["_id"]
        customer_id = self.fixture.customer_id
        self.db.customers.find_one({"_id": customer_id, "resellerId": reseller_id})
        self.db.floor_users.insert_one(self.user(unique, reseller_id, customer_id))

    def customer_user(self, unique, count):
        reseller_id = self.reseller()["_id"]
        customer = self.customer(unique, reseller_id, credits=10)
        user = self.user(unique, reseller_id, customer["_id"])
        with self.client.start_session() as session, session.start_transaction():
            self.db.floor_customers.insert_one(customer, session=session)
            self.db.floor_credit_transactions.insert_one(
                {"customerId": customer["_id"], "amount": 10, "reason": "FREE_CREDITS", "balanceAfter": 10,
                 "createdAt": datetime.now(UTC)}, session=session)
            self.db.floor_users.insert_one(user, session=session)

    def customer_get(self, unique, count):
        reseller_id = self.reseller()["_id"]
        self.db.customers.find_one({"_id": self.fixture.customer_id, "resellerId": reseller_id})

    def user_update(self, unique, count):
        reseller_id = self.reseller()["_id"]
        user_id = self.fixture.updated_users[count % len(self.fixture.updated_users)]

        def change(session):
            self.db.users.update_one({"_id": user_id, "resellerId": reseller_id}, {"$set": {"contactName": unique}},
                                     session=session)
            self.db.floor_audit_events.insert_one(self.audit("user.update", userId=user_id, fields=["contactName"]),
                                                  session=session)

        with self.client.start_session() as session:
            session.with_transaction(change)

    def credit(self, unique, count):
        reseller_id = self.reseller()["_id"]
        customer_id = self.fixture.credit_customers[count % len(self.fixture.credit_customers)]

        def change(session):
            # An update and a read rather than one findAndModify: SecantusDB's findAndModify scans the collection.
            self.db.customers.update_one({"_id": customer_id, "resellerId": reseller_id, "credits": {"$gte": 0}},
                                         {"$inc": {"credits": 1}}, session=session)
            changed = self.db.customers.find_one({"_id": customer_id}, {"credits": 1}, session=session)
            self.db.floor_credit_transactions.insert_one(
                {"customerId": customer_id, "amount": 1, "reason": "TOPUP", "balanceAfter": changed["credits"],
                 "createdAt": datetime.now(UTC)}, session=session)
            self.db.floor_audit_events.insert_one(self.audit("customer.credit", customerId=customer_id,
                                                             fields=["credits"]), session=session)

        with self.client.start_session() as session:
            session.with_transaction(change)


def worker(args):
    """One process of a floor run: threads looping over a kind's least work until the time is up."""
    uri, kind, threads, first_slot, concurrency, seconds, fixture, argon2, tag = args
    client = MongoClient(uri)
    request = Request(client.get_default_database(), client, fixture, argon2)
    latencies, lock = [], threading.Lock()
    stop_at = time.monotonic() + seconds

    def loop(thread):
        mine, count = [], 0
        while time.monotonic() < stop_at:
            count += 1
            started = time.perf_counter()
            # Each client of the run its own slot: the users or customers a change goes to are spread over the
            # clients as wrk spreads the service's, not the same sequence in every process (changes of one document
            # at once conflict, and measure the conflicts).
            request.run(kind, f"floor{tag}p{os.getpid()}t{thread}n{count}", count * concurrency + first_slot + thread)
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    loops = [threading.Thread(target=loop, args=(number,)) for number in range(threads)]
    for running in loops:
        running.start()
    for running in loops:
        running.join()
    client.close()
    return latencies


def floor(uri, kind, concurrency, seconds, fixture, argon2, workers, tag):
    """The floor of one kind at one concurrency: requests a second and the median latency in ms."""
    processes = min(concurrency, workers)
    shares = [concurrency // processes + (1 if n < concurrency % processes else 0) for n in range(processes)]
    jobs = [(uri, kind, threads, sum(shares[:n]), concurrency, seconds, fixture, argon2, f"{tag}x{n}")
            for n, threads in enumerate(shares)]
    with get_context("spawn").Pool(processes) as pool:
        latencies = [latency for part in pool.map(worker, jobs) for latency in part]
    return len(latencies) / seconds, statistics.median(latencies) * 1000
