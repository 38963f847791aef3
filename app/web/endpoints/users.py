"""A reseller's users: get, list, update, suspend, resume."""
from flask import Response

from app.domain.exceptions import CustomerNotFound, UserNotFound
from app.service_layer import users
from app.web import examples
from app.web.answers import ONE_USER, USER_PAGE
from app.web.endpoint import Call, api
from app.web.endpoints.errors import READ, USERS
from app.web.schemas.users import UserIdSchema, UserListSchema, UserLookupSchema, UserUpdateSchema


@api.declare(
    "user/get", operation_id="userGet", tag=USERS, summary="One of the reseller's users, by userId or username",
    description="Answers a user of the calling reseller; give exactly one of userId and username.",
    request=UserLookupSchema, answers=(ONE_USER,), errors=(*READ, UserNotFound),
    example={**examples.CREDENTIALS, "username": "jdoe"})
def user_get(call: Call) -> Response:
    return ONE_USER(users.user_of(call.reseller.id, user_id=call.checked.user_id, username=call.checked.username,
                                  uow=call.uow))


@api.declare(
    "user/list", operation_id="userList", tag=USERS,
    summary="The reseller's users (or one customer's), a page at a time in creation order",
    description="Answers a page of the calling reseller's users, or of one of its customers' users.",
    request=UserListSchema, answers=(USER_PAGE,), errors=(*READ, CustomerNotFound),
    example={**examples.CREDENTIALS, "customerId": examples.CUSTOMER_ID, "limit": 20})
def user_list(call: Call) -> Response:
    return USER_PAGE(users.users_of(call.reseller.id, call.checked, uow=call.uow))


@api.declare(
    "user/update", operation_id="userUpdate", tag=USERS, summary="Change a user's details or password (not its username)",
    description="Changes the details given and removes those named in clear (not both for one detail); at least one "
                "change.",
    request=UserUpdateSchema, answers=(ONE_USER,), errors=(*READ, UserNotFound),
    example={**examples.USER_LOOKUP, "email": "john.doe@doe.com", "clear": "virtualNumber"})
def user_update(call: Call) -> Response:
    checked = call.checked
    return ONE_USER(users.change_user(call.reseller.id, checked.user_id, checked.changes, call.origin,
                                      cleared=checked.cleared, password=checked.password, uow=call.uow,
                                      hasher=call.tools.hasher, clock=call.tools.clock))


def set_active(call: Call, active: bool) -> Response:
    return ONE_USER(users.set_user_active(call.reseller.id, call.checked.user_id, active, call.origin, uow=call.uow,
                                          clock=call.tools.clock))


@api.declare(
    "user/suspend", operation_id="userSuspend", tag=USERS, summary="Suspend a user: the platform stops serving it",
    description="Marks the user inactive; the SMPP server and the router stop serving it.", request=UserIdSchema,
    answers=(ONE_USER,), errors=(*READ, UserNotFound), example=examples.USER_LOOKUP)
def user_suspend(call: Call) -> Response:
    return set_active(call, False)


@api.declare(
    "user/resume", operation_id="userResume", tag=USERS, summary="Resume a suspended user",
    description="Marks the user active again.", request=UserIdSchema, answers=(ONE_USER,),
    errors=(*READ, UserNotFound), example=examples.USER_LOOKUP)
def user_resume(call: Call) -> Response:
    return set_active(call, True)
