"""Reseller authentication: one answer for every failure, decided after validation and before any lookup."""
import pytest
from bson import ObjectId

from app.adapters.passwords import Hasher
from tests.support.apps import RESELLER

CUSTOMER_CREATE = "/services/rest/customer/create"


def attempt(client, **credentials):
    return client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "shop", **credentials}, headers={"X-Request-ID": "r1"})


def test_unknown_reseller_wrong_password_and_disabled_reseller_get_one_identical_answer(client, make_reseller, db):
    make_reseller()
    make_reseller("sleepy", "sleepy secret", active=False)
    answers = [
        attempt(client, resellerName="nobody"),
        attempt(client, resellerPassword="wrong"),
        attempt(client, resellerName="sleepy", resellerPassword="sleepy secret"),
    ]
    assert {(r.status_code, r.get_data()) for r in answers} == {
        (401, b'{"status":2,"message":"reseller authentication failed","requestId":"r1"}\n')
    }
    assert len({tuple(sorted((k, v) for k, v in r.headers if k != "Date")) for r in answers}) == 1
    assert db.customers.count_documents({}) == 0


def test_a_reseller_password_is_case_and_space_sensitive(client, reseller):
    assert attempt(client, resellerPassword="ACME SECRET").status_code == 401
    assert attempt(client, resellerPassword="acme secret ").status_code == 401
    assert attempt(client).status_code == 201


def test_a_reenabled_reseller_is_accepted_again(client, make_reseller, runner):
    make_reseller(active=False)
    assert attempt(client).status_code == 401
    assert runner.invoke(args=["reseller", "enable", "acme"]).exit_code == 0
    assert attempt(client).status_code == 201


def test_validation_comes_before_authentication(client, reseller):
    response = attempt(client, resellerPassword="wrong", name="bad name")
    assert (response.status_code, response.json["status"]) == (400, 1)


def test_authentication_comes_before_the_customer_lookup(client, reseller):
    params = {
        **RESELLER, "resellerPassword": "wrong", "username": "u", "password": "p",
        "customerId": str(ObjectId()), "email": "a@b.com", "phoneNumber": "1",
    }
    response = client.post("/services/rest/user/create", data=params)
    assert (response.status_code, response.json["status"]) == (401, 2)


def test_authentication_comes_before_the_duplicate_check(client, reseller, customer_of):
    customer_of("shop")
    assert attempt(client, resellerPassword="wrong").json["status"] == 2


def test_an_unknown_reseller_is_verified_against_a_dummy_hash_to_take_the_same_time(monkeypatch):
    hasher = Hasher(time_cost=1, memory_kib=8, parallelism=1)
    argon2 = hasher._argon2
    verified = []

    class RecordingArgon2:
        def verify(self, stored, password):
            verified.append(stored)
            return argon2.verify(stored, password)

    monkeypatch.setattr(hasher, "_argon2", RecordingArgon2())
    assert hasher.verify(None, "no reseller has this password") is False
    assert len(verified) == 1 and verified[0].startswith("$argon2id$")


@pytest.mark.parametrize("stored_hash", ["not a hash", "$argon2id$v=19$m=8,t=1,p=1$broken"])
def test_a_corrupt_stored_hash_fails_authentication_instead_of_erring(stored_hash):
    assert Hasher(time_cost=1, memory_kib=8, parallelism=1).verify(stored_hash, "x") is False
