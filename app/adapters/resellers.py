"""The resellers' store: resellers, and the state of their authentication (failures lately, known client addresses)."""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from app.adapters.documents import (
    RESELLER_FIELDS,
    RESELLERS,
    WITHOUT_HISTORY,
    failure_documents,
    failures_from,
    history_push,
    reseller_document,
    reseller_from,
)
from app.adapters.mongo import UNBOUND, Binding, Collections, insert
from app.domain.exceptions import ResellerExists, ResellerNotFound
from app.domain.model import Event, FailedName, Failure, Reseller

# A process writes "this client authenticated as that reseller" at most this often per pair.
KNOWN_CLIENT_NOTE_SECONDS = 3600
KNOWN_CLIENT_NOTES_KEPT = 10_000


class KnownClientNotes:
    """Which (reseller, client) pairs this process recorded lately, so that it records each at most hourly."""

    def __init__(self, seconds: int = KNOWN_CLIENT_NOTE_SECONDS, kept: int = KNOWN_CLIENT_NOTES_KEPT):
        self._seconds = seconds
        self._kept = kept
        self._noted: OrderedDict[tuple[ObjectId, str], float] = OrderedDict()
        self._lock = threading.Lock()

    def due(self, pair: tuple[ObjectId, str]) -> bool:
        with self._lock:
            noted = self._noted.get(pair)
            return noted is None or time.monotonic() - noted > self._seconds

    def noted(self, pair: tuple[ObjectId, str]) -> None:
        with self._lock:
            self._noted[pair] = time.monotonic()
            self._noted.move_to_end(pair)
            while len(self._noted) > self._kept:
                self._noted.popitem(last=False)


class MongoResellers:
    """Resellers, with the failed authentications of their names (and of names that are no reseller's)."""

    def __init__(self, collections: Collections, notes: KnownClientNotes, binding: Binding = UNBOUND):
        self._c = collections
        self._notes = notes
        self._binding = binding

    def bound(self, binding: Binding) -> MongoResellers:
        return MongoResellers(self._c, self._notes, binding)

    def named(self, name: str) -> Reseller | None:
        """The reseller of this name, with its failed authentications lately, or None."""
        # No projection: a reseller's history holds only operators' commands (at most HISTORY_KEPT), and leaving it
        # out would cost every request more than reading it does.
        document = self._c.resellers.find_one({"name": name}, session=self._binding.session)
        return reseller_from(document) if document else None

    def by_id(self, reseller_id: ObjectId) -> Reseller | None:
        document = self._c.resellers.find_one({"_id": reseller_id}, WITHOUT_HISTORY)
        return reseller_from(document) if document else None

    def all(self) -> Iterator[Reseller]:
        """Every reseller, by name."""
        for document in self._c.resellers.find({}, WITHOUT_HISTORY).sort("name", 1):
            yield reseller_from(document)

    def add(self, reseller: Reseller, created: Event) -> None:
        """Store a new reseller; raises ResellerExists when the name, or one that looks the same, is taken."""
        insert(self._c.majority[RESELLERS], reseller_document(reseller, created), self._binding, ResellerExists)

    def change(self, name: str, changes: dict[str, Any], event: Event) -> None:
        """Set fields of the reseller of this name and record the event; raises ResellerNotFound."""
        stored = {RESELLER_FIELDS[key]: value for key, value in changes.items()}
        changed = self._c.majority[RESELLERS].update_one(
            {"name": name}, {"$set": {**stored, "updatedAt": event.at}, **history_push(event)})
        if changed.matched_count == 0:
            raise ResellerNotFound(name)

    def failed_name(self, name: str) -> FailedName:
        """The failed authentications lately of a name that is no reseller's."""
        document = self._c.failed_names.find_one({"_id": name}, session=self._binding.session)
        if document is None:
            return FailedName(name)
        return FailedName(name, failures_from(document), document["failuresVersion"])

    def count_failure(self, counted: Reseller | FailedName, failures: tuple[Failure, ...], expires_at: datetime) -> bool:
        """Store failures in place of the ones counted was read with; False when they changed meanwhile.

        The version read is compared inside the update (the filter is the _id alone, which every planner serves
        by its index), so that reading, checking and counting are one atomic step.
        """
        stored_failures = failure_documents(failures)
        if isinstance(counted, Reseller):
            changed = self._c.resellers.update_one({"_id": counted.id}, only_at_version(
                counted.failures_version, "authFailuresVersion", {"authFailures": stored_failures}))
            return changed.modified_count == 1
        try:
            changed = self._c.failed_names.update_one({"_id": counted.name}, only_at_version(
                counted.failures_version, "failuresVersion", {"failures": stored_failures, "expiresAt": expires_at}),
                upsert=True)
        except DuplicateKeyError:
            return False
        return changed.modified_count == 1 or changed.upserted_id is not None

    def forget_failures(self, reseller_id: ObjectId, client: str | None = None, event: Event | None = None) -> None:
        """Forget a reseller name's failed authentications from client (from every client when None), recording the
        event when one is given (an operator's unlock)."""
        removed: dict[str, Any] = {"$pull": {"authFailures": {"client": client}}} if client else \
            {"$set": {"authFailures": []}}
        self._c.resellers.update_one({"_id": reseller_id}, {**removed, "$inc": {"authFailuresVersion": 1},
                                                           **(history_push(event) if event else {})})

    def note_known_client(self, reseller_id: ObjectId, client: str, at: datetime) -> None:
        """Record that client authenticated as this reseller (at most hourly per pair and process)."""
        pair = (reseller_id, client)
        if not self._notes.due(pair):
            return
        self._c.known_clients.update_one({"resellerId": reseller_id, "client": client}, {"$set": {"at": at}},
                                         upsert=True)
        self._notes.noted(pair)

    def is_known_client(self, reseller_id: ObjectId, client: str, since: datetime) -> bool:
        """Tell whether client authenticated as this reseller since then."""
        found = self._c.known_clients.find_one({"resellerId": reseller_id, "client": client})
        return found is not None and found["at"] >= since


def only_at_version(version: int, version_field: str, values: dict[str, Any]) -> list[dict[str, Any]]:
    """An update pipeline that sets values and the next version, but only on a document still at version."""
    still: dict[str, Any] = {"$eq": [{"$ifNull": [f"${version_field}", 0]}, version]}
    changes: dict[str, Any] = {name: {"$cond": [still, {"$literal": value}, f"${name}"]} for name, value in values.items()}
    changes[version_field] = {"$cond": [still, version + 1, f"${version_field}"]}
    return [{"$set": changes}]
