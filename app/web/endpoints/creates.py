"""The three creates, each also as a dry run that checks everything and writes nothing."""
from flask import Response

from app.domain.exceptions import CustomerExists, CustomerNotFound, CustomerSuspended, UserExists
from app.service_layer import creates
from app.web import examples
from app.web.answers import CREATED_CUSTOMER, CREATED_CUSTOMER_WITH_USER, CREATED_USER, DRY_RUN_PASSED
from app.web.endpoint import Call, api
from app.web.endpoints.errors import CREATE, CUSTOMERS, USERS
from app.web.schemas.creates import CustomerCreateSchema, CustomerUserCreateSchema, UserCreateSchema


@api.declare(
    "customer/create", operation_id="customerCreate", tag=CUSTOMERS, summary="Create a customer",
    description="Creates a customer of the calling reseller. Not given: integrationId is empty, rotationAlgorithm "
                "MAX_ROTATION, billingType POST_PAID, moCharge 0.",
    request=CustomerCreateSchema, answers=(DRY_RUN_PASSED, CREATED_CUSTOMER), errors=(*CREATE, CustomerExists),
    example={**examples.CREDENTIALS, "name": "example-shop", "billingType": "PRE_PAID", "moCharge": 42}, keyed=True)
def customer_create(call: Call) -> Response:
    if call.checked.dry_run:
        creates.check_customer_create(call.reseller, call.checked, call.key, uow=call.uow)
        return DRY_RUN_PASSED()
    return CREATED_CUSTOMER(creates.create_customer(call.reseller, call.checked, call.origin, call.key, uow=call.uow,
                                                    clock=call.tools.clock))


@api.declare(
    "user/create", operation_id="userCreate", tag=USERS, summary="Create a user of one of the reseller's customers",
    description="Creates a user of a customer of the calling reseller; not under a suspended customer (status 12).",
    request=UserCreateSchema, answers=(DRY_RUN_PASSED, CREATED_USER), errors=(*CREATE, CustomerNotFound, CustomerSuspended, UserExists),
    example={**examples.CREDENTIALS, "username": "jdoe", "password": "user-Pa55", "customerId": examples.CUSTOMER_ID,
             "email": "john@doe.com", "phoneNumber": "+48 999 444 111", "moPush": examples.URL_PUSH,
             "swappingSourceAddressAllowed": True}, keyed=True)
def user_create(call: Call) -> Response:
    if call.checked.dry_run:
        creates.check_user_create(call.reseller, call.checked, call.key, uow=call.uow)
        return DRY_RUN_PASSED()
    return CREATED_USER(creates.create_user(call.reseller, call.checked, call.origin, call.key, uow=call.uow,
                                            hasher=call.tools.hasher, clock=call.tools.clock))


@api.declare(
    "customer-user/create", operation_id="customerUserCreate", tag=CUSTOMERS,
    summary="Create a customer and its first user, all or nothing",
    description="Creates a customer (with customer/create's defaults) and its first user together: if the user cannot "
                "be created, no customer is left behind. applyFreeCredits=true credits the customer with the "
                "reseller's free credits.",
    request=CustomerUserCreateSchema, answers=(DRY_RUN_PASSED, CREATED_CUSTOMER_WITH_USER),
    errors=(*CREATE, CustomerExists, UserExists),
    example={**examples.CREDENTIALS, "customer": "1212412@acme", "username": "1212412@acme", "password": "app-Pa55",
             "phoneNumber": "999444111", "applyFreeCredits": True}, keyed=True)
def customer_user_create(call: Call) -> Response:
    if call.checked.dry_run:
        creates.check_customer_with_user_create(call.reseller, call.checked, call.key, uow=call.uow)
        return DRY_RUN_PASSED()
    return CREATED_CUSTOMER_WITH_USER(creates.create_customer_with_user(
        call.reseller, call.checked, call.origin, call.key, uow=call.uow, hasher=call.tools.hasher,
        clock=call.tools.clock))
