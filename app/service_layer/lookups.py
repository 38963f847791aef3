"""What operators look up: any reseller's customers and users, by name or by id, and their owners."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeVar

from bson import ObjectId

from app.domain import names
from app.domain.exceptions import ResellerNotFound
from app.domain.model import Customer, Page, Reseller, User
from app.domain.throttling import FailureLimits, Locks
from app.service_layer.ports import Clock, UnitOfWork

Found = TypeVar("Found", Customer, User)


def reseller_named(name: str, *, uow: UnitOfWork) -> Reseller | None:
    return uow.resellers.named(name)


def reseller_with_id(reseller_id: ObjectId, *, uow: UnitOfWork) -> Reseller | None:
    return uow.resellers.by_id(reseller_id)


def resellers_with_customer_counts(*, uow: UnitOfWork) -> Iterator[tuple[Reseller, int]]:
    """Each reseller, by name, with the number of its customers."""
    for reseller in uow.resellers.all():
        yield reseller, uow.customers.count_of(reseller.id)


def customers_named_or_with_id(name_or_id: str, *, uow: UnitOfWork) -> list[Customer]:
    """The customer with this id, then a different one with this name (at most two, any reseller's).

    The id comes first: a reseller chooses names, and one could name a customer after another customer's id.
    """
    by_id = uow.customers.with_id(ObjectId(name_or_id)) if ObjectId.is_valid(name_or_id) else None
    return distinct(by_id, uow.customers.named(names.as_stored(name_or_id)))


def users_named_or_with_id(name_or_id: str, *, uow: UnitOfWork) -> list[User]:
    """The user with this id, then a different one with this username (at most two, any reseller's)."""
    by_id = uow.users.with_id(ObjectId(name_or_id)) if ObjectId.is_valid(name_or_id) else None
    return distinct(by_id, uow.users.named(names.as_stored(name_or_id)))


def distinct(*found: Found | None) -> list[Found]:
    kept: list[Found] = []
    for one in found:
        if one is not None and all(one.id != other.id for other in kept):
            kept.append(one)
    return kept


def customer_with_id(customer_id: ObjectId, *, uow: UnitOfWork) -> Customer | None:
    return uow.customers.with_id(customer_id)


def user_count(customer_id: ObjectId, *, uow: UnitOfWork) -> int:
    """How many users the customer has."""
    return uow.users.count_of_customer(customer_id)


def customers_of_reseller(reseller_id: ObjectId, after: ObjectId | None, limit: int, *, uow: UnitOfWork) -> Page:
    """A page of any reseller's customers, in creation order."""
    return uow.customers.page_of(reseller_id, after, limit)


def users_of_customer(customer: Customer, after: ObjectId | None, limit: int, *, uow: UnitOfWork) -> Page:
    """A page of a customer's users, in creation order."""
    return uow.users.page_of(customer.reseller_id, after, limit, customer_id=customer.id)


def users_of_reseller(reseller_id: ObjectId, after: ObjectId | None, limit: int, *, uow: UnitOfWork) -> Page:
    """A page of a reseller's users across its customers, in creation order."""
    return uow.users.page_of(reseller_id, after, limit)


def users_with_contact(*, email: str | None = None, phone_number: str | None = None, limit: int,
                       uow: UnitOfWork) -> list[User]:
    """The users of any reseller with this (normalized) email address or this phone number, by reseller and id."""
    return uow.users.with_contact(email=email, phone_number=phone_number, limit=limit)


@dataclass(frozen=True)
class ResellerSummary:
    """What operators see of a reseller: it, its customers and users (and how many are suspended), its API keys in
    use, and whether failed authentications lock its name out."""

    reseller: Reseller
    customers: int
    suspended_customers: int
    users: int
    suspended_users: int
    locks: Locks


def reseller_summary(name: str, *, uow: UnitOfWork, limits: FailureLimits, clock: Clock) -> ResellerSummary:
    """The reseller of this name, summed up (ResellerNotFound when there is none)."""
    reseller = uow.resellers.named(name)
    if reseller is None:
        raise ResellerNotFound(name)
    return ResellerSummary(
        reseller, uow.customers.count_of(reseller.id), uow.customers.count_of(reseller.id, active=False),
        uow.users.count_of_reseller(reseller.id), uow.users.count_of_reseller(reseller.id, active=False),
        limits.locks(uow.authentications.failures_of(name), clock()))
