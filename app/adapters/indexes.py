"""The indexes the service relies on: created and changed by `db upgrade`, only checked when the service starts."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, OperationFailure

from app.adapters.repository import (
    CREDIT_TRANSACTIONS,
    CUSTOMERS,
    FAILED_NAMES,
    KNOWN_CLIENTS,
    RESELLERS,
    USERS,
)
from app.domain import names
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
# Documents created before look-alike names were one name get their key from `db upgrade`.
LOOKALIKE_KEYS = {RESELLERS: ("name", "nameKey"), CUSTOMERS: ("name", "nameKey"), USERS: ("username", "usernameKey")}
COMPARED_OPTIONS = ("unique", "partialFilterExpression", "expireAfterSeconds", "sparse")


class UpgradeBlocked(Exception):
    """The database holds data that a required index cannot be built over (e.g. two look-alike names)."""


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
    return problems


def upgrade(database: Database) -> Iterator[str]:
    """Bring the database's indexes and documents to what the service relies on; yield what was done."""
    for collection, (source, key) in LOOKALIKE_KEYS.items():
        filled = backfill_lookalike_keys(database, collection, source, key)
        if filled:
            yield f"{collection}: gave {filled} documents their {key}"
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


def backfill_lookalike_keys(database: Database, collection: str, source: str, key: str) -> int:
    """Give documents created before look-alike keys existed their key; return how many were given one."""
    filled = 0
    while True:
        batch = list(database[collection].find({key: None}, {source: 1}).limit(BACKFILL_BATCH))
        if not batch:
            return filled
        database[collection].bulk_write([
            UpdateOne({"_id": document["_id"], key: None},
                      {"$set": {key: names.lookalike_key(document[source])}}) for document in batch
        ], ordered=False)
        filled += len(batch)


def check(database: Database) -> None:
    """At start-up: log how the database differs from what the service relies on; never fail on it."""
    problems = drift(database)
    for problem in problems:
        log.warning("database drift: %s; run `db upgrade`", problem)
    if not problems:
        log.info("database indexes are as expected")
