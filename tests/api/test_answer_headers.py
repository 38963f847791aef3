"""The headers every answer carries: nosniff on all of them, no-store on every JSON answer a cache must not keep."""
import pytest

from tests.support.apps import RESELLER

CREATE = "/services/rest/customer/create"


@pytest.fixture
def answers(client, reseller, customer_of):
    """One answer of each kind the service gives: success, errors of each sort, the document, the page, metrics."""
    customer_id = customer_of()
    return {
        "created": client.post(CREATE, data={**RESELLER, "name": "shop"}),
        "read": client.post("/services/rest/customer/get", data={**RESELLER, "customerId": customer_id}),
        "list": client.post("/services/rest/customer/list", data=RESELLER),
        "dry run": client.post(CREATE, data={**RESELLER, "name": "other", "dryRun": "true"}),
        "invalid": client.post(CREATE, data={**RESELLER, "name": "a b"}),
        "authentication failed": client.post(CREATE, data={**RESELLER, "resellerPassword": "wrong", "name": "x"}),
        "exists": client.post(CREATE, data={**RESELLER, "name": "shop"}),
        "not found": client.post("/services/rest/nowhere"),
        "outside the api": client.get("/nowhere"),
        "wrong method": client.get(CREATE),
        "unsupported type": client.post(CREATE, data=b"x", content_type="text/plain"),
        "health": client.get("/services/rest/health"),
        "document": client.get("/services/rest/openapi.json"),
        "page": client.get("/services/rest/docs"),
        "page script": client.get("/services/rest/docs/start.js"),
        "page asset": client.get("/services/rest/docs/swagger-ui.css"),
        "metrics": client.get("/metrics"),
    }


def test_every_answer_tells_browsers_not_to_guess_its_type(answers):
    assert {kind: answer.headers.get("X-Content-Type-Options") for kind, answer in answers.items()} == \
        dict.fromkeys(answers, "nosniff")


CACHEABLE = {"document", "page", "page script", "page asset", "metrics"}


def test_every_json_answer_but_the_document_is_kept_by_no_cache(answers):
    json_answers = {kind for kind, answer in answers.items() if answer.mimetype == "application/json"}
    assert json_answers == set(answers) - CACHEABLE | {"document"}
    assert {kind: answer.headers.get("Cache-Control") for kind, answer in answers.items() if kind not in CACHEABLE} \
        == dict.fromkeys(set(answers) - CACHEABLE, "no-store")
    assert all("no-store" not in answers[kind].headers.get("Cache-Control", "") for kind in CACHEABLE)


@pytest.mark.parametrize("docs, page", [("on", "/services/rest/docs"), ("off", "/services/rest/openapi.json")])
def test_the_root_points_to_the_api_page(database_uri, docs, page):
    from app.version import VERSION
    from tests.support.apps import app_for

    response = app_for(database_uri, API_DOCS=docs).test_client().get("/")
    assert (response.status_code, response.headers["Location"]) == (302, page)
    assert response.json == {"status": 0, "apiPage": page, "openapi": "/services/rest/openapi.json",
                             "version": VERSION}


def test_health_names_the_version(client):
    from app.version import VERSION

    answer = client.get("/services/rest/health").json
    assert (answer["status"], answer["database"], answer["version"]) == (0, "up", VERSION)
