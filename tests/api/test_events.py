"""events/list through the API: the reseller's feed in order, paged by id and resumable from any id it gave, of one
type or one customer, never another reseller's; parameters checked as everywhere."""
import pytest

from tests.support.apps import RESELLER, app_for, create_reseller, provisioning
from tests.support.relays import InProcessRelay
from tests.support.servers import eventually

LIST = "/services/rest/events/list"
OTHER = {"resellerName": "other", "resellerPassword": "other secret"}


@pytest.fixture(scope="module")
def fed(spare_database):
    """Two resellers' changes, interleaved, and their events written by the relay: acme's 1-7, other's 1-2."""
    app = app_for(spare_database())
    create_reseller(app)
    create_reseller(app, OTHER["resellerName"], OTHER["resellerPassword"])
    client = app.test_client()

    def post(path, credentials=RESELLER, **params):
        answer = client.post(f"/services/rest/{path}", data={**credentials, **params})
        assert answer.status_code in (200, 201), answer.json
        return answer.json

    shop = post("customer/create", name="shop")["id"]
    theirs = post("customer/create", OTHER, name="theirs")["id"]
    kiosk = post("customer/create", name="kiosk")["id"]
    post("customer/update", customerId=shop, moCharge=3)
    post("customer/credit", OTHER, customerId=theirs, amount=5, reason="TOPUP")
    post("customer/credit", customerId=shop, amount=5, reason="TOPUP")
    post("customer/suspend", customerId=kiosk)
    user = post("user/create", customerId=shop, username="u", password="p", email="a@b.com", phoneNumber="1")["id"]
    post("user/suspend", userId=user)
    with InProcessRelay(provisioning(app)) as relay:
        relay.wait_for(9)
    return client, {"shop": shop, "theirs": theirs, "kiosk": kiosk, "user": user}


def feed(client, credentials=RESELLER, **params):
    answer = client.post(LIST, data={**credentials, **params})
    assert answer.status_code == 200, answer.json
    return answer.json


def test_the_feed_holds_the_resellers_events_in_order_numbered_from_1(fed):
    client, ids = fed
    page = feed(client)
    assert [(event["id"], event["type"]) for event in page["events"]] == [
        (1, "customer.created"), (2, "customer.created"), (3, "customer.updated"), (4, "credits.changed"),
        (5, "customer.suspended"), (6, "user.created"), (7, "user.suspended")]
    assert page["next"] is None
    assert page["events"][2] == {"id": 3, "type": "customer.updated", "customerId": ids["shop"],
                                 "changed": ["moCharge"], "origin": "reseller",
                                 "requestId": page["events"][2]["requestId"],
                                 "occurredAt": page["events"][2]["occurredAt"]}
    assert [event["id"] for event in feed(client, OTHER)["events"]] == [1, 2]


def test_pages_follow_each_other_by_next_and_resume_from_any_id_given(fed):
    client, _ = fed
    first = feed(client, limit=3)
    assert [event["id"] for event in first["events"]] == [1, 2, 3] and first["next"] == 3
    second = feed(client, limit=3, after=first["next"])
    assert [event["id"] for event in second["events"]] == [4, 5, 6] and second["next"] == 6
    last = feed(client, limit=3, after=second["next"])
    assert [event["id"] for event in last["events"]] == [7] and last["next"] is None
    assert feed(client, after=7) == {"status": 0, "events": [], "next": None}
    assert [event["id"] for event in feed(client, after=5)["events"]] == [6, 7]


def test_the_feed_keeps_to_one_type_or_one_customer(fed):
    client, ids = fed
    assert [event["id"] for event in feed(client, type="customer.created")["events"]] == [1, 2]
    about_shop = feed(client, customerId=ids["shop"])["events"]
    assert [event["type"] for event in about_shop] == ["customer.created", "customer.updated", "credits.changed",
                                                       "user.created", "user.suspended"]
    assert [event["id"] for event in feed(client, customerId=ids["shop"], type="user.suspended")["events"]] == [7]
    paged = feed(client, customerId=ids["shop"], limit=2)
    assert [event["id"] for event in paged["events"]] == [1, 3] and paged["next"] == 3


def test_another_resellers_customer_is_not_found(fed):
    client, ids = fed
    answer = client.post(LIST, data={**RESELLER, "customerId": ids["theirs"]})
    assert (answer.status_code, answer.json["status"]) == (404, 5)


@pytest.mark.parametrize("params, field", [
    ({"after": "-1"}, "after"), ({"after": "x"}, "after"), ({"after": str(2**53)}, "after"),
    ({"limit": "0"}, "limit"), ({"type": "customer.deleted"}, "type"), ({"customerId": "nope"}, "customerId"),
])
def test_bad_parameters_are_status_1_naming_them(fed, params, field):
    client, _ = fed
    answer = client.post(LIST, data={**RESELLER, **params})
    assert (answer.status_code, answer.json["status"]) == (400, 1)
    assert field in answer.json["errors"]


def test_the_feed_needs_the_resellers_credentials(fed):
    client, _ = fed
    answer = client.post(LIST, data={**RESELLER, "resellerPassword": "wrong"})
    assert (answer.status_code, answer.json["status"]) == (401, 2)


def test_health_says_the_relay_runs_and_its_lag_while_it_runs(spare_database):
    app = app_for(spare_database())
    client = app.test_client()
    assert client.get("/services/rest/health").json["events"] == {"relay": "stopped", "lagSeconds": None}
    with InProcessRelay(provisioning(app)):
        eventually(lambda: client.get("/services/rest/health").json["events"]["relay"] == "running", 30,
                   "health did not say the relay runs")
        answer = client.get("/services/rest/health")
    assert answer.status_code == 200
    assert answer.json["events"]["lagSeconds"] >= 0
