"""The stored documents: every collection and field name, and the mapping between documents and domain objects.

Other parts of the platform (the SMPP server, the router, billing) read these documents: their shape is contract.
Nothing outside the adapters knows a collection or a stored field name.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bson import ObjectId

from app.domain import names
from app.domain.api_keys import ApiKey
from app.domain.commands import ListFilters
from app.domain.events import FeedEvent
from app.domain.limits import SendingLimits
from app.domain.model import (
    BY_OPERATOR,
    BY_RESELLER,
    AuditEntry,
    CreditEntry,
    Customer,
    Event,
    Failure,
    IdempotencyKey,
    Origin,
    Reseller,
    User,
)
from app.domain.webhooks import Delivery, Webhook

RESELLERS = "resellers"
CUSTOMERS = "customers"
USERS = "users"
CREDIT_TRANSACTIONS = "credit_transactions"
KNOWN_CLIENTS = "reseller_known_clients"
API_KEYS = "api_keys"
AUTH_FAILURES = "auth_failures"
AUDIT_EVENTS = "audit_events"
UPGRADES = "upgrades"
# The events feed, each reseller's last event number, the relay's lease and position, webhooks and their deliveries.
EVENTS = "events"
EVENT_SEQUENCES = "event_sequences"
EVENT_RELAY = "event_relay"
WEBHOOKS = "webhooks"
DELIVERIES = "webhook_deliveries"
# Collections of earlier versions, dropped by `db upgrade`.
FAILED_NAMES = "failed_reseller_names"

# Fields an update may set, by the domain's attribute name.
CUSTOMER_FIELDS = {
    "integration_id": "integrationId",
    "rotation_algorithm": "rotationAlgorithm",
    "billing_type": "billingType",
    "mo_charge": "moCharge",
    "active": "active",
    "suspended_by": "suspendedBy",
}
USER_FIELDS = {
    "password_hash": "passwordHash",
    "email": "email",
    "phone_number": "phoneNumber",
    "virtual_number": "virtualNumber",
    "contact_name": "contactName",
    "mo_push": "moPush",
    "final_status_push": "finalStatusPush",
    "swapping_source_address_allowed": "swappingSourceAddressAllowed",
    "active": "active",
    "suspended_by": "suspendedBy",
}
RESELLER_FIELDS = {"password_hash": "passwordHash", "active": "active", "free_credits": "freeCredits"}
# Optional user fields: absent from the document when not set.
OPTIONAL_USER_FIELDS = ("email", "phone_number", "virtual_number", "contact_name", "mo_push", "final_status_push")
# What an audit event names: the API's parameter names, never a value (and never a password's).
API_NAMES = {**CUSTOMER_FIELDS, **USER_FIELDS, **RESELLER_FIELDS, "password_hash": "password",
             "throughput": "throughput", "max_bindings": "maxBindings", "daily_limit": "dailyLimit",
             "allowed_senders": "allowedSenders", "allowed_prefixes": "allowedPrefixes", "credits": "credits"}
# What reads leave out: a change history an earlier version kept on the document (until `db upgrade` moves it to
# audit_events), and a user's password hash.
WITHOUT_HISTORY = {"history": 0}
WITHOUT_SECRETS = {"history": 0, "passwordHash": 0}
CREATION_FIELDS = {"createdAt": 1, "createdBy": 1, "resellerId": 1, "customerId": 1}
# The Idempotency-Key a document was created with: {"key": ..., "fingerprint": ...}, unique per reseller.
IDEMPOTENCY = "idempotency"
IDEMPOTENCY_KEY = "idempotency.key"
IDEMPOTENCY_INDEX = "resellerId_1_idempotency.key_1"
# How an Idempotency-Key's fingerprint is made: 2 covers no password (app.service_layer.idempotency).
FINGERPRINT_VERSION = 2
# Each collection's name field and the base name of its look-alike key fields (one per generation of the rules, each
# under a unique index): generation 2's is the base name itself, later ones add their number (nameKey3).
LOOKALIKE_KEYS = {RESELLERS: ("name", "nameKey"), CUSTOMERS: ("name", "nameKey"), USERS: ("username", "usernameKey")}
FIRST_GENERATION = 2
# Which rules and which Unicode version made a document's look-alike keys.
KEY_RULES = "keyRules"
KEY_UNICODE = "keyUnicode"
# Who suspended a customer or user: the reseller, or the operators (a hold the reseller cannot lift).
SUSPENDED_BY = "suspendedBy"
# The indexes that serve the lists, each with the paging key (_id) after its equality fields (so that it walks the
# list in id order) or before its range fields (names by prefix and creation times, then filtered on the index's
# own keys, never by fetching what they leave out). The queries name them: a planner may not see that a range field
# after _id serves a filter.
CUSTOMERS_BY_RESELLER = "resellerId_1__id_1_name_1_createdAt_1"
CUSTOMERS_BY_ACTIVE = "resellerId_1_active_1__id_1"
CUSTOMERS_BY_INTEGRATION_ID = "resellerId_1_integrationId_1__id_1"
USERS_BY_RESELLER = "resellerId_1__id_1_username_1_createdAt_1"
USERS_BY_CUSTOMER = "customerId_1__id_1_username_1_createdAt_1"
USERS_BY_ACTIVE = "resellerId_1_active_1__id_1"
USERS_BY_EMAIL = "email_1_resellerId_1__id_1"
USERS_BY_PHONE_NUMBER = "phoneNumber_1_resellerId_1__id_1"
# A string that sorts after every string that begins with a given prefix (MongoDB compares strings by their UTF-8
# bytes, and no character's bytes sort after U+10FFFF's).
AFTER_EVERY_CONTINUATION = "\U0010ffff"


def key_field(base: str, generation: int) -> str:
    """The field of a generation's look-alike key."""
    return base if generation == FIRST_GENERATION else f"{base}{generation}"


