"""A reseller's customers: get, list, update, suspend, resume."""
from flask import Response

from app.domain.exceptions import CustomerNotFound
from app.service_layer import customers
from app.web import examples
from app.web.answers import CUSTOMER_PAGE, ONE_CUSTOMER
from app.web.endpoint import Call, api
from app.web.endpoints.errors import CUSTOMERS, READ
from app.web.schemas.customers import CustomerListSchema, CustomerLookupSchema, CustomerUpdateSchema


@api.declare(
    "customer/get", operation_id="customerGet", tag=CUSTOMERS, summary="One of the reseller's customers",
    description="Answers a customer of the calling reseller.", request=CustomerLookupSchema, answers=(ONE_CUSTOMER,),
    errors=(*READ, CustomerNotFound), example=examples.CUSTOMER_LOOKUP)
def customer_get(call: Call) -> Response:
    return ONE_CUSTOMER(customers.customer_of(call.reseller.id, call.checked.customer_id, uow=call.uow))


@api.declare(
    "customer/list", operation_id="customerList", tag=CUSTOMERS,
    summary="The reseller's customers, a page at a time in creation order",
    description="Answers a page of the calling reseller's customers; next is the after of the following page.",
    request=CustomerListSchema, answers=(CUSTOMER_PAGE,), errors=READ, example={**examples.CREDENTIALS, "limit": 20})
def customer_list(call: Call) -> Response:
    return CUSTOMER_PAGE(customers.customers_of(call.reseller.id, call.checked, uow=call.uow))


@api.declare(
    "customer/update", operation_id="customerUpdate", tag=CUSTOMERS, summary="Change a customer's settings (not its name)",
    description="Changes the settings given; at least one of integrationId, rotationAlgorithm, billingType, moCharge.",
    request=CustomerUpdateSchema, answers=(ONE_CUSTOMER,), errors=(*READ, CustomerNotFound),
    example={**examples.CUSTOMER_LOOKUP, "billingType": "PRE_PAID"})
def customer_update(call: Call) -> Response:
    return ONE_CUSTOMER(customers.change_customer(call.reseller.id, call.checked, call.origin, uow=call.uow,
                                                  clock=call.tools.clock))


def set_active(call: Call, active: bool) -> Response:
    return ONE_CUSTOMER(customers.set_customer_active(call.reseller.id, call.checked.customer_id, active, call.origin,
                                                      uow=call.uow, clock=call.tools.clock))


@api.declare(
    "customer/suspend", operation_id="customerSuspend", tag=CUSTOMERS,
    summary="Suspend a customer: the platform stops serving its users",
    description="Marks the customer inactive; the SMPP server and the router stop serving every user of it.",
    request=CustomerLookupSchema, answers=(ONE_CUSTOMER,), errors=(*READ, CustomerNotFound),
    example=examples.CUSTOMER_LOOKUP)
def customer_suspend(call: Call) -> Response:
    return set_active(call, False)


@api.declare(
    "customer/resume", operation_id="customerResume", tag=CUSTOMERS, summary="Resume a suspended customer",
    description="Marks the customer active again.", request=CustomerLookupSchema, answers=(ONE_CUSTOMER,),
    errors=(*READ, CustomerNotFound), example=examples.CUSTOMER_LOOKUP)
def customer_resume(call: Call) -> Response:
    return set_active(call, True)
