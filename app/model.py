"""What a request asks for, once its parameters have been checked."""
from dataclasses import dataclass, field

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
    mo_push: dict | None = None
    final_status_push: dict | None = None
    swapping_source_address_allowed: bool = False


@dataclass(frozen=True)
class CustomerRequest:
    """customer/create: who asks, and the customer."""

    credentials: Credentials
    customer: NewCustomer


@dataclass(frozen=True)
class UserRequest:
    """user/create: who asks, the customer the user belongs to, and the user."""

    credentials: Credentials
    customer_id: ObjectId
    user: NewUser


@dataclass(frozen=True)
class CustomerUserRequest:
    """customer-user/create: who asks, the customer, its first user, and whether free credits apply."""

    credentials: Credentials
    customer: NewCustomer
    user: NewUser
    apply_free_credits: bool


@dataclass(frozen=True)
class Origin:
    """Where a change comes from, for its audit event: the client's address (or the CLI's operator) and request id."""

    client: str
    request_id: str | None = None
