"""What the service works with: resellers, customers, users and their events, as stored."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bson import ObjectId

from app.domain.limits import SendingLimits

ACTIVE = True
# Who made a change: a reseller through the API, or the platform's operators with the CLI (a suspension by the
# operators is a hold that the reseller cannot lift).
BY_RESELLER = "reseller"
BY_OPERATOR = "operator"


@dataclass(frozen=True)
class Origin:
    """Where a change comes from: the client's address (or the CLI's operator) and the request's id, and whether a
    reseller (through the API) or an operator (with the CLI) made it."""

    client: str
    request_id: str | None = None
    by: str = BY_RESELLER


@dataclass(frozen=True)
class Event:
    """Something that happened to a reseller, customer or user: what, when, from where, which fields."""

    action: str
    at: datetime
    origin: Origin
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class IdempotencyKey:
    """A caller's Idempotency-Key and the fingerprint of the request that came with it (None on a document whose
    fingerprint `db upgrade` dropped: an earlier version's covered a password)."""

    key: str
    fingerprint: str | None


@dataclass(frozen=True)
class Failure:
    """Failed authentications of a reseller name from one client address within one second (count of them)."""

    client: str
    at: datetime
    count: int = 1


@dataclass(frozen=True)
class Reseller:
    """A reseller as stored."""

    id: ObjectId
    name: str
    password_hash: str = field(repr=False)
    active: bool
    free_credits: int
    created_at: datetime


@dataclass(frozen=True)
class Customer:
    """A customer as stored."""

    id: ObjectId
    name: str
    reseller_id: ObjectId
    integration_id: str
    rotation_algorithm: str
    billing_type: str
    mo_charge: int
    credits: int
    active: bool
    created: Event
    idempotency: IdempotencyKey | None = None
    suspended_by: str | None = None


@dataclass(frozen=True)
class User:
    """A user as stored, without its password hash unless it is being created."""

    id: ObjectId
    username: str
    customer_id: ObjectId
    reseller_id: ObjectId
    created: Event
    password_hash: str | None = field(default=None, repr=False)
    email: str | None = None
    phone_number: str | None = None
    virtual_number: str | None = None
    contact_name: str | None = None
    mo_push: dict[str, Any] | None = None
    final_status_push: dict[str, Any] | None = None
    swapping_source_address_allowed: bool = False
    limits: SendingLimits | None = None
    active: bool = ACTIVE
    idempotency: IdempotencyKey | None = None
    suspended_by: str | None = None


@dataclass(frozen=True)
class CreditEntry:
    """A movement of a customer's credits, as the ledger keeps it: how much, why, the balance it left, who made it
    (a reseller or an operator, from where), the reseller's reference and the Idempotency-Key when given."""

    id: ObjectId
    customer_id: ObjectId
    reseller_id: ObjectId | None
    amount: int
    reason: str
    balance_after: int
    created: Event
    origin: str
    reference: str | None = None
    idempotency: IdempotencyKey | None = None


@dataclass(frozen=True)
class Created:
    """What a create made (the user id is None for customer/create), and whether it is an earlier request's."""

    customer_id: ObjectId
    user_id: ObjectId | None = None
    replayed: bool = False


@dataclass(frozen=True)
class EarlierRequest:
    """What the first request with an Idempotency-Key left: its fingerprint, and its ids once it is complete."""

    fingerprint: str | None
    created: Created | None


@dataclass(frozen=True)
class AuditEntry:
    """An event in the audit trail, with the reseller, customer, user or API key it concerns (and its id once stored,
    for paging; a creation, recorded on what it created, has none)."""

    event: Event
    reseller_id: ObjectId
    customer_id: ObjectId | None = None
    user_id: ObjectId | None = None
    id: ObjectId | None = None
    api_key_id: ObjectId | None = None


@dataclass(frozen=True)
class Changed:
    """What a change left: the object as it now is, and whether this request changed it (a suspension of a suspended
    customer changes nothing)."""

    found: Any
    changed: bool


@dataclass(frozen=True)
class Preview:
    """What a dry run of a change answers: the object as the change would leave it, and the names of the fields it
    would change (domain attribute names; empty when nothing would change)."""

    found: Any
    changed: tuple[str, ...]


@dataclass(frozen=True)
class Holder:
    """Who holds a name: the id of the customer or user, and its reseller's."""

    id: ObjectId
    reseller_id: ObjectId


@dataclass(frozen=True)
class Page:
    """One page of a list in creation order, and the id to ask the next page after (None on the last page)."""

    items: tuple[Any, ...]
    next_after: ObjectId | None
