"""Events: every change of a reseller's objects, numbered in one order per reseller (1, 2, 3, ... without gaps), as the
feed (events/list) and the webhooks give them to the reseller's back-end."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson import ObjectId

from app.domain.model import BY_OPERATOR, BY_RESELLER
from app.domain.text import iso_time

CUSTOMER_CREATED = "customer.created"
CUSTOMER_UPDATED = "customer.updated"
CUSTOMER_SUSPENDED = "customer.suspended"
CUSTOMER_RESUMED = "customer.resumed"
USER_CREATED = "user.created"
USER_UPDATED = "user.updated"
USER_SUSPENDED = "user.suspended"
USER_RESUMED = "user.resumed"
CREDITS_CHANGED = "credits.changed"
APIKEY_CREATED = "apikey.created"
APIKEY_REVOKED = "apikey.revoked"
TYPES = (CUSTOMER_CREATED, CUSTOMER_UPDATED, CUSTOMER_SUSPENDED, CUSTOMER_RESUMED, USER_CREATED, USER_UPDATED,
         USER_SUSPENDED, USER_RESUMED, CREDITS_CHANGED, APIKEY_CREATED, APIKEY_REVOKED)
# What a webhook subscribes to: some of the types, or every one.
EVERY_TYPE = "*"
# The largest id a client can give as after: what JSON numbers hold exactly everywhere (JavaScript's safe integers).
LARGEST_ID = 2**53 - 1
__all__ = ["BY_OPERATOR", "BY_RESELLER"]
# A webhook/test delivery: its id is 0 (no event has it) and its type this one.
TEST_TYPE = "webhook.test"


@dataclass(frozen=True)
class FeedEvent:
    """One event of a reseller's feed: its number in the reseller's order (0 until the relay numbers it), its type,
    the objects it concerns, the fields that changed (names, never values of passwords), who made the change (a
    reseller through the API, with its request's id, or an operator), and when. A credit change also says by how much,
    why, and the balance it left."""

    id: int
    reseller_id: ObjectId
    type: str
    occurred_at: datetime
    origin: str
    changed: tuple[str, ...] = ()
    request_id: str | None = None
    customer_id: ObjectId | None = None
    user_id: ObjectId | None = None
    api_key_id: ObjectId | None = None
    transaction_id: ObjectId | None = None
    amount: int | None = None
    reason: str | None = None
    balance_after: int | None = None


def as_json(event: FeedEvent) -> dict[str, Any]:
    """An event as events/list answers it and a webhook receives it: ids as strings (the event's own a number), times
    in ISO 8601 UTC, what does not apply left out."""
    shown: dict[str, Any] = {"id": event.id, "type": event.type}
    ids: tuple[tuple[str, ObjectId | None], ...] = (
        ("customerId", event.customer_id), ("userId", event.user_id), ("apiKeyId", event.api_key_id),
        ("transactionId", event.transaction_id))
    shown.update({name: str(value) for name, value in ids if value is not None})
    credit: tuple[tuple[str, Any], ...] = (("amount", event.amount), ("reason", event.reason),
                                           ("balanceAfter", event.balance_after))
    shown.update({name: value for name, value in credit if value is not None})
    shown["changed"] = list(event.changed)
    shown["origin"] = event.origin
    if event.request_id is not None:
        shown["requestId"] = event.request_id
    shown["occurredAt"] = iso_time(event.occurred_at)
    return shown


def test_event(reseller_id: ObjectId, at: datetime) -> FeedEvent:
    """What webhook/test delivers: an event of id 0 (never a real one's) and type webhook.test."""
    return FeedEvent(0, reseller_id, TEST_TYPE, at, BY_RESELLER)


@dataclass(frozen=True)
class Sourced:
    """An event made from one change the database committed, before the relay numbers it: key names that change
    (the same change read twice has the same key), so that it is written once however often it is read."""

    key: str
    event: FeedEvent


@dataclass(frozen=True)
class RelayState:
    """What the relay last told: when (its heartbeat, on the database's clock), how far behind the change stream it
    was then, and who holds the relay's lease."""

    heartbeat_at: datetime
    lag_seconds: float
    holder: str | None


# A relay whose heartbeat is older than this is reported as not running.
RELAY_SILENT_SECONDS = 30.0


def relay_health(state: RelayState | None, now: datetime) -> dict[str, Any]:
    """The relay as health reports it: running (with its lag) or stopped (with how long ago it was last heard)."""
    if state is None:
        return {"relay": "stopped", "lagSeconds": None}
    silent = max(0.0, (now - state.heartbeat_at).total_seconds())
    if silent > RELAY_SILENT_SECONDS:
        return {"relay": "stopped", "lagSeconds": None, "lastHeardSecondsAgo": round(silent, 1)}
    return {"relay": "running", "lagSeconds": round(state.lag_seconds, 3)}


@dataclass(frozen=True)
class FeedPage:
    """A page of the feed in the reseller's order, and the id to ask the next page after (None when this page reaches
    the end of the feed as it stands: ask again later after the last id it held)."""

    events: tuple[FeedEvent, ...]
    next_after: int | None


@dataclass(frozen=True)
class Change:
    """A change read from the stream that makes an event, and when the database committed it."""

    sourced: Sourced
    committed_at: datetime


@dataclass(frozen=True)
class Batch:
    """The changes read at once, the position after them (the resume token to start after), and whether the reader
    met the end of the stream (nothing more was committed)."""

    changes: tuple[Change, ...]
    token: Mapping[str, Any] | None
    caught_up: bool
