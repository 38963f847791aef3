"""Fixtures: a real MongoDB server (MONGODB_URI's, or a SecantusDB process of our own), the app, its clients."""
import os
import re
import uuid
from contextlib import contextmanager

import pytest
from click.testing import CliRunner
from pymongo import MongoClient, monitoring
from pymongo.errors import OperationFailure

from app import cli, create_app
from app.adapters import indexes
from app.domain.model import Origin
from app.service_layer import resellers
from scripts.embedded_db import EmbeddedDatabase

CHEAP_ARGON2 = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_KIB": 8, "ARGON2_PARALLELISM": 1}
TEST_ORIGIN = Origin(client="tests")
RESELLER = {"resellerName": "acme", "resellerPassword": "acme secret"}
# The app under test talks to MongoDB under this name, so that fail points hit its commands and nobody else's.
APP_NAME = "provisioning-under-test"
COMMAND_NOT_FOUND = 59
UNAUTHORIZED = 13


def with_database(uri, name):
    """The same server URI with name as its database."""
    return re.sub(r"^(mongodb(?:\+srv)?://[^/?]+)/?[^?]*", rf"\1/{name}", uri, count=1)


def with_option(uri, option):
    """The URI with one more option in its query string."""
    return f"{uri}{'&' if '?' in uri else '?'}{option}"


@pytest.fixture(scope="session")
def server_uri():
    """The MongoDB server the suite runs against: MONGODB_URI when set, else a SecantusDB of its own."""
    if os.environ.get("MONGODB_URI"):
        yield os.environ["MONGODB_URI"]
        return
    server = EmbeddedDatabase("--enable-test-commands").start()
    yield server.uri
    server.stop()


@pytest.fixture(scope="session")
def database_uri(server_uri):
    """A database of the suite's own on that server, dropped at the end, its indexes made as `db upgrade` does."""
    name = f"provisioning_test_{uuid.uuid4().hex[:12]}"
    with MongoClient(server_uri) as client:
        list(indexes.upgrade(client[name]))
        yield with_database(server_uri, name)
        client.drop_database(name)


@pytest.fixture(scope="session")
def spare_database(server_uri):
    """Make a database of a test's own (indexes made), for writes that may land after the test; all are dropped at
    the end of the session."""
    made = []

    def make():
        name = f"provisioning_test_{uuid.uuid4().hex[:12]}"
        made.append(name)
        uri = with_database(server_uri, name)
        with MongoClient(uri) as client:
            list(indexes.upgrade(client.get_default_database()))
        return uri

    yield make
    with MongoClient(server_uri) as client:
        for name in made:
            client.drop_database(name)


class Commands(monitoring.CommandListener):
    """Records the commands the app sends and the ones that failed, with their collections, while recording."""

    def __init__(self):
        self.recording = False
        self.started_commands = []
        self.failed_commands = []
        self._names = {}

    def started(self, event):
        if self.recording:
            collection = event.command.get(event.command_name)
            self._names[event.request_id] = collection
            self.started_commands.append((event.command_name, collection, event.command))

    def succeeded(self, event):
        self._names.pop(event.request_id, None)

    def failed(self, event):
        if event.request_id in self._names:
            self.failed_commands.append((event.command_name, self._names.pop(event.request_id), event.failure))

    @contextmanager
    def recorded(self):
        """Record the commands sent within the block, from a clean slate."""
        self.started_commands, self.failed_commands, self.recording = [], [], True
        try:
            yield self
        finally:
            self.recording = False


def app_for(database_uri, *, commands=None, clock=None, **overrides):
    """An app on database_uri with cheap argon2 parameters and short timeouts, known to MongoDB as APP_NAME."""
    collaborators = {"event_listeners": [commands]} if commands else {}
    if clock:
        collaborators["clock"] = clock
    return create_app({"TESTING": True, "MONGODB_URI": with_option(database_uri, f"appName={APP_NAME}"),
                       "MONGODB_TIMEOUT_MS": 5000, **CHEAP_ARGON2, **overrides, "bootstrap": collaborators})


@pytest.fixture(scope="session")
def commands():
    return Commands()


@pytest.fixture(scope="session")
def session_app(database_uri, commands):
    return app_for(database_uri, commands=commands)


@pytest.fixture(scope="session")
def inspector(database_uri):
    """A client of the tests' own (not the app's), to look at what the app stored."""
    with MongoClient(database_uri, tz_aware=True) as client:
        yield client


