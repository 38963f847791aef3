"""Every query the service issues is served by an index, so its cost does not grow with the data."""
import pytest
from pymongo import monitoring

from tests.conftest import RESELLER, app_for


class QueryRecorder(monitoring.CommandListener):
    """Records the collection, filter and sort of every read and write command while recording is on."""

    def __init__(self):
        self.recording = False
        self.queries = []

    def started(self, event):
        if not self.recording:
            return
        command = event.command
        name = event.command_name
        if name == "find":
            self.queries.append((command["find"], command.get("filter", {}), command.get("sort")))
        elif name == "update":
            self.queries += [(command["update"], update["q"], None) for update in command["updates"]]
        elif name == "delete":
            self.queries += [(command["delete"], delete["q"], None) for delete in command["deletes"]]
        elif name == "aggregate":
            self.queries.append((command["aggregate"], command["pipeline"][0].get("$match", {}), None))
        elif name in ("count", "distinct", "findAndModify"):
            self.queries.append((command[name], command.get("query", {}), None))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


RECORDER = QueryRecorder()
monitoring.register(RECORDER)


def stages(plan):
    """Every stage name in an explain plan tree."""
    found = [plan.get("stage")]
    for child in [plan.get("inputStage"), *plan.get("inputStages", [])]:
        if child:
            found += stages(child)
    return found


@pytest.fixture
def recorded_queries(database_uri):
    """Drive every endpoint and CLI command once, on an app created after the recorder, recording its queries."""
    app = app_for(database_uri)
    client, runner = app.test_client(), app.test_cli_runner()
    RECORDER.recording = True
    try:
        runner.invoke(args=["reseller", "create", "acme"], env={"RESELLER_PASSWORD": RESELLER["resellerPassword"]})
        client.post("/services/rest/customer/create", data={**RESELLER, "resellerPassword": "wrong", "name": "shop"})
        customer_id = client.post("/services/rest/customer/create", data={**RESELLER, "name": "shop"}).json["id"]
        user = {**RESELLER, "username": "u", "password": "p", "customerId": customer_id, "email": "a@b.com", "phoneNumber": "1"}
        client.post("/services/rest/user/create", data=user)
        phone_app = {**RESELLER, "customer": "c@acme", "username": "c@acme", "password": "p", "applyFreeCredits": "true"}
        client.post("/services/rest/customer-user/create", data=phone_app)
        client.post("/services/rest/customer-user/create", data={**phone_app, "customer": "d@acme"})
        for command in (["set-password", "acme"], ["disable", "acme"], ["enable", "acme"], ["list"]):
            runner.invoke(args=["reseller", *command], env={"RESELLER_PASSWORD": "x"})
        for command in (["customer", "show", "shop"], ["user", "show", "u"], ["audit", "show", "--customer", "shop"],
                        ["audit", "show", "--user", "u"], ["audit", "show", "--reseller", "acme"]):
            assert runner.invoke(args=command).exit_code == 0, command
        client.get("/services/rest/health")
    finally:
        RECORDER.recording = False
    database = app.extensions["provisioning"]["repository"].db
    yield database, RECORDER.queries
    for name in database.list_collection_names():
        database[name].delete_many({})


def test_every_query_the_service_issues_uses_an_index(recorded_queries):
    database, queries = recorded_queries
    collections = {collection for collection, _, _ in queries}
    assert {"resellers", "customers", "users", "audit_events", "authentication_failures"} <= collections
    for collection, query_filter, sort in queries:
        cursor = database[collection].find(query_filter)
        if sort:
            cursor = cursor.sort(list(sort.items()))
        plan = stages(cursor.explain()["queryPlanner"]["winningPlan"])
        assert "COLLSCAN" not in plan, (collection, query_filter, sort, plan)
