"""The ledger of customers' credits."""
from __future__ import annotations

from app.adapters.documents import CREDIT_TRANSACTIONS, credit_document
from app.adapters.mongo import UNBOUND, Binding, Collections, insert
from app.domain.model import CreditEntry


class MongoCredits:
    """Entries of credit_transactions: every movement of a customer's credits."""

    def __init__(self, collections: Collections, binding: Binding = UNBOUND):
        self._c = collections
        self._binding = binding

    def bound(self, binding: Binding) -> MongoCredits:
        return MongoCredits(self._c, binding)

    def add(self, entry: CreditEntry) -> None:
        insert(self._c.majority[CREDIT_TRANSACTIONS], credit_document(entry), self._binding, RuntimeError)
