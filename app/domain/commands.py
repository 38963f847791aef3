"""Commands: what a request or an operator asks for, once its parameters are checked."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId


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


@dataclass(frozen=True)
class CustomerRequest:
    """customer/create: who asks, and the customer."""

    credentials: Credentials
    customer: NewCustomer
    dry_run: bool = False


@dataclass(frozen=True)
class UserRequest:
    """user/create: who asks, the customer the user belongs to, and the user."""

    credentials: Credentials
    customer_id: ObjectId
    user: NewUser
    dry_run: bool = False


@dataclass(frozen=True)
class CustomerUserRequest:
    """customer-user/create: who asks, the customer, its first user, and whether free credits apply."""

    credentials: Credentials
    customer: NewCustomer
    user: NewUser
    apply_free_credits: bool
    dry_run: bool = False


@dataclass(frozen=True)
class CustomerLookup:
    """customer/get, customer/suspend, customer/resume: who asks, and which of its customers."""

    credentials: Credentials
    customer_id: ObjectId


@dataclass(frozen=True)
class CustomerChange:
    """customer/update: who asks, which of its customers, and the settings to change (by field name)."""

    credentials: Credentials
    customer_id: ObjectId
    changes: dict[str, Any]


@dataclass(frozen=True)
class UserLookup:
    """user/get, user/suspend, user/resume: who asks, and which of its users, by id or by username."""

    credentials: Credentials
    user_id: ObjectId | None = None
    username: str | None = None


@dataclass(frozen=True)
class UserChange:
    """user/update: who asks, which of its users, the fields to set (by name), to remove, and a new password."""

    credentials: Credentials
    user_id: ObjectId
    changes: dict[str, Any]
    cleared: tuple[str, ...] = ()
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class ListRequest:
    """customer/list, user/list: who asks, the page wanted (after the id given, at most limit), whose users."""

    credentials: Credentials
    limit: int
    after: ObjectId | None = None
    customer_id: ObjectId | None = None
