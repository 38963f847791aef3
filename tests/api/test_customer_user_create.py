"""POST /services/rest/customer-user/create: a customer and its first user, all or nothing."""
from concurrent.futures import ThreadPoolExecutor

import pytest
from bson import ObjectId

from tests.support.apps import RESELLER, provisioning
from tests.support.database import fail_command

URL = "/services/rest/customer-user/create"
PHONE_APP = {**RESELLER, "customer": "4812@acme", "username": "4812@acme", "password": "user secret", "applyFreeCredits": "false"}


def create(client, **overrides):
    return client.post(URL, data={**PHONE_APP, **overrides})


def test_a_customer_and_its_user_are_created_with_both_ids(client, reseller, db):
    response = create(client)
    assert response.status_code == 201
    assert response.json == {"id": response.json["id"], "customerId": response.json["customerId"], "status": 0}
    user = db.users.find_one({"_id": ObjectId(response.json["id"])})
    customer = db.customers.find_one({"_id": ObjectId(response.json["customerId"])})
    assert user["customerId"] == customer["_id"]
    assert user["resellerId"] == customer["resellerId"] == reseller.id


def test_the_customer_gets_the_customer_create_defaults(client, reseller, db):
    create(client)
    customer = db.customers.find_one({"name": "4812@acme"})
    assert (customer["integrationId"], customer["rotationAlgorithm"], customer["billingType"], customer["moCharge"]) == (
        "",
        "MAX_ROTATION",
        "POST_PAID",
        0,
    )


def test_the_user_keeps_only_the_optional_fields_given(client, reseller, db):
    create(client, contactName="John Doe", email="john@doe.com", phoneNumber="999444111")
    user = db.users.find_one({"username": "4812@acme"})
    assert (user["contactName"], user["email"], user["phoneNumber"]) == ("John Doe", "john@doe.com", "999444111")
    create(client, customer="other", username="other")
    bare = db.users.find_one({"username": "other"})
    assert not {"contactName", "email", "phoneNumber", "virtualNumber", "moPush", "finalStatusPush"} & set(bare)
    assert bare["swappingSourceAddressAllowed"] is False


def test_free_credits_credit_the_customer_and_record_one_transaction(client, make_reseller, db):
    make_reseller(free_credits=25)
    response = create(client, applyFreeCredits="True")
    customer_id = ObjectId(response.json["customerId"])
    assert db.customers.find_one({"_id": customer_id})["credits"] == 25
    [entry] = db.credit_transactions.find({"customerId": customer_id})
    assert (entry["amount"], entry["reason"]) == (25, "FREE_CREDITS")
    assert entry["createdAt"].tzinfo is not None


def test_without_free_credits_the_customer_has_none_and_no_transaction(client, reseller, db):
    response = create(client, applyFreeCredits="FALSE")
    assert db.customers.find_one({"_id": ObjectId(response.json["customerId"])})["credits"] == 0
    assert db.credit_transactions.count_documents({}) == 0


@pytest.mark.parametrize(
    "params, bad",
    [
        ({"applyFreeCredits": ""}, "applyFreeCredits"),
        ({"applyFreeCredits": "yes"}, "applyFreeCredits"),
        ({"customer": "a b"}, "customer"),
        ({"contactName": "c" * 257}, "contactName"),
        ({"contactName": "line\nbreak"}, "contactName"),
        ({"email": "john@"}, "email"),
        ({"phoneNumber": "call me"}, "phoneNumber"),
        ({"username": ""}, "username"),
    ],
)
def test_an_invalid_parameter_is_status_1_naming_it(client, reseller, db, params, bad):
    response = create(client, **params)
    assert (response.status_code, response.json["status"], list(response.json["errors"])) == (400, 1, [bad])
    assert db.customers.count_documents({}) == 0


def test_a_contact_name_of_256_characters_with_spaces_is_accepted(client, reseller):
    assert create(client, contactName="J " * 128).status_code == 201


def test_a_taken_customer_name_is_status_3(client, reseller):
    create(client)
    response = create(client, username="someone-else")
    assert (response.status_code, response.json["status"]) == (409, 3)


