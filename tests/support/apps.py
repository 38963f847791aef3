"""The app under test on the tests' database: its test client, the operators' commands on it, and resellers and
customers made as the CLI and the API make them."""
from contextlib import contextmanager
from datetime import timedelta

import pytest
from click.testing import CliRunner
from pymongo import MongoClient, monitoring

from app import cli, create_app
from app.bootstrap import utc_now
from app.domain.model import Origin
from app.service_layer import resellers
from tests.support.database import APP_NAME, with_option

CHEAP_ARGON2 = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_KIB": 8, "ARGON2_PARALLELISM": 1}
TEST_ORIGIN = Origin(client="tests")
RESELLER = {"resellerName": "acme", "resellerPassword": "acme secret"}
API = "/services/rest/"
# Limits of failed authentications small enough for a test to reach.
SMALL_LIMITS = {"THROTTLE_FAILURES": 3, "THROTTLE_RESELLER_FAILURES": 5, "THROTTLE_WINDOW_SECONDS": 900}


class Clock:
    """A clock the test moves; starts at the real time."""

    def __init__(self):
        self.offset = timedelta()

    def __call__(self):
        return utc_now() + self.offset


def as_reseller(client, path, **params):
    """POST path (after /services/rest/) with the test reseller's credentials and these parameters."""
    return client.post(API + path, data={**RESELLER, **params})


class Commands(monitoring.CommandListener):
    """Records the commands the app sends and the ones that failed, with their collections, while recording: a
    command failed when its answer is an error, or a write concern error beside a write that was made."""

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
        collection = self._names.pop(event.request_id, None)
        if self.recording and "writeConcernError" in event.reply:
            self.failed_commands.append((event.command_name, collection, event.reply["writeConcernError"]))

    def failed(self, event):
        if event.request_id in self._names:
            self.failed_commands.append((event.command_name, self._names.pop(event.request_id), event.failure))

    def failures(self):
        """The commands that failed while recording, as (command, collection)."""
        return [(name, collection) for name, collection, _ in self.failed_commands]

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
def standalone_app(standalone_server, commands):
    app = app_for(standalone_server, commands=commands)
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


def user_params(customer_id, username="u"):
    """The form of a user/create of the reseller 'acme' under one of its customers."""
    return {**RESELLER, "username": username, "password": "p", "customerId": customer_id, "email": "a@b.com",
            "phoneNumber": "1"}
