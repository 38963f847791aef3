"""Fixtures every tier but unit may use, made only when a test asks for them: one MongoDB server for the whole session
(MONGODB_URI's, or a SecantusDB process of the suite's own), the app on a database of its own, its test client, the
operators' commands on it.

The tiers: unit (no database), api (the app through its test client), storage (what the database holds and how it
fails), cli (the operators' commands), system (real processes: gunicorn, nginx, a browser, generated clients, soak).
`make test-fast` runs all but system; `make test` runs everything.
"""
from tests.support.apps import (  # noqa: F401
    app,
    client,
    commands,
    customer_of,
    make_reseller,
    reseller,
    runner,
    session_app,
    standalone,
    standalone_app,
)
from tests.support.database import database_uri, db, inspector, server_uri, spare_database, standalone_server  # noqa: F401
