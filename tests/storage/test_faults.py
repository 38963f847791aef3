"""Faults of a replica set, injected with failCommand fail points aimed at the app's own commands."""
import random
import signal
import threading
import time

import pytest
from pymongo import MongoClient

from scripts.embedded_db import EmbeddedDatabase
from tests.support.apps import RESELLER, app_for, create_reseller
from tests.support.database import disarm, fail_command, upgrade, with_database, with_option
from tests.support.servers import eventually

CUSTOMER_CREATE = "/services/rest/customer/create"
CUSTOMER_USER_CREATE = "/services/rest/customer-user/create"
PHONE_APP = {**RESELLER, "customer": "c@acme", "username": "c@acme", "password": "p", "applyFreeCredits": "true"}


@pytest.fixture(autouse=True)
def no_fail_point_left(db):
    yield
    disarm(db)


def warmed(app):
    """A test client whose reseller check is remembered, so that the request's next commands are its create's."""
    client = app.test_client()
    assert client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "warm"}).status_code == 201
    return client


def test_a_commit_whose_connection_drops_twice_is_retried_and_holds_nothing_after(app, reseller, db, commands):
    client = warmed(app)
    fail_command(db, "commitTransaction", times=2, closeConnection=True)
    with commands.recorded():
        created = client.post(CUSTOMER_USER_CREATE, data=PHONE_APP)
    assert [name for name, _ in commands.failures()] == ["commitTransaction", "commitTransaction"]
    assert created.status_code == 201
    assert db.users.count_documents({"username": "c@acme"}) == 1
    started = time.monotonic()
    again = client.post(CUSTOMER_USER_CREATE, data={**PHONE_APP, "username": "other"})
    assert (again.status_code, again.json["status"]) == (409, 3)
    assert time.monotonic() - started < 2, "the name's key was still held by a transaction left open"


def test_a_commit_whose_write_concern_fails_once_is_retried_to_success(app, reseller, db, commands):
    client = warmed(app)
    fail_command(db, "commitTransaction", writeConcernError={"code": 64, "errmsg": "waiting for replication timed out"})
    created = client.post(CUSTOMER_USER_CREATE, data=PHONE_APP, headers={"Idempotency-Key": "k"})
    assert created.status_code == 201
    assert db.customers.count_documents({"name": "c@acme"}) == 1


def test_an_unknown_commit_outcome_is_503_and_the_retry_with_its_key_gets_the_first_answer(database_uri, reseller, db,
                                                                                         commands):
    impatient = app_for(database_uri, commands=commands, MONGODB_TIMEOUT_MS=1500)
    client = warmed(impatient)
    fail_command(db, "commitTransaction", times=None,
                 writeConcernError={"code": 64, "errmsg": "waiting for replication timed out"})
    with commands.recorded():
        unknown = client.post(CUSTOMER_USER_CREATE, data=PHONE_APP, headers={"Idempotency-Key": "k"})
    assert {name for name, _ in commands.failures()} <= {"commitTransaction"}
    assert (unknown.status_code, unknown.json["status"], unknown.headers["Retry-After"]) == (503, 98, "5")
    disarm(db)
    retry = client.post(CUSTOMER_USER_CREATE, data=PHONE_APP, headers={"Idempotency-Key": "k"})
    assert (retry.status_code, retry.headers["Idempotent-Replayed"]) == (201, "true")
    stored = db.users.find_one({"username": "c@acme"})
    assert (retry.json["id"], retry.json["customerId"]) == (str(stored["_id"]), str(stored["customerId"]))


def test_a_single_insert_whose_write_concern_fails_is_503_and_its_retry_is_a_replay(app, reseller, db, commands):
    client = warmed(app)
    fail_command(db, "insert", "customers", writeConcernError={"code": 64, "errmsg": "waiting for replication timed out"})
    with commands.recorded():
        unknown = client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "shop"}, headers={"Idempotency-Key": "k"})
    assert commands.failures() == [("insert", "customers")]
    assert (unknown.status_code, unknown.json["status"]) == (503, 98)
    retry = client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "shop"}, headers={"Idempotency-Key": "k"})
    assert (retry.status_code, retry.headers["Idempotent-Replayed"]) == (201, "true")
    assert retry.json["id"] == str(db.customers.find_one({"name": "shop"})["_id"])


