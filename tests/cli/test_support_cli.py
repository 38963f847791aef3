"""flask customer show and flask user show: a stored document as support staff read it."""
import pytest
from argon2 import PasswordHasher
from bson import ObjectId

from tests.support.apps import RESELLER, Operator, app_for
from tests.support.database import trail


def test_customer_show_gives_ids_reseller_settings_credits_and_users(client, runner, reseller, db):
    client.post("/services/rest/customer-user/create", data={
        **RESELLER, "customer": "shop", "username": "u", "password": "p", "applyFreeCredits": "true"})
    customer = db.customers.find_one({"name": "shop"})
    output = runner.invoke(args=["customer", "show", "shop"]).output
    fields = dict(line.split(None, 1) for line in output.splitlines())
    assert fields["id"] == str(customer["_id"])
    assert fields["reseller"] == f"acme ({reseller.id})"
    assert fields["integrationId"] == '""'
    assert (fields["billingType"], fields["moCharge"], fields["credits"], fields["users"]) == ("POST_PAID", "0", "10", "1")
    assert fields["createdAt"].endswith("UTC")


def test_user_show_gives_contact_details_and_push_configs_never_the_hash(client, runner, reseller, customer_of, db):
    params = {**RESELLER, "username": "jdoe", "password": "user secret", "customerId": customer_of("shop"),
              "email": "j@doe.com", "phoneNumber": "+48 1", "moPush": '{"type": "URL", "data": {"url": "https://p.example"}}'}
    client.post("/services/rest/user/create", data=params)
    result = runner.invoke(args=["user", "show", "jdoe"])
    assert result.exit_code == 0
    fields = dict(line.split(None, 1) for line in result.output.splitlines())
    assert fields["customer"].startswith("shop (")
    assert (fields["email"], fields["phoneNumber"], fields["swappingSourceAddressAllowed"]) == ("j@doe.com", "+48 1", "false")
    assert fields["moPush"] == '{"type": "URL", "data": {"url": "https://p.example"}}'
    assert "argon2" not in result.output and "passwordHash" not in result.output


def test_show_says_clearly_when_there_is_no_such_customer_or_user(runner):
    customer = runner.invoke(args=["customer", "show", "ghost"])
    user = runner.invoke(args=["user", "show", "ghost"])
    assert (customer.exit_code, user.exit_code) == (1, 1)
    assert "there is no customer named ghost" in customer.output
    assert "there is no user named ghost" in user.output


def test_show_takes_an_id_as_well_as_a_name(client, runner, reseller, customer_of):
    customer_id = customer_of("shop")
    params = {**RESELLER, "username": "jdoe", "password": "p", "customerId": customer_id, "email": "a@b.com",
              "phoneNumber": "1"}
    user_id = client.post("/services/rest/user/create", data=params).json["id"]
    assert runner.invoke(args=["customer", "show", customer_id]).output.splitlines()[0].split() == ["customer", "shop"]
    assert runner.invoke(args=["user", "show", user_id]).output.splitlines()[0].split() == ["user", "jdoe"]


@pytest.mark.parametrize("command", [["customer", "show"], ["customer", "suspend"]])
def test_an_id_that_is_also_another_customers_name_means_the_customer_with_that_id(runner, reseller, customer_of, db,
                                                                                  command):
    victim = customer_of("shop")
    impostor = customer_of(victim)
    result = runner.invoke(args=[*command, victim])
    assert result.exit_code == 0
    assert "shop" in result.stdout and f"the customer of that name has id {impostor}" in result.stderr
    if command[1] == "suspend":
        assert [c["active"] for c in db.customers.find({}, sort=[("_id", 1)])] == [False, True]


def test_customer_list_pages_a_resellers_customers(runner, reseller, customer_of):
    ids = [customer_of(f"c{number}") for number in range(3)]
    first = runner.invoke(args=["customer", "list", "--reseller", "acme", "--limit", "2"]).output.splitlines()
    assert [line.split()[:2] for line in first[1:3]] == [[ids[0], "c0"], [ids[1], "c1"]]
    assert first[-1] == f"more: --after {ids[1]}"
    rest = runner.invoke(args=["customer", "list", "--reseller", "acme", "--after", ids[1]]).output.splitlines()
    assert [line.split()[1] for line in rest[1:]] == ["c2"]


def test_user_list_takes_a_customer_by_name_or_id(client, runner, reseller, customer_of):
    customer_id = customer_of("shop")
    for username in ("a", "b"):
        client.post("/services/rest/user/create", data={**RESELLER, "username": username, "password": "p",
                                                        "customerId": customer_id, "email": "a@b.com", "phoneNumber": "1"})
    for customer in ("shop", customer_id):
        lines = runner.invoke(args=["user", "list", "--customer", customer]).output.splitlines()
        assert [line.split()[1] for line in lines[1:]] == ["a", "b"]


