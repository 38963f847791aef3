"""Every query the service issues is served by an index, sort included, so its cost does not grow with the data."""
import pytest
from bson import ObjectId

from app.adapters import upgrade
from app.adapters.relay import note_start
from app.domain.webhooks import Outcome, RetrySchedule
from app.service_layer.deliveries import Delivering, Dispatcher, deliver_due
from tests.support.apps import RESELLER, Operator, app_for, create_reseller, provisioning
from tests.support.relays import InProcessRelay

INDEX_STAGES = {"IXSCAN", "IDHACK", "EXPRESS_IXSCAN", "EXPRESS_IDHACK", "EXPRESS_CLUSTERED_IXSCAN", "COUNT_SCAN",
                "DISTINCT_SCAN"}
OTHER = {"resellerName": "other", "resellerPassword": "other secret"}


def plan_nodes(node):
    """Every stage of an explain plan: through inputStage(s), queryPlan (SBE) and shards (a sharded cluster)."""
    if isinstance(node, list):
        return [found for child in node for found in plan_nodes(child)]
    if not isinstance(node, dict):
        return []
    found = [node] if "stage" in node else []
    for key in ("inputStage", "inputStages", "queryPlan", "winningPlan", "shards", "thenStage", "elseStage"):
        if key in node:
            found += plan_nodes(node[key])
    return found


def equality_fields(query_filter):
    return {field for field, value in query_filter.items()
            if not field.startswith("$") and (not isinstance(value, dict) or set(value) == {"$eq"})}


def index_serves_sort(key_pattern, query_filter, sort):
    """Whether walking an index with this key pattern yields documents in the sort's order: its keys are the
    filter's equality fields, then the sort's fields, in the sort's directions or all reversed."""
    keys = list(key_pattern.items())
    equal = equality_fields(query_filter)
    while keys and keys[0][0] in equal:
        keys.pop(0)
    wanted = list(sort.items())
    if [key for key, _ in keys[:len(wanted)]] != [key for key, _ in wanted]:
        return False
    signs = {int(direction) * int(asked) for (_, direction), (_, asked) in zip(keys, wanted, strict=False)}
    return len(signs) == 1


class Recorded:
    """One query the app sent: collection, filter, sort and hint."""

    def __init__(self, collection, query_filter, sort=None, hint=None):
        self.collection, self.filter, self.sort, self.hint = collection, query_filter or {}, sort or {}, hint

    def __repr__(self):
        return f"{self.collection} {self.filter} sort {self.sort} hint {self.hint}"


def queries_of(started_commands):
    queries = []
    for name, collection, command in started_commands:
        if name == "find":
            queries.append(Recorded(collection, command.get("filter"), command.get("sort"), command.get("hint")))
        elif name == "update":
            queries += [Recorded(collection, update["q"]) for update in command["updates"]]
        elif name == "delete":
            queries += [Recorded(collection, delete["q"]) for delete in command["deletes"]]
        elif name == "findAndModify":
            queries.append(Recorded(collection, command.get("query")))
        elif name == "aggregate" and "$changeStream" not in command["pipeline"][0]:
            # A change stream (the events relay's) follows the oplog: no query of a collection to serve.
            queries += stages_of(collection, command["pipeline"])
    return queries


def stages_of(collection, pipeline):
    """The queries of an aggregation: its first $match, the first $match of each collection it unions with, and the
    equality each $lookup looks its foreign documents up by (any value: the plan is what is checked)."""
    queries = [Recorded(collection, pipeline[0].get("$match", {}))]
    for stage in pipeline:
        if "$unionWith" in stage:
            queries += stages_of(stage["$unionWith"]["coll"], stage["$unionWith"]["pipeline"])
        if "$lookup" in stage:
            queries.append(Recorded(stage["$lookup"]["from"], {stage["$lookup"]["foreignField"]: ObjectId()}))
    return queries


