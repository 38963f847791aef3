"""API keys through the API: created with the reseller's password and shown once, then accepted as
`Authorization: Bearer` on every other endpoint; refused (status 2, counted like wrong passwords) when wrong, revoked,
expired, from an address they do not allow, or of a disabled reseller; never checked with argon2."""
from datetime import timedelta

import pytest
from bson import ObjectId

from app.bootstrap import utc_now
from app.service_layer import resellers
from tests.support.apps import RESELLER, SMALL_LIMITS, TEST_ORIGIN, Clock, app_for, provisioning

CREATE = "/services/rest/apikey/create"
LIST = "/services/rest/apikey/list"
REVOKE = "/services/rest/apikey/revoke"
CUSTOMER_CREATE = "/services/rest/customer/create"
CUSTOMER_LIST = "/services/rest/customer/list"


def bearer(key):
    return {"Authorization": f"Bearer {key}"}


def new_key(client, **params):
    response = client.post(CREATE, data={**RESELLER, "label": "billing", **params})
    assert response.status_code == 201, response.json
    return response.json


def secret_of(made):
    return made["key"].removeprefix(f"pk_{made['id']}_")


def create_customer(client, key, name="shop", address="127.0.0.1", **headers):
    return client.post(CUSTOMER_CREATE, data={"name": name}, headers={**bearer(key), **headers},
                       environ_base={"REMOTE_ADDR": address})


def test_a_key_is_shown_once_and_only_its_digest_is_stored(client, reseller, db):
    made = new_key(client)
    secret = secret_of(made)
    assert made["key"] == f"pk_{made['id']}_{secret}" and len(secret) == 43
    stored = db.api_keys.find_one({"_id": ObjectId(made["id"])})
    assert secret not in str(stored)
    [listed] = client.post(LIST, data=RESELLER).json["apiKeys"]
    assert "key" not in listed and made["key"] not in str(listed)
    assert (listed["id"], listed["label"], listed["revoked"], listed["lastUsedAt"]) == (made["id"], "billing", False,
                                                                                       None)


@pytest.mark.parametrize("path, params", [
    (CUSTOMER_CREATE, {"name": "shop"}),
    (CUSTOMER_LIST, {}),
    ("/services/rest/customer-user/create", {"customer": "c@acme", "username": "c@acme", "password": "p",
                                            "applyFreeCredits": "false"}),
])
def test_a_key_authenticates_the_reseller_on_its_endpoints_without_a_password(client, reseller, path, params):
    key = new_key(client)["key"]
    response = client.post(path, data=params, headers=bearer(key))
    assert response.json["status"] == 0, response.json


def test_a_key_works_with_json_bodies_too(client, reseller, db):
    key = new_key(client)["key"]
    response = client.post(CUSTOMER_CREATE, json={"name": "shop"}, headers=bearer(key))
    assert (response.status_code, response.json["status"]) == (201, 0)
    assert db.customers.find_one()["resellerId"] == reseller.id


def test_a_key_is_not_checked_with_argon2(client, reseller, monkeypatch, app):
    key = new_key(client)["key"]
    hasher = provisioning(app).hasher
    monkeypatch.setattr(hasher, "verify", lambda *args: pytest.fail("argon2 was asked"))
    assert create_customer(client, key).status_code == 201


@pytest.mark.parametrize("body", ["form", "json"])
def test_a_request_with_both_a_key_and_a_password_is_status_1(client, reseller, body):
    key = new_key(client)["key"]
    params = {**RESELLER, "name": "shop"}
    response = (client.post(CUSTOMER_CREATE, data=params, headers=bearer(key)) if body == "form"
                else client.post(CUSTOMER_CREATE, json=params, headers=bearer(key)))
    assert (response.status_code, response.json["status"]) == (400, 1)
    assert "not both" in str(response.json["errors"])


