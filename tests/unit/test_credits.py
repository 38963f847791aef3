"""Credit changes on their own, over fakes of the ports: the balance and its ledger entry together, never below 0,
never twice for one key or one reference."""
from datetime import UTC, datetime

import pytest
from bson import ObjectId

from app.domain.commands import CreditRequest, LedgerRequest
from app.domain.exceptions import CustomerNotFound, IdempotencyKeyReused, InsufficientCredits, ReferenceReused
from app.domain.model import Customer, Event, IdempotencyKey, Origin
from app.service_layer import credits
from tests.unit.fakes import FakeUnitOfWork

NOW = datetime(2026, 12, 2, tzinfo=UTC)
ORIGIN = Origin("192.0.2.1", "r1")
RESELLER = ObjectId()


@pytest.fixture
def uow():
    unit = FakeUnitOfWork()
    unit.customers.add(Customer(ObjectId(), "shop", RESELLER, "", "MAX_ROTATION", "PRE_PAID", 0, credits=5,
                                active=True, created=Event("customer.create", NOW, ORIGIN)))
    return unit


def customer_id(uow):
    return next(iter(uow.customers.stored))


def change(uow, amount, *, reason="TOPUP", reference=None, key=None):
    request = CreditRequest(None, customer_id(uow), amount, reason, reference)
    return credits.change_credits(RESELLER, request, ORIGIN, key, uow=uow, clock=lambda: NOW)


def test_a_change_moves_the_balance_and_its_entry_tells_the_balance_it_left(uow):
    made = change(uow, 7)
    assert (made.customer.credits, made.entry.amount, made.entry.balance_after, made.entry.origin) == (12, 7, 12,
                                                                                                       "reseller")
    assert [entry.action for entry in [e.event for e in uow.audit.entries]] == ["customer.credit"]


def test_the_sign_decides_the_direction_whatever_the_reason(uow):
    assert change(uow, -2, reason="TOPUP").customer.credits == 3
    assert change(uow, 1, reason="REFUND").customer.credits == 4


def test_a_change_below_zero_is_refused_and_writes_nothing(uow):
    with pytest.raises(InsufficientCredits):
        change(uow, -6)
    assert (uow.customers.stored[customer_id(uow)].credits, uow.credits.entries, uow.audit.entries) == (5, [], [])


def test_another_resellers_customer_is_not_found(uow):
    request = CreditRequest(None, customer_id(uow), 1, "TOPUP")
    with pytest.raises(CustomerNotFound):
        credits.change_credits(ObjectId(), request, ORIGIN, None, uow=uow, clock=lambda: NOW)


def test_a_key_applies_a_change_once_and_replays_its_entry(uow):
    key = IdempotencyKey("k", "f")
    first, again = change(uow, 3, key=key), change(uow, 3, key=key)
    assert (again.replayed, again.entry, again.customer.credits) == (True, first.entry, 8)
    with pytest.raises(IdempotencyKeyReused):
        change(uow, 3, key=IdempotencyKey("k", "other"))


def test_a_reference_used_again_replays_with_the_same_change_and_is_refused_with_another(uow):
    first = change(uow, 3, reference="INV-1")
    assert change(uow, 3, reference="INV-1").entry == first.entry
    with pytest.raises(ReferenceReused):
        change(uow, 4, reference="INV-1")
    with pytest.raises(ReferenceReused):
        change(uow, 3, reason="ADJUSTMENT", reference="INV-1")
    assert uow.customers.stored[customer_id(uow)].credits == 8


def test_a_dry_run_tells_what_the_change_would_leave_and_writes_nothing(uow):
    request = CreditRequest(None, customer_id(uow), -5, "ADJUSTMENT")
    assert credits.check_credits(RESELLER, request, None, uow=uow).credits == 0
    with pytest.raises(InsufficientCredits):
        credits.check_credits(RESELLER, CreditRequest(None, customer_id(uow), -6, "ADJUSTMENT"), None, uow=uow)
    assert uow.credits.entries == []


def test_the_ledger_pages_newest_first_or_oldest_first(uow):
    made = [change(uow, amount).entry.id for amount in (1, 2, 3)]
    newest = credits.ledger_of(RESELLER, LedgerRequest(None, customer_id(uow), 2), uow=uow)
    assert [entry.id for entry in newest.items] == made[:0:-1] and newest.next_after == made[1]
    rest = credits.ledger_of(RESELLER, LedgerRequest(None, customer_id(uow), 2, after=newest.next_after), uow=uow)
    assert [entry.id for entry in rest.items] == [made[0]] and rest.next_after is None
    oldest = credits.ledger_of(RESELLER, LedgerRequest(None, customer_id(uow), 5, oldest_first=True), uow=uow)
    assert [entry.id for entry in oldest.items] == made
