"""The webhooks' store and their deliveries' records.

A webhook keeps how far its deliveries have come (through: the last event number given to it or skipped), its state
(active, or failing once a delivery went untaken for the whole retry period), and when its next attempt is due while
one is retried (retryAt). Only the delivery worker moves them, one webhook at a time (app.service_layer.deliveries),
each move conditional on the state it read, so that a deletion or an operator's replay meanwhile wins.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId

from app.adapters.documents import (
    DELIVERIES,
    WEBHOOKS,
    delivery_from,
    delivery_key,
    webhook_document,
    webhook_from,
)
from app.adapters.mongo import UNBOUND, Binding, Collections, after_id, insert, page
from app.adapters.secrets import SecretBox
from app.domain.events import FeedEvent
from app.domain.model import Page
from app.domain.webhooks import ACTIVE, DELIVERED, FAILED, FAILING, PENDING, Delivery, Outcome, Webhook

WEBHOOKS_BY_RESELLER = "resellerId_1__id_1"
DELIVERIES_BY_STATE = "webhookId_1_state_1_eventId_1"
# A delivered delivery's record is kept this long (a TTL index removes it); pending and failed ones stay.
DELIVERED_KEPT_DAYS = 30


class MongoWebhooks:
    """Webhooks, their secrets sealed (app.adapters.secrets)."""

    def __init__(self, collections: Collections, box: SecretBox, binding: Binding = UNBOUND):
        self._c = collections
        self._box = box
        self._binding = binding
        self._webhooks = collections.majority[WEBHOOKS]

    def bound(self, binding: Binding) -> MongoWebhooks:
        return MongoWebhooks(self._c, self._box, binding)

    def add(self, webhook: Webhook, secret: str) -> None:
        insert(self._webhooks, webhook_document(webhook, self._box.seal(secret, webhook.id)), self._binding,
               RuntimeError)

    def of(self, reseller_id: ObjectId, webhook_id: ObjectId) -> Webhook | None:
        """The reseller's webhook with this id, else None."""
        found = self._webhooks.find_one({"_id": webhook_id, "resellerId": reseller_id}, {"secret": 0},
                                        session=self._binding.session)
        return webhook_from(found) if found else None

    def with_id(self, webhook_id: ObjectId) -> Webhook | None:
        """For operators and the delivery worker: the webhook with this id, whoever's it is."""
        found = self._webhooks.find_one({"_id": webhook_id}, {"secret": 0}, session=self._binding.session)
        return webhook_from(found) if found else None

    def page_of(self, reseller_id: ObjectId | None, after: ObjectId | None, limit: int) -> Page:
        """A page of a reseller's webhooks (every reseller's when None), in creation order."""
        owner = {"resellerId": reseller_id} if reseller_id is not None else {}
        cursor = self._webhooks.find({**owner, **after_id(after)}, {"secret": 0}, session=self._binding.session)
        # Hinted: the order is the index's (some planners sort in memory otherwise).
        index = WEBHOOKS_BY_RESELLER if reseller_id is not None else "_id_"
        return page(cursor.sort("_id", 1).hint(index).limit(limit + 1), webhook_from, limit)

    def delete(self, reseller_id: ObjectId, webhook_id: ObjectId) -> Webhook | None:
        """Delete the reseller's webhook (its deliveries' records stay); the webhook as it was, or None."""
        found = self.of(reseller_id, webhook_id)
        if found is None:
            return None
        gone = self._webhooks.delete_one({"_id": webhook_id, "resellerId": reseller_id}, session=self._binding.session)
        return found if gone.deleted_count else None

    def secret_of(self, webhook_id: ObjectId) -> str | None:
        """The webhook's signing secret, opened."""
        found = self._webhooks.find_one({"_id": webhook_id}, {"secret": 1}, session=self._binding.session)
        return self._box.open(found["secret"], webhook_id) if found else None

    def due(self, now: datetime) -> list[Webhook]:
        """The active webhooks whose next attempt is due (or that wait for none)."""
        found = self._webhooks.find({"state": ACTIVE, "retryAt": {"$lte": now}}, {"secret": 0},
                                    session=self._binding.session)
        waiting = self._webhooks.find({"state": ACTIVE, "retryAt": None}, {"secret": 0},
                                      session=self._binding.session)
        return [webhook_from(document) for document in [*found, *waiting]]

    def advance(self, webhook: Webhook, through: int) -> bool:
        """Note that the webhook has been given (or has skipped) every event up to through; False when it changed
        meanwhile (deleted, replayed, failing)."""
        moved = self._webhooks.update_one(
            {"_id": webhook.id, "state": ACTIVE, "through": webhook.through},
            {"$set": {"through": through, "retryAt": None}, "$unset": {"lastError": ""}},
            session=self._binding.session)
        return bool(moved.matched_count)

    def retry_at(self, webhook: Webhook, at: datetime, error: str) -> None:
        """Note when the webhook's next attempt is due, and why the last one failed."""
        self._webhooks.update_one({"_id": webhook.id, "state": ACTIVE, "through": webhook.through},
                                  {"$set": {"retryAt": at, "lastError": error}}, session=self._binding.session)

    def mark_failing(self, webhook: Webhook, at: datetime, error: str) -> None:
        """Stop the webhook's deliveries: it has refused one for the whole retry period."""
        self._webhooks.update_one({"_id": webhook.id, "state": ACTIVE, "through": webhook.through},
                                  {"$set": {"state": FAILING, "failingSince": at, "retryAt": None,
                                            "lastError": error}}, session=self._binding.session)

    def replay(self, webhook_id: ObjectId, through: int) -> Webhook | None:
        """Deliver again from the event after through, the webhook active again; the webhook as it now is."""
        self._webhooks.update_one({"_id": webhook_id}, {"$set": {"state": ACTIVE, "through": through, "retryAt": None},
                                                        "$unset": {"failingSince": "", "lastError": ""}},
                                  session=self._binding.session)
        return self.with_id(webhook_id)


