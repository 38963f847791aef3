"""The creates: a customer, a user, or a customer with its first user; each once per Idempotency-Key, and each as a
dry run that checks everything and writes nothing."""
from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import fields, replace
from functools import partial

from bson import ObjectId

from app.domain.commands import CustomerRequest, CustomerUserRequest, NewCustomer, NewUser, UserRequest
from app.domain.credits import FREE_CREDITS
from app.domain.exceptions import (
    CustomerExists,
    CustomerNotFound,
    CustomerSuspended,
    IdempotencyKeyInFlight,
    IdempotencyKeyReused,
    NotYetDurable,
    Taken,
    UserExists,
)
from app.domain.model import (
    BY_RESELLER,
    Created,
    CreditEntry,
    Customer,
    EarlierRequest,
    Event,
    Holder,
    IdempotencyKey,
    Origin,
    Reseller,
    User,
)
from app.service_layer.ports import Clock, PasswordHasher, Stores, UnitOfWork

# What a new user is given as the request gave it: all but the password, which is stored as its hash.
USER_DETAILS = tuple(detail.name for detail in fields(NewUser) if detail.name != "password")


def once(reseller: Reseller, key: IdempotencyKey | None, create: Callable[[], Created],
         earlier: Callable[[IdempotencyKey], EarlierRequest | None], uow: UnitOfWork) -> Created:
    """Create, unless a request with the same Idempotency-Key did: then its ids again, marked as replayed.

    The create's insert carries the key under a unique index, so the insert is the claim: a conflict on it
    means an earlier request with this key; the same key with other parameters is IdempotencyKeyReused, and
    one whose request is still writing (only possible without transactions) IdempotencyKeyInFlight. What a replay
    or a conflict reports is read as a majority of the replica set holds it (earlier reads durably): when it holds
    neither the earlier request's work nor the name, the answer is NotYetDurable, and the caller tries again. A
    conflict names the id of what holds the name when it is the reseller's own.
    """
    uow.require_uniqueness()
    try:
        return create()
    except (CustomerExists, UserExists) as taken:
        found = earlier(key) if key else None
        if key is not None and found is not None:
            return replayed(found, key)
        holder = durable_holder(taken, uow)
        if holder is None:
            raise NotYetDurable() from None
        raise type(taken)(str(taken), holder.id if holder.reseller_id == reseller.id else None) from None


def durable_holder(taken: Taken, uow: UnitOfWork) -> Holder | None:
    """The customer or user whose name a create found taken, as a majority of the replica set holds it (None when it
    does not yet)."""
    name = str(taken)
    if isinstance(taken, CustomerExists):
        return uow.customers.holder(name, durable=True)
    return uow.users.holder(name, durable=True)


def refuse_taken(holder: Holder | None, conflict: type[Taken], reseller: Reseller) -> None:
    """A dry run's check of a name: the conflict a create would answer when it is taken (with the holder's id when it
    is the reseller's own)."""
    if holder is not None:
        raise conflict("", holder.id if holder.reseller_id == reseller.id else None)


def replayed(found: EarlierRequest, key: IdempotencyKey) -> Created:
    """The answer to a request whose key an earlier request created with: its ids again, or why there are none."""
    if found.fingerprint is not None and not hmac.compare_digest(found.fingerprint, key.fingerprint or ""):
        raise IdempotencyKeyReused()
    if found.created is None:
        raise IdempotencyKeyInFlight()
    return replace(found.created, replayed=True)


def new_customer(customer: NewCustomer, reseller: Reseller, event: Event, *, credits: int = 0,
                 key: IdempotencyKey | None = None) -> Customer:
    return Customer(
        id=ObjectId(), name=customer.name, reseller_id=reseller.id, integration_id=customer.integration_id,
        rotation_algorithm=customer.rotation_algorithm, billing_type=customer.billing_type,
        mo_charge=customer.mo_charge, credits=credits, active=True, created=event, idempotency=key,
    )


def new_user(user: NewUser, password_hash: str, customer_id: ObjectId, reseller: Reseller, event: Event, *,
             key: IdempotencyKey | None = None) -> User:
    details = {name: getattr(user, name) for name in USER_DETAILS}
    return User(id=ObjectId(), customer_id=customer_id, reseller_id=reseller.id, created=event,
                password_hash=password_hash, active=True, idempotency=key, **details)


def create_customer(reseller: Reseller, request: CustomerRequest, origin: Origin, key: IdempotencyKey | None, *,
                    uow: UnitOfWork, clock: Clock) -> Created:
    """Create the customer for the authenticated reseller, once per Idempotency-Key."""
    customer = new_customer(request.customer, reseller, Event("customer.create", clock(), origin), key=key)

    def create() -> Created:
        uow.customers.add(customer)
        return Created(customer.id)

    return once(reseller, key, create, partial(earlier_customer, uow, reseller.id), uow)


def earlier_customer(uow: UnitOfWork, reseller_id: ObjectId, key: IdempotencyKey, *,
                     durable: bool = True) -> EarlierRequest | None:
    """The customer/create request made earlier with this key, or None."""
    found = uow.customers.with_key(reseller_id, key.key, durable=durable)
    return EarlierRequest(found.idempotency.fingerprint, Created(found.id)) if found and found.idempotency else None


