"""The service layer: what each endpoint and command does, given its checked input and its collaborators."""
from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial

from bson import ObjectId

from app.adapters.passwords import Hasher
from app.adapters.repository import MongoRepository
from app.domain.exceptions import (
    AuthenticationFailed,
    CustomerExists,
    CustomerNotFound,
    IdempotencyKeyInFlight,
    IdempotencyKeyReused,
    ResellerNotFound,
    TooManyFailures,
    UserExists,
    UserNotFound,
)
from app.domain.model import (
    AuditEntry,
    Created,
    Credentials,
    CreditEntry,
    Customer,
    CustomerChange,
    CustomerRequest,
    CustomerUserRequest,
    EarlierRequest,
    Event,
    FailedName,
    Failure,
    IdempotencyKey,
    ListRequest,
    NewCustomer,
    NewUser,
    Origin,
    Page,
    Reseller,
    User,
    UserRequest,
)
from app.domain.throttling import KNOWN_CLIENT_DAYS, FailureLimits
from app.service_layer.unit_of_work import MongoUnitOfWork

Clock = Callable[[], datetime]
FREE_CREDITS = "FREE_CREDITS"


def authenticate(credentials: Credentials, origin: Origin, *, uow: MongoUnitOfWork, hasher: Hasher, clock: Clock,
                 limits: FailureLimits) -> Reseller:
    """Return the active reseller these credentials prove, or raise AuthenticationFailed.

    A name that failed too often lately, from this client or from everywhere, is refused with TooManyFailures
    before its password is checked. A full password check is counted as a failure before it is made (so that
    concurrent guesses cannot overshoot the limit), and forgotten with this client's other failures on success.
    Names that are no reseller's are counted alike, so that throttling does not tell them apart.
    """
    now = clock()
    repository = uow.repository
    reseller = repository.reseller_named(credentials.reseller_name)
    counted: Reseller | FailedName = reseller or repository.failed_name(credentials.reseller_name)

    def is_known() -> bool:
        return reseller is not None and repository.is_known_client(
            reseller.id, origin.client, now - timedelta(days=KNOWN_CLIENT_DAYS))

    wait = limits.wait(counted.failures, origin.client, now, is_known=is_known)
    if wait:
        raise TooManyFailures(wait)
    if reseller and reseller.active and hasher.verified_lately(reseller.password_hash, credentials.password):
        if any(failure.client == origin.client for failure in reseller.failures):
            repository.forget_failures(reseller.id, origin.client)
    else:
        count_failure(counted, origin.client, now, uow=uow, limits=limits, is_known=is_known)
        stored_hash = reseller.password_hash if reseller else None
        if not (hasher.verify(stored_hash, credentials.password) and reseller and reseller.active):
            raise AuthenticationFailed()
        hasher.remember(reseller.password_hash, credentials.password)
        repository.forget_failures(reseller.id, origin.client)
    repository.note_known_client(reseller.id, origin.client, now)
    return reseller


def count_failure(counted: Reseller | FailedName, client: str, now: datetime, *, uow: MongoUnitOfWork,
                  limits: FailureLimits, is_known: Callable[[], bool]) -> None:
    """Count a failed authentication of client in advance, unless the limits forbid another try (TooManyFailures).

    Checking and counting are one atomic step: the count is stored only if nobody counted since it was read.
    """
    repository = uow.repository
    while True:
        wait = limits.wait(counted.failures, client, now, is_known=is_known)
        if wait:
            raise TooManyFailures(wait)
        kept = limits.with_failure(counted.failures, Failure(client, now))
        if repository.count_failure(counted, kept, expires_at=now + limits.window):
            return
        counted = (repository.reseller_named(counted.name) if isinstance(counted, Reseller) else None) \
            or repository.failed_name(counted.name)


def once(key: IdempotencyKey | None, create: Callable[[], Created], earlier: Callable[[IdempotencyKey], EarlierRequest | None]) -> Created:
    """Create, unless a request with the same Idempotency-Key did: then its ids again, marked as replayed.

    The create's insert carries the key under a unique index, so the insert is the claim: a conflict on it
    means an earlier request with this key; the same key with other parameters is IdempotencyKeyReused, and
    one whose request is still writing (only possible without transactions) IdempotencyKeyInFlight.
    """
    try:
        return create()
    except (CustomerExists, UserExists):
        found = earlier(key) if key else None
        if key is None or found is None:
            raise
    return replayed(found, key)


