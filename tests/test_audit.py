"""The audit trail: every create and reseller command, written with the change itself."""
import pytest

from tests.conftest import RESELLER, fail_next_insert

CUSTOMER_CREATE = "/services/rest/customer/create"


def events(db, **query):
    return list(db.audit_events.find(query, {"_id": 0}))


def test_customer_create_writes_who_what_from_where_and_when(client, reseller, db):
    response = client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "shop"}, headers={"X-Request-ID": "req-7"})
    [event] = events(db, action="customer.create")
    created_at = event.pop("createdAt")
    assert event == {
        "action": "customer.create", "resellerId": reseller["_id"], "resellerName": "acme",
        "customerId": db.customers.find_one()["_id"], "client": "127.0.0.1", "requestId": "req-7",
    }
    assert str(event["customerId"]) == response.json["id"]
    assert created_at == db.customers.find_one()["createdAt"]


def test_user_create_names_the_customer_and_the_user(client, reseller, customer_of, db):
    customer_id = customer_of()
    params = {**RESELLER, "username": "u", "password": "p", "customerId": customer_id, "email": "a@b.com", "phoneNumber": "1"}
    user_id = client.post("/services/rest/user/create", data=params).json["id"]
    [event] = events(db, action="user.create")
    assert (str(event["customerId"]), str(event["userId"])) == (customer_id, user_id)


def test_customer_user_create_names_both(client, reseller, db):
    body = {**RESELLER, "customer": "c", "username": "c", "password": "p", "applyFreeCredits": "true"}
    answer = client.post("/services/rest/customer-user/create", data=body).json
    [event] = events(db, action="customer-user.create")
    assert (str(event["customerId"]), str(event["userId"])) == (answer["customerId"], answer["id"])


def test_reseller_commands_are_audited_with_the_operator(runner, db):
    for command in (["create", "acme"], ["set-password", "acme"], ["disable", "acme"], ["enable", "acme"]):
        assert runner.invoke(args=["reseller", *command], env={"RESELLER_PASSWORD": "s3cret"}).exit_code == 0
    trail = list(db.audit_events.find().sort("createdAt", 1))
    assert [event["action"] for event in trail] == ["reseller.create", "reseller.set-password", "reseller.disable", "reseller.enable"]
    assert all(event["client"].startswith("cli ") and "requestId" not in event for event in trail)
    assert "s3cret" not in str(trail)


@pytest.mark.parametrize(
    "params",
    [{"name": "bad name"}, {"resellerPassword": "wrong"}, {"name": "taken"}],
)
def test_a_refused_request_writes_no_audit_event(client, reseller, customer_of, db, params):
    customer_of("taken")
    db.audit_events.delete_many({})
    client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "shop", **params})
    assert events(db) == []


def test_a_failed_audit_write_undoes_the_customer_in_a_transaction(client, reseller, db):
    fail_next_insert(db, "audit_events", errorCode=2)
    response = client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "shop"})
    assert (response.status_code, response.json["status"]) == (500, 99)
    assert db.customers.count_documents({}) == 0
    assert client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "shop"}).status_code == 201


def test_a_failed_audit_write_undoes_the_customer_on_a_standalone_server(standalone):
    client, db = standalone
    fail_next_insert(db, "audit_events", closeConnection=True)
    response = client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "shop"})
    assert (response.status_code, response.json["status"]) == (503, 98)
    assert db.customers.count_documents({}) == 0


def test_a_failed_audit_write_leaves_the_reseller_unchanged_on_a_standalone_server(standalone_app, standalone):
    _, db = standalone
    fail_next_insert(db, "audit_events", errorCode=2)
    result = standalone_app.test_cli_runner().invoke(args=["reseller", "disable", "acme"])
    assert result.exit_code != 0
    assert db.resellers.find_one({"name": "acme"})["active"] is True


def test_audit_show_lists_a_customers_events_newest_first(client, runner, reseller, customer_of):
    customer_id = customer_of("shop")
    for username in ("first", "second"):
        params = {**RESELLER, "username": username, "password": "p", "customerId": customer_id, "email": "a@b.com",
                  "phoneNumber": "1"}
        client.post("/services/rest/user/create", data=params)
    result = runner.invoke(args=["audit", "show", "--customer", "shop"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert [line.split("  ")[1] for line in lines] == ["user.create", "user.create", "customer.create"]
    assert all("reseller acme" in line and "from 127.0.0.1" in line for line in lines)


def test_audit_show_finds_a_users_and_a_resellers_events_and_is_bounded(client, runner, reseller, customer_of):
    customer_of("one")
    customer_of("two")
    lines = runner.invoke(args=["audit", "show", "--reseller", "acme"]).output.splitlines()
    assert [line.split("  ")[1] for line in lines] == ["customer.create", "customer.create", "reseller.create"]
    assert len(runner.invoke(args=["audit", "show", "--reseller", "acme", "--limit", "1"]).output.splitlines()) == 1


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
