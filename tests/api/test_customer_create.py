"""POST /services/rest/customer/create."""
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from tests.support.apps import RESELLER

URL = "/services/rest/customer/create"


def create(client, **params):
    return client.post(URL, data={**RESELLER, "name": "shop", **params})


def test_a_customer_is_created_with_201_status_0_and_its_id(client, reseller, db):
    response = create(client)
    assert response.status_code == 201
    assert response.json == {"id": response.json["id"], "status": 0}
    assert db.customers.find_one({"_id": ObjectId(response.json["id"])})["name"] == "shop"


def test_a_customer_without_options_is_stored_with_the_contract_defaults(client, reseller, db):
    before = datetime.now(UTC)
    create(client)
    stored = db.customers.find_one({"name": "shop"})
    assert {key: value for key, value in stored.items() if key not in ("_id", "createdAt", "createdBy")} == {
        "name": "shop",
        "nameKey": "shop",
        "keyRules": 2,
        "keyUnicode": unicodedata.unidata_version,
        "resellerId": reseller.id,
        "integrationId": "",
        "rotationAlgorithm": "MAX_ROTATION",
        "billingType": "POST_PAID",
        "moCharge": 0,
        "credits": 0,
        "active": True,
    }
    assert isinstance(stored["resellerId"], ObjectId)
    assert before - timedelta(seconds=1) <= stored["createdAt"] <= datetime.now(UTC)


def test_a_customer_is_stored_with_the_options_given(client, reseller, db):
    create(client, integrationId="crm 42", rotationAlgorithm="CONVERSATION", billingType="PRE_PAID", moCharge="42")
    stored = db.customers.find_one({"name": "shop"})
    assert (stored["integrationId"], stored["rotationAlgorithm"], stored["billingType"], stored["moCharge"]) == (
        "crm 42",
        "CONVERSATION",
        "PRE_PAID",
        42,
    )


@pytest.mark.parametrize("value", ["0", "1000000000", "007", "0" * 200 + "1"])
def test_mo_charge_accepts_whole_numbers_from_zero_to_a_billion(client, reseller, db, value):
    assert create(client, moCharge=value).status_code == 201
    assert db.customers.find_one({"name": "shop"})["moCharge"] == int(value)


@pytest.mark.parametrize(
    "params, bad",
    [
        ({"name": "two words"}, "name"),
        ({"name": "tab\there"}, "name"),
        ({"name": "no\u00a0break"}, "name"),
        ({"name": "x" * 129}, "name"),
        ({"name": "bell\x07"}, "name"),
        ({"name": "zero\u200bwidth"}, "name"),
        ({"name": "byte\ufefforder"}, "name"),
        ({"name": "right\u202eto-left"}, "name"),
        ({"integrationId": "i" * 129}, "integrationId"),
        ({"integrationId": "nul\x00"}, "integrationId"),
        ({"rotationAlgorithm": "max_rotation"}, "rotationAlgorithm"),
        ({"rotationAlgorithm": "ROUND_ROBIN"}, "rotationAlgorithm"),
        ({"billingType": "FREE"}, "billingType"),
        ({"moCharge": "4.5"}, "moCharge"),
        ({"moCharge": "1e3"}, "moCharge"),
        ({"moCharge": "abc"}, "moCharge"),
        ({"moCharge": "-1"}, "moCharge"),
        ({"moCharge": "+5"}, "moCharge"),
        ({"moCharge": " 5"}, "moCharge"),
        ({"moCharge": "1000000001"}, "moCharge"),
        ({"moCharge": "\u0665"}, "moCharge"),
        ({"resellerName": "ac me"}, "resellerName"),
        ({"resellerName": "acme@corp"}, "resellerName"),
    ],
)
def test_an_invalid_parameter_is_status_1_naming_it(client, reseller, db, params, bad):
    response = create(client, **params)
    assert response.status_code == 400
    assert response.json["status"] == 1
    assert list(response.json["errors"]) == [bad]
    assert all(isinstance(message, str) and message for message in response.json["errors"][bad])
    assert db.customers.count_documents({}) == 0


def test_every_missing_required_parameter_is_reported_at_once(client):
    response = client.post(URL, data={})
    assert response.status_code == 400
    assert response.json["errors"] == {
        "resellerName": ["is required"],
        "resellerPassword": ["is required"],
        "name": ["is required"],
    }
    assert "name" in response.json["message"]


def test_a_name_taken_under_another_reseller_is_status_3(client, reseller, make_reseller):
    make_reseller("other", "other secret")
    create(client, resellerName="other", resellerPassword="other secret")
    response = create(client)
    assert (response.status_code, response.json["status"]) == (409, 3)


def test_racing_requests_for_one_name_give_one_201_and_the_rest_409(app, reseller, db):
    def attempt(_):
        return create(app.test_client()).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = sorted(pool.map(attempt, range(16)))
    assert codes == [201] + [409] * 15
    assert db.customers.count_documents({"name": "shop"}) == 1
