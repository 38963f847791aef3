"""The ledger of customers' credits: an append-only entry per change of a balance, written in the change's
transaction."""
from __future__ import annotations

from typing import Any

from bson import ObjectId

from app.adapters.documents import CREDIT_TRANSACTIONS, IDEMPOTENCY_INDEX, IDEMPOTENCY_KEY, credit_document, credit_from
from app.adapters.mongo import UNBOUND, Binding, Collections, first, insert, page
from app.domain.exceptions import CreditEntryExists
from app.domain.model import CreditEntry, Page

REFERENCE_INDEX = "customerId_1_reference_1"


class MongoCredits:
    """Entries of credit_transactions: every movement of a customer's credits."""

    def __init__(self, collections: Collections, binding: Binding = UNBOUND):
        self._c = collections
        self._binding = binding

    def bound(self, binding: Binding) -> MongoCredits:
        return MongoCredits(self._c, binding)

    def add(self, entry: CreditEntry) -> None:
        """Append an entry; raises CreditEntryExists when its Idempotency-Key or its reference is taken."""
        insert(self._c.majority[CREDIT_TRANSACTIONS], credit_document(entry), self._binding, CreditEntryExists)

    def with_key(self, reseller_id: ObjectId, key: str, *, durable: bool = False) -> CreditEntry | None:
        """The entry a request with this Idempotency-Key of this reseller made, or None."""
        found = self._entries(durable).find({"resellerId": reseller_id, IDEMPOTENCY_KEY: key},
                                            session=self._binding.session)
        document = first(found.hint(IDEMPOTENCY_INDEX).limit(1))
        return credit_from(document) if document else None

    def with_reference(self, customer_id: ObjectId, reference: str, *, durable: bool = False) -> CreditEntry | None:
        """The entry of this customer with this reference, or None."""
        # Hinted, as the Idempotency-Key's: the index is partial (entries with a reference), which an equality on
        # reference makes it eligible for on mongod, but not every server's planner sees it (SecantusDB's does not).
        found = self._entries(durable).find({"customerId": customer_id, "reference": reference},
                                            session=self._binding.session)
        document = first(found.hint(REFERENCE_INDEX).limit(1))
        return credit_from(document) if document else None

    def page_of(self, customer_id: ObjectId, after: ObjectId | None, limit: int, *, newest_first: bool) -> Page:
        """A page of a customer's entries in id order (newest first, or oldest), after the entry with id after."""
        query: dict[str, Any] = {"customerId": customer_id}
        if after is not None:
            query["_id"] = {"$lt" if newest_first else "$gt": after}
        cursor = self._c.credit_transactions.find(query, session=self._binding.session)
        return page(cursor.sort("_id", -1 if newest_first else 1).limit(limit + 1), credit_from, limit)

    def _entries(self, durable: bool) -> Any:
        return self._c.durable[CREDIT_TRANSACTIONS] if durable else self._c.credit_transactions
