"""What every store shares: the collections, the write concern of announced writes, a write's binding to a
transaction or an undo log, and paging."""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bson import ObjectId
from pymongo import WriteConcern
from pymongo.client_session import ClientSession
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, PyMongoError
from pymongo.read_concern import ReadConcern

from app.adapters.documents import (
    API_KEYS,
    AUDIT_EVENTS,
    AUTH_FAILURES,
    CREDIT_TRANSACTIONS,
    CUSTOMERS,
    DELIVERIES,
    EVENT_SEQUENCES,
    EVENTS,
    KNOWN_CLIENTS,
    RESELLERS,
    USERS,
    WEBHOOKS,
)
from app.domain.model import Page

log = logging.getLogger(__name__)
T = TypeVar("T")

# Writes whose success the service announces wait for a majority of the replica set: an acknowledged create
# survives the failover that follows. Updates are an update then a read of the result, not findAndModify: the same
# two steps on mongod, and SecantusDB's findAndModify scans the whole collection.
MAJORITY = WriteConcern("majority")


class Collections:
    """The collections, made once: with the client's write concern, and (majority) for writes the service announces."""

    def __init__(self, database: Database):
        self.database = database
        self.resellers = database[RESELLERS]
        self.customers = database[CUSTOMERS]
        self.users = database[USERS]
        self.credit_transactions = database[CREDIT_TRANSACTIONS]
        self.known_clients = database[KNOWN_CLIENTS]
        self.auth_failures = database[AUTH_FAILURES]
        self.api_keys = database[API_KEYS]
        self.audit_events = database[AUDIT_EVENTS]
        self.events = database[EVENTS]
        self.event_sequences = database[EVENT_SEQUENCES]
        self.majority = {name: database.get_collection(name, write_concern=MAJORITY)
                         for name in (RESELLERS, CUSTOMERS, USERS, CREDIT_TRANSACTIONS, AUDIT_EVENTS, API_KEYS,
                                      WEBHOOKS, DELIVERIES)}
        # What a replay or a conflict reports is read as a majority of the replica set has it, in the request's
        # causally consistent session: a write that a failover may still roll back is not reported as done.
        self.durable = {name: database.get_collection(name, read_concern=ReadConcern("majority"))
                        for name in (CUSTOMERS, USERS, CREDIT_TRANSACTIONS)}


@dataclass
class UndoLog:
    """What a unit of work wrote on a server without transactions, to undo if it fails: documents it inserted
    (removed), and counters it moved (moved back)."""

    inserted: list[tuple[str, ObjectId]] = field(default_factory=list)
    incremented: list[tuple[str, ObjectId, dict[str, int]]] = field(default_factory=list)

    def undo(self, database: Database) -> None:
        for collection, document_id in reversed(self.inserted):
            try:
                database[collection].delete_one({"_id": document_id})
            except PyMongoError:
                log.error("could not undo the insert of %s %s; remove it by hand", collection, document_id)
        for collection, document_id, increments in reversed(self.incremented):
            try:
                database[collection].update_one({"_id": document_id},
                                                {"$inc": {name: -amount for name, amount in increments.items()}})
            except PyMongoError:
                log.error("could not undo the change of %s of %s %s; correct it by hand", list(increments),
                          collection, document_id)


@dataclass(frozen=True)
class Binding:
    """Where a store's writes go: into a session's transaction, or recorded in an undo log; neither by default."""

    session: ClientSession | None = None
    undo: UndoLog | None = None


UNBOUND = Binding()


def insert(collection: Collection, document: dict[str, Any], binding: Binding,
           duplicate: Callable[[str], Exception] | None = None) -> None:
    """Insert a document (majority write concern), raising duplicate(its name) when a unique index holds it already.

    Bound to an undo log, the insert is recorded there before it is sent: an insert whose answer is an error may have
    been written all the same (a write concern error, a connection lost after the write), and must be undone too;
    removing, by its own new _id, a document that was never written removes nothing."""
    if binding.undo is not None:
        binding.undo.inserted.append((collection.name, document["_id"]))
    try:
        collection.insert_one(document, session=binding.session)
    except DuplicateKeyError:
        if duplicate is None:
            raise
        raise duplicate(document.get("name") or document.get("username") or "") from None


def first(cursor: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    return next(iter(cursor), None)


def after_id(after: ObjectId | None) -> dict[str, Any]:
    return {"_id": {"$gt": after}} if after is not None else {}


def page(cursor: Iterable[dict[str, Any]], build: Callable[[dict[str, Any]], Any], limit: int) -> Page:
    """A page of at most limit items from a cursor asked for one more, which tells whether another page follows."""
    items = [build(document) for document in cursor]
    more = len(items) > limit
    items = items[:limit]
    return Page(tuple(items), items[-1].id if more else None)


class Notes:
    """What this process wrote lately (a key of anything hashable), so that it writes each at most once per period:
    e.g. a client's address, or a key's use. Periods are measured on the times written (the service's clock)."""

    def __init__(self, seconds: float, kept: int = 10_000):
        self._period = timedelta(seconds=seconds)
        self._kept = kept
        self._noted: OrderedDict[Hashable, datetime] = OrderedDict()
        self._lock = threading.Lock()

    def due(self, what: Hashable, at: datetime) -> bool:
        with self._lock:
            noted = self._noted.get(what)
            return noted is None or at - noted > self._period

    def noted(self, what: Hashable, at: datetime) -> None:
        with self._lock:
            self._noted[what] = at
            self._noted.move_to_end(what)
            while len(self._noted) > self._kept:
                self._noted.popitem(last=False)
