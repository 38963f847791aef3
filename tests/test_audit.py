"""The audit trail: who created or changed what, when and from where, kept on the documents themselves."""
import pytest

from tests.conftest import RESELLER

CUSTOMER_CREATE = "/services/rest/customer/create"
WRITES = {"insert", "update", "delete", "findAndModify", "commitTransaction"}


def user_params(customer_id, username="u"):
    return {**RESELLER, "username": username, "password": "p", "customerId": customer_id, "email": "a@b.com",
            "phoneNumber": "1"}


def test_a_customer_carries_who_created_it_from_where_and_when(client, reseller, db):
    response = client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "shop"}, headers={"X-Request-ID": "req-7"})
    stored = db.customers.find_one()
    assert str(stored["_id"]) == response.json["id"]
    assert stored["resellerId"] == reseller.id
    assert stored["createdBy"] == {"action": "customer.create", "client": "127.0.0.1", "requestId": "req-7"}
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
                                                          "requestId": "both"}
    assert customer["createdAt"] == user["createdAt"]


def test_reseller_commands_are_recorded_with_the_operator_and_never_a_password(runner, db):
    for command in (["create", "acme"], ["set-password", "acme"], ["disable", "acme"], ["enable", "acme"]):
        assert runner.invoke(args=["reseller", *command], env={"RESELLER_PASSWORD": "s3cret-reseller"}).exit_code == 0
    stored = db.resellers.find_one()
    assert stored["createdBy"]["action"] == "reseller.create" and stored["createdBy"]["client"].startswith("cli ")
    assert [(entry["action"], entry["fields"]) for entry in stored["history"]] == [
        ("reseller.set-password", ["password"]), ("reseller.disable", ["active"]), ("reseller.enable", ["active"])]
    assert all(entry["client"].startswith("cli ") and "requestId" not in entry for entry in stored["history"])
    assert "s3cret-reseller" not in str(stored["history"])


@pytest.mark.parametrize("params", [{"name": "bad name"}, {"resellerPassword": "wrong"}, {"name": "taken"}])
def test_a_refused_request_leaves_no_record(client, reseller, customer_of, db, params):
    customer_of("taken")
    client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "shop", **params})
    assert [customer["name"] for customer in db.customers.find()] == ["taken"]


def test_audit_show_lists_a_customers_events_newest_first(client, runner, reseller, customer_of):
    customer_id = customer_of("shop")
    for username in ("first", "second"):
        client.post("/services/rest/user/create", data=user_params(customer_id, username))
    for name_or_id in ("shop", customer_id):
        result = runner.invoke(args=["audit", "show", "--customer", name_or_id])
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        assert [line.split("  ")[1] for line in lines] == ["user.create", "user.create", "customer.create"]
        assert all("reseller acme" in line and "from 127.0.0.1" in line for line in lines)


def test_audit_show_gives_a_customer_and_user_created_together_as_one_event(client, runner, reseller):
    body = {**RESELLER, "customer": "c", "username": "c", "password": "p", "applyFreeCredits": "true"}
    answer = client.post("/services/rest/customer-user/create", data=body).json
    for args in (["--customer", "c"], ["--reseller", "acme"]):
        lines = runner.invoke(args=["audit", "show", *args]).output.splitlines()
        [line] = [line for line in lines if "customer-user.create" in line]
        assert f"customer {answer['customerId']}" in line and f"user {answer['id']}" in line


def test_audit_show_finds_a_users_and_a_resellers_events_and_is_bounded(client, runner, reseller, customer_of):
    customer_id = customer_of("one")
    customer_of("two")
    client.post("/services/rest/user/create", data=user_params(customer_id))
    lines = runner.invoke(args=["audit", "show", "--reseller", "acme"]).output.splitlines()
    assert [line.split("  ")[1] for line in lines] == ["user.create", "customer.create", "customer.create",
                                                      "reseller.create"]
    assert len(runner.invoke(args=["audit", "show", "--reseller", "acme", "--limit", "1"]).output.splitlines()) == 1
    [line] = runner.invoke(args=["audit", "show", "--user", "u"]).output.splitlines()
    assert "user.create" in line and f"customer {customer_id}" in line


@pytest.mark.parametrize(
    "args, message",
    [
        (["--customer", "ghost"], "there is no customer named ghost"),
        (["--user", "ghost"], "there is no user named ghost"),
        ([], "exactly one of"),
        (["--customer", "a", "--user", "b"], "exactly one of"),
    ],
)
def test_audit_show_says_what_is_wrong(runner, args, message):
    result = runner.invoke(args=["audit", "show", *args])
    assert result.exit_code != 0 and message in result.output
