"""The filled database of the benchmark: a reseller's migration's worth of customers and users added in bulk, and
customer/list paged deep into them."""
import json
import statistics
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime

from argon2 import PasswordHasher, Type
from pymongo import MongoClient

LIST_PAGE = 50
DEEP_PAGE = 1000
PAGE_SAMPLES = 7


def fill(uri, fixture, count):
    """Bulk-insert count customers and count users of the bench reseller."""
    with MongoClient(uri) as client:
        db = client.get_default_database()
        now = datetime.now(UTC)
        fake_hash = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID).hash("x")
        created_by = {"action": "migration", "client": "bench"}
        batch = 10_000
        for start in range(0, count, batch):
            db.customers.insert_many(
                [{"name": f"fill-c{n}", "nameKey": f"fill-c{n}", "resellerId": fixture.reseller_id,
                  "integrationId": "", "rotationAlgorithm": "MAX_ROTATION", "billingType": "POST_PAID", "moCharge": 0,
                  "credits": 0, "active": True, "createdAt": now, "createdBy": created_by}
                 for n in range(start, start + batch)], ordered=False)
            db.users.insert_many(
                [{"username": f"fill-u{n}", "usernameKey": f"fill-u{n}", "passwordHash": fake_hash,
                  "customerId": fixture.customer_id, "resellerId": fixture.reseller_id, "email": f"u{n}@example.com",
                  "phoneNumber": "1", "swappingSourceAddressAllowed": False, "active": True, "createdAt": now,
                  "createdBy": created_by} for n in range(start, start + batch)], ordered=False)


def list_pages(port, uri, fixture):
    """customer/list at page 1 and at page DEEP_PAGE of the filled reseller: the median of PAGE_SAMPLES requests,
    one at a time, in ms, or what a page answered instead ("HTTP 503 after 10.2 s"): a page can take seconds on
    SecantusDB, whose executor reads every index match before the limit."""
    with MongoClient(uri) as client:
        db = client.get_default_database()
        total = db.customers.count_documents({"resellerId": fixture.reseller_id})
        skipped = min(LIST_PAGE * (DEEP_PAGE - 1), total - LIST_PAGE)
        deep = db.customers.find({"resellerId": fixture.reseller_id}, {"_id": 1}).sort("_id", 1).skip(skipped - 1)
        after = str(next(iter(deep.limit(1)))["_id"])
    pages = {}
    for label, given in (("page 1", {}), (f"page {DEEP_PAGE}", {"after": after})):
        params = urllib.parse.urlencode({"resellerName": fixture.reseller, "resellerPassword": fixture.password,
                                         "limit": LIST_PAGE, **given}).encode()
        latencies = []
        for _ in range(PAGE_SAMPLES):
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/services/rest/customer/list", params,
                                            timeout=60) as answer:
                    assert len(json.loads(answer.read())["customers"]) == LIST_PAGE
            except urllib.error.HTTPError as error:
                # A page past the request's database deadline (MONGODB_TIMEOUT_MS) is a 503: reported, not a crash
                # that would lose the whole run's figures.
                pages[label] = f"HTTP {error.code} after {time.perf_counter() - started:.1f} s"
                break
            latencies.append(time.perf_counter() - started)
        else:
            pages[label] = statistics.median(latencies) * 1000
        shown = pages[label] if isinstance(pages[label], str) else f"p50 {pages[label]:.1f} ms"
        print(f"customer/list {label}: {shown}", flush=True)
    return pages