def lookalike_fields(name: str, base: str) -> dict[str, Any]:
    """A name's look-alike keys under every generation of the rules the service writes, and what made them."""
    keys: dict[str, Any] = {key_field(base, generation): key(name)
                            for generation, key in sorted(names.LOOKALIKE_GENERATIONS.items())}
    keys[KEY_RULES] = names.LOOKALIKE_RULES
    keys[KEY_UNICODE] = names.UNICODE_VERSION
    return keys


def lookalike_filter(name: str, base: str) -> dict[str, Any]:
    """The filter of a document whose name looks like this one under any generation the service writes."""
    matches = [{key_field(base, generation): key(name)}
               for generation, key in sorted(names.LOOKALIKE_GENERATIONS.items())]
    return matches[0] if len(matches) == 1 else {"$or": matches}


def reseller_document(reseller: Reseller, created: Event) -> dict[str, Any]:
    return {
        "_id": reseller.id,
        "name": reseller.name,
        **lookalike_fields(reseller.name, "nameKey"),
        "passwordHash": reseller.password_hash,
        "active": reseller.active,
        "freeCredits": reseller.free_credits,
        "createdAt": created.at,
        "updatedAt": created.at,
        "createdBy": creation_record(created),
    }


def customer_document(customer: Customer) -> dict[str, Any]:
    document = {
        "_id": customer.id,
        "name": customer.name,
        **lookalike_fields(customer.name, "nameKey"),
        "resellerId": customer.reseller_id,
        "integrationId": customer.integration_id,
        "rotationAlgorithm": customer.rotation_algorithm,
        "billingType": customer.billing_type,
        "moCharge": customer.mo_charge,
        "credits": customer.credits,
        "active": customer.active,
        "createdAt": customer.created.at,
        "createdBy": creation_record(customer.created),
    }
    return with_key(document, customer.idempotency)


def user_document(user: User) -> dict[str, Any]:
    document = {
        "_id": user.id,
        "username": user.username,
        **lookalike_fields(user.username, "usernameKey"),
        "passwordHash": user.password_hash,
        "customerId": user.customer_id,
        "resellerId": user.reseller_id,
        **{USER_FIELDS[key]: getattr(user, key) for key in OPTIONAL_USER_FIELDS if getattr(user, key) is not None},
        "swappingSourceAddressAllowed": user.swapping_source_address_allowed,
        "active": user.active,
        "createdAt": user.created.at,
        "createdBy": creation_record(user.created),
    }
    if user.limits and user.limits.given():
        document["limits"] = limits_document(user.limits.given())
    return with_key(document, user.idempotency)


# Sending limits under `limits` on a user: integers, and arrays of strings (prefixes are strings: leading zeros count).
LIMIT_FIELDS = {"throughput": "throughput", "max_bindings": "maxBindings", "daily_limit": "dailyLimit",
                "allowed_senders": "allowedSenders", "allowed_prefixes": "allowedPrefixes"}


def limits_document(limits: dict[str, Any]) -> dict[str, Any]:
    return {LIMIT_FIELDS[name]: list(value) if isinstance(value, tuple) else value for name, value in limits.items()}