def test_user_set_password_takes_it_from_the_environment_or_a_prompt_and_records_it(client, runner, reseller,
                                                                                   customer_of, db):
    customer_id = customer_of("shop")
    client.post("/services/rest/user/create", data={**RESELLER, "username": "jdoe", "password": "old", "customerId": customer_id,
                                                    "email": "a@b.com", "phoneNumber": "1"})
    before = db.users.find_one()["passwordHash"]
    assert runner.invoke(args=["user", "set-password", "jdoe"], env={"USER_PASSWORD": "from env"}).exit_code == 0
    prompted = runner.invoke(args=["user", "set-password", "jdoe"], input="typed\ntyped\n")
    assert prompted.exit_code == 0 and "typed" not in prompted.output
    stored = db.users.find_one()
    assert stored["passwordHash"] != before and PasswordHasher().verify(stored["passwordHash"], "typed")
    changes = trail(db, {"userId": stored["_id"]})
    assert [(entry["action"], entry["fields"]) for entry in changes] == [("user.update", ["password"])] * 2
    assert all(entry["client"].startswith("cli ") for entry in changes)


@pytest.mark.parametrize("kind, name", [("customer", "shop"), ("user", "jdoe")])
def test_suspend_and_resume_from_the_cli_are_recorded_with_the_operator(client, runner, reseller, customer_of, db,
                                                                       kind, name):
    customer_id = customer_of("shop")
    client.post("/services/rest/user/create", data={**RESELLER, "username": "jdoe", "password": "p",
                                                    "customerId": customer_id, "email": "a@b.com", "phoneNumber": "1"})
    assert runner.invoke(args=[kind, "suspend", name]).output == f"suspended {kind} {name}\n"
    assert db[f"{kind}s"].find_one()["active"] is False
    assert runner.invoke(args=[kind, "resume", name]).exit_code == 0
    stored = db[f"{kind}s"].find_one()
    assert stored["active"] is True
    changes = trail(db, {f"{kind}Id": stored["_id"], **({"userId": None} if kind == "customer" else {})})
    assert [entry["action"] for entry in changes] == [f"{kind}.suspend", f"{kind}.resume"]
    assert all(entry["client"].startswith("cli ") for entry in changes)


def test_reseller_unlock_forgets_failures_of_one_address_or_of_all(client, runner, reseller, db):
    for address in ("192.0.2.1", "192.0.2.1", "192.0.2.2"):
        client.post("/services/rest/customer/create", data={**RESELLER, "resellerPassword": "wrong", "name": "x"},
                    environ_base={"REMOTE_ADDR": address})
    one = runner.invoke(args=["reseller", "unlock", "acme", "--address", "192.0.2.1"])
    assert one.output == "unlocked reseller acme: forgot 2 failed authentication(s) from 192.0.2.1\n"
    assert [failure["client"] for failure in db.auth_failures.find({"name": "acme"})] == ["192.0.2.2"]
    assert runner.invoke(args=["reseller", "unlock", "acme"]).exit_code == 0
    assert db.auth_failures.count_documents({"name": "acme"}) == 0
    assert [entry["action"] for entry in trail(db, {"resellerId": reseller.id})] == ["reseller.unlock", "reseller.unlock"]


def test_an_unlocked_reseller_works_again_at_once(database_uri, runner, reseller):
    throttled = app_for(database_uri, THROTTLE_FAILURES=2)
    for _ in range(2):
        throttled.test_client().post("/services/rest/customer/create", data={**RESELLER, "resellerPassword": "no", "name": "x"})
    assert throttled.test_client().post("/services/rest/customer/create", data={**RESELLER, "name": "x"}).status_code == 429
    assert runner.invoke(args=["reseller", "unlock", "acme"]).exit_code == 0
    assert throttled.test_client().post("/services/rest/customer/create", data={**RESELLER, "name": "x"}).status_code == 201


@pytest.mark.parametrize("args, message", [
    (["customer", "suspend", "ghost"], "there is no customer named ghost"),
    (["user", "resume", "ghost"], "there is no user named ghost"),
    (["user", "set-password", "ghost"], "there is no user named ghost"),
    (["customer", "list", "--reseller", "ghost"], "there is no reseller named ghost"),
    (["user", "list", "--customer", "ghost"], "there is no customer named ghost"),
    (["reseller", "unlock", "ghost"], "there is no reseller named ghost"),
])
def test_commands_on_what_does_not_exist_say_so_in_one_line(runner, args, message):
    result = runner.invoke(args=args, env={"USER_PASSWORD": "x"})
    assert result.exit_code == 1 and message in result.output


def test_user_set_password_applies_the_platforms_minimum(database_uri, client, reseller, customer_of):
    client.post("/services/rest/user/create", data={**RESELLER, "username": "jdoe", "password": "old",
                                                    "customerId": customer_of(), "email": "a@b.com", "phoneNumber": "1"})
    strict = Operator(app_for(database_uri, USER_PASSWORD_MIN_LENGTH=10))
    result = strict.invoke(args=["user", "set-password", "jdoe"], env={"USER_PASSWORD": "too short"})
    assert result.exit_code == 1 and "the password must be at least 10 characters long" in result.output


def test_support_commands_escape_what_was_stored_before_the_rules(client, runner, reseller, customer_of, db):
    customer_id = customer_of("shop")
    db.customers.update_one({"_id": ObjectId(customer_id)}, {"$set": {"integrationId": "crm\u202e\u001b[31m42"}})
    output = runner.invoke(args=["customer", "show", "shop"]).output
    assert "\u202e" not in output and "\u001b" not in output and "crm\\u202e\\x1b[31m42" in output
