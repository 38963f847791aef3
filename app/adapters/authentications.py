"""The state of resellers' authentication: failed authentications lately, counted per name, client address and
second (auth_failures, kept for the throttling window by a TTL index), and the client addresses each reseller
authenticated from (reseller_known_clients). Reseller documents are never written on the request path."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from app.adapters.documents import WITHOUT_HISTORY, api_key_from, failure_from, reseller_from
from app.adapters.mongo import UNBOUND, Binding, Collections, Notes
from app.domain.api_keys import ApiKey
from app.domain.model import Failure, Reseller

# A process writes "this client authenticated as that reseller" at most this often per pair.
KNOWN_CLIENT_NOTE_SECONDS = 3600
# What tells a failure from the reseller's document where both are read together.
FAILURE_MARK = "failure"
# Where a key's reseller is put when both are read together.
OWNER = "owner"


def by_time(failures: Iterable[Failure]) -> list[Failure]:
    """Failures, oldest first."""
    return sorted(failures, key=lambda failure: failure.at)


class MongoAuthentications:
    """Failed authentications by name (a reseller's or not) and client, and the clients resellers work from."""

    def __init__(self, collections: Collections, notes: Notes | None = None, binding: Binding = UNBOUND):
        self._c = collections
        self._notes = notes or Notes(KNOWN_CLIENT_NOTE_SECONDS)
        self._binding = binding

    def bound(self, binding: Binding) -> MongoAuthentications:
        return MongoAuthentications(self._c, self._notes, binding)

    def attempt_of(self, name: str) -> tuple[Reseller | None, list[Failure]]:
        """The reseller of this name (None when there is none) and the name's failed authentications lately, read in
        one round trip (the reseller's document, then the failures, by $unionWith): every request authenticates."""
        failures = {"$match": {"name": name}}, {"$project": {"client": 1, "second": 1, "count": 1,
                                                             FAILURE_MARK: {"$literal": True}}}
        found = list(self._c.resellers.aggregate(
            [{"$match": {"name": name}}, {"$project": WITHOUT_HISTORY},
             {"$unionWith": {"coll": self._c.auth_failures.name, "pipeline": list(failures)}}],
            session=self._binding.session))
        reseller = next((reseller_from(document) for document in found if FAILURE_MARK not in document), None)
        return reseller, by_time(failure_from(document) for document in found if FAILURE_MARK in document)

    def key_attempt_of(self, key_id: ObjectId) -> tuple[ApiKey | None, Reseller | None]:
        """The API key with this id (None when there is none) and its reseller, read in one round trip ($lookup)."""
        found = next(self._c.api_keys.aggregate(
            [{"$match": {"_id": key_id}},
             {"$lookup": {"from": self._c.resellers.name, "localField": "resellerId", "foreignField": "_id",
                          "as": OWNER, "pipeline": [{"$project": WITHOUT_HISTORY}]}}],
            session=self._binding.session), None)
        if found is None:
            return None, None
        owners = found.pop(OWNER)
        return api_key_from(found), reseller_from(owners[0]) if owners else None

    def failures_of(self, name: str) -> list[Failure]:
        """The failed authentications of a name lately (some may be older than the window: the TTL monitor runs
        every minute), oldest first."""
        found = self._c.auth_failures.find({"name": name}, {"client": 1, "second": 1, "count": 1},
                                           session=self._binding.session)
        return by_time(failure_from(document) for document in found)

    def count_failure(self, name: str, client: str, at: datetime, expires_at: datetime) -> None:
        """Count one failed authentication of a name from a client, in the second it happened."""
        second = at.replace(microsecond=0)
        for attempt in range(2):
            try:
                self._c.auth_failures.update_one({"name": name, "client": client, "second": second},
                                                 {"$inc": {"count": 1}, "$setOnInsert": {"expiresAt": expires_at}},
                                                 upsert=True, session=self._binding.session)
                return
            except DuplicateKeyError:
                # Two upserts of one new count at once: one inserted it, the other now finds it.
                if attempt:
                    raise

    def forget_failures(self, name: str, client: str | None = None) -> int:
        """Forget a name's failed authentications from client (from every client when None); how many."""
        query: dict[str, object] = {"name": name, **({"client": client} if client else {})}
        forgotten = sum(document["count"] for document in self._c.auth_failures.find(query, {"count": 1},
                                                                                    session=self._binding.session))
        if forgotten:
            self._c.auth_failures.delete_many(query, session=self._binding.session)
        return forgotten

    def note_known_client(self, reseller_id: ObjectId, client: str, at: datetime) -> None:
        """Record that client authenticated as this reseller (at most hourly per pair and process)."""
        pair = (reseller_id, client)
        if not self._notes.due(pair, at):
            return
        self._c.known_clients.update_one({"resellerId": reseller_id, "client": client}, {"$set": {"at": at}},
                                         upsert=True)
        self._notes.noted(pair, at)

    def is_known_client(self, reseller_id: ObjectId, client: str, since: datetime) -> bool:
        """Tell whether client authenticated as this reseller since then."""
        found = self._c.known_clients.find_one({"resellerId": reseller_id, "client": client})
        return found is not None and found["at"] >= since
