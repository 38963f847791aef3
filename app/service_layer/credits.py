"""Credits: a change of a customer's balance and its ledger entry, written in one transaction and never twice (an
Idempotency-Key, or the reseller's reference, replays the first); the ledger a page at a time."""
from __future__ import annotations

import hmac
from dataclasses import dataclass, replace

from bson import ObjectId

from app.domain.commands import CreditRequest, LedgerRequest
from app.domain.exceptions import (
    CreditEntryExists,
    CustomerNotFound,
    IdempotencyKeyReused,
    InsufficientCredits,
    NotYetDurable,
    ReferenceReused,
)
from app.domain.model import BY_RESELLER, AuditEntry, CreditEntry, Customer, Event, IdempotencyKey, Origin, Page
from app.service_layer.customers import customer_of
from app.service_layer.ports import Clock, Stores, UnitOfWork


@dataclass(frozen=True)
class CreditChange:
    """What a credit change made: the customer as it left it, its ledger entry, and whether it is an earlier
    request's (a replay)."""

    customer: Customer
    entry: CreditEntry
    replayed: bool = False


def change_credits(reseller_id: ObjectId, request: CreditRequest, origin: Origin, key: IdempotencyKey | None, *,
                   uow: UnitOfWork, clock: Clock, by: str = BY_RESELLER) -> CreditChange:
    """Add request.amount to the customer's credits (InsufficientCredits when that would go below 0) and append its
    ledger entry, together; once per Idempotency-Key, and once per reference on the customer. by says whether the
    reseller (through the API) or an operator (the CLI) made it."""
    event = Event("customer.credit", clock(), origin, ("credits",))

    def write(stores: Stores) -> CreditChange:
        changed = stores.customers.change_credits(reseller_id, request.customer_id, request.amount)
        if changed is None:
            raise CustomerNotFound()
        entry = CreditEntry(ObjectId(), request.customer_id, reseller_id, request.amount, request.reason,
                            balance_after=changed.found.credits, created=event, origin=by,
                            reference=request.reference, idempotency=key)
        stores.credits.add(entry)
        stores.audit.record(AuditEntry(event, reseller_id, request.customer_id))
        return CreditChange(changed.found, entry)

    try:
        return uow.together(write, contended=True)
    except CreditEntryExists:
        found = earlier_entry(reseller_id, request, key, uow=uow)
        if found is None:
            raise NotYetDurable() from None
        return replayed(found, reseller_id, request, key, uow=uow)
    except InsufficientCredits:
        # A retry of a deduction that was made is answered as it was, not refused by the balance it left.
        found = earlier_entry(reseller_id, request, key, uow=uow) if key or request.reference is not None else None
        if found is None:
            raise
        return replayed(found, reseller_id, request, key, uow=uow)


def earlier_entry(reseller_id: ObjectId, request: CreditRequest, key: IdempotencyKey | None, *,
                  uow: UnitOfWork) -> CreditEntry | None:
    """The entry an earlier request made with this key or this reference, as a majority of the replica set holds it
    (None when it holds none)."""
    found = uow.credits.with_key(reseller_id, key.key, durable=True) if key else None
    if found is None and request.reference is not None:
        found = uow.credits.with_reference(request.customer_id, request.reference, durable=True)
    return found


def replayed(entry: CreditEntry, reseller_id: ObjectId, request: CreditRequest, key: IdempotencyKey | None, *,
             uow: UnitOfWork) -> CreditChange:
    """The answer to a request an earlier one made the change of: its entry again, with the customer as it is now;
    the same key or reference for another change is refused."""
    same_key = key is not None and entry.idempotency is not None and entry.idempotency.key == key.key
    if same_key:
        assert key is not None and entry.idempotency is not None
        if entry.idempotency.fingerprint is not None and \
                not hmac.compare_digest(entry.idempotency.fingerprint, key.fingerprint or ""):
            raise IdempotencyKeyReused()
    elif (entry.customer_id, entry.amount, entry.reason) != (request.customer_id, request.amount, request.reason):
        raise ReferenceReused()
    return CreditChange(customer_of(reseller_id, entry.customer_id, uow=uow), entry, replayed=True)


def check_credits(reseller_id: ObjectId, request: CreditRequest, key: IdempotencyKey | None, *,
                  uow: UnitOfWork) -> Customer:
    """A dry run of customer/credit: what the change would answer, or raise what it would; nothing written."""
    earlier = uow.credits.with_key(reseller_id, key.key) if key else None
    if earlier is None and request.reference is not None:
        earlier = uow.credits.with_reference(request.customer_id, request.reference)
    if earlier is not None:
        return replayed(earlier, reseller_id, request, key, uow=uow).customer
    customer = customer_of(reseller_id, request.customer_id, uow=uow)
    if customer.credits + request.amount < 0:
        raise InsufficientCredits()
    return replace(customer, credits=customer.credits + request.amount)


def ledger_of(reseller_id: ObjectId, request: LedgerRequest, *, uow: UnitOfWork) -> Page:
    """A page of the ledger of the reseller's customer, newest first (or oldest first)."""
    customer_of(reseller_id, request.customer_id, uow=uow)
    return uow.credits.page_of(request.customer_id, request.after, request.limit, newest_first=not request.oldest_first)
