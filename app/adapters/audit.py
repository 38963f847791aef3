"""The audit trail: each change an append-only entry of audit_events, written in the change's transaction (the
service never updates or deletes one); each creation the record on what it created (createdAt, createdBy)."""
from __future__ import annotations

from typing import Any

from bson import ObjectId

from app.adapters.documents import (
    AUDIT_EVENTS,
    CREATION_FIELDS,
    CUSTOMERS_BY_RESELLER,
    USERS_BY_CUSTOMER,
    USERS_BY_RESELLER,
    audit_entry_from,
    audit_event_document,
    creation_entry,
    creation_event,
)
from app.adapters.mongo import UNBOUND, Binding, Collections, insert
from app.domain.model import AuditEntry


class MongoAudit:
    """Records changes, and reads the trail of a customer, a user or a reseller, newest first, a page at a time."""

    def __init__(self, collections: Collections, binding: Binding = UNBOUND):
        self._c = collections
        self._binding = binding

    def bound(self, binding: Binding) -> MongoAudit:
        return MongoAudit(self._c, binding)

    def record(self, entry: AuditEntry) -> None:
        """Append a change to the trail (in the change's transaction when there is one)."""
        document = audit_event_document(entry.event, reseller_id=entry.reseller_id, customer_id=entry.customer_id,
                                        user_id=entry.user_id, api_key_id=entry.api_key_id)
        insert(self._c.majority[AUDIT_EVENTS], document, self._binding)

    def of_customer(self, customer_id: ObjectId, limit: int, before: ObjectId | None = None) -> list[AuditEntry]:
        """The changes to the customer and its users, its creation and its users' creations: at most limit of each,
        newest first."""
        trail = self._changes({"customerId": customer_id}, limit, before)
        document = self._c.customers.find_one({"_id": customer_id, **before_id(before)}, CREATION_FIELDS)
        if document is None:
            return trail
        trail.append(creation_entry(document, customer_id=customer_id))
        return trail + self._creations(self._c.users, {"customerId": customer_id}, limit, before, "user",
                                       USERS_BY_CUSTOMER)

    def of_user(self, user_id: ObjectId, limit: int, before: ObjectId | None = None) -> list[AuditEntry]:
        """The user's changes and its creation: at most limit, newest first."""
        trail = self._changes({"userId": user_id}, limit, before)
        document = self._c.users.find_one({"_id": user_id, **before_id(before)}, CREATION_FIELDS)
        if document is not None:
            trail.append(creation_entry(document, customer_id=document["customerId"], user_id=user_id))
        return trail

    def of_reseller(self, reseller_id: ObjectId, limit: int, before: ObjectId | None = None) -> list[AuditEntry]:
        """The reseller's commands and the changes to what it has, its creation, and the creations of its customers
        and users: at most limit of each, newest first."""
        trail = self._changes({"resellerId": reseller_id}, limit, before)
        document = self._c.resellers.find_one({"_id": reseller_id, **before_id(before)}, {"createdAt": 1, "createdBy": 1})
        if document is not None:
            trail.append(AuditEntry(creation_event(document, "reseller.create"), reseller_id, id=reseller_id))
        trail += self._creations(self._c.customers, {"resellerId": reseller_id}, limit, before, "customer",
                                 CUSTOMERS_BY_RESELLER)
        return trail + self._creations(self._c.users, {"resellerId": reseller_id}, limit, before, "user",
                                       USERS_BY_RESELLER)

    def _changes(self, query: dict[str, Any], limit: int, before: ObjectId | None) -> list[AuditEntry]:
        found = self._c.audit_events.find({**query, **before_id(before)}).sort("_id", -1).limit(limit)
        return [audit_entry_from(document) for document in found]

    @staticmethod
    def _creations(collection: Any, query: dict[str, Any], limit: int, before: ObjectId | None,
                   kind: str, index: str) -> list[AuditEntry]:
        found = collection.find({**query, **before_id(before)}, CREATION_FIELDS).sort("_id", -1).hint(index).limit(limit)
        if kind == "user":
            return [creation_entry(document, customer_id=document["customerId"], user_id=document["_id"])
                    for document in found]
        return [creation_entry(document, customer_id=document["_id"]) for document in found]


def before_id(before: ObjectId | None) -> dict[str, Any]:
    """The filter of what was recorded before the entry of this id (an event's, or a created object's)."""
    return {"_id": {"$lt": before}} if before is not None else {}