def replayed(found: EarlierRequest, key: IdempotencyKey) -> Created:
    """The answer to a request whose key an earlier request created with: its ids again, or why there are none."""
    if not hmac.compare_digest(found.fingerprint, key.fingerprint):
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
    return User(
        id=ObjectId(), username=user.username, customer_id=customer_id, reseller_id=reseller.id, created=event,
        password_hash=password_hash, email=user.email, phone_number=user.phone_number,
        virtual_number=user.virtual_number, contact_name=user.contact_name, mo_push=user.mo_push,
        final_status_push=user.final_status_push, swapping_source_address_allowed=user.swapping_source_address_allowed,
        active=True, idempotency=key,
    )


def create_customer(reseller: Reseller, request: CustomerRequest, origin: Origin, key: IdempotencyKey | None, *,
                    uow: MongoUnitOfWork, clock: Clock) -> Created:
    """Create the customer for the authenticated reseller, once per Idempotency-Key."""
    repository = uow.repository
    customer = new_customer(request.customer, reseller, Event("customer.create", clock(), origin), key=key)

    def create() -> Created:
        repository.add_customer(customer)
        return Created(customer.id)

    return once(key, create, partial(earlier_customer, repository, reseller.id))


def earlier_customer(repository: MongoRepository, reseller_id: ObjectId, key: IdempotencyKey) -> EarlierRequest | None:
    """The customer/create request made earlier with this key, or None."""
    found = repository.customer_with_key(reseller_id, key.key)
    return EarlierRequest(found.idempotency.fingerprint, Created(found.id)) if found and found.idempotency else None


def create_user(reseller: Reseller, request: UserRequest, origin: Origin, key: IdempotencyKey | None, *,
                uow: MongoUnitOfWork, hasher: Hasher, clock: Clock) -> Created:
    """Create a user of one of the authenticated reseller's customers, once per Idempotency-Key."""
    repository = uow.repository
    if repository.customer_of(reseller.id, request.customer_id) is None:
        raise CustomerNotFound()
    user = new_user(request.user, hasher.hash(request.user.password), request.customer_id, reseller,
                    Event("user.create", clock(), origin), key=key)

    def create() -> Created:
        repository.add_user(user)
        return Created(user.customer_id, user.id)

    return once(key, create, partial(earlier_user, repository, reseller.id))


def earlier_user(repository: MongoRepository, reseller_id: ObjectId, key: IdempotencyKey) -> EarlierRequest | None:
    """The user/create request made earlier with this key, or None."""
    found = repository.user_with_key(reseller_id, key.key)
    if found is None or found.idempotency is None:
        return None
    return EarlierRequest(found.idempotency.fingerprint, Created(found.customer_id, found.id))


def earlier_customer_with_user(repository: MongoRepository, reseller_id: ObjectId,
                               key: IdempotencyKey) -> EarlierRequest | None:
    """The customer-user/create request made earlier with this key (None for its outcome while it is writing)."""
    complete = earlier_user(repository, reseller_id, key)
    if complete:
        return complete
    started = repository.customer_with_key(reseller_id, key.key)
    return EarlierRequest(started.idempotency.fingerprint, None) if started and started.idempotency else None


def create_customer_with_user(reseller: Reseller, request: CustomerUserRequest, origin: Origin,
                              key: IdempotencyKey | None, *, uow: MongoUnitOfWork, hasher: Hasher, clock: Clock) -> Created:
    """Create a customer and its first user together (all or nothing), once per Idempotency-Key."""
    repository = uow.repository
    event = Event("customer-user.create", clock(), origin)
    credits = reseller.free_credits if request.apply_free_credits else 0
    customer = new_customer(request.customer, reseller, event, credits=credits, key=key)
    user = new_user(request.user, hasher.hash(request.user.password), customer.id, reseller, event, key=key)

    def write(together: MongoRepository) -> Created:
        together.add_customer(customer)
        if request.apply_free_credits:
            together.add_credit(CreditEntry(ObjectId(), customer.id, credits, FREE_CREDITS, event.at))
        together.add_user(user)
        return Created(customer.id, user.id)

    return once(key, lambda: uow.together(write), partial(earlier_customer_with_user, repository, reseller.id))