def customer_to_have_users(reseller: Reseller, customer_id: ObjectId, uow: UnitOfWork) -> None:
    """The customer a user is created under: the reseller's (CustomerNotFound), and not suspended
    (CustomerSuspended)."""
    customer = uow.customers.of(reseller.id, customer_id)
    if customer is None:
        raise CustomerNotFound()
    if not customer.active:
        raise CustomerSuspended()


def create_user(reseller: Reseller, request: UserRequest, origin: Origin, key: IdempotencyKey | None, *,
                uow: UnitOfWork, hasher: PasswordHasher, clock: Clock) -> Created:
    """Create a user of one of the authenticated reseller's customers (not a suspended one), once per
    Idempotency-Key (a retry after the customer was suspended is still answered as the first request was)."""
    try:
        customer_to_have_users(reseller, request.customer_id, uow)
    except CustomerSuspended:
        found = earlier_user(uow, reseller.id, key) if key else None
        if key is None or found is None:
            raise
        return replayed(found, key)
    user = new_user(request.user, hasher.hash(request.user.password), request.customer_id, reseller,
                    Event("user.create", clock(), origin), key=key)

    def create() -> Created:
        uow.users.add(user)
        return Created(user.customer_id, user.id)

    return once(reseller, key, create, partial(earlier_user, uow, reseller.id), uow)


def earlier_user(uow: UnitOfWork, reseller_id: ObjectId, key: IdempotencyKey, *,
                 durable: bool = True) -> EarlierRequest | None:
    """The user/create request made earlier with this key, or None."""
    found = uow.users.with_key(reseller_id, key.key, durable=durable)
    if found is None or found.idempotency is None:
        return None
    return EarlierRequest(found.idempotency.fingerprint, Created(found.customer_id, found.id))


def earlier_customer_with_user(uow: UnitOfWork, reseller_id: ObjectId, key: IdempotencyKey, *,
                               durable: bool = True) -> EarlierRequest | None:
    """The customer-user/create request made earlier with this key (None for its outcome while it is writing)."""
    complete = earlier_user(uow, reseller_id, key, durable=durable)
    if complete:
        return complete
    started = uow.customers.with_key(reseller_id, key.key, durable=durable)
    return EarlierRequest(started.idempotency.fingerprint, None) if started and started.idempotency else None


def create_customer_with_user(reseller: Reseller, request: CustomerUserRequest, origin: Origin,
                              key: IdempotencyKey | None, *, uow: UnitOfWork, hasher: PasswordHasher,
                              clock: Clock) -> Created:
    """Create a customer and its first user together (all or nothing), once per Idempotency-Key."""
    event = Event("customer-user.create", clock(), origin)
    credits = reseller.free_credits if request.apply_free_credits else 0
    customer = new_customer(request.customer, reseller, event, credits=credits, key=key)
    user = new_user(request.user, hasher.hash(request.user.password), customer.id, reseller, event, key=key)

    def write(together: Stores) -> Created:
        together.customers.add(customer)
        if request.apply_free_credits:
            together.credits.add(CreditEntry(ObjectId(), customer.id, reseller.id, credits, FREE_CREDITS,
                                             balance_after=credits, created=event, origin=BY_RESELLER))
        together.users.add(user)
        return Created(customer.id, user.id)

    return once(reseller, key, lambda: uow.together(write), partial(earlier_customer_with_user, uow, reseller.id),
                uow)


def unless_done_before(key: IdempotencyKey | None, earlier: Callable[[IdempotencyKey], EarlierRequest | None],
                       check: Callable[[], None]) -> None:
    """A dry run's check, unless the create would answer an earlier request with this key: then what it would."""
    found = earlier(key) if key else None
    if key is None or found is None:
        check()
    else:
        replayed(found, key)


def check_customer_create(reseller: Reseller, request: CustomerRequest, key: IdempotencyKey | None, *,
                          uow: UnitOfWork) -> None:
    """A dry run of customer/create: raise what the create would, write nothing."""

    def check() -> None:
        refuse_taken(uow.customers.holder(request.customer.name), CustomerExists, reseller)

    unless_done_before(key, partial(earlier_customer, uow, reseller.id, durable=False), check)


def check_user_create(reseller: Reseller, request: UserRequest, key: IdempotencyKey | None, *,
                      uow: UnitOfWork) -> None:
    """A dry run of user/create: raise what the create would, write nothing."""
    customer_to_have_users(reseller, request.customer_id, uow)

    def check() -> None:
        refuse_taken(uow.users.holder(request.user.username), UserExists, reseller)

    unless_done_before(key, partial(earlier_user, uow, reseller.id, durable=False), check)


def check_customer_with_user_create(reseller: Reseller, request: CustomerUserRequest, key: IdempotencyKey | None, *,
                                    uow: UnitOfWork) -> None:
    """A dry run of customer-user/create: raise what the create would, write nothing."""

    def check() -> None:
        refuse_taken(uow.customers.holder(request.customer.name), CustomerExists, reseller)
        refuse_taken(uow.users.holder(request.user.username), UserExists, reseller)

    unless_done_before(key, partial(earlier_customer_with_user, uow, reseller.id, durable=False), check)
