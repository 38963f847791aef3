"""The API keys' store: a reseller's keys, found by the id each names; never a key's secret, only its digest."""
from __future__ import annotations

from datetime import datetime

from bson import ObjectId

from app.adapters.documents import API_KEYS, api_key_document, api_key_from
from app.adapters.mongo import UNBOUND, Binding, Collections, Notes, after_id, insert, page
from app.domain.api_keys import ApiKey
from app.domain.model import Changed, Page

# A process notes a key's use at most this often: lastUsedAt is to the minute, not a write per request.
USE_NOTE_SECONDS = 60


class MongoApiKeys:
    """API keys: created by their reseller, read on every request that presents one (no cache: a revocation holds at
    once in every process), revoked for good."""

    def __init__(self, collections: Collections, notes: Notes | None = None, binding: Binding = UNBOUND):
        self._c = collections
        self._notes = notes or Notes(USE_NOTE_SECONDS)
        self._binding = binding

    def bound(self, binding: Binding) -> MongoApiKeys:
        return MongoApiKeys(self._c, self._notes, binding)

    def add(self, key: ApiKey) -> None:
        insert(self._c.majority[API_KEYS], api_key_document(key), self._binding)

    def with_id(self, key_id: ObjectId) -> ApiKey | None:
        """The key with this id, whoever's it is (the id a presented key names)."""
        document = self._c.api_keys.find_one({"_id": key_id}, session=self._binding.session)
        return api_key_from(document) if document else None

    def of(self, reseller_id: ObjectId, key_id: ObjectId) -> ApiKey | None:
        """The reseller's key with this id, else None."""
        document = self._c.api_keys.find_one({"_id": key_id, "resellerId": reseller_id}, session=self._binding.session)
        return api_key_from(document) if document else None

    def page_of(self, reseller_id: ObjectId | None, after: ObjectId | None, limit: int) -> Page:
        """A page of a reseller's keys (every reseller's when None), in creation order."""
        owner = {"resellerId": reseller_id} if reseller_id is not None else {}
        cursor = self._c.api_keys.find({**owner, **after_id(after)}, session=self._binding.session)
        return page(cursor.sort("_id", 1).limit(limit + 1), api_key_from, limit)

    def revoke(self, reseller_id: ObjectId, key_id: ObjectId, at: datetime) -> Changed | None:
        """Revoke the reseller's key (a change only the first time); the key as it now is, or None."""
        changed = self._c.majority[API_KEYS].update_one(
            {"_id": key_id, "resellerId": reseller_id, "revokedAt": {"$exists": False}}, {"$set": {"revokedAt": at}},
            session=self._binding.session)
        found = self.of(reseller_id, key_id)
        return Changed(found, bool(changed.modified_count)) if found else None

    def used(self, key_id: ObjectId, at: datetime) -> None:
        """Note when the key was last used (never moving the time back), at most once a minute per process."""
        if not self._notes.due(key_id, at):
            return
        self._c.api_keys.update_one({"_id": key_id}, {"$max": {"lastUsedAt": at}}, session=self._binding.session)
        self._notes.noted(key_id, at)
