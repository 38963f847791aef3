"""The customers' store."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from bson import ObjectId

from app.adapters.documents import (
    CUSTOMER_FIELDS,
    CUSTOMERS,
    IDEMPOTENCY_INDEX,
    IDEMPOTENCY_KEY,
    WITHOUT_HISTORY,
    customer_document,
    customer_from,
    customers_index,
    hold_change,
    hold_filter,
    list_filter,
    lookalike_filter,
)
from app.adapters.mongo import UNBOUND, Binding, Collections, after_id, first, insert, page
from app.domain import names
from app.domain.commands import NO_FILTERS, ListFilters
from app.domain.exceptions import CustomerExists, InsufficientCredits
from app.domain.model import Changed, Customer, Holder, Page


class MongoCustomers:
    """Customers: created once under a unique name, then read, changed, suspended and resumed by their reseller."""

    def __init__(self, collections: Collections, binding: Binding = UNBOUND):
        self._c = collections
        self._binding = binding

    def bound(self, binding: Binding) -> MongoCustomers:
        return MongoCustomers(self._c, binding)

    def add(self, customer: Customer) -> None:
        """Store a new customer; raises CustomerExists when its name, or one that looks the same, is taken."""
        insert(self._c.majority[CUSTOMERS], customer_document(customer), self._binding, CustomerExists)

    def holder(self, name: str, *, durable: bool = False) -> Holder | None:
        """The customer that has this name, or one that looks the same, or None (durable: as a majority has it)."""
        found = self._customers(durable).find_one(lookalike_filter(name, "nameKey"), {"_id": 1, "resellerId": 1},
                                                  session=self._binding.session)
        return Holder(found["_id"], found["resellerId"]) if found else None

    def of(self, reseller_id: ObjectId, customer_id: ObjectId) -> Customer | None:
        """The customer with this id if it belongs to this reseller, else None."""
        document = self._c.customers.find_one({"_id": customer_id, "resellerId": reseller_id}, WITHOUT_HISTORY,
                                              session=self._binding.session)
        return customer_from(document) if document else None

    def with_key(self, reseller_id: ObjectId, key: str, *, durable: bool = False) -> Customer | None:
        """The customer a request with this Idempotency-Key of this reseller created (durable: as a majority of the
        replica set has it), or None."""
        cursor = self._customers(durable).find({"resellerId": reseller_id, IDEMPOTENCY_KEY: key}, WITHOUT_HISTORY,
                                               session=self._binding.session)
        document = first(cursor.hint(IDEMPOTENCY_INDEX).limit(1))
        return customer_from(document) if document else None

    def with_id(self, customer_id: ObjectId) -> Customer | None:
        """For operators: the customer with this id, whoever's it is."""
        document = self._c.customers.find_one({"_id": customer_id}, WITHOUT_HISTORY, session=self._binding.session)
        return customer_from(document) if document else None

    def named(self, name: str) -> Customer | None:
        """For operators: the customer of this name, whoever's it is."""
        document = self._c.customers.find_one({"name": names.as_stored(name)}, WITHOUT_HISTORY,
                                              session=self._binding.session)
        return customer_from(document) if document else None

    def page_of(self, reseller_id: ObjectId, after: ObjectId | None, limit: int,
                filters: ListFilters = NO_FILTERS) -> Page:
        """A page of the reseller's customers that pass the filters, in creation order, after the customer with id
        after."""
        query = {"resellerId": reseller_id, **list_filter(filters, "name"), **after_id(after)}
        cursor = self._c.customers.find(query, WITHOUT_HISTORY, session=self._binding.session)
        return page(cursor.sort("_id", 1).hint(customers_index(filters)).limit(limit + 1), customer_from, limit)

    def count_of(self, reseller_id: ObjectId, *, active: bool | None = None) -> int:
        """How many customers the reseller has (active or suspended ones only, when asked)."""
        query: dict[str, Any] = {"resellerId": reseller_id}
        if active is not None:
            query["active"] = active
        return self._c.customers.count_documents(query, session=self._binding.session)

    def change(self, reseller_id: ObjectId, customer_id: ObjectId, changes: dict[str, Any]) -> Changed | None:
        """Set fields of the reseller's customer; the customer as changed, or None when it has none of this id."""
        stored = {CUSTOMER_FIELDS[key]: value for key, value in changes.items()}
        changed = self._c.majority[CUSTOMERS].update_one({"_id": customer_id, "resellerId": reseller_id},
                                                         {"$set": stored}, session=self._binding.session)
        found = self.of(reseller_id, customer_id) if changed.matched_count else None
        return Changed(found, True) if found else None

    def set_active(self, reseller_id: ObjectId, customer_id: ObjectId, active: bool, by: str) -> Changed | None:
        """Suspend or resume the reseller's customer, by the reseller or the operators (a change only when
        hold_filter allows it); the customer as this request left it, or None."""
        changed = self._c.majority[CUSTOMERS].update_one(
            {"_id": customer_id, "resellerId": reseller_id, **hold_filter(active, by)}, hold_change(active, by),
            session=self._binding.session)
        found = self.of(reseller_id, customer_id)
        if found is None:
            return None
        # Read in the change's transaction this is the customer as changed; without transactions another request may
        # have turned it since, and the answer still tells what this one did.
        if not changed.modified_count:
            return Changed(found, False)
        return Changed(replace(found, active=active, suspended_by=None if active else by), True)

    def change_credits(self, reseller_id: ObjectId, customer_id: ObjectId, amount: int) -> Changed | None:
        """Add amount (negative: take it) to the reseller's customer's credits, unless that would take them below 0
        (InsufficientCredits); the customer as changed, or None when it has none of this id."""
        changed = self._c.majority[CUSTOMERS].update_one(
            {"_id": customer_id, "resellerId": reseller_id, "credits": {"$gte": max(0, -amount)}},
            {"$inc": {"credits": amount}}, session=self._binding.session)
        if changed.matched_count and self._binding.undo is not None:
            self._binding.undo.incremented.append((CUSTOMERS, customer_id, {"credits": amount}))
        found = self.of(reseller_id, customer_id)
        if found is None:
            return None
        if not changed.matched_count:
            raise InsufficientCredits()
        return Changed(found, True)

    def _customers(self, durable: bool) -> Any:
        return self._c.durable[CUSTOMERS] if durable else self._c.customers
