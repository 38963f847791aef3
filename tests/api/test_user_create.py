"""POST /services/rest/user/create."""
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from argon2 import PasswordHasher
from bson import ObjectId

from tests.support.apps import RESELLER

URL = "/services/rest/user/create"


@pytest.fixture
def user_params(reseller, customer_of):
    return {
        **RESELLER,
        "username": "jdoe",
        "password": "user secret",
        "customerId": customer_of(),
        "email": "John.Doe@Example.COM",
        "phoneNumber": "+48 999 444 111",
    }


def create(client, params, **overrides):
    return client.post(URL, data={**params, **overrides})


def test_a_user_is_created_with_201_status_0_and_its_id(client, user_params, db):
    response = create(client, user_params)
    assert response.status_code == 201
    assert response.json == {"id": response.json["id"], "status": 0}
    assert db.users.find_one({"_id": ObjectId(response.json["id"])})["username"] == "jdoe"


def test_a_user_is_stored_with_ids_as_objectids_a_normalized_email_and_only_given_fields(client, user_params, db, reseller):
    create(client, user_params)
    stored = db.users.find_one({"username": "jdoe"})
    assert set(stored) == {
        "_id", "username", "usernameKey", "keyRules", "keyUnicode", "passwordHash", "customerId", "resellerId", "email",
        "phoneNumber",
        "swappingSourceAddressAllowed", "active", "createdAt", "createdBy",
    }
    assert stored["customerId"] == ObjectId(user_params["customerId"])
    assert stored["resellerId"] == reseller.id
    assert stored["email"] == "John.Doe@example.com"
    assert stored["phoneNumber"] == "+48 999 444 111"
    assert stored["swappingSourceAddressAllowed"] is False


def test_the_password_is_stored_only_as_an_argon2id_phc_hash(client, user_params, db):
    create(client, user_params)
    stored = db.users.find_one({"username": "jdoe"})
    assert stored["passwordHash"].startswith("$argon2id$v=19$m=")
    assert PasswordHasher().verify(stored["passwordHash"], "user secret")
    assert "user secret" not in json.dumps(stored, default=str)


def test_push_configs_are_stored_as_objects(client, user_params, db):
    create(
        client,
        user_params,
        moPush='{"type": "URL", "data": {"url": "https://push.example.com/mo"}}',
        finalStatusPush='{"type": "EMAIL", "data": {"to": "Ops@Example.com", "subject": "s", "body": "b"}}',
        virtualNumber="999444111",
        swappingSourceAddressAllowed="TRUE",
    )
    stored = db.users.find_one({"username": "jdoe"})
    assert stored["moPush"] == {"type": "URL", "data": {"url": "https://push.example.com/mo"}}
    assert stored["finalStatusPush"] == {"type": "EMAIL", "data": {"to": "Ops@example.com", "subject": "s", "body": "b"}}
    assert stored["virtualNumber"] == "999444111"
    assert stored["swappingSourceAddressAllowed"] is True


def test_an_email_push_body_may_have_lines(client, user_params, db):
    config = '{"type": "EMAIL", "data": {"to": "a@b.com", "body": "Hello,\\r\\n\\tworld"}}'
    assert create(client, user_params, moPush=config).status_code == 201
    assert db.users.find_one({"username": "jdoe"})["moPush"]["data"]["body"] == "Hello,\r\n\tworld"


@pytest.mark.parametrize(
    "config",
    ['{"type": "SMPP"}', '{"type": "SMPP", "data": null}', '{"type": "SMPP", "data": {}}', '{\n  "type": "SMPP"\n}\n'],
)
def test_an_smpp_push_config_is_stored_without_data(client, user_params, db, config):
    assert create(client, user_params, moPush=config).status_code == 201
    assert db.users.find_one({"username": "jdoe"})["moPush"] == {"type": "SMPP"}


