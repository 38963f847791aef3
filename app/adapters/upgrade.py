"""`db upgrade`: the database brought to what this version of the service relies on, safely on a live, shared database.

One upgrade at a time (the lease); the service's own indexes only, built beside what they replace; the documents of
earlier versions changed by resumable, throttled backfills; what cannot be done reported at the end, never blocking
the rest. The service itself only checks, at start, and logs how the database differs.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Generator, Iterator

from pymongo.database import Database

from app.adapters import backfills, indexes, migrations, relay
from app.adapters.documents import UPGRADES
from app.adapters.lease import LeaseHeld, UpgradeLease
from app.domain.exceptions import UpgradeBlocked
from app.domain.upgrades import Note, UpgradeEvent

log = logging.getLogger(__name__)
WAIT_FOR_LEASE_SECONDS = 3600.0


class MongoUpgrade:
    """`db upgrade` on one database (the port the service layer's DatabaseUpgrade names)."""

    def __init__(self, database: Database, *, pace: backfills.Pace | None = None,
                 wait_seconds: float = WAIT_FOR_LEASE_SECONDS):
        self._database = database
        self._pace = pace or backfills.Pace()
        self._wait_seconds = wait_seconds

    @property
    def database_name(self) -> str:
        return self._database.name

    def run(self) -> Iterator[UpgradeEvent]:
        """Take the lease (waiting for another upgrade to finish), then build, fill in and retire; raise
        UpgradeBlocked with what could not be done."""
        lease = UpgradeLease(self._database)
        deadline = time.monotonic() + self._wait_seconds
        if not lease.take():
            holder = lease.holder_now() or {}
            yield Note(f"another upgrade holds the lease ({holder.get('holder', 'unknown')}, until "
                       f"{holder.get('expiresAt', 'unknown')}); waiting for it to finish")
            while not lease.take():
                if time.monotonic() > deadline:
                    raise LeaseHeld("another upgrade held the lease for longer than this one waits; try again later")
                time.sleep(1)
        with lease.renewing():
            problems = yield from self._upgrade(lease)
        if problems:
            raise UpgradeBlocked("; ".join(problems))

    def _upgrade(self, lease: UpgradeLease) -> Generator[UpgradeEvent, None, list[str]]:
        database = self._database
        collections = list(indexes.wanted_indexes())
        for collection in collections:
            yield from indexes.IndexChanges(database, collection).build()
        for backfill in migrations.every_backfill():
            yield from backfills.run(database, backfill, self._pace, before_batch=lease.check)
        lease.check()
        problems: list[str] = []
        for collection in collections:
            # Again: an index that could not be built before its documents were filled in can be now.
            changes = indexes.IndexChanges(database, collection)
            yield from changes.build()
            if not changes.problems:
                yield from changes.retire()
            problems += changes.problems
        if not problems:
            for cleanup in migrations.cleanups():
                yield from backfills.run(database, cleanup, self._pace, before_batch=lease.check)
        if relay.note_start(database):
            yield Note("events: changes from now on have events, even before the relay first runs")
        present = set(database.list_collection_names())
        for retired in indexes.RETIRED_COLLECTIONS:
            if retired in present:
                database.drop_collection(retired)
                yield Note(f"dropped collection {retired}, no longer used")
        return problems


def drift(database: Database) -> list[str]:
    """How the database differs from what the service relies on: its indexes, and backfills not run to the end."""
    problems = indexes.drift(database)
    wanted = {f"backfill:{backfill.key}": backfill for backfill in [*migrations.every_backfill(), *migrations.cleanups()]}
    done = {state["_id"] for state in database[UPGRADES].find({"_id": {"$in": list(wanted)}}, {"finished": 1})
            if state.get("finished")}
    return problems + [f"{backfill.task}: not done yet" for key, backfill in wanted.items() if key not in done]


def check(database: Database) -> None:
    """At start-up: log how the database differs from what the service relies on; never fail on it."""
    problems = drift(database)
    for problem in problems:
        log.warning("database drift: %s; run `db upgrade`", problem)
    if not problems:
        log.info("database indexes are as expected")