@pytest.fixture
def db(inspector):
    """The app's MongoDB database, seen through the tests' own client; emptied after each test, indexes kept."""
    database = inspector.get_default_database()
    yield database
    for name in database.list_collection_names():
        database[name].delete_many({})


@pytest.fixture
def app(session_app, db):
    return session_app


@pytest.fixture
def client(app):
    return app.test_client()


class Operator:
    """Runs the operators' commands as ./provisioning does, with the app's collaborators (its database)."""

    def __init__(self, app):
        self._tools = provisioning(app)

    def invoke(self, args, env=None, input=None):
        return CliRunner().invoke(cli.main, args, obj=self._tools, env=env, input=input)


@pytest.fixture
def runner(app):
    return Operator(app)


def provisioning(app):
    return app.extensions["provisioning"]


def create_reseller(app, name=RESELLER["resellerName"], password=RESELLER["resellerPassword"], *, active=True,
                    free_credits=10):
    """Create a reseller as the CLI does; returns it as stored."""
    tools = provisioning(app)
    with tools.unit_of_work() as uow:
        resellers.create_reseller(name, password, TEST_ORIGIN, free_credits=free_credits, uow=uow, hasher=tools.hasher,
                                 clock=tools.clock)
        if not active:
            resellers.set_reseller_active(name, False, TEST_ORIGIN, uow=uow, clock=tools.clock)
        return uow.resellers.named(name)


@pytest.fixture
def make_reseller(app):
    """Create a reseller as the CLI does; returns it as stored."""
    return lambda *args, **kwargs: create_reseller(app, *args, **kwargs)


@pytest.fixture
def reseller(make_reseller):
    """The reseller 'acme', active, with 10 free credits."""
    return make_reseller()


@pytest.fixture
def customer_of(client):
    """Create a customer through the API for a reseller's credentials; returns its id."""

    def create(name="shop", credentials=RESELLER):
        response = client.post("/services/rest/customer/create", data={**credentials, "name": name})
        assert response.status_code == 201, response.json
        return response.json["id"]

    return create


@pytest.fixture(scope="session")
def standalone_server():
    """A standalone SecantusDB: no transactions, so failed units of work are undone by deletes."""
    server = EmbeddedDatabase("--standalone", "--enable-test-commands").start()
    uri = with_database(server.uri, "provisioning")
    with MongoClient(uri) as client:
        list(indexes.upgrade(client.get_default_database()))
    yield uri
    server.stop()


@pytest.fixture(scope="session")
def standalone_app(standalone_server):
    app = app_for(standalone_server)
    with provisioning(app).unit_of_work() as uow:
        assert not uow.supports_transactions()
    return app


@pytest.fixture
def standalone(standalone_app, standalone_server):
    """A test client and the database of the standalone app, emptied, with the reseller 'acme' (5 free credits)."""
    with MongoClient(standalone_server, tz_aware=True) as client:
        database = client.get_default_database()
        for name in database.list_collection_names():
            database[name].delete_many({})
        create_reseller(standalone_app, free_credits=5)
        yield standalone_app.test_client(), database


def fail_command(database, command, collection=None, *, skip=0, times=1, **failure):
    """Arm the failCommand fail point for the app under test (by its appName): the matching command on collection
    fails as described, times times (times=None: until disarmed).

    mongod matches the namespace and takes {times} (it reads one mode key); SecantusDB ignores the namespace and
    counts skip matching commands first. A test gives both, so that the same command fails on either, and
    checks with the Commands listener which collection the failed command was for.
    """
    mode = "alwaysOn" if times is None else {"skip": skip, "times": times} if skip else {"times": times}
    namespace = {"namespace": f"{database.name}.{collection}"} if collection else {}
    try:
        database.client.admin.command("configureFailPoint", "failCommand", mode=mode, data={
            "failCommands": [command], "appName": APP_NAME, **namespace, **failure})
    except OperationFailure as error:
        if error.code in (COMMAND_NOT_FOUND, UNAUTHORIZED):
            pytest.skip("the server takes no fail points: start it with enableTestCommands=1 to run this test")
        raise


def disarm(database):
    """Switch the failCommand fail point off (where the server takes fail points)."""
    try:
        database.client.admin.command("configureFailPoint", "failCommand", mode="off")
    except OperationFailure as error:
        if error.code not in (COMMAND_NOT_FOUND, UNAUTHORIZED):
            raise