@pytest.mark.parametrize(
    "params, bad",
    [
        ({"username": "j doe"}, "username"),
        ({"username": "u" * 129}, "username"),
        ({"password": "p" * 129}, "password"),
        ({"password": "new\nline"}, "password"),
        ({"customerId": "5a4e96a030046095c7ef280"}, "customerId"),
        ({"customerId": "zz4e96a030046095c7ef280f"}, "customerId"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@localhost"}, "email"),
        ({"email": "a" * 250 + "@b.com"}, "email"),
        ({"phoneNumber": "999-444"}, "phoneNumber"),
        ({"phoneNumber": "+ +"}, "phoneNumber"),
        ({"phoneNumber": "1" * 33}, "phoneNumber"),
        ({"phoneNumber": "\u0661\u0662"}, "phoneNumber"),
        ({"virtualNumber": "abc"}, "virtualNumber"),
        ({"swappingSourceAddressAllowed": "yes"}, "swappingSourceAddressAllowed"),
        ({"swappingSourceAddressAllowed": "1"}, "swappingSourceAddressAllowed"),
        ({"moPush": "{not json"}, "moPush"),
        ({"moPush": '["URL"]'}, "moPush"),
        ({"moPush": '{"type": "FAX"}'}, "moPush"),
        ({"moPush": '{"type": "url", "data": {"url": "http://a.example"}}'}, "moPush"),
        ({"moPush": '{"type": "URL"}'}, "moPush"),
        ({"moPush": '{"type": "URL", "data": {}}'}, "moPush"),
        ({"moPush": '{"type": "URL", "data": {"url": "ftp://a.example"}}'}, "moPush"),
        ({"moPush": '{"type": "URL", "data": {"url": "/relative"}}'}, "moPush"),
        ({"moPush": '{"type": "URL", "data": {"url": "http://"}}'}, "moPush"),
        ({"moPush": '{"type": "URL", "data": {"url": "http://a.example:99999/"}}'}, "moPush"),
        ({"moPush": '{"type": "URL", "data": {"url": 5}}'}, "moPush"),
        ({"moPush": '{"type": "URL", "data": {"url": "http://a.example", "extra": 1}}'}, "moPush"),
        ({"moPush": '{"type": "URL", "data": {"url": "http://a.example"}, "extra": 1}'}, "moPush"),
        ({"moPush": '{"type": "EMAIL", "data": {"subject": "s"}}'}, "moPush"),
        ({"moPush": '{"type": "EMAIL", "data": {"to": "nobody"}}'}, "moPush"),
        ({"moPush": '{"type": "EMAIL", "data": {"to": "a@b.com", "body": 7}}'}, "moPush"),
        ({"moPush": '{"type": "SMPP", "data": {"host": "x"}}'}, "moPush"),
        ({"moPush": '{"type": "SMPP", "type": "URL", "data": {"url": "http://a.example"}}'}, "moPush"),
        ({"moPush": '{"type": "URL", "data": {"url": "http://a.example", "url": "http://b.example"}}'}, "moPush"),
        ({"moPush": '{"type": "EMAIL", "data": {"to": "a@b.com", "subject": "two\\nlines"}}'}, "moPush"),
        ({"moPush": '{"type":\x0b"SMPP"}'}, "moPush"),
        ({"finalStatusPush": '{"type": "URL", "data": {"url": "http://a.example/' + "x" * 4096 + '"}}'}, "finalStatusPush"),
    ],
)
def test_an_invalid_parameter_is_status_1_naming_it(client, user_params, db, params, bad):
    response = create(client, user_params, **params)
    assert response.status_code == 400
    assert response.json["status"] == 1
    assert list(response.json["errors"]) == [bad]
    assert db.users.count_documents({}) == 0


def test_every_missing_required_parameter_is_reported_at_once(client):
    response = client.post(URL, data={"moPush": "nope"})
    assert set(response.json["errors"]) == {
        "resellerName", "resellerPassword", "username", "password", "customerId", "email", "phoneNumber", "moPush",
    }


def test_a_taken_username_is_status_4(client, user_params):
    create(client, user_params)
    response = create(client, user_params)
    assert (response.status_code, response.json["status"]) == (409, 4)


def test_an_unknown_customer_id_is_status_5(client, user_params, db):
    response = create(client, user_params, customerId=str(ObjectId()))
    assert (response.status_code, response.json["status"]) == (404, 5)
    assert db.users.count_documents({}) == 0


def test_a_customer_of_another_reseller_is_status_5(client, user_params, make_reseller, customer_of):
    other = {"resellerName": "other", "resellerPassword": "other secret"}
    make_reseller(other["resellerName"], other["resellerPassword"])
    foreign_customer = customer_of("foreign", other)
    response = create(client, user_params, customerId=foreign_customer)
    assert (response.status_code, response.json["status"]) == (404, 5)


def test_racing_requests_for_one_username_give_one_201_and_the_rest_409(app, user_params, db):
    def attempt(_):
        return create(app.test_client(), user_params).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = sorted(pool.map(attempt, range(16)))
    assert codes == [201] + [409] * 15
    assert db.users.count_documents({"username": "jdoe"}) == 1
