"""While a unique index the service relies on is missing, it refuses creates and health answers 503, rather than let
duplicates in; `db upgrade` brings it back."""
from pymongo import MongoClient

from tests.support.apps import RESELLER, app_for, create_reseller
from tests.support.database import upgrade
from tests.support.servers import eventually

PHONE_APP = {**RESELLER, "customer": "c@acme", "username": "c@acme", "password": "p", "applyFreeCredits": "true"}


def test_a_missing_unique_index_stops_creates_and_health_until_the_upgrade_builds_it(spare_database):
    uri = spare_database()
    app = app_for(uri)
    client = app.test_client()
    create_reseller(app)
    assert client.get("/services/rest/health").status_code == 200
    with MongoClient(uri) as admin:
        database = admin.get_default_database()
        database.users.drop_index("usernameKey_1")
        eventually(lambda: client.get("/services/rest/health").status_code == 503, 15, "health did not notice")
        health = client.get("/services/rest/health").json
        assert health["status"] == 98 and "unique index" in health["message"]
        created = client.post("/services/rest/customer-user/create", data=PHONE_APP)
        assert (created.status_code, created.json["status"]) == (503, 98)
        assert database.customers.count_documents({}) == 0
        assert client.post("/services/rest/customer/list", data=RESELLER).status_code == 200
        upgrade(database)
    eventually(lambda: client.get("/services/rest/health").status_code == 200, 15, "health did not come back")
    assert client.post("/services/rest/customer-user/create", data=PHONE_APP).status_code == 201