class MongoDeliveries:
    """The record of each event's delivery to each webhook: one document per pair, updated at each attempt."""

    def __init__(self, collections: Collections, binding: Binding = UNBOUND):
        self._c = collections
        self._binding = binding
        self._deliveries = collections.majority[DELIVERIES]

    def bound(self, binding: Binding) -> MongoDeliveries:
        return MongoDeliveries(self._c, binding)

    def of(self, webhook_id: ObjectId, event_id: int) -> Delivery | None:
        found = self._deliveries.find_one({"_id": delivery_key(webhook_id, event_id)}, session=self._binding.session)
        return delivery_from(found) if found else None

    def attempted(self, webhook: Webhook, event: FeedEvent, outcome: Outcome, *, at: datetime, state: str,
                  retrying_since: datetime, next_attempt_at: datetime | None) -> Delivery:
        """Record an attempt: what it met, the delivery's state after it, and when it is tried next."""
        changes: dict[str, Any] = {"state": state, "lastAttemptAt": at, "lastCode": outcome.code,
                                   "lastError": outcome.error, "nextAttemptAt": next_attempt_at,
                                   "firstAttemptAt": retrying_since}
        if state == DELIVERED:
            changes.update({"deliveredAt": at, "expiresAt": at + timedelta(days=DELIVERED_KEPT_DAYS)})
        self._deliveries.update_one(
            {"_id": delivery_key(webhook.id, event.id)},
            {"$set": changes, "$inc": {"attempts": 1},
             "$setOnInsert": {"webhookId": webhook.id, "resellerId": webhook.reseller_id, "eventId": event.id,
                              "type": event.type}},
            upsert=True, session=self._binding.session)
        found = self.of(webhook.id, event.id)
        assert found is not None
        return found

    def page_of(self, webhook_id: ObjectId, before: int | None, limit: int) -> list[Delivery]:
        """The webhook's deliveries, newest event first, before the event numbered before."""
        query: dict[str, Any] = {"webhookId": webhook_id}
        if before is not None:
            query["eventId"] = {"$lt": before}
        cursor = self._deliveries.find(query, session=self._binding.session).sort("eventId", -1).limit(limit)
        return [delivery_from(document) for document in cursor]

    def oldest_undelivered(self, webhook_id: ObjectId) -> Delivery | None:
        """The webhook's oldest delivery not taken (pending or failed), where a replay starts by default."""
        oldest = [document for state in (PENDING, FAILED) for document in self._deliveries.find(
            {"webhookId": webhook_id, "state": state}, session=self._binding.session).sort("eventId", 1).hint(
            DELIVERIES_BY_STATE).limit(1)]
        return delivery_from(min(oldest, key=lambda document: document["eventId"])) if oldest else None