def unless_done_before(key: IdempotencyKey | None, earlier: Callable[[IdempotencyKey], EarlierRequest | None],
                       check: Callable[[], None]) -> None:
    """A dry run's check, unless the create would answer an earlier request with this key: then what it would."""
    found = earlier(key) if key else None
    if key is None or found is None:
        check()
    else:
        replayed(found, key)


def check_customer_create(reseller: Reseller, request: CustomerRequest, key: IdempotencyKey | None, *,
                          uow: MongoUnitOfWork) -> None:
    """A dry run of customer/create: raise what the create would, write nothing."""
    repository = uow.repository

    def check() -> None:
        if repository.customer_name_taken(request.customer.name):
            raise CustomerExists()

    unless_done_before(key, partial(earlier_customer, repository, reseller.id), check)


def check_user_create(reseller: Reseller, request: UserRequest, key: IdempotencyKey | None, *,
                      uow: MongoUnitOfWork) -> None:
    """A dry run of user/create: raise what the create would, write nothing."""
    repository = uow.repository
    if repository.customer_of(reseller.id, request.customer_id) is None:
        raise CustomerNotFound()

    def check() -> None:
        if repository.username_taken(request.user.username):
            raise UserExists()

    unless_done_before(key, partial(earlier_user, repository, reseller.id), check)


def check_customer_with_user_create(reseller: Reseller, request: CustomerUserRequest, key: IdempotencyKey | None, *,
                                    uow: MongoUnitOfWork) -> None:
    """A dry run of customer-user/create: raise what the create would, write nothing."""
    repository = uow.repository

    def check() -> None:
        if repository.customer_name_taken(request.customer.name):
            raise CustomerExists()
        if repository.username_taken(request.user.username):
            raise UserExists()

    unless_done_before(key, partial(earlier_customer_with_user, repository, reseller.id), check)


def create_reseller(name: str, password: str, origin: Origin, *, free_credits: int, uow: MongoUnitOfWork,
                    hasher: Hasher, clock: Clock) -> None:
    """Create an active reseller; raises ResellerExists when the name is taken."""
    now = clock()
    reseller = Reseller(ObjectId(), name, hasher.hash(password), active=True, free_credits=free_credits, created_at=now)
    uow.repository.add_reseller(reseller, Event("reseller.create", now, origin))


def change_reseller_password(name: str, password: str, origin: Origin, *, uow: MongoUnitOfWork, hasher: Hasher,
                             clock: Clock) -> None:
    """Replace a reseller's password; raises ResellerNotFound when there is none of that name."""
    event = Event("reseller.set-password", clock(), origin, ("password_hash",))
    uow.repository.change_reseller(name, {"password_hash": hasher.hash(password)}, event)


def set_reseller_active(name: str, active: bool, origin: Origin, *, uow: MongoUnitOfWork, clock: Clock) -> None:
    """Enable or disable a reseller; raises ResellerNotFound when there is none of that name."""
    event = Event("reseller.enable" if active else "reseller.disable", clock(), origin, ("active",))
    uow.repository.change_reseller(name, {"active": active}, event)


def audit_trail(entries: list[AuditEntry], limit: int) -> list[AuditEntry]:
    """The newest limit entries, newest first; a customer and its first user created together are one entry."""
    with_users = {(entry.event.action, entry.customer_id) for entry in entries if entry.user_id is not None}
    kept = [entry for entry in entries
            if entry.user_id is not None or (entry.event.action, entry.customer_id) not in with_users]
    # Within one millisecond, the ids (made in creation order by one process) break the tie.
    return sorted(kept, key=lambda entry: (entry.event.at, entry.user_id or entry.customer_id or entry.reseller_id),
                  reverse=True)[:limit]


