"""flask customer show and flask user show: a stored document as support staff read it."""
from tests.conftest import RESELLER


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
