"""customer/credit and customer/transactions: a balance that never goes below 0, changed with its ledger entry in
one transaction, never twice, never lost under races and faults."""
from concurrent.futures import ThreadPoolExecutor

import pytest
from bson import ObjectId

from tests.support.apps import RESELLER, app_for
from tests.support.database import disarm, fail_command, trail

CREDIT = "/services/rest/customer/credit"
LEDGER = "/services/rest/customer/transactions"
OTHER = {"resellerName": "other", "resellerPassword": "other secret"}


def credit(client, customer_id, amount, reason="TOPUP", key=None, **params):
    return client.post(CREDIT, data={**RESELLER, "customerId": customer_id, "amount": str(amount), "reason": reason,
                                     **params}, headers={"Idempotency-Key": key} if key else {})


@pytest.fixture
def shop(client, reseller):
    """A customer of acme with 10 free credits (customer-user/create with applyFreeCredits=true)."""
    made = client.post("/services/rest/customer-user/create", data={
        **RESELLER, "customer": "shop", "username": "shop-user", "password": "p", "applyFreeCredits": "true"})
    assert made.status_code == 201, made.json
    return made.json["customerId"]


@pytest.fixture(autouse=True)
def no_fail_point_left(db):
    yield
    disarm(db)


def test_a_top_up_answers_the_customer_and_its_ledger_entry_and_is_recorded(client, shop, db):
    response = credit(client, shop, 500, reference="INV-42")
    assert (response.status_code, response.json["status"]) == (200, 0)
    customer, entry = response.json["customer"], response.json["transaction"]
    assert customer["credits"] == 510
    assert {key: entry[key] for key in ("customerId", "amount", "reason", "reference", "balanceAfter", "origin")} == {
        "customerId": shop, "amount": 500, "reason": "TOPUP", "reference": "INV-42", "balanceAfter": 510,
        "origin": "reseller"}
    stored = db.credit_transactions.find_one({"_id": ObjectId(entry["id"])})
    assert (stored["customerId"], stored["balanceAfter"], stored["createdBy"]["client"]) == (ObjectId(shop), 510,
                                                                                            "127.0.0.1")
    assert [(event["action"], event["fields"]) for event in trail(db, {"customerId": ObjectId(shop)})] == [
        ("customer.credit", ["credits"])]


def test_free_credits_at_creation_are_the_first_entry_of_the_ledger(client, shop):
    [entry] = client.post(LEDGER, data={**RESELLER, "customerId": shop}).json["transactions"]
    assert (entry["reason"], entry["amount"], entry["balanceAfter"], entry["origin"]) == ("FREE_CREDITS", 10, 10,
                                                                                          "reseller")


@pytest.mark.parametrize("amount, reason", [(-3, "TOPUP"), (2, "REFUND"), (-1, "ADJUSTMENT")])
def test_the_sign_decides_the_direction_whatever_the_reason(client, shop, amount, reason):
    assert credit(client, shop, amount, reason).json["customer"]["credits"] == 10 + amount


def test_a_change_below_zero_is_409_status_10_and_writes_nothing(client, shop, db):
    response = credit(client, shop, -11, "ADJUSTMENT")
    assert (response.status_code, response.json["status"]) == (409, 10)
    assert db.customers.find_one()["credits"] == 10 and db.credit_transactions.count_documents({}) == 1


def test_another_resellers_customer_is_404_status_5(client, shop, make_reseller):
    make_reseller(OTHER["resellerName"], OTHER["resellerPassword"])
    response = client.post(CREDIT, data={**OTHER, "customerId": shop, "amount": "5", "reason": "TOPUP"})
    assert (response.status_code, response.json["status"]) == (404, 5)


@pytest.mark.parametrize("body", ["form", "json"])
def test_every_bad_parameter_is_named_at_once(client, reseller, body):
    params = {**RESELLER, "customerId": "nope", "amount": "0", "reason": "GIFT", "reference": "x" * 129}
    response = client.post(CREDIT, data=params) if body == "form" else client.post(CREDIT, json=params)
    assert (response.status_code, response.json["status"]) == (400, 1)
    assert set(response.json["errors"]) == {"customerId", "amount", "reason", "reference"}


@pytest.mark.parametrize("amount", ["4.5", "1e3", "abc", "1000000001", "-1000000001", "--1", True])
def test_an_amount_that_is_not_a_whole_number_in_range_is_refused(client, shop, amount):
    response = client.post(CREDIT, json={**RESELLER, "customerId": shop, "amount": amount, "reason": "TOPUP"})
    assert list(response.json["errors"]) == ["amount"]


def test_a_keyed_retry_applies_a_top_up_once(client, shop, db):
    first, again = credit(client, shop, 5, key="k"), credit(client, shop, 5, key="k")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json["transaction"] == first.json["transaction"]
    assert db.customers.find_one()["credits"] == 15 and db.credit_transactions.count_documents({}) == 2
    assert credit(client, shop, 6, key="k").json["status"] == 7


