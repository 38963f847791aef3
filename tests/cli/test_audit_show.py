"""audit show: the trail of a customer, a user or a reseller, newest first, as operators read it."""
import pytest

from tests.support.apps import RESELLER, user_params
from tests.support.database import trail

CUSTOMER_CREATE = "/services/rest/customer/create"


def test_reseller_commands_are_recorded_with_the_operator_and_never_a_password(runner, db):
    for command in (["create", "acme"], ["set-password", "acme"], ["disable", "acme"], ["enable", "acme"]):
        assert runner.invoke(args=["reseller", *command], env={"RESELLER_PASSWORD": "s3cret-reseller"}).exit_code == 0
    stored = db.resellers.find_one()
    assert stored["createdBy"]["action"] == "reseller.create" and stored["createdBy"]["client"].startswith("cli ")
    changes = trail(db, {"resellerId": stored["_id"]})
    assert [(entry["action"], entry["fields"]) for entry in changes] == [
        ("reseller.set-password", ["password"]), ("reseller.disable", ["active"]), ("reseller.enable", ["active"])]
    assert all(entry["client"].startswith("cli ") and "requestId" not in entry for entry in changes)
    assert "s3cret-reseller" not in str(changes)



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
    first, more = runner.invoke(args=["audit", "show", "--reseller", "acme", "--limit", "1"]).output.splitlines()
    assert first == lines[0] and more.startswith("more: --before ")
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


def test_audit_show_pages_through_a_long_trail_by_index(client, runner, reseller, customer_of):
    customer_id = customer_of("shop")
    for number in range(7):
        client.post("/services/rest/customer/update", data={**RESELLER, "customerId": customer_id,
                                                            "moCharge": str(number + 1)})
    seen, before = [], []
    while True:
        lines = runner.invoke(args=["audit", "show", "--customer", "shop", "--limit", "3", *before]).output.splitlines()
        seen += [line for line in lines if not line.startswith("more: ")]
        if not lines[-1].startswith("more: "):
            break
        before = lines[-1].removeprefix("more: ").split()
    assert [line.split("  ")[1] for line in seen] == ["customer.update"] * 7 + ["customer.create"]
