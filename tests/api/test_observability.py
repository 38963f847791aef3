"""Access log lines, request ids, database events, and the guarantee that no secret reaches a log or an answer."""
import json
import logging

import pytest

from app.logs import JsonFormatter, TextFormatter
from scripts.embedded_db import EmbeddedDatabase
from tests.support.apps import RESELLER, app_for, provisioning
from tests.support.database import upgrade, with_database
from tests.support.servers import eventually

URL = "/services/rest/customer/create"


def access_lines(caplog):
    return [record for record in caplog.records if record.name == "app.access"]


def test_each_request_writes_one_access_line_with_its_facts(client, reseller, caplog):
    caplog.set_level(logging.INFO)
    response = client.post(URL, data={**RESELLER, "name": "shop"}, headers={"X-Request-ID": "req-1"})
    [line] = access_lines(caplog)
    assert (line.requestId, line.method, line.path, line.httpStatus, line.status) == ("req-1", "POST", URL, 201, 0)
    assert (line.reseller, line.client) == ("acme", "127.0.0.1")
    assert line.durationMs >= 0
    assert response.headers["X-Request-ID"] == "req-1"


def test_an_error_line_carries_the_contract_status(client, reseller, caplog):
    caplog.set_level(logging.INFO)
    client.post(URL, data={**RESELLER, "resellerPassword": "wrong", "name": "shop"})
    [line] = access_lines(caplog)
    assert (line.httpStatus, line.status) == (401, 2)
    assert line.reseller is None, "only an authenticated reseller is named"


@pytest.mark.parametrize("password_field", ["resellerPassword", "name"])
def test_a_password_typed_as_the_reseller_name_reaches_no_log_line(client, reseller, caplog, password_field):
    caplog.set_level(logging.DEBUG)
    client.post(URL, data={"resellerName": "Tr0ub4dor&3", password_field: "Tr0ub4dor&3"})
    assert caplog.records
    assert all("Tr0ub4dor" not in json.dumps(vars(record), default=str) for record in caplog.records)


@pytest.mark.parametrize("given", ["", "has space", "x" * 129, "tab\there", "caf\u00e9"])
def test_an_insane_request_id_is_replaced_by_a_generated_one(client, given):
    response = client.post("/nowhere", headers={"X-Request-ID": given.encode("utf-8").decode("latin-1")})
    generated = response.headers["X-Request-ID"]
    assert len(generated) == 32 and generated != given
    assert response.json["requestId"] == generated


@pytest.mark.parametrize("method, path", [("POST", URL), ("GET", "/services/rest/health"), ("GET", "/nowhere"), ("PUT", URL)])
def test_every_answer_carries_a_request_id_and_errors_repeat_it_in_the_body(client, method, path):
    response = client.open(path, method=method, headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    if response.status_code >= 400:
        assert response.json["requestId"] == "abc-123"


def record(**extra):
    entry = logging.makeLogRecord({"name": "app.access", "levelname": "INFO", "msg": "POST /x 201", **extra})
    return entry


def test_the_json_format_is_one_object_per_line_with_the_extra_fields():
    line = JsonFormatter().format(record(requestId="r1", httpStatus=201))
    assert "\n" not in line
    parsed = json.loads(line)
    assert (parsed["message"], parsed["requestId"], parsed["httpStatus"], parsed["level"]) == ("POST /x 201", "r1", 201, "INFO")
    assert parsed["time"].endswith("+00:00")


def test_the_text_format_escapes_what_could_forge_a_line():
    line = TextFormatter().format(record(msg="POST /x\nFORGED \x1b[31m 201", reseller="acme\nFORGED \x1b[31m"))
    assert "\n" not in line and "\x1b" not in line
    assert "POST /x\\nFORGED" in line and "reseller=acme\\nFORGED" in line


def test_no_password_hash_or_reseller_password_reaches_a_log_line_or_an_answer(client, runner, make_reseller, caplog, db):
    caplog.set_level(logging.DEBUG)
    make_reseller()
    secrets = ["acme secret", "user-Pa55", "wrong-guess", "new-reseller-secret"]
    answers = []
    customer = client.post(URL, data={**RESELLER, "name": "shop"})
    answers.append(customer)
    user = {**RESELLER, "username": "u", "password": "user-Pa55", "customerId": customer.json["id"], "email": "a@b.com",
            "phoneNumber": "1"}
    answers.append(client.post("/services/rest/user/create", data=user))
    answers.append(client.post("/services/rest/user/create", data=user))
    answers.append(client.post("/services/rest/user/create", json={**user, "email": "bad"}))
    answers.append(client.post(URL, data={**RESELLER, "resellerPassword": "wrong-guess", "name": "x"}))
    answers.append(client.post("/services/rest/customer-user/create", data={
        **RESELLER, "customer": "c", "username": "c", "password": "user-Pa55", "applyFreeCredits": "maybe"}))
    results = [
        runner.invoke(args=["reseller", "set-password", "acme"], env={"RESELLER_PASSWORD": "new-reseller-secret"}),
        runner.invoke(args=["user", "show", "u"]),
        runner.invoke(args=["reseller", "list"]),
    ]
    hashes = [doc["passwordHash"] for doc in [*db.users.find(), *db.resellers.find()]]
    exposed = caplog.text + "".join(a.get_data(as_text=True) + str(a.headers) for a in answers)
    exposed += "".join(result.output for result in results)
    for secret in secrets + hashes + ["$argon2"]:
        assert secret not in exposed, secret


def test_the_database_going_away_and_coming_back_is_logged_once_each(caplog):
    caplog.set_level(logging.INFO)
    server = EmbeddedDatabase().start()
    app = app_for(with_database(server.uri, "provisioning"), MONGODB_TIMEOUT_MS=500)
    client = app.test_client()
    try:
        upgrade(provisioning(app).database)
        assert client.get("/services/rest/health").status_code == 200
        server.crash()
        assert client.get("/services/rest/health").status_code == 503
        assert client.get("/services/rest/health").status_code == 503
        server.start()
        upgrade(provisioning(app).database)  # its data was in memory
        # The driver's monitor finds the server again on its own schedule, later on a busy machine than the timeout.
        eventually(lambda: client.get("/services/rest/health").status_code == 200, 30, "the service did not recover")
        expected = ["database available", "database unavailable", "database available"]
        # pymongo publishes these events from a thread of its own, about once a second.
        eventually(lambda: database_events(caplog, server) == expected, 10, f"events were not {expected}")
    finally:
        server.stop()
    assert database_events(caplog, server) == expected


def database_events(caplog, server):
    address = f"127.0.0.1:{server.port}"
    return [record.getMessage() for record in caplog.records if record.name == "app.events" and record.server == address]