@pytest.mark.parametrize("again", [{"key": "k"}, {"reference": "INV-1"}], ids=["key", "reference"])
def test_a_deduction_retried_after_it_emptied_the_balance_is_its_replay_not_status_10(client, shop, db, again):
    first = credit(client, shop, -10, "ADJUSTMENT", **again)
    retried = credit(client, shop, -10, "ADJUSTMENT", **again)
    assert (first.status_code, retried.status_code) == (200, 200)
    assert retried.json["transaction"] == first.json["transaction"]
    assert db.customers.find_one()["credits"] == 0 and db.credit_transactions.count_documents({}) == 2
    assert credit(client, shop, -1, "ADJUSTMENT").json["status"] == 10


def test_a_reference_used_again_replays_or_is_refused_with_another_amount_or_reason(client, shop, db):
    first = credit(client, shop, 5, reference="INV-1")
    again = credit(client, shop, 5, reference="INV-1")
    assert (again.status_code, again.json["transaction"]) == (200, first.json["transaction"])
    for amount, reason in ((6, "TOPUP"), (5, "REFUND")):
        refused = credit(client, shop, amount, reason, reference="INV-1")
        assert (refused.status_code, refused.json["status"]) == (422, 7)
    assert db.customers.find_one()["credits"] == 15


def test_a_dry_run_answers_the_customer_as_it_would_become_and_writes_nothing(client, shop, db):
    response = credit(client, shop, -4, "ADJUSTMENT", dryRun="true")
    assert (response.status_code, response.json["dryRun"], response.json["customer"]["credits"]) == (200, True, 6)
    assert credit(client, shop, -11, "ADJUSTMENT", dryRun="true").json["status"] == 10
    assert db.customers.find_one()["credits"] == 10 and db.credit_transactions.count_documents({}) == 1


def test_the_ledger_pages_by_index_newest_first_or_oldest_first(client, shop):
    for amount in range(1, 6):
        credit(client, shop, amount)
    pages, after = [], None
    while True:
        page = client.post(LEDGER, data={**RESELLER, "customerId": shop, "limit": "2",
                                         **({"after": after} if after else {})}).json
        pages.append([entry["amount"] for entry in page["transactions"]])
        after = page["next"]
        if after is None:
            break
    assert pages == [[5, 4], [3, 2], [1, 10]]
    oldest = client.post(LEDGER, data={**RESELLER, "customerId": shop, "order": "asc"}).json["transactions"]
    assert [entry["balanceAfter"] for entry in oldest] == [10, 11, 13, 16, 20, 25]


@pytest.fixture
def workers(database_uri, shop):
    """Eight apps on the test database, as eight gunicorn workers would be, each with its own connections."""
    return [app_for(database_uri, MONGODB_TIMEOUT_MS=20000, THREADS=13) for _ in range(8)]


def settled(send, attempts=10):
    """An answer other than 503: a client's retries with its Idempotency-Key (a loaded machine may take a change past
    its deadline)."""
    for _ in range(attempts):
        answer = send()
        if answer.status_code != 503:
            return answer
    return answer


def test_a_hundred_parallel_top_ups_of_one_add_exactly_a_hundred(workers, shop, db):
    def top_up(number):
        client = workers[number % len(workers)].test_client()
        return settled(lambda: credit(client, shop, 1, key=f"top-up-{number}"))

    with ThreadPoolExecutor(max_workers=100) as pool:
        answers = list(pool.map(top_up, range(100)))
    assert {answer.status_code for answer in answers} == {200}
    assert db.customers.find_one()["credits"] == 110
    entries = list(db.credit_transactions.find({"reason": "TOPUP"}))
    assert len(entries) == 100 and len({entry["balanceAfter"] for entry in entries}) == 100
    assert sorted(entry["balanceAfter"] for entry in entries) == list(range(11, 111))


def test_fifty_parallel_deductions_of_a_balance_of_ten_take_exactly_ten(workers, shop, db):
    def deduct(number):
        client = workers[number % len(workers)].test_client()
        return settled(lambda: credit(client, shop, -1, "ADJUSTMENT", key=f"deduction-{number}"))

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(deduct, range(50)))
    statuses = sorted(answer.json["status"] for answer in answers)
    assert statuses == [0] * 10 + [10] * 40
    assert db.customers.find_one()["credits"] == 0
    assert db.credit_transactions.count_documents({"reason": "ADJUSTMENT"}) == 10


def test_a_top_up_whose_commit_fails_is_applied_once_by_its_keyed_retry(database_uri, shop, db, commands):
    impatient = app_for(database_uri, commands=commands, MONGODB_TIMEOUT_MS=1500)
    client = impatient.test_client()
    assert credit(client, shop, 1, key="warm").status_code == 200
    fail_command(db, "commitTransaction", times=None,
                 writeConcernError={"code": 64, "errmsg": "waiting for replication timed out"})
    with commands.recorded() as recorded:
        lost = credit(client, shop, 5, key="k")
    assert (lost.status_code, lost.json["status"]) == (503, 98)
    assert {name for name, _, _ in recorded.failed_commands} == {"commitTransaction"}
    disarm(db)
    retried = credit(client, shop, 5, key="k")
    assert retried.status_code == 200
    assert db.customers.find_one()["credits"] == 16
    assert db.credit_transactions.count_documents({"idempotency.key": "k"}) == 1