def limits_from(document: dict[str, Any]) -> SendingLimits | None:
    stored = document.get("limits")
    if not stored:
        return None
    limits: dict[str, Any] = {name: tuple(stored[key]) if isinstance(stored[key], list) else stored[key]
                              for name, key in LIMIT_FIELDS.items() if key in stored}
    return SendingLimits(**limits)


def credit_document(entry: CreditEntry) -> dict[str, Any]:
    document = {"_id": entry.id, "customerId": entry.customer_id, "resellerId": entry.reseller_id,
                "amount": entry.amount, "reason": entry.reason, "balanceAfter": entry.balance_after,
                "origin": entry.origin, "createdAt": entry.created.at, "createdBy": creation_record(entry.created)}
    if entry.reference is not None:
        document["reference"] = entry.reference
    return with_key(document, entry.idempotency)


def credit_from(document: dict[str, Any]) -> CreditEntry:
    return CreditEntry(
        id=document["_id"], customer_id=document["customerId"], reseller_id=document.get("resellerId"),
        amount=document["amount"], reason=document["reason"],
        # Entries from before balanceAfter was kept: free credits at creation, the balance they made.
        balance_after=document.get("balanceAfter", document["amount"]),
        created=creation_event(document, "customer.credit"), origin=document.get("origin", "reseller"),
        reference=document.get("reference"), idempotency=idempotency_from(document))


def api_key_document(key: ApiKey) -> dict[str, Any]:
    document = {"_id": key.id, "resellerId": key.reseller_id, "label": key.label, "digest": key.digest,
                "allowedIps": list(key.allowed_ips), "createdAt": key.created.at,
                "createdBy": creation_record(key.created)}
    if key.expires_at is not None:
        document["expiresAt"] = key.expires_at
    return document


def api_key_from(document: dict[str, Any]) -> ApiKey:
    return ApiKey(id=document["_id"], reseller_id=document["resellerId"], label=document["label"],
                  digest=document["digest"], created=creation_event(document, "apikey.create"),
                  allowed_ips=tuple(document.get("allowedIps", ())), expires_at=document.get("expiresAt"),
                  last_used_at=document.get("lastUsedAt"), revoked_at=document.get("revokedAt"))


def with_key(document: dict[str, Any], key: IdempotencyKey | None) -> dict[str, Any]:
    if key:
        document[IDEMPOTENCY] = {"key": key.key, "fingerprint": key.fingerprint, "v": FINGERPRINT_VERSION}
    return document


def stored_changes(fields: dict[str, str], changes: dict[str, Any]) -> dict[str, Any]:
    """An update's $set and $unset (a change to None removes the field; the limits change one by one)."""
    update: dict[str, Any] = {}
    flat = {fields[key]: value for key, value in changes.items() if key != "limits"}
    flat.update({f"limits.{LIMIT_FIELDS[name]}": list(value) if isinstance(value, tuple) else value
                 for name, value in (changes.get("limits") or {}).items()})
    given = {key: value for key, value in flat.items() if value is not None}
    cleared = {key: "" for key, value in flat.items() if value is None}
    if given:
        update["$set"] = given
    if cleared:
        update["$unset"] = cleared
    return update


def creation_record(created: Event) -> dict[str, Any]:
    record = {"action": created.action, "client": created.origin.client, "origin": created.origin.by}
    if created.origin.request_id:
        record["requestId"] = created.origin.request_id
    return record


def audit_event_document(event: Event, *, reseller_id: Any, customer_id: Any = None, user_id: Any = None,
                         event_id: Any = None, api_key_id: Any = None) -> dict[str, Any]:
    """An entry of audit_events: what happened, when, from where (and whether a reseller or an operator made it), which
    fields (API names, never a value), to whom."""
    document: dict[str, Any] = {"_id": event_id or ObjectId(), "action": event.action, "at": event.at,
                                "client": event.origin.client, "origin": event.origin.by,
                                "fields": sorted(API_NAMES.get(name, name) for name in event.fields),
                                "resellerId": reseller_id}
    if event.origin.request_id:
        document["requestId"] = event.origin.request_id
    if customer_id is not None:
        document["customerId"] = customer_id
    if user_id is not None:
        document["userId"] = user_id
    if api_key_id is not None:
        document["apiKeyId"] = api_key_id
    return document


def history_event(entry: dict[str, Any]) -> Event:
    """An entry of a change history as earlier versions kept it on the document."""
    return Event(entry["action"], entry["at"], origin_of(entry), tuple(entry.get("fields", ())))


