"""A real MongoDB server for the tests (MONGODB_URI's, or a SecantusDB process of their own), databases of their
own on it, and the failCommand fail point."""
import os
import re
import uuid

import pytest
from pymongo import MongoClient
from pymongo.errors import OperationFailure

from app.adapters.backfills import Pace
from app.adapters.upgrade import MongoUpgrade
from app.domain.upgrades import Note
from scripts.embedded_db import EmbeddedDatabase

# The app under test talks to MongoDB under this name, so that fail points hit its commands and nobody else's.
APP_NAME = "provisioning-under-test"
COMMAND_NOT_FOUND = 59
UNAUTHORIZED = 13


def upgrade(database):
    """`db upgrade` on a database, unthrottled; the lines it reported."""
    return [event.text for event in MongoUpgrade(database, pace=Pace(rest=0)).run() if isinstance(event, Note)]


def trail(database, query):
    """The audit_events matching query, oldest first."""
    return list(database.audit_events.find(query).sort("_id", 1))


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
        upgrade(client[name])
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
            upgrade(client.get_default_database())
        return uri

    yield make
    with MongoClient(server_uri) as client:
        for name in made:
            client.drop_database(name)


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


@pytest.fixture(scope="session")
def standalone_server():
    """A standalone SecantusDB: no transactions, so failed units of work are undone by deletes."""
    server = EmbeddedDatabase("--standalone", "--enable-test-commands").start()
    uri = with_database(server.uri, "provisioning")
    with MongoClient(uri) as client:
        upgrade(client.get_default_database())
    yield uri
    server.stop()


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
