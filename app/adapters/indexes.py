"""The indexes the service relies on: created and changed by `db upgrade`, only checked when the service starts."""
from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from app.adapters.documents import (
    CREDIT_TRANSACTIONS,
    CUSTOMERS,
    FAILED_NAMES,
    KNOWN_CLIENTS,
    LOOKALIKE_KEYS,
    RESELLERS,
    USERS,
)
from app.domain import names
from app.domain.exceptions import UpgradeBlocked
from app.domain.throttling import KNOWN_CLIENT_DAYS

log = logging.getLogger(__name__)

UNIQUE = {"unique": True}
# A partial unique index: only documents created with an Idempotency-Key are in it, and each key once per reseller.
ONE_PER_KEY = {"unique": True, "partialFilterExpression": {"idempotency.key": {"$exists": True}}}
BACKFILL_BATCH = 1000


@dataclass(frozen=True)
class Index:
    """An index the service relies on: its keys and options."""

    keys: tuple[tuple[str, int], ...]
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return "_".join(f"{key}_{direction}" for key, direction in self.keys)


def ascending(*keys: str, **options: Any) -> Index:
    return Index(tuple((key, ASCENDING) for key in keys), options)


INDEXES: dict[str, list[Index]] = {
    RESELLERS: [ascending("name", **UNIQUE), ascending("nameKey", **UNIQUE)],
    CUSTOMERS: [
        ascending("name", **UNIQUE),
        ascending("nameKey", **UNIQUE),
        ascending("resellerId", "_id"),
        ascending("resellerId", "idempotency.key", **ONE_PER_KEY),
    ],
    USERS: [
        ascending("username", **UNIQUE),
        ascending("usernameKey", **UNIQUE),
        ascending("customerId", "_id"),
        ascending("resellerId", "_id"),
        ascending("resellerId", "idempotency.key", **ONE_PER_KEY),
    ],
    CREDIT_TRANSACTIONS: [ascending("customerId")],
    KNOWN_CLIENTS: [ascending("resellerId", "client", **UNIQUE),
                    ascending("at", expireAfterSeconds=KNOWN_CLIENT_DAYS * 24 * 3600)],
    FAILED_NAMES: [ascending("expiresAt", expireAfterSeconds=0)],
}
# One document per data change `db upgrade` has made: {_id: "lookalikeKeys", rules: the names.LOOKALIKE_RULES applied}.
UPGRADES = "upgrades"
LOOKALIKE_KEYS_DONE = {"_id": "lookalikeKeys"}
COMPARED_OPTIONS = ("unique", "partialFilterExpression", "expireAfterSeconds", "sparse")


def compared(options: dict[str, Any]) -> dict[str, Any]:
    return {name: options[name] for name in COMPARED_OPTIONS if options.get(name) not in (None, False)}


def existing(database: Database, collection: str) -> dict[tuple[tuple[str, int], ...], dict[str, Any]]:
    """The collection's indexes but _id's, by key pattern."""
    found = {}
    for info in database[collection].list_indexes():
        keys = tuple((key, int(direction)) for key, direction in info["key"].items())
        if keys != (("_id", 1),):
            found[keys] = dict(info)
    return found


def drift(database: Database) -> list[str]:
    """How the database's indexes and documents differ from what the service relies on; empty when they agree."""
    problems = []
    for collection, wanted in INDEXES.items():
        found = existing(database, collection)
        for index in wanted:
            info = found.pop(index.keys, None)
            if info is None:
                problems.append(f"{collection}: index {index.name} is missing")
            elif compared(info) != compared(index.options):
                problems.append(f"{collection}: index {index.name} has {compared(info)}, expected {compared(index.options)}")
        problems += [f"{collection}: index {info['name']} is no longer used" for info in found.values()]
    for collection, (_, key) in LOOKALIKE_KEYS.items():
        if database[collection].find_one({key: None}, {"_id": 1}):
            problems.append(f"{collection}: documents without {key}")
    if not lookalike_keys_current(database):
        problems.append(f"look-alike keys were made by older rules than rules {names.LOOKALIKE_RULES}")
    return problems


