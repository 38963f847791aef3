"""The operators' commands for money and keys: customer credit and transactions, reseller set-free-credits, apikey
list and revoke; each change recorded as the operator's."""
from bson import ObjectId

from tests.support.apps import RESELLER


def sign_up(client, name="shop", free="true"):
    made = client.post("/services/rest/customer-user/create", data={
        **RESELLER, "customer": name, "username": f"{name}-user", "password": "p", "applyFreeCredits": free})
    assert made.status_code == 201, made.json
    return made.json["customerId"]


def test_customer_credit_changes_the_balance_with_an_operators_ledger_entry(client, runner, reseller, db):
    customer_id = sign_up(client)
    result = runner.invoke(["customer", "credit", "shop", "25", "--reason", "REFUND", "--reference", "T-9"])
    assert result.exit_code == 0, result.output
    assert db.customers.find_one()["credits"] == 35
    entry = db.credit_transactions.find_one({"reference": "T-9"})
    assert (entry["amount"], entry["reason"], entry["balanceAfter"], entry["origin"]) == (25, "REFUND", 35, "operator")
    by_id = runner.invoke(["customer", "credit", customer_id, "-5", "--reason", "ADJUSTMENT"])
    assert by_id.exit_code == 0 and db.customers.find_one()["credits"] == 30
    assert [event["action"] for event in db.audit_events.find({"customerId": ObjectId(customer_id),
                                                               "action": "customer.credit"})] == ["customer.credit"] * 2


def test_customer_credit_below_zero_fails_and_changes_nothing(client, runner, reseller, db):
    sign_up(client)
    result = runner.invoke(["customer", "credit", "shop", "-11", "--reason", "ADJUSTMENT"])
    assert result.exit_code == 1 and "would take them below 0; nothing was changed" in result.output
    assert db.customers.find_one()["credits"] == 10 and db.credit_transactions.count_documents({}) == 1


def test_customer_transactions_lists_the_ledger_newest_first_and_pages(client, runner, reseller):
    sign_up(client)
    for amount in (1, 2, 3):
        runner.invoke(["customer", "credit", "shop", str(amount), "--reason", "TOPUP"])
    result = runner.invoke(["customer", "transactions", "shop", "--limit", "2"])
    assert result.exit_code == 0, result.output
    header, *rows, more = [line.split() for line in result.output.splitlines()]
    # id, at (date, time, zone), amount, reason, balance, origin: newest first, +3 leaving 16, then +2 leaving 13.
    assert header[:3] == ["ID", "AT", "AMOUNT"]
    assert [row[4:8] for row in rows] == [["+3", "TOPUP", "16", "operator"], ["+2", "TOPUP", "13", "operator"]]
    assert more == ["more:", "--after", rows[-1][0]]
    everything = runner.invoke(["customer", "transactions", "shop", "--order", "asc"]).output
    assert everything.index("FREE_CREDITS") < everything.index("TOPUP")


def test_reseller_set_free_credits_applies_to_later_customers(client, runner, reseller, db):
    result = runner.invoke(["reseller", "set-free-credits", "acme", "250"])
    assert result.exit_code == 0, result.output
    sign_up(client, "later")
    assert db.customers.find_one({"name": "later"})["credits"] == 250
    assert db.resellers.find_one()["freeCredits"] == 250


def test_apikey_list_shows_every_resellers_keys_never_a_key_and_revoke_stops_one(client, runner, reseller,
                                                                                  make_reseller, db):
    make_reseller("other", "other secret")
    mine = client.post("/services/rest/apikey/create", data={**RESELLER, "label": "billing"}).json
    client.post("/services/rest/apikey/create", data={"resellerName": "other", "resellerPassword": "other secret",
                                                      "label": "crm"})
    listed = runner.invoke(["apikey", "list"])
    assert listed.exit_code == 0 and "billing" in listed.output and "crm" in listed.output
    assert mine["key"] not in listed.output
    only_acme = runner.invoke(["apikey", "list", "--reseller", "acme"]).output
    assert "billing" in only_acme and "crm" not in only_acme
    revoked = runner.invoke(["apikey", "revoke", mine["id"]])
    assert revoked.exit_code == 0, revoked.output
    response = client.post("/services/rest/customer/create", data={"name": "x"},
                           headers={"Authorization": f"Bearer {mine['key']}"})
    assert (response.status_code, response.json["status"]) == (401, 2)
    assert db.audit_events.find_one({"action": "apikey.revoke"})["client"] != "127.0.0.1"


def test_apikey_revoke_of_no_such_key_fails_clearly(runner):
    result = runner.invoke(["apikey", "revoke", str(ObjectId())])
    assert result.exit_code == 1 and "no API key" in result.output


def test_a_misspelled_option_of_customer_credit_is_still_refused(client, runner, reseller, db):
    sign_up(client)
    result = runner.invoke(["customer", "credit", "shop", "5", "--reasn", "TOPUP"])
    assert result.exit_code == 2 and db.customers.find_one()["credits"] == 10
