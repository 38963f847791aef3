"""The operators' commands for what resellers cannot do themselves, or need help with: a reseller at a glance, changes
to customers and users (with dry runs), users found by contact across resellers, a reseller's users across its
customers."""
import re

import pytest
from bson import ObjectId

from tests.support.apps import API, RESELLER, as_reseller


@pytest.fixture
def shop(client, reseller):
    customer_id = as_reseller(client, "customer/create", name="shop", moCharge="5").json["id"]
    user_id = as_reseller(client, "user/create", username="jdoe", password="p", customerId=customer_id, email="j@doe.com",
                   phoneNumber="+48 1").json["id"]
    return customer_id, user_id


def fields_of(output):
    return dict(line.split(None, 1) if " " in line else (line, "") for line in output.splitlines())


def test_reseller_show_gives_its_state_counts_free_credits_and_locks(client, runner, shop, db):
    as_reseller(client, "customer/suspend", customerId=shop[0])
    for _ in range(10):
        client.post(API + "customer/list", data={**RESELLER, "resellerPassword": "wrong"},
                    environ_base={"REMOTE_ADDR": "192.0.2.7"})
    result = runner.invoke(args=["reseller", "show", "acme"])
    assert result.exit_code == 0, result.output
    shown = fields_of(result.output)
    assert (shown["active"], shown["freeCredits"]) == ("true", "10")
    assert shown["customers"] == "1 (1 suspended)" and shown["users"] == "1 (0 suspended)"
    assert shown["failures"].startswith("10 failed logins in the last")
    lines = result.output.splitlines()
    assert any(line.split() == ["locked", "no"] for line in lines)
    assert any(re.fullmatch(r"locked from 192\.0\.2\.7 +for \d+ s more", line) for line in lines)
    assert runner.invoke(args=["reseller", "show", "ghost"]).output.strip() == "Error: there is no reseller named ghost"


def test_customer_update_changes_settings_as_the_operators_and_a_dry_run_changes_nothing(runner, shop, db):
    dry = runner.invoke(args=["customer", "update", "shop", "--mo-charge", "11", "--billing-type", "PRE_PAID",
                              "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output.strip() == ("customer shop: would change billingType POST_PAID -> PRE_PAID, moCharge 5 -> 11; "
                                  "nothing was written")
    assert db.customers.find_one({"name": "shop"})["moCharge"] == 5
    real = runner.invoke(args=["customer", "update", shop[0], "--mo-charge", "11"])
    assert real.output.strip() == "updated customer shop: moCharge 5 -> 11"
    assert db.customers.find_one({"name": "shop"})["moCharge"] == 11
    entry = db.audit_events.find_one({"customerId": ObjectId(shop[0]), "action": "customer.update"})
    assert entry["client"].startswith("cli ") and entry["fields"] == ["moCharge"]
    assert runner.invoke(args=["customer", "update", "shop"]).exit_code == 2


def test_user_update_changes_details_and_limits_and_clears_them(runner, shop, db):
    result = runner.invoke(args=["user", "update", "jdoe", "--email", "John@Doe.com", "--throughput", "20",
                                 "--mo-push", '{"type": "SMPP"}'])
    assert result.exit_code == 0, result.output
    stored = db.users.find_one({"username": "jdoe"})
    assert (stored["email"], stored["limits"], stored["moPush"]) == ("John@doe.com", {"throughput": 20},
                                                                      {"type": "SMPP"})
    cleared = runner.invoke(args=["user", "update", "jdoe", "--clear", "moPush,throughput", "--dry-run"])
    assert cleared.output.strip() == ('user jdoe: would change moPush {"type": "SMPP"} -> (none), throughput 20 -> '
                                      "(none); nothing was written")
    runner.invoke(args=["user", "update", "jdoe", "--clear", "moPush,throughput"])
    stored = db.users.find_one({"username": "jdoe"})
    assert "moPush" not in stored and "limits" not in stored


@pytest.mark.parametrize("args, message", [
    (["--email", "not-an-email"], "--email"), (["--phone-number", "abc"], "--phone-number"),
    (["--mo-push", '{"type": "URL", "data": {"url": "http://127.0.0.1/"}}'], "--mo-push"),
    (["--clear", "username"], "--clear"), (["--throughput", "5", "--clear", "throughput"], "given and cleared"),
])
def test_user_update_refuses_what_the_api_refuses(runner, shop, db, args, message):
    result = runner.invoke(args=["user", "update", "jdoe", *args])
    assert result.exit_code == 2 and message in result.output
    assert db.audit_events.count_documents({"action": "user.update"}) == 0


def test_user_find_finds_users_of_every_reseller_by_email_or_phone(client, runner, shop, make_reseller):
    make_reseller("other", "other secret")
    theirs = client.post(API + "customer/create", data={"resellerName": "other", "resellerPassword": "other secret",
                                                         "name": "theirs"}).json["id"]
    client.post(API + "user/create", data={"resellerName": "other", "resellerPassword": "other secret",
                                            "username": "jane", "password": "p", "customerId": theirs,
                                            "email": "j@DOE.com", "phoneNumber": "+48 2"})
    by_email = runner.invoke(args=["user", "find", "--email", "j@doe.com"]).output.splitlines()
    assert [line.split()[1:4] for line in by_email[1:]] == [["jdoe", "shop", "acme"], ["jane", "theirs", "other"]]
    by_phone = runner.invoke(args=["user", "find", "--phone", "+48 2"]).output.splitlines()
    assert [line.split()[1] for line in by_phone[1:]] == ["jane"]
    assert runner.invoke(args=["user", "find", "--phone", "+48 9"]).output.strip() == "no user has phone number +48 9"
    assert runner.invoke(args=["user", "find"]).exit_code == 2


def test_user_list_gives_a_resellers_users_across_its_customers(client, runner, shop):
    other = as_reseller(client, "customer/create", name="shop2").json["id"]
    as_reseller(client, "user/create", username="jane", password="p", customerId=other, email="a@b.com", phoneNumber="1")
    listed = runner.invoke(args=["user", "list", "--reseller", "acme"]).output.splitlines()
    assert [line.split()[1:3] for line in listed[1:]] == [["jdoe", "shop"], ["jane", "shop2"]]
    assert runner.invoke(args=["user", "list"]).exit_code == 2