@pytest.mark.parametrize("path, params", [(CREATE, {"label": "more"}), (LIST, {}), (REVOKE, {"keyId": "x"})])
def test_a_key_cannot_manage_keys(client, reseller, path, params, db):
    made = new_key(client)
    if path == REVOKE:
        params = {"keyId": made["id"]}
    response = client.post(path, data=params, headers=bearer(made["key"]))
    assert response.json["status"] in (1, 2) and response.status_code in (400, 401)
    assert db.api_keys.count_documents({}) == 1 and db.api_keys.find_one().get("revokedAt") is None


@pytest.mark.parametrize("presented", [
    "pk_000000000000000000000000_" + "A" * 43,   # names no key
    "not a key at all",
    "",
])
def test_a_key_that_is_no_key_is_401_status_2(client, reseller, presented):
    response = client.post(CUSTOMER_CREATE, data={"name": "shop"}, headers={"Authorization": f"Bearer {presented}"})
    assert (response.status_code, response.json["status"]) in {(401, 2), (400, 1)}
    if presented:
        assert (response.status_code, response.json["status"]) == (401, 2)


def test_a_wrong_secret_for_a_real_key_id_is_401_status_2(client, reseller):
    made = new_key(client)
    wrong = made["key"][:-1] + ("A" if made["key"][-1] != "A" else "B")
    assert create_customer(client, wrong).json["status"] == 2


def test_a_revocation_is_effective_at_once_in_every_process(database_uri, client, reseller):
    made = new_key(client)
    other_process = app_for(database_uri).test_client()
    assert create_customer(other_process, made["key"], "before").status_code == 201
    revoked = client.post(REVOKE, data={**RESELLER, "keyId": made["id"]})
    assert (revoked.status_code, revoked.json["apiKey"]["revoked"]) == (200, True)
    response = create_customer(other_process, made["key"], "after")
    assert (response.status_code, response.json["status"]) == (401, 2)


def test_revoking_a_key_of_another_reseller_is_404_status_13(client, reseller, make_reseller, db):
    made = new_key(client)
    make_reseller("other", "other secret")
    response = client.post(REVOKE, data={"resellerName": "other", "resellerPassword": "other secret",
                                         "keyId": made["id"]})
    assert (response.status_code, response.json["status"]) == (404, 13)
    assert db.api_keys.find_one().get("revokedAt") is None


def test_a_disabled_resellers_keys_stop_at_once(client, reseller, app):
    key = new_key(client)["key"]
    tools = provisioning(app)
    with tools.unit_of_work() as uow:
        resellers.set_reseller_active(RESELLER["resellerName"], False, TEST_ORIGIN, uow=uow, clock=tools.clock)
    assert create_customer(client, key).status_code == 401


def test_an_expired_key_is_refused(database_uri, client, reseller):
    clock = Clock()
    expires = (utc_now() + timedelta(hours=1)).isoformat()
    key = new_key(client, expiresAt=expires)["key"]
    later = app_for(database_uri, clock=clock).test_client()
    assert create_customer(later, key, "in-time").status_code == 201
    clock.offset = timedelta(hours=1, seconds=1)
    assert create_customer(later, key, "too-late").status_code == 401


@pytest.mark.parametrize("params, field", [
    ({"label": ""}, "label"),
    ({"label": "x" * 65}, "label"),
    ({"label": "ok", "allowedIps": "10.0.0.0/33"}, "allowedIps"),
    ({"label": "ok", "allowedIps": "not-an-address"}, "allowedIps"),
    ({"label": "ok", "allowedIps": ",".join(f"10.0.{n}.0/24" for n in range(51))}, "allowedIps"),
    ({"label": "ok", "expiresAt": "2001-01-01T00:00:00Z"}, "expiresAt"),
    ({"label": "ok", "expiresAt": "tomorrow"}, "expiresAt"),
])
def test_a_bad_key_parameter_is_status_1_naming_it(client, reseller, params, field):
    response = client.post(CREATE, data={**RESELLER, **params})
    assert (response.status_code, response.json["status"]) == (400, 1)
    assert field in response.json["errors"]


