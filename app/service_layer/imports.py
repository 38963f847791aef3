"""Bulk import: customers with their first users, a row at a time, each exactly as customer-user/create makes it (or
checks it, in a dry run), each row independent of the others, once per key."""
from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Iterator, Sequence

from bson import ObjectId

from app.domain.commands import CustomerUserRequest
from app.domain.exceptions import (
    BatchOutOfTime,
    CustomerExists,
    IdempotencyKeyInFlight,
    IdempotencyKeyReused,
    UserExists,
)
from app.domain.model import Created, IdempotencyKey, Origin, Reseller
from app.service_layer import creates
from app.service_layer.ports import Clock, PasswordHasher, UnitOfWork

# What a row may end in besides its create: the conditions customer-user/create answers with an error of its own.
ROW_CONDITIONS = (CustomerExists, UserExists, IdempotencyKeyReused, IdempotencyKeyInFlight)
# A dry run's row that would be created.
DRY_RUN_PASSED = None
Outcome = Created | Exception | None


def import_one(reseller: Reseller, request: CustomerUserRequest, origin: Origin, key: IdempotencyKey | None, *,
               uow: UnitOfWork, hasher: PasswordHasher, clock: Clock) -> Outcome:
    """One row: what its create made (or replayed), DRY_RUN_PASSED for a dry run that would pass, or the condition
    that refused it. Other errors (the database unavailable) end the import."""
    try:
        if request.dry_run:
            creates.check_customer_with_user_create(reseller, request, key, uow=uow)
            return DRY_RUN_PASSED
        return creates.create_customer_with_user(reseller, request, origin, key, uow=uow, hasher=hasher, clock=clock)
    except ROW_CONDITIONS as condition:
        return condition


def import_rows(reseller: Reseller, rows: Sequence[tuple[CustomerUserRequest | Exception, IdempotencyKey | None]],
                origin: Origin, *, unit_of_work: Callable[[], UnitOfWork], hasher: PasswordHasher, clock: Clock,
                deadline: float) -> Iterator[Outcome]:
    """Each row's outcome, in order, each row in a unit of work of its own: a row refused before (its parameters) is
    its own outcome; a row not begun by the deadline (time.monotonic()) is BatchOutOfTime, so that the batch is
    answered while its caller waits (sent again with its key, it goes on where it stopped)."""
    for request, key in rows:
        if isinstance(request, Exception):
            yield request
        elif time.monotonic() > deadline:
            yield BatchOutOfTime()
        else:
            with unit_of_work() as uow:
                yield import_one(reseller, request, origin, key, uow=uow, hasher=hasher, clock=clock)


def refuse_reused_batch(reseller_id: ObjectId, keys: Sequence[IdempotencyKey], *, uow: UnitOfWork) -> None:
    """IdempotencyKeyReused when a row of an earlier batch with this batch's key was made with other parameters (the
    key covers the whole batch)."""
    for key in keys:
        earlier = uow.customers.with_key(reseller_id, key.key)
        fingerprint = earlier.idempotency.fingerprint if earlier and earlier.idempotency else None
        if fingerprint is not None and not hmac.compare_digest(fingerprint, key.fingerprint or ""):
            raise IdempotencyKeyReused()