@pytest.fixture
def recorded(database_uri, commands, db):
    """Drive every endpoint and command once, with another reseller's data beside, recording the app's queries."""
    app = app_for(database_uri, commands=commands, THROTTLE_RESELLER_FAILURES=3, THROTTLE_FAILURES=2)
    # Where the relay starts reading, as db upgrade notes it (earlier tests emptied the suite's database).
    note_start(provisioning(app).database)
    client, runner = app.test_client(), Operator(app)
    create_reseller(app, OTHER["resellerName"], OTHER["resellerPassword"])
    answer = client.post("/services/rest/customer/create", data={**OTHER, "name": "theirs"})
    assert answer.status_code == 201, answer.json
    theirs = answer.json["id"]
    for number in range(5):
        client.post("/services/rest/user/create", data={**OTHER, "username": f"their{number}", "password": "p",
                                                        "customerId": theirs, "email": "a@b.com", "phoneNumber": "1"})
    with commands.recorded():
        runner.invoke(args=["reseller", "create", "acme"], env={"RESELLER_PASSWORD": RESELLER["resellerPassword"]})
        client.post("/services/rest/customer/create", data={**RESELLER, "name": "first"})
        for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"):
            client.post("/services/rest/customer/create", data={**RESELLER, "resellerPassword": "wrong", "name": "x"},
                        environ_base={"REMOTE_ADDR": address})
        client.post("/services/rest/customer/create", data={"resellerName": "ghost", "resellerPassword": "x", "name": "x"})
        customer_id = client.post("/services/rest/customer/create", data={**RESELLER, "name": "shop"},
                                  headers={"Idempotency-Key": "k"}).json["id"]
        client.post("/services/rest/customer/create", data={**RESELLER, "name": "shop"}, headers={"Idempotency-Key": "k"})
        client.post("/services/rest/customer/create", data={**RESELLER, "name": "shop", "dryRun": "true"})
        user = {**RESELLER, "username": "u", "password": "p", "customerId": customer_id, "email": "a@b.com", "phoneNumber": "1"}
        client.post("/services/rest/user/create", data=user, headers={"Idempotency-Key": "u"})
        client.post("/services/rest/user/create", data=user, headers={"Idempotency-Key": "u"})
        client.post("/services/rest/user/create", data={**user, "dryRun": "true"})
        phone_app = {**RESELLER, "customer": "c@acme", "username": "c@acme", "password": "p", "applyFreeCredits": "true"}
        client.post("/services/rest/customer-user/create", data=phone_app, headers={"Idempotency-Key": "c"})
        client.post("/services/rest/customer-user/create", data=phone_app, headers={"Idempotency-Key": "c"})
        client.post("/services/rest/customer-user/create", data={**phone_app, "customer": "d@acme", "dryRun": "true"})
        client.post("/services/rest/customer/get", data={**RESELLER, "name": "shop"})
        for filters in ({"active": "true"}, {"active": "false"}, {"integrationId": "crm-7"}, {"namePrefix": "sh"},
                        {"createdAfter": "2026-01-01T00:00:00Z"}, {"createdBefore": "2099-01-01T00:00:00Z"}):
            assert client.post("/services/rest/customer/list", data={**RESELLER, **filters}).status_code == 200
        for filters in ({}, {"customerId": customer_id}, {"active": "false"}, {"email": "a@b.com"},
                        {"phoneNumber": "1"}, {"usernamePrefix": "u"}, {"createdAfter": "2026-01-01T00:00:00Z"},
                        {"createdBefore": "2099-01-01T00:00:00Z"}):
            assert client.post("/services/rest/user/list", data={**RESELLER, **filters}).status_code == 200
        for command in (["user", "find", "--email", "a@b.com"], ["user", "find", "--phone", "1"],
                        ["reseller", "show", "acme"], ["user", "list", "--reseller", "acme"]):
            assert runner.invoke(args=command).exit_code == 0, command
        for command in (["set-password", "acme"], ["disable", "acme"], ["enable", "acme"], ["list"]):
            runner.invoke(args=["reseller", *command], env={"RESELLER_PASSWORD": "another secret"})
        for command in (["customer", "show", "shop"], ["customer", "show", customer_id], ["user", "show", "u"],
                        ["audit", "show", "--customer", "shop"], ["audit", "show", "--user", "u"],
                        ["audit", "show", "--reseller", "acme"]):
            assert runner.invoke(args=command).exit_code == 0, command
        webhook_id = drive_the_rest(client, customer_id)
        relay_and_deliver(app, customer_id, webhook_id)
        client.get("/services/rest/health")
        upgrade.drift(provisioning(app).database)
    return provisioning(app).database, queries_of(commands.started_commands)


