"""A customer's credits: a change of its balance (with its ledger entry), and its ledger."""
from flask import Response

from app.domain.exceptions import CustomerNotFound, InsufficientCredits, ReferenceReused
from app.domain.model import Preview
from app.service_layer import credits
from app.web import examples
from app.web.answers import CREDITED, CUSTOMER_PREVIEW, LEDGER_PAGE
from app.web.endpoint import Call, api
from app.web.endpoints.errors import CREATE, CUSTOMERS, READ
from app.web.schemas.credits import CreditSchema, LedgerSchema


@api.declare(
    "customer/credit", operation_id="customerCredit", tag=CUSTOMERS,
    summary="Top up, refund or correct a customer's credits",
    description="Adds amount to the customer's credits (a negative amount takes them: its sign decides the direction "
                "whatever the reason) and appends the change to its ledger, together; never below 0 (status 10, "
                "nothing written). Applied once per Idempotency-Key, and once per reference on the customer: a "
                "repeat is the first change's answer again.",
    request=CreditSchema, answers=(CREDITED, CUSTOMER_PREVIEW),
    errors=(*CREATE, CustomerNotFound, InsufficientCredits, ReferenceReused),
    example={**examples.CUSTOMER_LOOKUP, "amount": 500, "reason": "TOPUP", "reference": "INV-2026-0042"}, keyed=True)
def customer_credit(call: Call) -> Response:
    if call.checked.dry_run:
        customer = credits.check_credits(call.reseller.id, call.checked, call.key, uow=call.uow)
        return CUSTOMER_PREVIEW(Preview(customer, ("credits",)))
    return CREDITED(credits.change_credits(call.reseller.id, call.checked, call.origin, call.key, uow=call.uow,
                                           clock=call.tools.clock))


@api.declare(
    "customer/transactions", operation_id="customerTransactions", tag=CUSTOMERS,
    summary="A customer's ledger, a page at a time, newest first",
    description="Answers a page of the changes of the customer's credits (order=asc: oldest first); next is the after "
                "of the following page.",
    request=LedgerSchema, answers=(LEDGER_PAGE,), errors=(*READ, CustomerNotFound),
    example={**examples.CUSTOMER_LOOKUP, "limit": 20})
def customer_transactions(call: Call) -> Response:
    return LEDGER_PAGE(credits.ledger_of(call.reseller.id, call.checked, uow=call.uow))
