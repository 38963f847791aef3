"""Fixtures: a real MongoDB server (MONGODB_URI's, or a SecantusDB process of our own), the app, its clients."""
import os
import re
import uuid

import pytest
from pymongo import MongoClient

from app import create_app, services
from app.model import Origin
from scripts.embedded_db import EmbeddedDatabase

CHEAP_ARGON2 = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_KIB": 8, "ARGON2_PARALLELISM": 1}
TEST_ORIGIN = Origin(client="tests")
RESELLER = {"resellerName": "acme", "resellerPassword": "acme secret"}


def reseller_tools(app):
    """What services.create_reseller works with, taken from an app."""
    provisioning = app.extensions["provisioning"]
    return {name: provisioning[name] for name in ("repository", "hasher", "clock")}


def with_database(uri, name):
    """The same server URI with name as its database."""
    return re.sub(r"^(mongodb(?:\+srv)?://[^/?]+)/?[^?]*", rf"\1/{name}", uri, count=1)


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
    """A database of the suite's own on that server, dropped at the end."""
    name = f"provisioning_test_{uuid.uuid4().hex[:12]}"
    yield with_database(server_uri, name)
    with MongoClient(server_uri) as client:
        client.drop_database(name)


def app_for(database_uri, **overrides):
    """An app on database_uri with cheap argon2 parameters and short timeouts."""
    return create_app({"TESTING": True, "MONGODB_URI": database_uri, "MONGODB_TIMEOUT_MS": 2000, **CHEAP_ARGON2, **overrides})


@pytest.fixture(scope="session")
def session_app(database_uri):
    return app_for(database_uri)


@pytest.fixture
def app(session_app):
    """The app; every collection is emptied after each test, the indexes stay."""
    yield session_app
    database = session_app.extensions["provisioning"]["repository"].db
    for name in database.list_collection_names():
        database[name].delete_many({})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    """The app's MongoDB database, to look at what it stored."""
    return app.extensions["provisioning"]["repository"].db


@pytest.fixture
def make_reseller(app):
    """Create a reseller as the CLI does; returns its stored document."""

    def make(name=RESELLER["resellerName"], password=RESELLER["resellerPassword"], *, active=True, free_credits=10):
        provisioning = app.extensions["provisioning"]
        services.create_reseller(name, password, TEST_ORIGIN, free_credits=free_credits, **reseller_tools(app))
        if not active:
            services.set_reseller_active(name, False, TEST_ORIGIN, repository=provisioning["repository"], clock=provisioning["clock"])
        return provisioning["repository"].find_reseller(name)

    return make


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
def standalone_app():
    """An app against a standalone SecantusDB: no transactions, so failed units of work are undone by deletes."""
    server = EmbeddedDatabase("--standalone", "--enable-test-commands").start()
    app = app_for(with_database(server.uri, "provisioning"))
    assert not app.extensions["provisioning"]["repository"].supports_transactions()
    yield app
    server.stop()


@pytest.fixture
def standalone(standalone_app):
    """A test client and the database of the standalone app, emptied, with the reseller 'acme' (5 free credits)."""
    database = standalone_app.extensions["provisioning"]["repository"].db
    for name in database.list_collection_names():
        database[name].delete_many({})
    services.create_reseller(
        RESELLER["resellerName"], RESELLER["resellerPassword"], TEST_ORIGIN, free_credits=5,
        **reseller_tools(standalone_app),
    )
    return standalone_app.test_client(), database


def fail_next_insert(db, collection, **failure):
    """Arm mongod's failCommand fail point: the next insert into collection fails as described."""
    db.client.admin.command(
        "configureFailPoint",
        "failCommand",
        mode={"times": 1},
        data={"failCommands": ["insert"], "namespace": f"{db.name}.{collection}", **failure},
    )
