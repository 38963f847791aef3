"""The audit trail: creation records and change histories, kept on the documents themselves."""
from __future__ import annotations

from bson import ObjectId

from app.adapters.documents import HISTORY_FIELDS, TRAIL_FIELDS, creation_entry, document_trail
from app.adapters.mongo import Collections
from app.domain.model import AuditEntry


class MongoAudit:
    """Reads the trail of a customer, a user or a reseller."""

    def __init__(self, collections: Collections):
        self._c = collections

    def of_customer(self, customer_id: ObjectId, limit: int) -> list[AuditEntry]:
        """The customer's creation and changes, and its users' creations (the newest limit of those)."""
        document = self._c.customers.find_one({"_id": customer_id}, HISTORY_FIELDS)
        if document is None:
            return []
        trail = document_trail(document, customer_id=customer_id)
        users = self._c.users.find({"customerId": customer_id}, TRAIL_FIELDS).sort("_id", -1).limit(limit)
        return trail + [creation_entry(user, user_id=user["_id"], customer_id=customer_id) for user in users]

    def of_user(self, user_id: ObjectId) -> list[AuditEntry]:
        """The user's creation and changes."""
        document = self._c.users.find_one({"_id": user_id}, HISTORY_FIELDS)
        if document is None:
            return []
        return document_trail(document, customer_id=document["customerId"], user_id=user_id)

    def of_reseller(self, reseller_id: ObjectId, limit: int) -> list[AuditEntry]:
        """The reseller's creation and commands, and the newest limit customers and users it created."""
        document = self._c.resellers.find_one({"_id": reseller_id}, {"history": 1, "createdAt": 1, "createdBy": 1})
        if document is None:
            return []
        trail = document_trail({**document, "resellerId": reseller_id})
        customers = self._c.customers.find({"resellerId": reseller_id}, TRAIL_FIELDS).sort("_id", -1).limit(limit)
        trail += [creation_entry(customer, customer_id=customer["_id"]) for customer in customers]
        users = self._c.users.find({"resellerId": reseller_id}, TRAIL_FIELDS).sort("_id", -1).limit(limit)
        trail += [creation_entry(user, customer_id=user["customerId"], user_id=user["_id"]) for user in users]
        return trail
