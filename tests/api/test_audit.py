"""The audit trail: who created or changed what, when and from where, kept on the documents themselves."""
import pytest

from tests.support.apps import RESELLER, user_params

CUSTOMER_CREATE = "/services/rest/customer/create"
WRITES = {"insert", "update", "delete", "findAndModify", "commitTransaction"}


def test_a_customer_carries_who_created_it_from_where_and_when(client, reseller, db):
    response = client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "shop"}, headers={"X-Request-ID": "req-7"})
    stored = db.customers.find_one()
    assert str(stored["_id"]) == response.json["id"]
    assert stored["resellerId"] == reseller.id
    assert stored["createdBy"] == {"action": "customer.create", "client": "127.0.0.1", "origin": "reseller",
                                   "requestId": "req-7"}
    assert stored["createdAt"].tzinfo is not None


def test_a_customer_create_is_one_insert_with_no_transaction_and_no_other_write(client, reseller, commands):
    assert client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "first"}).status_code == 201
    with commands.recorded():  # the reseller's password check is now remembered, as on most requests
        assert client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "shop"}).status_code == 201
    writes = [(name, collection) for name, collection, _ in commands.started_commands if name in WRITES]
    assert writes == [("insert", "customers")]
    assert not any("txnNumber" in command and "autocommit" in command for _, _, command in commands.started_commands)


def test_a_user_carries_its_creation_record(client, reseller, customer_of, db):
    customer_id = customer_of()
    user_id = client.post("/services/rest/user/create", data=user_params(customer_id)).json["id"]
    stored = db.users.find_one()
    assert (str(stored["_id"]), str(stored["customerId"])) == (user_id, customer_id)
    assert stored["createdBy"]["action"] == "user.create" and stored["createdBy"]["client"] == "127.0.0.1"


def test_a_customer_and_its_user_created_together_carry_the_same_record(client, reseller, db):
    body = {**RESELLER, "customer": "c", "username": "c", "password": "p", "applyFreeCredits": "true"}
    client.post("/services/rest/customer-user/create", data=body, headers={"X-Request-ID": "both"})
    customer, user = db.customers.find_one(), db.users.find_one()
    assert customer["createdBy"] == user["createdBy"] == {"action": "customer-user.create", "client": "127.0.0.1",
                                                          "origin": "reseller",
                                                          "requestId": "both"}
    assert customer["createdAt"] == user["createdAt"]


@pytest.mark.parametrize("params", [{"name": "bad name"}, {"resellerPassword": "wrong"}, {"name": "taken"}])
def test_a_refused_request_leaves_no_record(client, reseller, customer_of, db, params):
    customer_of("taken")
    client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "shop", **params})
    assert [customer["name"] for customer in db.customers.find()] == ["taken"]