def audit_entry_from(document: dict[str, Any]) -> AuditEntry:
    event = Event(document["action"], document["at"], origin_of(document), tuple(document.get("fields", ())))
    return AuditEntry(event, document["resellerId"], document.get("customerId"), document.get("userId"),
                      document["_id"], document.get("apiKeyId"))


def creation_event(document: dict[str, Any], default_action: str) -> Event:
    created_by = document.get("createdBy", {})
    return Event(created_by.get("action", default_action), document["createdAt"], origin_of(created_by))


def origin_of(record: Mapping[str, Any]) -> Origin:
    """The origin an audit entry or a creation record keeps. Records written before the origin was kept name an
    operator's command by its client, "cli <user>@<host>"."""
    client = record.get("client", "unknown")
    by = record.get("origin") or (BY_OPERATOR if client.startswith("cli ") else BY_RESELLER)
    return Origin(client, record.get("requestId"), by)


def creation_entry(document: dict[str, Any], *, customer_id: Any = None, user_id: Any = None) -> AuditEntry:
    action = "user.create" if user_id is not None else "customer.create"
    return AuditEntry(creation_event(document, action), document["resellerId"], customer_id, user_id, document["_id"])


def failure_from(document: dict[str, Any]) -> Failure:
    """A count of auth_failures: {name, client, second, count, expiresAt}."""
    return Failure(document["client"], document["second"], document["count"])


def reseller_from(document: dict[str, Any]) -> Reseller:
    return Reseller(
        id=document["_id"],
        name=document["name"],
        password_hash=document["passwordHash"],
        active=document["active"],
        free_credits=document["freeCredits"],
        created_at=document["createdAt"],
    )


def idempotency_from(document: dict[str, Any]) -> IdempotencyKey | None:
    given = document.get(IDEMPOTENCY)
    return IdempotencyKey(given["key"], given["fingerprint"]) if given else None


def customer_from(document: dict[str, Any]) -> Customer:
    return Customer(
        id=document["_id"],
        name=document["name"],
        reseller_id=document["resellerId"],
        integration_id=document["integrationId"],
        rotation_algorithm=document["rotationAlgorithm"],
        billing_type=document["billingType"],
        mo_charge=document["moCharge"],
        credits=document["credits"],
        # Documents from before suspensions existed count as active.
        active=document.get("active", True),
        created=creation_event(document, "customer.create"),
        idempotency=idempotency_from(document),
        suspended_by=suspended_by(document),
    )


def user_from(document: dict[str, Any]) -> User:
    return User(
        id=document["_id"],
        username=document["username"],
        customer_id=document["customerId"],
        reseller_id=document["resellerId"],
        created=creation_event(document, "user.create"),
        **{key: document[USER_FIELDS[key]] for key in OPTIONAL_USER_FIELDS if USER_FIELDS[key] in document},
        swapping_source_address_allowed=document.get("swappingSourceAddressAllowed", False),
        limits=limits_from(document),
        active=document.get("active", True),
        idempotency=idempotency_from(document),
        suspended_by=suspended_by(document),
    )


# An event's optional fields, by the domain's attribute name.
EVENT_FIELDS = {"request_id": "requestId", "customer_id": "customerId", "user_id": "userId",
                "api_key_id": "apiKeyId", "transaction_id": "transactionId", "amount": "amount", "reason": "reason",
                "balance_after": "balanceAfter"}


def event_document(key: str, event: FeedEvent, *, committed_at: Any, relayed_at: Any) -> dict[str, Any]:
    """An event of the feed: its _id the key of the change it was made from (so the same change makes it once), its
    number in the reseller's order (seq), and when the database committed the change and the relay wrote it."""
    document: dict[str, Any] = {"_id": key, "resellerId": event.reseller_id, "seq": event.id, "type": event.type}
    document.update({stored: getattr(event, name) for name, stored in EVENT_FIELDS.items()
                     if getattr(event, name) is not None})
    document.update({"changed": list(event.changed), "origin": event.origin, "occurredAt": event.occurred_at,
                     "committedAt": committed_at, "relayedAt": relayed_at})
    return document


def event_from(document: dict[str, Any]) -> FeedEvent:
    return FeedEvent(id=document["seq"], reseller_id=document["resellerId"], type=document["type"],
                     occurred_at=document["occurredAt"], origin=document["origin"],
                     changed=tuple(document.get("changed", ())),
                     **{name: document[stored] for name, stored in EVENT_FIELDS.items() if stored in document})


