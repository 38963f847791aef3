"""The indexes the service owns, by name, and how `db upgrade` brings a collection's indexes to them.

The database is shared: other parts of the platform (or a DBA) may add indexes to these collections. Only indexes
of the names below are the service's; any other is reported and never touched. A definition that changes gets a new
name and lists the old one in `replaces`: the new index is built beside the old, which is dropped only once the new
one exists, so that no moment is without the uniqueness the service relies on. A TTL changes in place (collMod); an
index becomes unique in place (collMod prepareUnique, then unique), refusing duplicates from the first step on.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pymongo.database import Database
from pymongo.errors import OperationFailure

from app.adapters.documents import (
    API_KEYS,
    AUDIT_EVENTS,
    AUTH_FAILURES,
    CREDIT_TRANSACTIONS,
    CUSTOMERS,
    CUSTOMERS_BY_ACTIVE,
    CUSTOMERS_BY_INTEGRATION_ID,
    CUSTOMERS_BY_RESELLER,
    DELIVERIES,
    EVENTS,
    FAILED_NAMES,
    KNOWN_CLIENTS,
    LOOKALIKE_KEYS,
    RESELLERS,
    USERS,
    USERS_BY_ACTIVE,
    USERS_BY_CUSTOMER,
    USERS_BY_EMAIL,
    USERS_BY_PHONE_NUMBER,
    USERS_BY_RESELLER,
    WEBHOOKS,
    key_field,
)
from app.domain import names
from app.domain.throttling import KNOWN_CLIENT_DAYS
from app.domain.upgrades import Note

DUPLICATE_KEY = 11000
INDEX_OPTIONS_CONFLICT = 85
INDEX_KEY_SPECS_CONFLICT = 86
CANNOT_CONVERT_INDEX_TO_UNIQUE = 359
COMPARED_OPTIONS = ("unique", "partialFilterExpression", "expireAfterSeconds", "sparse")


@dataclass(frozen=True)
class Index:
    """An index the service owns: its name, keys and options, and the names of the indexes it replaces."""

    name: str
    keys: tuple[tuple[str, Any], ...]
    options: dict[str, Any] = field(default_factory=dict)
    replaces: tuple[str, ...] = ()

    @property
    def unique(self) -> bool:
        return bool(self.options.get("unique"))


def index(*keys: str | tuple[str, Any], name: str | None = None, replaces: tuple[str, ...] = (),
          **options: Any) -> Index:
    """An index on keys (a field name is ascending), named as MongoDB names it by default unless a name is given."""
    pairs = tuple(key if isinstance(key, tuple) else (key, 1) for key in keys)
    return Index(name or "_".join(f"{key}_{direction}" for key, direction in pairs), pairs, options, replaces)


UNIQUE: dict[str, Any] = {"unique": True}
# A partial unique index: only documents created with an Idempotency-Key are in it, and each key once per reseller.
ONE_PER_KEY: dict[str, Any] = {"unique": True, "partialFilterExpression": {"idempotency.key": {"$exists": True}}}


def lookalike_indexes(collection: str) -> list[Index]:
    """A unique index per generation of look-alike keys the service writes (names.LOOKALIKE_GENERATIONS): the first
    generation's on every document, later ones partial, since documents written by an older version lack them."""
    base = LOOKALIKE_KEYS[collection][1]
    made = []
    for generation in sorted(names.LOOKALIKE_GENERATIONS):
        key = key_field(base, generation)
        options: dict[str, Any] = UNIQUE if key == base else {"unique": True,
                                                               "partialFilterExpression": {key: {"$exists": True}}}
        made.append(index(key, **options))
    return made