def test_write_conflicts_in_a_transaction_are_retried_to_success(app, reseller, db, commands):
    client = warmed(app)
    fail_command(db, "insert", "users", skip=2, times=2, errorCode=112)
    with commands.recorded():
        created = client.post(CUSTOMER_USER_CREATE, data=PHONE_APP)
    inserts = [collection for name, collection in commands.failures() if name == "insert"]
    assert inserts[:1] == ["users"] and len(inserts) == 2
    assert created.status_code == 201
    assert db.customers.count_documents({"name": "c@acme"}) == db.users.count_documents({"username": "c@acme"}) == 1


def test_a_transient_interruption_by_a_replica_set_change_is_retried_to_success(database_uri, reseller, db, commands):
    # SecantusDB's NotPrimary-class errors carry no topologyVersion: the driver finds the primary again by its
    # heartbeat, made short here.
    watchful = app_for(with_option(database_uri, "heartbeatFrequencyMS=500"), commands=commands)
    client = warmed(watchful)
    fail_command(db, "insert", "users", skip=2, errorCode=11602, errorLabels=["TransientTransactionError"])
    with commands.recorded():
        created = client.post(CUSTOMER_USER_CREATE, data=PHONE_APP)
    assert commands.failures() == [("insert", "users")]
    assert created.status_code == 201


def test_a_primary_stepping_down_mid_transaction_is_ridden_out_within_the_deadline(tmp_path, commands):
    server = EmbeddedDatabase("--enable-test-commands", storage_path=str(tmp_path / "db")).start()
    uri = with_database(server.uri, "stepdown")
    try:
        with MongoClient(uri) as client:
            upgrade(client.get_default_database())
        app = app_for(with_option(uri, "heartbeatFrequencyMS=500"), commands=commands, MONGODB_TIMEOUT_MS=20000)
        create_reseller(app)
        client = warmed(app)
        admin = MongoClient(server.uri, directConnection=True)
        # The user insert (inside the transaction) is held 3 s; the step-down comes while it is held and lasts 5 s, so
        # the insert or the commit after it meets a secondary however late a busy machine lets the test see the hold.
        fail_command(admin.get_database("stepdown"), "insert", "users", skip=2, blockConnection=True, blockTimeMS=3000)
        answer = {}
        request = threading.Thread(target=lambda: answer.update(response=client.post(CUSTOMER_USER_CREATE, data=PHONE_APP)))
        commands.started_commands, commands.failed_commands, commands.recording = [], [], True
        request.start()
        eventually(lambda: any(
            op.get("op") == "insert" and op.get("clientMetadata", {}).get("application", {}).get("name") == "provisioning-under-test"
            for op in admin.admin.command("currentOp").get("inprog", [])), 30, "the user insert was never held")
        admin.admin.command("replSetStepDown", 5, force=True)
        request.join(60)
        commands.recording = False
        assert any("NotWritablePrimary" in str(failure) or "NotPrimary" in str(failure)
                   for _, _, failure in commands.failed_commands), commands.failed_commands
        assert answer["response"].status_code == 201
        stored = MongoClient(uri).get_default_database()
        assert stored.users.count_documents({"username": "c@acme"}) == stored.customers.count_documents({"name": "c@acme"}) == 1
        admin.close()
    finally:
        server.stop()


def test_a_database_that_accepts_but_never_answers_is_503_within_the_deadline(database_uri, reseller, db, commands):
    impatient = app_for(database_uri, commands=commands, MONGODB_TIMEOUT_MS=1000)
    client = warmed(impatient)
    # The request's first command, the reseller read with its failed authentications, is held past the deadline.
    fail_command(db, "aggregate", "resellers", blockConnection=True, blockTimeMS=4000)
    started = time.monotonic()
    with commands.recorded() as recorded:
        response = client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "shop"})
    assert (response.status_code, response.json["status"]) == (503, 98)
    assert time.monotonic() - started < 2.5
    assert [name for name, _, _ in recorded.failed_commands] == ["aggregate"]


def test_a_transaction_past_its_deadline_is_aborted_under_a_deadline_of_its_own_so_its_keys_are_free_at_once(
        database_uri, reseller, db, commands):
    impatient = app_for(database_uri, commands=commands, MONGODB_TIMEOUT_MS=1500)
    client = warmed(impatient)
    # The user's insert, third of the transaction (customer, free credits, user), is held past the deadline.
    fail_command(db, "insert", "users", skip=2, blockConnection=True, blockTimeMS=3000)
    with commands.recorded():
        lost = client.post(CUSTOMER_USER_CREATE, data=PHONE_APP, headers={"Idempotency-Key": "k"})
    assert (lost.status_code, lost.json["status"]) == (503, 98)
    assert "abortTransaction" in [name for name, _, _ in commands.started_commands]
    disarm(db)
    retry = client.post(CUSTOMER_USER_CREATE, data=PHONE_APP, headers={"Idempotency-Key": "k"})
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry.headers
    assert (db.customers.count_documents({"name": "c@acme"}), db.users.count_documents({"username": "c@acme"})) == (1, 1)


