"""The events feed as the API and the delivery worker read it: a reseller's events after a number, in order, each
query served by an index whose keys are the filter's and then the number (seq)."""
from __future__ import annotations

from typing import Any

from bson import ObjectId

from app.adapters.documents import event_from
from app.adapters.mongo import UNBOUND, Binding, Collections
from app.adapters.relay import relay_state
from app.domain.events import FeedPage, RelayState

# The index that serves each kind of query (hinted: the planner of some servers picks the reseller's index and sorts).
BY_RESELLER = "resellerId_1_seq_1"
BY_TYPE = "resellerId_1_type_1_seq_1"
BY_CUSTOMER = "resellerId_1_customerId_1_seq_1"
BY_CUSTOMER_AND_TYPE = "resellerId_1_customerId_1_type_1_seq_1"


class MongoEvents:
    """Reads the events the relay wrote (only the relay writes them: app.adapters.relay)."""

    def __init__(self, collections: Collections, binding: Binding = UNBOUND):
        self._c = collections
        self._binding = binding

    def bound(self, binding: Binding) -> MongoEvents:
        return MongoEvents(self._c, binding)

    def page_of(self, reseller_id: ObjectId, after: int, limit: int, *, event_type: str | None = None,
                customer_id: ObjectId | None = None) -> FeedPage:
        """The reseller's events after number after, in order, at most limit, optionally of one type or customer."""
        query: dict[str, Any] = {"resellerId": reseller_id}
        if customer_id is not None:
            query["customerId"] = customer_id
        if event_type is not None:
            query["type"] = event_type
        query["seq"] = {"$gt": after}
        index = {(False, False): BY_RESELLER, (False, True): BY_TYPE, (True, False): BY_CUSTOMER,
                 (True, True): BY_CUSTOMER_AND_TYPE}[(customer_id is not None, event_type is not None)]
        cursor = self._c.events.find(query, session=self._binding.session).hint(index)
        found = [event_from(document) for document in cursor.sort("seq", 1).limit(limit + 1)]
        more = len(found) > limit
        found = found[:limit]
        return FeedPage(tuple(found), found[-1].id if more else None)

    def last_of(self, reseller_id: ObjectId) -> int:
        """The number of the reseller's last event (0 before its first)."""
        found = self._c.event_sequences.find_one({"_id": reseller_id}, session=self._binding.session)
        return int(found["last"]) if found else 0

    def lasts_of(self, reseller_ids: list[ObjectId]) -> dict[ObjectId, int]:
        """The numbers of these resellers' last events."""
        found = self._c.event_sequences.find({"_id": {"$in": reseller_ids}}, session=self._binding.session)
        return {document["_id"]: int(document["last"]) for document in found}

    def relay_state(self) -> RelayState | None:
        return relay_state(self._c.database)