def test_every_bad_key_parameter_is_named_at_once(client, reseller):
    response = client.post(CREATE, json={**RESELLER, "label": "", "allowedIps": ["nope"], "expiresAt": "yesterday"})
    assert set(response.json["errors"]) == {"label", "allowedIps", "expiresAt"}


ADDRESSES = "203.0.113.0/24,2001:db8::/32"


@pytest.mark.parametrize("address, admitted", [
    ("203.0.113.7", True),
    ("2001:db8::5", True),
    ("::ffff:203.0.113.9", True),
    ("198.51.100.1", False),
    ("2001:db9::1", False),
])
def test_a_key_with_allowed_ips_admits_only_those_addresses(client, reseller, address, admitted):
    key = new_key(client, allowedIps=ADDRESSES)["key"]
    response = create_customer(client, key, address=address)
    assert response.status_code == (201 if admitted else 401)


def test_behind_trusted_proxies_the_forwarded_address_is_the_one_checked(database_uri, client, reseller):
    key = new_key(client, allowedIps="203.0.113.0/24")["key"]
    behind_proxy = app_for(database_uri, TRUSTED_PROXIES=1).test_client()
    admitted = create_customer(behind_proxy, key, "through-proxy", address="10.0.0.2",
                               **{"X-Forwarded-For": "203.0.113.7"})
    refused = create_customer(behind_proxy, key, "from-outside", address="10.0.0.2",
                              **{"X-Forwarded-For": "198.51.100.1"})
    assert (admitted.status_code, refused.status_code) == (201, 401)
    # Without a trusted proxy, a client's own X-Forwarded-For proves nothing.
    spoofed = create_customer(client, key, "spoofed", address="198.51.100.1", **{"X-Forwarded-For": "203.0.113.7"})
    assert spoofed.status_code == 401


def test_failed_keys_are_counted_and_throttled_like_wrong_passwords(database_uri, client, reseller):
    made = new_key(client)
    wrong = made["key"][:-1] + ("A" if made["key"][-1] != "A" else "B")
    throttled = app_for(database_uri, **SMALL_LIMITS).test_client()
    codes = [create_customer(throttled, wrong, f"c{n}", address="192.0.2.1").status_code for n in range(3)]
    response = create_customer(throttled, made["key"], "right-key", address="192.0.2.1")
    assert codes == [401, 401, 401]
    assert (response.status_code, response.json["status"]) == (429, 6) and int(response.headers["Retry-After"]) > 0


def test_last_used_at_is_kept_at_most_once_a_minute(database_uri, client, reseller, db):
    clock = Clock()
    made = new_key(client)
    used = app_for(database_uri, clock=clock).test_client()
    create_customer(used, made["key"], "first")
    first = db.api_keys.find_one()["lastUsedAt"]
    clock.offset = timedelta(seconds=30)
    create_customer(used, made["key"], "second")
    assert db.api_keys.find_one()["lastUsedAt"] == first
    clock.offset = timedelta(seconds=61)
    create_customer(used, made["key"], "third")
    assert db.api_keys.find_one()["lastUsedAt"] > first
    [listed] = client.post(LIST, data=RESELLER).json["apiKeys"]
    assert listed["lastUsedAt"] is not None


def test_creating_and_revoking_a_key_is_in_the_audit_trail(client, reseller, db):
    made = new_key(client)
    client.post(REVOKE, data={**RESELLER, "keyId": made["id"]})
    actions = [event["action"] for event in db.audit_events.find({"resellerId": reseller.id}).sort("_id", 1)]
    assert actions[-2:] == ["apikey.create", "apikey.revoke"]


def test_the_key_never_appears_in_the_logs(client, reseller, caplog):
    made = new_key(client)
    create_customer(client, made["key"])
    create_customer(client, made["key"][:-2] + "zz")
    assert secret_of(made) not in caplog.text