def test_creates_frozen_inside_their_transactions_converge_once_the_database_thaws(tmp_path, commands):
    server = EmbeddedDatabase("--enable-test-commands", storage_path=str(tmp_path / "db")).start()
    uri = with_database(server.uri, "frozen")
    try:
        with MongoClient(uri) as client:
            upgrade(client.get_default_database())
        app = app_for(uri, commands=commands, MONGODB_TIMEOUT_MS=1500)
        create_reseller(app)
        client = warmed(app)
        admin = MongoClient(server.uri, directConnection=True)
        fail_command(admin.get_database("frozen"), "insert", "users", skip=2, blockConnection=True, blockTimeMS=1000)
        answer = {}
        request = threading.Thread(target=lambda: answer.update(
            response=client.post(CUSTOMER_USER_CREATE, data=PHONE_APP, headers={"Idempotency-Key": "k"})))
        request.start()
        eventually(lambda: any(op.get("op") == "insert" for op in admin.admin.command("currentOp").get("inprog", [])),
                   30, "the user insert was never held")
        server.process.send_signal(signal.SIGSTOP)
        request.join(60)
        server.process.send_signal(signal.SIGCONT)
        assert (answer["response"].status_code, answer["response"].json["status"]) == (503, 98)
        disarm(admin.get_database("frozen"))
        # Every retry with the key ends in one answer once the database answers again: the frozen transaction is
        # killed, not left to hold its keys for the server's transaction lifetime.
        answers = []
        eventually(lambda: answers.append(client.post(CUSTOMER_USER_CREATE, data=PHONE_APP,
                                                      headers={"Idempotency-Key": "k"})) or answers[-1].status_code == 201,
                   20, "the keyed retry did not converge")
        assert {answer.status_code for answer in answers} <= {201, 503}
        stored = MongoClient(uri).get_default_database()
        assert (stored.customers.count_documents({"name": "c@acme"}), stored.users.count_documents({"username": "c@acme"}),
                stored.credit_transactions.count_documents({})) == (1, 1, 1)
        admin.close()
    finally:
        server.process.send_signal(signal.SIGCONT)
        server.stop()


FAULTS = [
    ("insert", {"writeConcernError": {"code": 64, "errmsg": "waiting for replication timed out"}}),
    ("insert", {"errorCode": 10107, "errorLabels": ["RetryableWriteError"]}),
    ("find", {"errorCode": 10107}),
    ("commitTransaction", {"writeConcernError": {"code": 64, "errmsg": "waiting for replication timed out"}}),
    ("commitTransaction", {"errorCode": 10107, "errorLabels": ["RetryableWriteError"]}),
    ("insert", {"closeConnection": True}),
]


def test_a_keyed_create_converges_once_write_concern_and_not_primary_faults_stop(database_uri, reseller, db):
    """Faults on inserts, finds and commits, one every few commands, while the phone app retries with its key; once
    they stop, the next retry answers: one customer, one user, free credits once."""
    app = app_for(database_uri, MONGODB_TIMEOUT_MS=2000)
    client = warmed(app)
    rng = random.Random(20261202)
    answers = []
    for _ in range(12):
        command, failure = rng.choice(FAULTS)
        fail_command(db, command, skip=rng.randrange(3), times=1, **failure)
        answers.append(client.post(CUSTOMER_USER_CREATE, data=PHONE_APP, headers={"Idempotency-Key": "k"}))
    disarm(db)
    final = client.post(CUSTOMER_USER_CREATE, data=PHONE_APP, headers={"Idempotency-Key": "k"})
    assert final.status_code == 201, final.json
    assert {answer.status_code for answer in answers} <= {201, 503}
    created = [answer.json for answer in [*answers, final] if answer.status_code == 201]
    assert all(answer == created[0] for answer in created)
    assert (db.customers.count_documents({"name": "c@acme"}), db.users.count_documents({"username": "c@acme"}),
            db.credit_transactions.count_documents({})) == (1, 1, 1)