def webhook_document(webhook: Webhook, sealed: dict[str, Any]) -> dict[str, Any]:
    """A webhook: its URL and types, its signing secret sealed (app.adapters.secrets), its state, and how far its
    deliveries have come (through: the last event number given to it or skipped)."""
    return {"_id": webhook.id, "resellerId": webhook.reseller_id, "url": webhook.url, "events": list(webhook.events),
            "secret": sealed, "state": webhook.state, "through": webhook.through, "retryAt": webhook.retry_at,
            "createdAt": webhook.created.at, "createdBy": creation_record(webhook.created)}


def webhook_from(document: dict[str, Any]) -> Webhook:
    return Webhook(id=document["_id"], reseller_id=document["resellerId"], url=document["url"],
                   events=tuple(document["events"]), created=creation_event(document, "webhook.create"),
                   state=document["state"], through=document["through"], retry_at=document.get("retryAt"),
                   failing_since=document.get("failingSince"), last_error=document.get("lastError"))


def delivery_key(webhook_id: ObjectId, event_id: int) -> str:
    return f"{webhook_id}:{event_id}"


def delivery_from(document: dict[str, Any]) -> Delivery:
    return Delivery(webhook_id=document["webhookId"], event_id=document["eventId"], type=document["type"],
                    state=document["state"], attempts=document["attempts"],
                    first_attempt_at=document["firstAttemptAt"], last_attempt_at=document["lastAttemptAt"],
                    last_code=document.get("lastCode"), last_error=document.get("lastError"),
                    next_attempt_at=document.get("nextAttemptAt"))


def suspended_by(document: dict[str, Any]) -> str | None:
    """Who suspended a suspended document (None when it is active). A suspension stored before holds existed names no
    one until `db upgrade` reads who made it from the audit trail: meanwhile it reads as the operators', the side that
    keeps a hold an operator may have made."""
    if document.get("active", True):
        return None
    return document.get(SUSPENDED_BY, BY_OPERATOR)


def hold_filter(active: bool, by: str) -> dict[str, Any]:
    """The filter of a document that a suspension (active False) or a resumption by the reseller or the operators
    would change: a reseller resumes only its own suspensions; an operator's suspension of what its reseller
    suspended makes it the operators' hold."""
    if active:
        return {"active": False, SUSPENDED_BY: BY_RESELLER} if by == BY_RESELLER else {"active": False}
    if by == BY_RESELLER:
        return {"active": {"$ne": False}}
    return {"$or": [{"active": {"$ne": False}}, {SUSPENDED_BY: {"$ne": BY_OPERATOR}}]}


def hold_change(active: bool, by: str) -> dict[str, Any]:
    """The update that suspends (recording who) or resumes a document."""
    if active:
        return {"$set": {"active": True}, "$unset": {SUSPENDED_BY: ""}}
    return {"$set": {"active": False, SUSPENDED_BY: by}}


def list_filter(filters: ListFilters, name_field: str) -> dict[str, Any]:
    """The part of a list's query that its filters make (the owner and the page's start are added by the store)."""
    query: dict[str, Any] = {}
    if filters.active is not None:
        query["active"] = filters.active
    if filters.integration_id is not None:
        query["integrationId"] = filters.integration_id
    if filters.email is not None:
        query["email"] = filters.email
    if filters.phone_number is not None:
        query["phoneNumber"] = filters.phone_number
    if filters.prefix is not None:
        query[name_field] = {"$gte": filters.prefix, "$lt": filters.prefix + AFTER_EVERY_CONTINUATION}
    created: dict[str, Any] = {}
    if filters.created_after is not None:
        created["$gte"] = filters.created_after
    if filters.created_before is not None:
        created["$lt"] = filters.created_before
    if created:
        query["createdAt"] = created
    return query


def customers_index(filters: ListFilters) -> str:
    """The index that serves a list of a reseller's customers with these filters."""
    if filters.integration_id is not None:
        return CUSTOMERS_BY_INTEGRATION_ID
    if filters.active is not None:
        return CUSTOMERS_BY_ACTIVE
    return CUSTOMERS_BY_RESELLER


def users_index(filters: ListFilters, by_customer: bool) -> str:
    """The index that serves a list of a reseller's (or one customer's) users with these filters."""
    if filters.email is not None:
        return USERS_BY_EMAIL
    if filters.phone_number is not None:
        return USERS_BY_PHONE_NUMBER
    if by_customer:
        return USERS_BY_CUSTOMER
    if filters.active is not None:
        return USERS_BY_ACTIVE
    return USERS_BY_RESELLER