def wanted_indexes() -> dict[str, list[Index]]:
    """Every index the service owns, by collection."""
    return {
        RESELLERS: [index("name", **UNIQUE), *lookalike_indexes(RESELLERS)],
        # The lists' indexes (documents.CUSTOMERS_BY_... and USERS_BY_...): the owner's pages by (owner, _id) carry the
        # fields filtered by range after _id, and replace the (owner, _id) indexes they begin with; each equality
        # filter has an index of its own that ends with _id.
        CUSTOMERS: [index("name", **UNIQUE), *lookalike_indexes(CUSTOMERS),
                    index("resellerId", "_id", "name", "createdAt", name=CUSTOMERS_BY_RESELLER,
                          replaces=("resellerId_1__id_1",)),
                    index("resellerId", "active", "_id", name=CUSTOMERS_BY_ACTIVE),
                    index("resellerId", "integrationId", "_id", name=CUSTOMERS_BY_INTEGRATION_ID),
                    index("resellerId", "idempotency.key", **ONE_PER_KEY)],
        USERS: [index("username", **UNIQUE), *lookalike_indexes(USERS),
                index("customerId", "_id", "username", "createdAt", name=USERS_BY_CUSTOMER,
                      replaces=("customerId_1__id_1",)),
                index("resellerId", "_id", "username", "createdAt", name=USERS_BY_RESELLER,
                      replaces=("resellerId_1__id_1",)),
                index("resellerId", "active", "_id", name=USERS_BY_ACTIVE),
                # By contact first: operators find users by email or phone number across resellers.
                index("email", "resellerId", "_id", name=USERS_BY_EMAIL),
                index("phoneNumber", "resellerId", "_id", name=USERS_BY_PHONE_NUMBER),
                index("resellerId", "idempotency.key", **ONE_PER_KEY)],
        # The ledger pages by (customerId, _id): the compound serves every query on customerId alone, as the index it
        # replaces did; a reference once per customer; an Idempotency-Key once per reseller.
        CREDIT_TRANSACTIONS: [index("customerId", "_id", replaces=("customerId_1",)),
                              index("customerId", "reference", unique=True,
                                    partialFilterExpression={"reference": {"$exists": True}}),
                              index("resellerId", "idempotency.key", **ONE_PER_KEY)],
        API_KEYS: [index("resellerId", "_id")],
        KNOWN_CLIENTS: [index("resellerId", "client", **UNIQUE),
                        index("at", expireAfterSeconds=KNOWN_CLIENT_DAYS * 24 * 3600)],
        AUTH_FAILURES: [index("name", "client", "second", **UNIQUE), index("expiresAt", expireAfterSeconds=0)],
        AUDIT_EVENTS: [index("customerId", "_id"), index("userId", "_id"), index("resellerId", "_id")],
        # The feed: one number per reseller's event (a second event of a number is refused); each filter of
        # events/list walks its own index in number order.
        EVENTS: [index("resellerId", "seq", **UNIQUE), index("resellerId", "type", "seq"),
                 index("resellerId", "customerId", "seq"), index("resellerId", "customerId", "type", "seq")],
        # A reseller's webhooks in creation order; the active ones whose next attempt is due, for the delivery worker.
        WEBHOOKS: [index("resellerId", "_id"), index("state", "retryAt")],
        # A webhook's deliveries by event, and by state then event (where a replay starts: its oldest not taken); a
        # delivered one's record removed DELIVERED_KEPT_DAYS after.
        DELIVERIES: [index("webhookId", "eventId"), index("webhookId", "state", "eventId"),
                     index("expiresAt", expireAfterSeconds=0)],
    }


# Indexes the service once owned and no longer uses, by collection (dropped once what replaces them exists), and
# collections it owned and no longer uses (dropped).
RETIRED_INDEXES: dict[str, tuple[str, ...]] = {}
RETIRED_COLLECTIONS = (FAILED_NAMES,)


def retired_indexes(collection: str) -> set[str]:
    """The indexes the service once owned on this collection and no longer uses: those listed, and those of the
    look-alike generations it no longer writes."""
    retired = set(RETIRED_INDEXES.get(collection, ()))
    if collection in LOOKALIKE_KEYS:
        base = LOOKALIKE_KEYS[collection][1]
        retired |= {f"{key_field(base, generation)}_1" for generation in names.RETIRED_LOOKALIKE_GENERATIONS}
    return retired