def customer_of(reseller_id: ObjectId, customer_id: ObjectId, *, uow: MongoUnitOfWork) -> Customer:
    """The reseller's customer with this id; another reseller's is CustomerNotFound, exactly like none."""
    found = uow.repository.customer_of(reseller_id, customer_id)
    if found is None:
        raise CustomerNotFound()
    return found


def customers_of(reseller_id: ObjectId, request: ListRequest, *, uow: MongoUnitOfWork) -> Page:
    """A page of the reseller's customers, in creation order."""
    return uow.repository.customers_of(reseller_id, request.after, request.limit)


def change_customer(reseller_id: ObjectId, request: CustomerChange, origin: Origin, *, uow: MongoUnitOfWork,
                    clock: Clock) -> Customer:
    """Change settings of the reseller's customer, recording which; the customer as changed."""
    event = Event("customer.update", clock(), origin, tuple(request.changes))
    changed = uow.repository.change_customer(reseller_id, request.customer_id, request.changes, event)
    if changed is None:
        raise CustomerNotFound()
    return changed


def set_customer_active(reseller_id: ObjectId, customer_id: ObjectId, active: bool, origin: Origin, *,
                        uow: MongoUnitOfWork, clock: Clock) -> Customer:
    """Suspend or resume the reseller's customer (a change only when it was the other way); the customer."""
    event = Event("customer.resume" if active else "customer.suspend", clock(), origin, ("active",))
    found = uow.repository.set_customer_active(reseller_id, customer_id, active, event)
    if found is None:
        raise CustomerNotFound()
    return found


def user_of(reseller_id: ObjectId, *, user_id: ObjectId | None = None, username: str | None = None,
            uow: MongoUnitOfWork) -> User:
    """The reseller's user with this id or username; another reseller's is UserNotFound, exactly like none."""
    found = uow.repository.user_of(reseller_id, user_id=user_id, username=username)
    if found is None:
        raise UserNotFound()
    return found


def users_of(reseller_id: ObjectId, request: ListRequest, *, uow: MongoUnitOfWork) -> Page:
    """A page of the reseller's users, or of one of its customers' (CustomerNotFound if not its), in creation order."""
    if request.customer_id is not None:
        customer_of(reseller_id, request.customer_id, uow=uow)
    return uow.repository.users_of(reseller_id, request.after, request.limit, customer_id=request.customer_id)


def change_user(reseller_id: ObjectId, user_id: ObjectId, changes: dict[str, object], origin: Origin, *,
                cleared: tuple[str, ...] = (), password: str | None = None, uow: MongoUnitOfWork, hasher: Hasher,
                clock: Clock) -> User:
    """Change details of the reseller's user, remove the cleared ones, give it a new password (hashed as at
    creation); record which fields changed."""
    changes = {**changes, **dict.fromkeys(cleared)}
    if password is not None:
        user_of(reseller_id, user_id=user_id, uow=uow)  # before spending a hash on it
        changes["password_hash"] = hasher.hash(password)
    event = Event("user.update", clock(), origin, tuple(changes))
    changed = uow.repository.change_user(reseller_id, user_id, changes, event)
    if changed is None:
        raise UserNotFound()
    return changed


def set_user_active(reseller_id: ObjectId, user_id: ObjectId, active: bool, origin: Origin, *, uow: MongoUnitOfWork,
                    clock: Clock) -> User:
    """Suspend or resume the reseller's user (a change only when it was the other way); the user."""
    event = Event("user.resume" if active else "user.suspend", clock(), origin, ("active",))
    found = uow.repository.set_user_active(reseller_id, user_id, active, event)
    if found is None:
        raise UserNotFound()
    return found


def unlock_reseller(name: str, client: str | None, origin: Origin, *, uow: MongoUnitOfWork, clock: Clock) -> int:
    """Forget a reseller name's failed authentications (from one client address, or all); how many were forgotten."""
    reseller = uow.repository.reseller_named(name)
    if reseller is None:
        raise ResellerNotFound(name)
    forgotten = [failure for failure in reseller.failures if client is None or failure.client == client]
    uow.repository.forget_failures(reseller.id, client, Event("reseller.unlock", clock(), origin))
    return len(forgotten)