def test_a_taken_username_is_status_4_and_leaves_no_customer_behind(client, reseller, db, make_reseller):
    make_reseller("rich", "rich secret", free_credits=50)
    create(client, customer="first", username="taken")
    response = create(client, customer="fresh", username="taken", applyFreeCredits="true", resellerName="rich",
                      resellerPassword="rich secret")
    assert (response.status_code, response.json["status"]) == (409, 4)
    assert db.customers.count_documents({"name": "fresh"}) == 0
    assert db.credit_transactions.count_documents({}) == 0


def test_racing_requests_for_one_customer_give_one_201_and_the_rest_409(app, reseller, db):
    def attempt(number):
        return create(app.test_client(), username=f"user{number}").status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = sorted(pool.map(attempt, range(12)))
    assert codes == [201] + [409] * 11
    assert db.customers.count_documents({}) == db.users.count_documents({}) == 1


def test_a_user_insert_failing_with_a_server_error_leaves_no_customer(client, make_reseller, db, commands):
    make_reseller(free_credits=5)
    create(client, customer="warm", username="warm")  # the reseller's check is remembered: the next inserts are the create's
    fail_command(db, "insert", "users", skip=2, errorCode=2)
    with commands.recorded():
        response = create(client, applyFreeCredits="true")
    assert [collection for name, collection, _ in commands.failed_commands] == ["users"]
    assert (response.status_code, response.json["status"]) == (500, 99)
    assert db.customers.count_documents({"name": PHONE_APP["customer"]}) == 0
    assert db.credit_transactions.count_documents({}) == 0
    assert create(client).status_code == 201


def test_the_app_uses_transactions_where_the_server_has_them(app, reseller):
    with provisioning(app).unit_of_work() as uow:
        assert uow.supports_transactions()


def test_on_a_standalone_server_a_taken_username_leaves_no_customer(standalone):
    client, db = standalone
    assert create(client).status_code == 201
    response = create(client, customer="fresh", applyFreeCredits="true")
    assert response.json["status"] == 4
    assert db.customers.count_documents({"name": "fresh"}) == 0
    assert db.credit_transactions.count_documents({}) == 0


def test_on_a_standalone_server_a_lost_connection_leaves_no_customer(standalone, commands):
    client, db = standalone
    create(client, customer="warm", username="warm")
    fail_command(db, "insert", "users", skip=2, closeConnection=True)
    with commands.recorded():
        response = create(client, applyFreeCredits="true")
    assert commands.failures() == [("insert", "users")]
    assert (response.status_code, response.json["status"]) == (503, 98)
    assert db.customers.count_documents({"name": PHONE_APP["customer"]}) == 0
    assert db.credit_transactions.count_documents({}) == 0


def test_on_a_standalone_server_a_user_written_despite_its_error_is_undone_and_the_keyed_retry_creates_both(
        standalone, commands):
    client, db = standalone
    create(client, customer="warm", username="warm")
    # The user is written, then its write concern fails: the insert's answer is an error, its outcome a write.
    fail_command(db, "insert", "users", skip=2, writeConcernError={"code": 64, "errmsg": "waiting for replication"})
    keyed = {"Idempotency-Key": "phone-app-1"}
    with commands.recorded():
        failed = client.post(URL, data={**PHONE_APP, "applyFreeCredits": "true"}, headers=keyed)
    assert commands.failures() == [("insert", "users")]
    assert (failed.status_code, failed.json["status"]) == (503, 98)
    assert db.users.count_documents({"username": PHONE_APP["username"]}) == 0
    assert db.customers.count_documents({"name": PHONE_APP["customer"]}) == 0

    retry = client.post(URL, data={**PHONE_APP, "applyFreeCredits": "true"}, headers=keyed)
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry.headers
    user = db.users.find_one({"_id": ObjectId(retry.json["id"])})
    assert user["customerId"] == ObjectId(retry.json["customerId"])
    assert db.customers.find_one({"_id": user["customerId"]})["name"] == PHONE_APP["customer"]