def direction(value: Any) -> Any:
    """A key's direction as comparable: 1 and 1.0 alike; "hashed", "text", "2dsphere" as they are."""
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def keys_of(info: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple((key, direction(value)) for key, value in info["key"].items())


def compared(options: dict[str, Any]) -> dict[str, Any]:
    return {name: options[name] for name in COMPARED_OPTIONS if options.get(name) not in (None, False)}


def existing(database: Database, collection: str) -> dict[str, dict[str, Any]]:
    """The collection's indexes but _id's, by name (none when the collection does not exist yet)."""
    return {info["name"]: dict(info) for info in database[collection].list_indexes() if info["name"] != "_id_"}


def owned_names(collection: str) -> set[str]:
    """The names of every index the service owns or once owned on this collection."""
    wanted = wanted_indexes().get(collection, [])
    return {one.name for one in wanted} | {old for one in wanted for old in one.replaces} | retired_indexes(collection)


def difference(info: dict[str, Any], wanted: Index) -> str | None:
    """How an existing index of the wanted name differs from the wanted definition, or None."""
    if keys_of(info) != wanted.keys:
        return f"keys {dict(keys_of(info))}, expected {dict(wanted.keys)}"
    if compared(info) != compared(wanted.options):
        return f"{compared(info)}, expected {compared(wanted.options)}"
    return None


def only_ttl_differs(info: dict[str, Any], wanted: Index) -> bool:
    return "expireAfterSeconds" in info and "expireAfterSeconds" in wanted.options and \
        {**compared(info), "expireAfterSeconds": 0} == {**compared(wanted.options), "expireAfterSeconds": 0}


def only_uniqueness_differs(info: dict[str, Any], wanted: Index) -> bool:
    return wanted.unique and not info.get("unique") and \
        {**compared(info), "unique": True} == compared(wanted.options)


def drift(database: Database) -> list[str]:
    """How the collections' indexes differ from the service's: missing, different, or owned before and not dropped."""
    problems = []
    for collection, wanted in wanted_indexes().items():
        found = existing(database, collection)
        for one in wanted:
            info = found.get(one.name)
            if info is None:
                problems.append(f"{collection}: index {one.name} is missing")
            elif difference(info, one):
                problems.append(f"{collection}: index {one.name} has {difference(info, one)}")
        retired = (owned_names(collection) - {one.name for one in wanted}) & set(found)
        problems += [f"{collection}: index {name} is no longer used" for name in sorted(retired)]
    present = set(database.list_collection_names())
    problems += [f"collection {name} is no longer used" for name in RETIRED_COLLECTIONS if name in present]
    return problems


def foreign(database: Database, collection: str) -> list[str]:
    """The names of the indexes on the collection that are not the service's."""
    return sorted(set(existing(database, collection)) - owned_names(collection))


class IndexChanges:
    """Brings one collection's indexes to the service's, yielding what it did; what it could not do is collected in
    problems (the upgrade goes on with everything else and reports them at the end)."""

    def __init__(self, database: Database, collection: str):
        self._database = database
        self._collection = collection
        self.problems: list[str] = []

    def build(self) -> Iterator[Note]:
        """Create what is missing and change in place what can change in place."""
        found = existing(self._database, self._collection)
        for wanted in wanted_indexes()[self._collection]:
            info = found.get(wanted.name)
            if info is None:
                yield from self._create(wanted)
            elif difference(info, wanted) is None:
                continue
            elif only_ttl_differs(info, wanted):
                self._database.command("collMod", self._collection, index={
                    "name": wanted.name, "expireAfterSeconds": wanted.options["expireAfterSeconds"]})
                yield Note(f"{self._collection}: index {wanted.name} now expires after "
                           f"{wanted.options['expireAfterSeconds']} s")
            elif only_uniqueness_differs(info, wanted):
                yield from self._make_unique(wanted, info)
            else:
                self.problems.append(f"{self._collection}: index {wanted.name} has {difference(info, wanted)}; a "
                                     "changed definition needs a new name (replaces=...) to be built beside it")

    def retire(self) -> Iterator[Note]:
        """Drop what the service owned and no longer uses, once what replaces it exists; report the others' indexes."""
        found = existing(self._database, self._collection)
        wanted = wanted_indexes()[self._collection]
        ready = {one.name for one in wanted if one.name in found and difference(found[one.name], one) is None}
        dropped = retired_indexes(self._collection) | {old for one in wanted if one.name in ready for old in one.replaces}
        for name in sorted(dropped & set(found)):
            self._database[self._collection].drop_index(name)
            yield Note(f"{self._collection}: dropped index {name}, no longer used")
        for name in foreign(self._database, self._collection):
            yield Note(f"{self._collection}: index {name} is not the service's; left as it is")

    def _create(self, wanted: Index) -> Iterator[Note]:
        try:
            self._database[self._collection].create_index(list(wanted.keys), name=wanted.name, **wanted.options)
        except OperationFailure as error:
            if error.code == DUPLICATE_KEY:
                self.problems.append(f"{self._collection}: cannot build unique index {wanted.name}: "
                                     f"{self._duplicates(wanted)} (rename all but one, then run db upgrade again; "
                                     "until then the service refuses creates)")
                return
            if error.code in (INDEX_OPTIONS_CONFLICT, INDEX_KEY_SPECS_CONFLICT):
                self.problems.append(f"{self._collection}: cannot build index {wanted.name}: another index has its "
                                     f"keys ({error.details.get('errmsg') if error.details else error})")
                return
            raise
        yield Note(f"{self._collection}: created index {wanted.name}")

    def _make_unique(self, wanted: Index, info: dict[str, Any]) -> Iterator[Note]:
        """collMod prepareUnique (new duplicates are refused from now on), then unique once no duplicate is left."""
        if not info.get("prepareUnique"):
            self._database.command("collMod", self._collection, index={"name": wanted.name, "prepareUnique": True})
            yield Note(f"{self._collection}: index {wanted.name} refuses new duplicates (prepareUnique)")
        try:
            self._database.command("collMod", self._collection, index={"name": wanted.name, "unique": True})
        except OperationFailure as error:
            if error.code not in (CANNOT_CONVERT_INDEX_TO_UNIQUE, DUPLICATE_KEY):
                raise
            self.problems.append(f"{self._collection}: index {wanted.name} cannot become unique: "
                                 f"{self._duplicates(wanted)} (it refuses new duplicates meanwhile; rename all but "
                                 "one, then run db upgrade again)")
            return
        yield Note(f"{self._collection}: index {wanted.name} is now unique")

    def _duplicates(self, wanted: Index) -> str:
        """The values that more than one document holds for a unique index's keys, said briefly."""
        group = {key.replace(".", "_"): f"${key}" for key, _ in wanted.keys}
        pipeline: list[dict[str, Any]] = [{"$group": {"_id": group, "ids": {"$push": "$_id"}, "count": {"$sum": 1}}},
                                          {"$match": {"count": {"$gt": 1}}}, {"$limit": 10}]
        found = [f"{entry['_id']} held by {', '.join(map(str, entry['ids']))}"
                 for entry in self._database[self._collection].aggregate(pipeline)]
        return "; ".join(found)


def required_unique_indexes() -> dict[str, list[set[str]]]:
    """The uniqueness the service relies on, by collection: each a set of index names any one of which gives it
    (the wanted index, or one it replaces while the replacement is being built)."""
    return {collection: [{one.name, *one.replaces} for one in wanted if one.unique]
            for collection, wanted in wanted_indexes().items()}


def missing_uniqueness(database: Database) -> list[str]:
    """The unique indexes the service relies on that the database does not have (ready, and unique or refusing new
    duplicates); empty when every one is there."""
    missing = []
    for collection, needed in required_unique_indexes().items():
        found = existing(database, collection)
        for names_of_one in needed:
            if not any(found.get(name, {}).get("unique") or found.get(name, {}).get("prepareUnique")
                       for name in names_of_one):
                missing.append(f"{collection}.{min(names_of_one)}")
    return missing
