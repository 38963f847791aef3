"""A reseller's customers: get (by id or name), list (filtered), update, suspend, resume; each change also as a dry
run."""
from flask import Response

from app.domain.exceptions import CustomerNotFound, SuspendedByOperator
from app.service_layer import customers
from app.web import examples
from app.web.answers import CUSTOMER_CHANGED, CUSTOMER_PAGE, CUSTOMER_PREVIEW, ONE_CUSTOMER
from app.web.endpoint import Call, api
from app.web.endpoints.errors import CUSTOMERS, READ
from app.web.schemas.customers import (
    CustomerHoldSchema,
    CustomerListSchema,
    CustomerLookupSchema,
    CustomerUpdateSchema,
)


@api.declare(
    "customer/get", operation_id="customerGet", tag=CUSTOMERS, summary="One of the reseller's customers, by id or name",
    description="Answers a customer of the calling reseller; give exactly one of customerId and name (a back-end that "
                "lost the answer of its create finds the customer by the name it gave).",
    request=CustomerLookupSchema, answers=(ONE_CUSTOMER,), errors=(*READ, CustomerNotFound),
    example=examples.CUSTOMER_LOOKUP)
def customer_get(call: Call) -> Response:
    return ONE_CUSTOMER(customers.customer_found(call.reseller.id, call.checked, uow=call.uow))


@api.declare(
    "customer/list", operation_id="customerList", tag=CUSTOMERS,
    summary="The reseller's customers, a page at a time in creation order, filtered",
    description="Answers a page of the calling reseller's customers that pass every filter given (active, "
                "integrationId, namePrefix, createdAfter, createdBefore); next is the after of the following page.",
    request=CustomerListSchema, answers=(CUSTOMER_PAGE,), errors=READ,
    example={**examples.CREDENTIALS, "limit": 20, "active": True})
def customer_list(call: Call) -> Response:
    return CUSTOMER_PAGE(customers.customers_of(call.reseller.id, call.checked, uow=call.uow))


@api.declare(
    "customer/update", operation_id="customerUpdate", tag=CUSTOMERS, summary="Change a customer's settings (not its name)",
    description="Changes the settings given; at least one of integrationId, rotationAlgorithm, billingType, moCharge. "
                "name, resellerId, credits or active in the request is status 1 (they cannot change here); other "
                "parameters the service does not know are ignored, and the answer names them (ignored). dryRun=true "
                "answers the customer as the change would leave it and what it would change, and writes nothing.",
    request=CustomerUpdateSchema, answers=(CUSTOMER_CHANGED, CUSTOMER_PREVIEW), errors=(*READ, CustomerNotFound),
    example={**examples.CUSTOMER_LOOKUP, "billingType": "PRE_PAID"})
def customer_update(call: Call) -> Response:
    if call.checked.dry_run:
        return CUSTOMER_PREVIEW(customers.preview_customer_change(call.reseller.id, call.checked, uow=call.uow),
                                ignored=call.ignored)
    return CUSTOMER_CHANGED(customers.change_customer(call.reseller.id, call.checked, call.origin, uow=call.uow,
                                                      clock=call.tools.clock), ignored=call.ignored)


def set_active(call: Call, active: bool) -> Response:
    checked = call.checked
    if checked.dry_run:
        return CUSTOMER_PREVIEW(customers.preview_customer_active(call.reseller.id, checked.customer_id, active,
                                                                  uow=call.uow))
    return ONE_CUSTOMER(customers.set_customer_active(call.reseller.id, checked.customer_id, active, call.origin,
                                                      uow=call.uow, clock=call.tools.clock))


@api.declare(
    "customer/suspend", operation_id="customerSuspend", tag=CUSTOMERS,
    summary="Suspend a customer: the platform stops serving its users",
    description="Marks the customer inactive (suspendedBy reseller); the SMPP server and the router stop serving every "
                "user of it, and no user can be created under it. dryRun=true answers what it would change.",
    request=CustomerHoldSchema, answers=(ONE_CUSTOMER, CUSTOMER_PREVIEW), errors=(*READ, CustomerNotFound),
    example=examples.CUSTOMER_LOOKUP)
def customer_suspend(call: Call) -> Response:
    return set_active(call, False)


@api.declare(
    "customer/resume", operation_id="customerResume", tag=CUSTOMERS, summary="Resume a suspended customer",
    description="Marks the customer active again; one the platform's operators suspended (suspendedBy operator) "
                "stays suspended: status 11. dryRun=true answers what it would change.",
    request=CustomerHoldSchema, answers=(ONE_CUSTOMER, CUSTOMER_PREVIEW),
    errors=(*READ, CustomerNotFound, SuspendedByOperator), example=examples.CUSTOMER_LOOKUP)
def customer_resume(call: Call) -> Response:
    return set_active(call, True)