def upgrade(database: Database) -> Iterator[str]:
    """Bring the database's indexes and documents to what the service relies on; yield what was done."""
    everything = not lookalike_keys_current(database)
    for collection, (source, key) in LOOKALIKE_KEYS.items():
        mended = mend_lookalike_keys(database, collection, source, key, everything=everything)
        if mended:
            yield f"{collection}: gave {mended} documents their {key}"
    if everything:
        database[UPGRADES].update_one(LOOKALIKE_KEYS_DONE, {"$set": {"rules": names.LOOKALIKE_RULES}}, upsert=True)
    for collection, wanted in INDEXES.items():
        found = existing(database, collection)
        for index in wanted:
            info = found.pop(index.keys, None)
            if info is not None and compared(info) == compared(index.options):
                continue
            if info is not None and only_ttl_differs(info, index):
                database.command("collMod", collection, index={"keyPattern": dict(index.keys),
                                                               "expireAfterSeconds": index.options["expireAfterSeconds"]})
                yield f"{collection}: index {index.name} now expires after {index.options['expireAfterSeconds']} s"
                continue
            if info is not None:
                database[collection].drop_index(info["name"])
                yield f"{collection}: dropped index {info['name']} to rebuild it"
            create(database, collection, index)
            yield f"{collection}: created index {index.name}"
        for info in found.values():
            database[collection].drop_index(info["name"])
            yield f"{collection}: dropped index {info['name']}, no longer used"


def only_ttl_differs(info: dict[str, Any], index: Index) -> bool:
    return "expireAfterSeconds" in info and "expireAfterSeconds" in index.options and \
        {**compared(info), "expireAfterSeconds": 0} == {**compared(index.options), "expireAfterSeconds": 0}


def create(database: Database, collection: str, index: Index) -> None:
    try:
        database[collection].create_index(list(index.keys), name=index.name, **index.options)
    except (DuplicateKeyError, OperationFailure) as error:
        if getattr(error, "code", None) != 11000:
            raise
        raise UpgradeBlocked(f"{collection}: cannot build unique index {index.name}: "
                             f"{duplicates(database, collection, index)}") from None


def duplicates(database: Database, collection: str, index: Index) -> str:
    """The values that more than one document holds for a unique index's keys, said briefly."""
    group = {key: f"${key}" for key, _ in index.keys}
    pipeline: list[dict[str, Any]] = [{"$group": {"_id": group, "ids": {"$push": "$_id"}, "count": {"$sum": 1}}},
                {"$match": {"count": {"$gt": 1}}}, {"$limit": 10}]
    found = [f"{entry['_id']} held by {', '.join(map(str, entry['ids']))}" for entry in database[collection].aggregate(pipeline)]
    return "; ".join(found) + " (rename all but one, then run db upgrade again)"


def lookalike_keys_current(database: Database) -> bool:
    """Tell whether the stored look-alike keys were all made by the rules this version applies."""
    done = database[UPGRADES].find_one(LOOKALIKE_KEYS_DONE)
    return done is not None and done["rules"] == names.LOOKALIKE_RULES


def mend_lookalike_keys(database: Database, collection: str, source: str, key: str, *, everything: bool) -> int:
    """Give documents without a look-alike key theirs, and with everything, recompute stale ones; return how many."""
    found = database[collection].find({} if everything else {key: None}, {source: 1, key: 1})
    mended = 0
    for batch in batches(found.batch_size(BACKFILL_BATCH), BACKFILL_BATCH):
        stale = [(document, names.lookalike_key(document[source])) for document in batch
                 if document.get(key) != names.lookalike_key(document[source])]
        if not stale:
            continue
        updates = [UpdateOne({"_id": document["_id"], key: document.get(key)}, {"$set": {key: wanted}})
                   for document, wanted in stale]
        try:
            database[collection].bulk_write(updates, ordered=False)
        except BulkWriteError as error:
            raise UpgradeBlocked(look_alikes(database, collection, source, key, stale, error)) from None
        mended += len(stale)
    return mended


def batches(documents: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch = []
    for document in documents:
        batch.append(document)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def look_alikes(database: Database, collection: str, source: str, key: str,
                stale: list[tuple[dict[str, Any], str]], error: BulkWriteError) -> str:
    """Which names now look like names another document holds, said briefly."""
    clashes = []
    for failed in error.details["writeErrors"][:10]:
        if failed["code"] != 11000:
            raise error
        document, wanted = stale[failed["index"]]
        holder = database[collection].find_one({key: wanted}, {source: 1})
        held_by = f"{holder[source]!r} ({holder['_id']})" if holder else "another document"
        clashes.append(f"{document[source]!r} ({document['_id']}) looks like {held_by}")
    return f"{collection}: {'; '.join(clashes)} (rename all but one, then run db upgrade again)"


def check(database: Database) -> None:
    """At start-up: log how the database differs from what the service relies on; never fail on it."""
    problems = drift(database)
    for problem in problems:
        log.warning("database drift: %s; run `db upgrade`", problem)
    if not problems:
        log.info("database indexes are as expected")


class MongoUpgrade:
    """`db upgrade` on one database (the port the service layer's DatabaseUpgrade names)."""

    def __init__(self, database: Database):
        self._database = database

    @property
    def database_name(self) -> str:
        return self._database.name

    def run(self) -> Iterator[str]:
        return upgrade(self._database)
