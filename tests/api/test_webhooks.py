"""webhook/create|list|delete|test through the API: the secret shown once and kept sealed, https URLs passing the
push-URL rules (http and private hosts only where ALLOW_PRIVATE_PUSH_TARGETS=on), each reseller's own, a signed test
event sent at once; status 14 for a webhook that is not the reseller's."""
import hashlib
import hmac

import pytest
from bson import ObjectId

from app.domain import webhooks
from tests.support.apps import RESELLER, app_for, create_reseller
from tests.support.relays import Receiver

API = "/services/rest"
OTHER = {"resellerName": "other", "resellerPassword": "other secret"}


@pytest.fixture
def private(database_uri, db):
    """An app that lets webhooks target loopback (a receiver of the test), with the reseller acme."""
    app = app_for(database_uri, ALLOW_PRIVATE_PUSH_TARGETS="on")
    create_reseller(app)
    return app.test_client()


def create(client, url="https://hooks.example.com/provisioning", events="*", credentials=RESELLER):
    return client.post(f"{API}/webhook/create", data={**credentials, "url": url, "events": events})


def test_a_webhook_is_created_with_its_secret_shown_once_and_stored_sealed(client, reseller, db):
    answer = create(client, events="customer.created,credits.changed")
    assert answer.status_code == 201, answer.json
    made = answer.json
    assert made["secret"].startswith("whsec_") and len(made["secret"]) == 49
    assert made["webhook"] == {"id": made["id"], "url": "https://hooks.example.com/provisioning",
                               "events": ["customer.created", "credits.changed"], "state": "active",
                               "createdAt": made["webhook"]["createdAt"]}
    stored = db.webhooks.find_one({"_id": ObjectId(made["id"])})
    assert made["secret"] not in str(stored) and made["secret"][6:] not in str(stored)
    listed = client.post(f"{API}/webhook/list", data=RESELLER).json
    assert listed["webhooks"] == [made["webhook"]] and listed["next"] is None
    assert made["secret"] not in str(listed)


@pytest.mark.parametrize("url, message", [
    ("http://hooks.example.com/x", "https"),
    ("https://127.0.0.1/x", "private"),
    ("https://10.1.2.3/x", "private"),
    ("https://169.254.169.254/latest", "private"),
    ("https://user:pw@hooks.example.com/x", "password"),
    ("hooks.example.com/x", "absolute"),
])
def test_a_webhook_url_must_be_https_to_a_public_host(client, reseller, url, message):
    answer = create(client, url=url)
    assert (answer.status_code, answer.json["status"]) == (400, 1)
    assert message in " ".join(answer.json["errors"]["url"])


@pytest.mark.parametrize("events", ["customer.deleted", "", "customer.created,nope"])
def test_unknown_event_types_are_refused(client, reseller, events):
    answer = create(client, events=events)
    assert (answer.status_code, answer.json["status"]) == (400, 1) and "events" in answer.json["errors"]


def test_http_and_loopback_receivers_are_allowed_where_private_targets_are(private):
    answer = create(private, url="http://127.0.0.1:9/hooks")
    assert answer.status_code == 201, answer.json
    for never in ("http://169.254.169.254/latest", "http://0.0.0.0:8080/x", "http://[fe80::1]/x"):
        refused = create(private, url=never)
        assert (refused.status_code, refused.json["errors"]["url"]) == (400, [webhooks.NEVER_REFUSED]), never


def test_a_resellers_webhooks_are_its_own(client, reseller, make_reseller):
    make_reseller(OTHER["resellerName"], OTHER["resellerPassword"])
    mine = create(client).json["id"]
    assert client.post(f"{API}/webhook/list", data=OTHER).json["webhooks"] == []
    for path in ("webhook/delete", "webhook/test"):
        answer = client.post(f"{API}/{path}", data={**OTHER, "webhookId": mine})
        assert (answer.status_code, answer.json["status"]) == (404, 14), path
    assert len(client.post(f"{API}/webhook/list", data=RESELLER).json["webhooks"]) == 1


def test_a_deleted_webhook_is_gone_and_deleting_it_again_is_status_14(client, reseller):
    made = create(client).json
    answer = client.post(f"{API}/webhook/delete", data={**RESELLER, "webhookId": made["id"]})
    assert answer.status_code == 200 and answer.json["webhook"] == made["webhook"]
    assert client.post(f"{API}/webhook/list", data=RESELLER).json["webhooks"] == []
    again = client.post(f"{API}/webhook/delete", data={**RESELLER, "webhookId": made["id"]})
    assert (again.status_code, again.json["status"]) == (404, 14)


def test_webhooks_are_listed_a_page_at_a_time(client, reseller):
    made = [create(client, url=f"https://hooks.example.com/{number}").json["id"] for number in range(3)]
    first = client.post(f"{API}/webhook/list", data={**RESELLER, "limit": 2}).json
    assert [one["id"] for one in first["webhooks"]] == made[:2] and first["next"] == made[1]
    rest = client.post(f"{API}/webhook/list", data={**RESELLER, "limit": 2, "after": first["next"]}).json
    assert [one["id"] for one in rest["webhooks"]] == made[2:] and rest["next"] is None


@pytest.mark.parametrize("code", [200, 500])
def test_a_test_event_is_sent_signed_and_the_receivers_answer_told(private, code):
    with Receiver(answer=lambda event_id, seen: code) as receiver:
        made = create(private, url=receiver.url).json
        answer = private.post(f"{API}/webhook/test", data={**RESELLER, "webhookId": made["id"]})
    assert answer.status_code == 200, answer.json
    assert answer.json["delivery"]["answerCode"] == code and answer.json["delivery"]["taken"] is (code == 200)
    [delivery] = receiver.all()
    assert delivery["event"]["id"] == 0 and delivery["event"]["type"] == "webhook.test"
    timestamp, signature = (part.split("=", 1)[1] for part in delivery["headers"]["X-Provisioning-Signature"].split(","))
    expected = hmac.new(made["secret"].encode(), f"{timestamp}.".encode() + delivery["body"], hashlib.sha256)
    assert hmac.compare_digest(signature, expected.hexdigest())
    assert delivery["headers"]["X-Provisioning-Event-Id"] == "0"


def test_a_receiver_that_does_not_answer_is_told_as_an_error(private):
    made = create(private, url="http://127.0.0.1:9/hooks").json  # the discard port: nothing listens
    answer = private.post(f"{API}/webhook/test", data={**RESELLER, "webhookId": made["id"]})
    assert answer.status_code == 200
    assert answer.json["delivery"]["answerCode"] is None and answer.json["delivery"]["error"]
    assert answer.json["delivery"]["taken"] is False