def drive_the_rest(client, customer_id):
    """Every other endpoint once: reads, changes, credits and the ledger, API keys and a call with one."""
    # The operators' commands above gave acme another password.
    credentials = {**RESELLER, "resellerPassword": "another secret"}

    def call(path, **params):
        answer = client.post(f"/services/rest/{path}", data={**credentials, **params})
        assert answer.status_code < 300, (path, answer.json)
        return answer.json

    user_id = call("user/get", username="u")["user"]["id"]
    for path, params in (("customer/get", {"customerId": customer_id}), ("customer/list", {}),
                         ("customer/list", {"after": customer_id}),
                         ("customer/update", {"customerId": customer_id, "moCharge": "3"}),
                         ("customer/suspend", {"customerId": customer_id}), ("customer/resume", {"customerId": customer_id}),
                         ("user/get", {"userId": user_id}), ("user/list", {"customerId": customer_id}),
                         ("user/update", {"userId": user_id, "throughput": "5"}),
                         ("user/suspend", {"userId": user_id}), ("user/resume", {"userId": user_id}),
                         ("customer/credit", {"customerId": customer_id, "amount": "5", "reason": "TOPUP",
                                              "reference": "r"}),
                         ("customer/credit", {"customerId": customer_id, "amount": "5", "reason": "TOPUP",
                                              "reference": "r"}),
                         ("customer/transactions", {"customerId": customer_id}), ("apikey/list", {})):
        call(path, **params)
    made = call("apikey/create", label="l")
    assert client.post("/services/rest/customer/get", data={"customerId": customer_id},
                       headers={"Authorization": f"Bearer {made['key']}"}).status_code == 200
    call("apikey/revoke", keyId=made["id"])
    webhook = call("webhook/create", url="https://hooks.example.com/x", events="*")["id"]
    call("webhook/create", url="https://hooks.example.com/y", events="credits.changed")
    call("webhook/list", limit=1)
    call("webhook/list", after=webhook)
    return webhook


