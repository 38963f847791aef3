"""The database's change stream as the events relay reads it: which committed changes make events, and the event each
makes.

Creations make events from the documents they inserted (customers, users, API keys, and credit changes from their
ledger entries, which carry the amount and the balance), changes from their audit entries (which carry what changed and
who changed it); both are written in the change's own transaction, so an event is made for what committed and for
nothing else. Writes the service makes for itself (`db upgrade`'s backfills, lastUsedAt) make none.

SecantusDB's change streams, measured against what mongod documents: insert events carry fullDocument, clusterTime,
wallTime and the opaque resume token; resumeAfter and startAfter work; a stream whose filter matches nothing keeps
its postBatchResumeToken at the last change it returned, where mongod advances it with the oplog (the relay only
saves the position it is given, so both work).
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from bson.timestamp import Timestamp
from pymongo.change_stream import ChangeStream
from pymongo.database import Database

from app.adapters.documents import (
    API_KEYS,
    AUDIT_EVENTS,
    CREDIT_TRANSACTIONS,
    CUSTOMERS,
    LIMIT_FIELDS,
    USERS,
    origin_of,
)
from app.domain import events
from app.domain.events import Batch, Change, FeedEvent, Sourced

# What an audit entry's action makes (the other actions make no event: a credit change's is its ledger entry's, a
# key's creation the key's own, a reseller's are the platform's).
AUDITED = {
    "customer.update": events.CUSTOMER_UPDATED, "customer.suspend": events.CUSTOMER_SUSPENDED,
    "customer.resume": events.CUSTOMER_RESUMED, "user.update": events.USER_UPDATED,
    "user.suspend": events.USER_SUSPENDED, "user.resume": events.USER_RESUMED,
    "apikey.revoke": events.APIKEY_REVOKED,
}
CREATIONS = (CUSTOMERS, USERS, CREDIT_TRANSACTIONS, API_KEYS)
# The fields a creation names in changed: the API's names of what it was created with (a user's password by its name,
# never a value).
CUSTOMER_NAMES = {"name": "name", "integrationId": "integrationId", "rotationAlgorithm": "rotationAlgorithm",
                  "billingType": "billingType", "moCharge": "moCharge", "credits": "credits", "active": "active"}
USER_NAMES = {"username": "username", "passwordHash": "password", "email": "email", "phoneNumber": "phoneNumber",
              "virtualNumber": "virtualNumber", "contactName": "contactName", "moPush": "moPush",
              "finalStatusPush": "finalStatusPush", "swappingSourceAddressAllowed": "swappingSourceAddressAllowed",
              "active": "active"}
API_KEY_NAMES = {"label": "label", "allowedIps": "allowedIps", "expiresAt": "expiresAt"}


def pipeline() -> list[dict[str, Any]]:
    """The change stream's filter: the inserts that make events, and nothing else crosses the wire."""
    return [{"$match": {"operationType": "insert", "$or": [
        {"ns.coll": {"$in": list(CREATIONS)}},
        {"ns.coll": AUDIT_EVENTS, "fullDocument.action": {"$in": sorted(AUDITED)}},
    ]}}]


def sourced(change: Mapping[str, Any]) -> Sourced | None:
    """The event a change makes, keyed by the collection and _id of what it inserted; None for one that makes none."""
    collection = change.get("ns", {}).get("coll")
    document = change.get("fullDocument")
    if change.get("operationType") != "insert" or document is None:
        return None
    made = EVENT_OF.get(collection or "")
    event = made(document) if made else None
    return Sourced(f"{collection}:{document['_id']}", event) if event else None


def created_names(document: Mapping[str, Any], names: dict[str, str]) -> tuple[str, ...]:
    return tuple(name for stored, name in names.items() if stored in document)


def creation(document: Mapping[str, Any], event_type: str, **concerns: Any) -> FeedEvent:
    created_by = document.get("createdBy", {})
    origin = origin_of(created_by)
    return FeedEvent(0, document["resellerId"], event_type, document["createdAt"], origin.by,
                     request_id=origin.request_id, **concerns)


def customer_created(document: Mapping[str, Any]) -> FeedEvent:
    return creation(document, events.CUSTOMER_CREATED, customer_id=document["_id"],
                    changed=created_names(document, CUSTOMER_NAMES))


def user_created(document: Mapping[str, Any]) -> FeedEvent:
    limits = tuple(name for name in LIMIT_FIELDS.values() if name in document.get("limits", {}))
    return creation(document, events.USER_CREATED, customer_id=document["customerId"], user_id=document["_id"],
                    changed=created_names(document, USER_NAMES) + limits)


def credits_changed(document: Mapping[str, Any]) -> FeedEvent | None:
    if document.get("resellerId") is None:
        return None
    created_by = document.get("createdBy", {})
    return FeedEvent(0, document["resellerId"], events.CREDITS_CHANGED, document["createdAt"],
                     document.get("origin") or origin_of(created_by).by, changed=("credits",),
                     request_id=created_by.get("requestId"), customer_id=document["customerId"],
                     transaction_id=document["_id"], amount=document["amount"], reason=document["reason"],
                     balance_after=document.get("balanceAfter"))


def api_key_created(document: Mapping[str, Any]) -> FeedEvent:
    return creation(document, events.APIKEY_CREATED, api_key_id=document["_id"],
                    changed=created_names(document, API_KEY_NAMES))


def audited(document: Mapping[str, Any]) -> FeedEvent | None:
    event_type = AUDITED.get(document.get("action", ""))
    if event_type is None:
        return None
    origin = origin_of(document)
    return FeedEvent(0, document["resellerId"], event_type, document["at"], origin.by,
                     changed=tuple(document.get("fields", ())), request_id=origin.request_id,
                     customer_id=document.get("customerId"), user_id=document.get("userId"),
                     api_key_id=document.get("apiKeyId"))


EVENT_OF = {CUSTOMERS: customer_created, USERS: user_created, CREDIT_TRANSACTIONS: credits_changed,
            API_KEYS: api_key_created, AUDIT_EVENTS: audited}


class ChangeReader:
    """Reads the database's change stream from a saved position (a resume token), or from a cluster time, or from now."""

    def __init__(self, database: Database, *, token: Mapping[str, Any] | None, start_at: Timestamp | None,
                 wait_seconds: float):
        options: dict[str, Any] = {"full_document": "default", "max_await_time_ms": int(wait_seconds * 1000)}
        if token is not None:
            options["resume_after"] = token
        elif start_at is not None:
            options["start_at_operation_time"] = start_at
        self._stream: ChangeStream = database.watch(pipeline(), **options)

    def next_batch(self, most: int, seconds: float) -> Batch:
        """At most `most` changes, read for about `seconds` at most (less when the stream has no more)."""
        found: list[Change] = []
        until = time.monotonic() + seconds
        caught_up = False
        while len(found) < most:
            change = self._stream.try_next()
            if change is None:
                caught_up = True
                break
            made = sourced(change)
            if made is not None:
                found.append(Change(made, change.get("wallTime") or change["clusterTime"].as_datetime()))
            if time.monotonic() > until:
                break
        return Batch(tuple(found), self._stream.resume_token, caught_up)

    def close(self) -> None:
        self._stream.close()
