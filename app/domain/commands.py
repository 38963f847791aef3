"""Commands: what a request or an operator asks for, once its parameters are checked."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bson import ObjectId

from app.domain.limits import SendingLimits


@dataclass(frozen=True)
class Credentials:
    """A reseller's name and the password it presented."""

    reseller_name: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class NewCustomer:
    """A customer to create, with the contract's defaults for what was not given."""

    name: str
    integration_id: str = ""
    rotation_algorithm: str = "MAX_ROTATION"
    billing_type: str = "POST_PAID"
    mo_charge: int = 0


@dataclass(frozen=True)
class NewUser:
    """A user to create; optional fields are None when not given."""

    username: str
    password: str = field(repr=False)
    email: str | None = None
    phone_number: str | None = None
    virtual_number: str | None = None
    contact_name: str | None = None
    mo_push: dict[str, Any] | None = None
    final_status_push: dict[str, Any] | None = None
    swapping_source_address_allowed: bool = False
    limits: SendingLimits | None = None


@dataclass(frozen=True)
class CustomerRequest:
    """customer/create: who asks, and the customer."""

    credentials: Credentials | KeyCredentials
    customer: NewCustomer
    dry_run: bool = False


@dataclass(frozen=True)
class UserRequest:
    """user/create: who asks, the customer the user belongs to, and the user."""

    credentials: Credentials | KeyCredentials
    customer_id: ObjectId
    user: NewUser
    dry_run: bool = False


@dataclass(frozen=True)
class CustomerUserRequest:
    """customer-user/create: who asks (no one: an operator's import), the customer, its first user, and whether free
    credits apply."""

    credentials: Credentials | KeyCredentials | None
    customer: NewCustomer
    user: NewUser
    apply_free_credits: bool
    dry_run: bool = False


@dataclass(frozen=True)
class CustomerLookup:
    """customer/get, customer/suspend, customer/resume: who asks, and which of its customers (by id or by name); a
    suspension or resumption may be a dry run."""

    credentials: Credentials | KeyCredentials
    customer_id: ObjectId | None = None
    name: str | None = None
    dry_run: bool = False


@dataclass(frozen=True)
class CustomerChange:
    """customer/update: who asks (no one: an operator), which of its customers, and the settings to change (by field
    name)."""

    credentials: Credentials | KeyCredentials | None
    customer_id: ObjectId
    changes: dict[str, Any]
    dry_run: bool = False


@dataclass(frozen=True)
class UserLookup:
    """user/get, user/suspend, user/resume: who asks, and which of its users, by id or by username."""

    credentials: Credentials | KeyCredentials
    user_id: ObjectId | None = None
    username: str | None = None
    dry_run: bool = False


@dataclass(frozen=True)
class UserChange:
    """user/update: who asks, which of its users, the fields to set (by name), to remove, and a new password."""

    credentials: Credentials | KeyCredentials
    user_id: ObjectId
    changes: dict[str, Any]
    cleared: tuple[str, ...] = ()
    password: str | None = field(default=None, repr=False)
    dry_run: bool = False


@dataclass(frozen=True)
class ListFilters:
    """What a list keeps (all given ones at once; None: not given): active or suspended, an exact integrationId, email
    or phone number, names or usernames that begin with a prefix, and a creation time at or after createdAfter and
    before createdBefore."""

    active: bool | None = None
    integration_id: str | None = None
    email: str | None = None
    phone_number: str | None = None
    prefix: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


NO_FILTERS = ListFilters()


@dataclass(frozen=True)
class ListRequest:
    """customer/list, user/list: who asks, the page wanted (after the id given, at most limit), whose users, and what
    the list keeps."""

    credentials: Credentials | KeyCredentials
    limit: int
    after: ObjectId | None = None
    customer_id: ObjectId | None = None
    filters: ListFilters = NO_FILTERS


@dataclass(frozen=True)
class KeyCredentials:
    """An API key presented with `Authorization: Bearer`, instead of a reseller's name and password."""

    key: str = field(repr=False)


@dataclass(frozen=True)
class CreditRequest:
    """customer/credit: who asks (no one: an operator), which of its customers, how much (the sign decides the
    direction), why, and the reseller's own reference for it."""

    credentials: Credentials | KeyCredentials | None
    customer_id: ObjectId
    amount: int
    reason: str
    reference: str | None = None
    dry_run: bool = False


@dataclass(frozen=True)
class LedgerRequest:
    """customer/transactions: who asks (no one: an operator), whose ledger, and the page wanted (newest first unless
    oldest_first)."""

    credentials: Credentials | KeyCredentials | None
    customer_id: ObjectId
    limit: int
    after: ObjectId | None = None
    oldest_first: bool = False


@dataclass(frozen=True)
class NewApiKey:
    """apikey/create: who asks (with its password), a label, the addresses the key may come from, when it expires."""

    credentials: Credentials
    label: str
    allowed_ips: tuple[str, ...] = ()
    expires_at: datetime | None = None


@dataclass(frozen=True)
class ApiKeyLookup:
    """apikey/revoke: who asks (with its password), and which of its keys."""

    credentials: Credentials
    key_id: ObjectId


@dataclass(frozen=True)
class FeedRequest:
    """events/list: who asks (no one: an operator), the events wanted (after the id given, at most limit), of one type
    or one customer."""

    credentials: Credentials | KeyCredentials | None
    limit: int
    after: int = 0
    event_type: str | None = None
    customer_id: ObjectId | None = None


@dataclass(frozen=True)
class NewWebhook:
    """webhook/create: who asks, where the events go, and which types of them (or "*")."""

    credentials: Credentials | KeyCredentials
    url: str
    events: tuple[str, ...]


@dataclass(frozen=True)
class WebhookLookup:
    """webhook/delete, webhook/test: who asks, and which of its webhooks."""

    credentials: Credentials | KeyCredentials
    webhook_id: ObjectId


@dataclass(frozen=True)
class CustomerUserImport:
    """customer-user/import: who asks, the rows as given (each with customer-user/create's parameters, checked one by
    one), and whether it is a dry run."""

    credentials: Credentials | KeyCredentials
    rows: tuple[dict[str, Any], ...]
    dry_run: bool = False