def relay_and_deliver(app, customer_id, webhook_id):
    """The relay writes the events of what was driven; the delivery worker gives them to the webhooks (a receiver that
    refuses the first attempt, then takes each); the feed read every way; the operators' event and webhook commands."""
    tools, runner = provisioning(app), Operator(app)
    with InProcessRelay(tools) as relay:
        relay.wait_for(10)
    sender = Refusing()
    work = Delivering(tools.unit_of_work, sender, tools.clock, RetrySchedule(first_seconds=0.001, most_seconds=0.001))
    Dispatcher(work, concurrency=1).dispatch()
    for webhook in tools.unit_of_work().webhooks.due(tools.clock()):
        deliver_due(webhook.id, work)
        deliver_due(webhook.id, work)
    assert sender.sent > 1
    credentials = {**RESELLER, "resellerPassword": "another secret"}
    for filters in ({}, {"type": "customer.updated"}, {"customerId": customer_id},
                    {"customerId": customer_id, "type": "credits.changed", "after": 1}):
        answer = app.test_client().post("/services/rest/events/list", data={**credentials, **filters})
        assert answer.status_code == 200 and answer.json["events"], (filters, answer.json)
    for command in (["events", "list", "--reseller", "acme"], ["webhook", "list"], ["webhook", "list", "--reseller",
                    "acme"], ["webhook", "deliveries", str(webhook_id)], ["webhook", "replay", str(webhook_id)]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, (command, result.output)


class Refusing:
    """A webhook receiver that answers 500 to each event's first attempt and 200 to the next."""

    def __init__(self):
        self.sent = 0
        self.seen = set()

    def post(self, url, body, headers):
        self.sent += 1
        event_id = headers["X-Provisioning-Event-Id"]
        first = event_id not in self.seen
        self.seen.add(event_id)
        return Outcome(500 if first else 200)


def test_every_query_the_service_issues_is_served_by_an_index_with_no_sort_in_memory(recorded):
    database, queries = recorded
    hinted = {query.hint for query in queries if query.hint}
    assert {"resellerId_1_active_1__id_1", "resellerId_1_integrationId_1__id_1",
            "resellerId_1__id_1_name_1_createdAt_1", "resellerId_1__id_1_username_1_createdAt_1",
            "customerId_1__id_1_username_1_createdAt_1", "email_1_resellerId_1__id_1",
            "phoneNumber_1_resellerId_1__id_1"} <= hinted
    secantus = "secantusVersion" in database.client.admin.command("buildInfo")
    assert {"resellers", "customers", "users", "auth_failures", "audit_events", "reseller_known_clients",
            "credit_transactions", "api_keys", "events", "event_sequences", "webhooks",
            "webhook_deliveries"} <= {query.collection for query in queries}
    assert {"resellerId_1_seq_1", "resellerId_1_type_1_seq_1", "resellerId_1_customerId_1_seq_1",
            "resellerId_1_customerId_1_type_1_seq_1"} <= hinted
    for query in queries:
        query_filter = query.filter
        if secantus and isinstance(query_filter.get("_id"), ObjectId | str) and len(query_filter) > 1 and not query.sort:
            # SecantusDB's explain reports a COLLSCAN for an equality on _id beside a condition on a field no index
            # has (a credit change's balance, a suspension's flag, the relay lease's holder), though it runs it by _id
            # (0.8 ms a find among 100,000 documents); mongod serves it by the _id index. There, explain the equality
            # on _id alone.
            query_filter = {"_id": query_filter["_id"]}
        cursor = database[query.collection].find(query_filter)
        if query.sort:
            cursor = cursor.sort(list(query.sort.items()))
        if query.hint:
            cursor = cursor.hint(query.hint)
        explained = cursor.explain()
        nodes = plan_nodes(explained["queryPlanner"])
        stages = [node["stage"] for node in nodes]
        assert INDEX_STAGES & set(stages) and "COLLSCAN" not in stages, (query, stages)
        if "SORT" in stages:
            # SecantusDB reports a blocking SORT whenever the sort field is not the index's first, even where the
            # index's order is the sort's; mongod does not. There, the index's keys must then serve the sort.
            scanned = [node["keyPattern"] for node in nodes if "keyPattern" in node]
            assert secantus and any(index_serves_sort(keys, query.filter, query.sort) for keys in scanned), (query, stages)
        examined = explained["executionStats"]["totalDocsExamined"]
        assert examined <= max(1, database[query.collection].count_documents(query_filter)), (query, examined)


@pytest.mark.parametrize("key_pattern, query_filter, sort, serves", [
    ({"resellerId": 1, "_id": 1}, {"resellerId": 1}, {"_id": -1}, True),
    ({"resellerId": 1, "_id": 1}, {"resellerId": 1, "_id": {"$gt": 1}}, {"_id": 1}, True),
    ({"customerId": 1, "createdAt": -1}, {"customerId": 1}, {"createdAt": -1, "_id": -1}, False),
    ({"customerId": 1}, {"customerId": 1}, {"_id": 1}, False),
    ({"a": 1, "b": 1}, {"a": 1}, {"b": 1}, True),
    ({"a": 1, "b": 1, "c": -1}, {"a": 1}, {"b": -1, "c": 1}, True),
    ({"a": 1, "b": 1, "c": -1}, {"a": 1}, {"b": 1, "c": 1}, False),
])
def test_the_sort_check_tells_an_index_that_serves_the_sort_from_one_that_does_not(key_pattern, query_filter, sort,
                                                                                    serves):
    assert index_serves_sort(key_pattern, query_filter, sort) is serves


def test_the_check_flags_the_audit_query_of_before_whose_index_lacked_the_tie_break(db):
    """The audit trail once sorted events by (createdAt, _id) on an index of (customerId, createdAt)."""
    db.audit_probe.create_index([("customerId", 1), ("createdAt", -1)])
    customer_id = ObjectId()
    db.audit_probe.insert_many([{"customerId": customer_id, "createdAt": n} for n in range(3)])
    query_filter, sort = {"customerId": customer_id}, {"createdAt": -1, "_id": -1}
    explained = db.audit_probe.find(query_filter).sort(list(sort.items())).explain()
    stages = [node["stage"] for node in plan_nodes(explained["queryPlanner"])]
    assert "SORT" in stages
    assert not index_serves_sort({"customerId": 1, "createdAt": -1}, query_filter, sort)
