"""The resellers' store. The request path only reads reseller documents: their authentication state lives in its
own store (app.adapters.authentications)."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from bson import ObjectId

from app.adapters.documents import RESELLER_FIELDS, RESELLERS, WITHOUT_HISTORY, reseller_document, reseller_from
from app.adapters.mongo import UNBOUND, Binding, Collections, insert
from app.domain.exceptions import ResellerExists
from app.domain.model import Event, Reseller


class MongoResellers:
    """Resellers: created and changed by operators, read by every request."""

    def __init__(self, collections: Collections, binding: Binding = UNBOUND):
        self._c = collections
        self._binding = binding

    def bound(self, binding: Binding) -> MongoResellers:
        return MongoResellers(self._c, binding)

    def named(self, name: str) -> Reseller | None:
        """The reseller of this name, or None."""
        document = self._c.resellers.find_one({"name": name}, WITHOUT_HISTORY, session=self._binding.session)
        return reseller_from(document) if document else None

    def by_id(self, reseller_id: ObjectId) -> Reseller | None:
        document = self._c.resellers.find_one({"_id": reseller_id}, WITHOUT_HISTORY, session=self._binding.session)
        return reseller_from(document) if document else None

    def all(self) -> Iterator[Reseller]:
        """Every reseller, by name."""
        for document in self._c.resellers.find({}, WITHOUT_HISTORY, session=self._binding.session).sort("name", 1):
            yield reseller_from(document)

    def add(self, reseller: Reseller, created: Event) -> None:
        """Store a new reseller; raises ResellerExists when the name, or one that looks the same, is taken."""
        insert(self._c.majority[RESELLERS], reseller_document(reseller, created), self._binding, ResellerExists)

    def change(self, name: str, changes: dict[str, Any], at: datetime) -> Reseller | None:
        """Set fields of the reseller of this name; the reseller as changed, or None when there is none."""
        stored = {RESELLER_FIELDS[key]: value for key, value in changes.items()}
        changed = self._c.majority[RESELLERS].update_one({"name": name}, {"$set": {**stored, "updatedAt": at}},
                                                         session=self._binding.session)
        return self.named(name) if changed.matched_count else None
