"""provisioning reseller create | set-password | disable | enable | list."""
import pytest
from argon2 import PasswordHasher

from tests.support.apps import RESELLER, app_for

CUSTOMER_CREATE = "/services/rest/customer/create"


def run(runner, *args, password=None, input=None):
    env = {"RESELLER_PASSWORD": password} if password is not None else {}
    return runner.invoke(args=["reseller", *args], env=env, input=input)


def test_create_stores_an_active_reseller_with_an_argon2id_hash_and_the_default_free_credits(runner, db):
    result = run(runner, "create", "acme", password="acme secret")
    assert result.exit_code == 0, result.output
    stored = db.resellers.find_one({"name": "acme"})
    assert (stored["active"], stored["freeCredits"]) == (True, 10)
    assert stored["passwordHash"].startswith("$argon2id$")
    assert PasswordHasher().verify(stored["passwordHash"], "acme secret")
    assert stored["createdAt"] == stored["updatedAt"]
    assert "acme secret" not in result.output


def test_create_takes_free_credits(runner, db):
    run(runner, "create", "acme", "--free-credits", "250", password="acme secret")
    assert db.resellers.find_one({"name": "acme"})["freeCredits"] == 250


def test_create_without_the_variable_asks_for_the_password_twice_hidden(runner, db, client):
    result = run(runner, "create", "acme", input="typed secret\ntyped secret\n")
    assert result.exit_code == 0, result.output
    assert "typed secret" not in result.output
    assert client.post(CUSTOMER_CREATE, data={"resellerName": "acme", "resellerPassword": "typed secret", "name": "s"}).status_code == 201


def test_an_empty_password_variable_means_asking_for_it(runner, client):
    result = run(runner, "create", "acme", password="", input="acme secret\nacme secret\n")
    assert result.exit_code == 0, result.output
    assert client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "shop"}).status_code == 201


def test_create_asks_again_when_the_prompted_password_is_not_confirmed(runner, client):
    result = run(runner, "create", "acme", input="first try\nmistyped\nacme secret\nacme secret\n")
    assert result.exit_code == 0
    assert "do not match" in result.output
    assert client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "shop"}).status_code == 201


def test_a_reseller_created_by_the_cli_can_create_customers(runner, client):
    run(runner, "create", "acme", password="acme secret")
    assert client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "shop"}).status_code == 201


@pytest.mark.parametrize(
    "name, password",
    [("ac me", "p"), ("acme@corp", "p"), ("acme\uff20corp", "p"), ("x" * 129, "p"), ("acme", "p" * 129), ("", "p"),
     ("a\u200bb", "p"), ("a\ufe0fb", "p")],
)
def test_create_refuses_what_the_api_would_refuse(runner, db, name, password):
    result = run(runner, "create", name, password=password)
    assert result.exit_code == 1
    assert "Error:" in result.output
    assert db.resellers.count_documents({}) == 0


def test_create_refuses_an_existing_name(runner):
    run(runner, "create", "acme", password="acme secret")
    result = run(runner, "create", "acme", password="other secret")
    assert result.exit_code == 1
    assert "already exists" in result.output


@pytest.mark.parametrize("look_alike", ["ACME", "\uff41\uff43\uff4d\uff45"])
def test_create_refuses_a_name_that_looks_like_an_existing_one(runner, db, look_alike):
    run(runner, "create", "acme", password="acme secret")
    result = run(runner, "create", look_alike, password="other secret")
    assert (result.exit_code, db.resellers.count_documents({})) == (1, 1)
    assert "already exists" in result.output


def test_set_password_replaces_the_password(runner, client):
    run(runner, "create", "acme", password="old secret")
    assert run(runner, "set-password", "acme", password="acme secret").exit_code == 0
    assert client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "shop"}).status_code == 201
    old = {"resellerName": "acme", "resellerPassword": "old secret", "name": "shop2"}
    assert client.post(CUSTOMER_CREATE, data=old).status_code == 401


def test_disable_refuses_the_reseller_and_enable_accepts_it_again(runner, client):
    run(runner, "create", "acme", password="acme secret")
    assert run(runner, "disable", "acme").exit_code == 0
    assert client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "shop"}).status_code == 401
    assert run(runner, "enable", "acme").exit_code == 0
    assert client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "shop"}).status_code == 201


@pytest.mark.parametrize("command", ["disable", "enable", "set-password"])
def test_commands_on_an_unknown_reseller_say_so(runner, command):
    result = run(runner, command, "ghost", password="ghost secret")
    assert result.exit_code == 1
    assert "no reseller named ghost" in result.output


def test_list_shows_name_active_free_credits_and_customer_count_never_hashes(runner, client):
    run(runner, "create", "acme", password="acme secret")
    run(runner, "create", "zeta", "--free-credits", "0", password="zeta secret")
    run(runner, "disable", "zeta")
    client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "one"})
    client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "two"})
    result = run(runner, "list")
    assert result.exit_code == 0
    lines = [line.split() for line in result.output.splitlines()]
    assert lines == [["NAME", "ACTIVE", "FREE", "CREDITS", "CUSTOMERS"], ["acme", "yes", "10", "2"], ["zeta", "no", "0", "0"]]
    assert "argon2" not in result.output


@pytest.mark.parametrize("password, message", [
    ("short", "the password must be at least 8 characters long"),
    ("Password1", "the password is one of the most common passwords"),
    ("12345678", "the password is one of the most common passwords"),
])
def test_a_reseller_password_must_be_long_and_uncommon(runner, db, password, message):
    for command in ("create", "set-password"):
        result = run(runner, command, "acme", password=password)
        assert result.exit_code == 1 and message in result.output
    assert db.resellers.count_documents({}) == 0


def test_user_passwords_keep_the_contracts_rule_unless_the_platform_sets_a_minimum(database_uri, reseller, customer_of):
    params = {**RESELLER, "username": "u", "password": "p", "customerId": customer_of(), "email": "a@b.com",
              "phoneNumber": "1"}
    assert app_for(database_uri).test_client().post("/services/rest/user/create", data=params).status_code == 201
    strict = app_for(database_uri, USER_PASSWORD_MIN_LENGTH=12).test_client()
    response = strict.post("/services/rest/user/create", data={**params, "username": "v", "password": "eleven char"})
    assert response.json["errors"] == {"password": ["must be at least 12 characters long"]}
    assert strict.post("/services/rest/user/create", data={**params, "username": "v", "password": "twelve chars"}).status_code == 201
