"""customer-user/import: up to 100 customers with their first users, one result per row, each what customer-user/create
would answer; a dry run; the Idempotency-Key over the whole batch."""
import pytest
from bson import ObjectId

from tests.support.apps import RESELLER

IMPORT = "/services/rest/customer-user/import"


def row(number, **extra):
    return {"customer": f"c{number}@acme", "username": f"u{number}@acme", "password": "app-Pa55",
            "applyFreeCredits": True, **extra}


def test_each_row_is_answered_as_customer_user_create_would_in_order(client, reseller, db, make_reseller):
    make_reseller("other", "other secret")
    client.post("/services/rest/customer-user/create", data={"resellerName": "other", "resellerPassword": "other secret",
                                                             "customer": "taken", "username": "theirs",
                                                             "password": "p", "applyFreeCredits": "false"})
    rows = [row(1), row(2, email="not-an-email"), {**row(3), "customer": "taken"}, row(4), row(1, username="u5@acme")]
    response = client.post(IMPORT, json={**RESELLER, "rows": rows})
    assert (response.status_code, response.json["status"]) == (200, 0)
    results = response.json["results"]
    assert [result["status"] for result in results] == [0, 1, 3, 0, 3]
    assert set(results[0]) == {"id", "customerId", "status"}
    assert list(results[1]["errors"]) == ["email"]
    assert "id" not in results[2]
    assert results[4]["id"] == results[0]["customerId"]
    user = db.users.find_one({"_id": ObjectId(results[3]["id"])})
    assert user["customerId"] == ObjectId(results[3]["customerId"]) and user["passwordHash"].startswith("$argon2id$")
    assert db.credit_transactions.count_documents({"customerId": ObjectId(results[3]["customerId"])}) == 1


def test_rows_come_as_a_csv_file_part_of_a_multipart_form(client, reseller, db):
    csv = "customer,username,password,applyFreeCredits,phoneNumber\nc1@acme,u1@acme,p,false,+48 1\nc2@acme,,p,true,\n"
    response = client.post(IMPORT, data={**RESELLER, "rows": (__import__("io").BytesIO(csv.encode()), "rows.csv",
                                                                "text/csv")})
    results = response.json["results"]
    assert [result["status"] for result in results] == [0, 1]
    assert results[1]["errors"] == {"username": ["is required"]}
    assert db.users.find_one({"username": "u1@acme"})["phoneNumber"] == "+48 1"


def test_a_dry_run_checks_every_row_and_writes_nothing(client, reseller, db, customer_of):
    customer_of("c2@acme")
    response = client.post(IMPORT, json={**RESELLER, "dryRun": True, "rows": [row(1), row(2)]})
    assert response.json["results"][0] == {"status": 0, "dryRun": True}
    assert response.json["results"][1]["status"] == 3
    assert db.customers.count_documents({}) == 1 and db.users.count_documents({}) == 0


@pytest.mark.parametrize("rows, message", [([], "must have 1 to 100 rows"),
                                           ([row(n) for n in range(101)], "must have 1 to 100 rows"),
                                           (42, "must be an array of objects"), ([1, 2], "must be an array")])
def test_a_batch_that_is_not_one_is_status_1_before_anything_is_done(client, reseller, db, rows, message):
    response = client.post(IMPORT, json={**RESELLER, "rows": rows})
    assert (response.status_code, response.json["status"]) == (400, 1)
    assert response.json["errors"]["rows"][0].startswith(message)
    assert db.customers.count_documents({}) == 0


def test_the_key_covers_the_batch_a_retry_answers_each_row_as_first_and_does_the_rest(client, reseller, db):
    first = client.post(IMPORT, json={**RESELLER, "rows": [row(1), row(2)]}, headers={"Idempotency-Key": "batch-1"})
    assert [result["status"] for result in first.json["results"]] == [0, 0]
    db.customers.delete_one({"_id": ObjectId(first.json["results"][1]["customerId"])})
    db.users.delete_one({"_id": ObjectId(first.json["results"][1]["id"])})
    again = client.post(IMPORT, json={**RESELLER, "rows": [row(1), row(2)]}, headers={"Idempotency-Key": "batch-1"})
    assert again.json["results"][0] == {**first.json["results"][0], "replayed": True}
    assert again.json["results"][1]["status"] == 0 and "replayed" not in again.json["results"][1]
    assert db.customers.count_documents({}) == 2
    other = client.post(IMPORT, json={**RESELLER, "rows": [row(3)]}, headers={"Idempotency-Key": "batch-1"})
    assert (other.status_code, other.json["status"]) == (422, 7)
    assert db.customers.count_documents({}) == 2


def test_with_an_api_key_each_row_keeps_to_the_resellers_names(client, reseller):
    key = client.post("/services/rest/apikey/create", data={**RESELLER, "label": "import"}).json["key"]
    response = client.post(IMPORT, json={"rows": [row(1), {**row(2), "customer": "c2@other"}]},
                           headers={"Authorization": f"Bearer {key}"})
    assert [result["status"] for result in response.json["results"]] == [0, 1]
    assert list(response.json["results"][1]["errors"]) == ["customer"]


def test_the_fingerprint_of_a_batch_covers_no_password(client, reseller, db):
    client.post(IMPORT, json={**RESELLER, "rows": [row(1)]}, headers={"Idempotency-Key": "batch-2"})
    same_but_password = client.post(IMPORT, json={**RESELLER, "rows": [row(1, password="another")]},
                                    headers={"Idempotency-Key": "batch-2"})
    assert same_but_password.json["results"][0]["replayed"] is True
