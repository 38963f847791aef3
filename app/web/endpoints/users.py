"""A reseller's users: get, list (filtered, across its customers or of one), update, suspend, resume; each change also
as a dry run."""
from flask import Response

from app.domain.exceptions import CustomerNotFound, SuspendedByOperator, UserNotFound
from app.service_layer import users
from app.web import examples
from app.web.answers import ONE_USER, USER_CHANGED, USER_PAGE, USER_PREVIEW
from app.web.endpoint import Call, api
from app.web.endpoints.errors import READ, USERS
from app.web.schemas.users import UserHoldSchema, UserListSchema, UserLookupSchema, UserUpdateSchema


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
    summary="The reseller's users (across its customers, or one customer's), a page at a time, filtered",
    description="Answers a page of the calling reseller's users, or of one of its customers' users, that pass every "
                "filter given (active, email, phoneNumber, usernamePrefix, createdAfter, createdBefore).",
    request=UserListSchema, answers=(USER_PAGE,), errors=(*READ, CustomerNotFound),
    example={**examples.CREDENTIALS, "email": "john@doe.com", "limit": 20})
def user_list(call: Call) -> Response:
    return USER_PAGE(users.users_of(call.reseller.id, call.checked, uow=call.uow))


@api.declare(
    "user/update", operation_id="userUpdate", tag=USERS, summary="Change a user's details or password (not its username)",
    description="Changes the details given and removes those named in clear (not both for one detail); at least one "
                "change. username, customerId, resellerId or active in the request is status 1 (they cannot change "
                "here); other parameters the service does not know are ignored, and the answer names them (ignored). "
                "dryRun=true answers the user as the change would leave it and what it would change (a new password "
                "always), and writes nothing.",
    request=UserUpdateSchema, answers=(USER_CHANGED, USER_PREVIEW), errors=(*READ, UserNotFound),
    example={**examples.USER_LOOKUP, "email": "john.doe@doe.com", "clear": "virtualNumber"})
def user_update(call: Call) -> Response:
    checked = call.checked
    if checked.dry_run:
        return USER_PREVIEW(users.preview_user_change(call.reseller.id, checked.user_id, checked.changes,
                                                      cleared=checked.cleared, password=checked.password,
                                                      uow=call.uow), ignored=call.ignored)
    return USER_CHANGED(users.change_user(call.reseller.id, checked.user_id, checked.changes, call.origin,
                                          cleared=checked.cleared, password=checked.password, uow=call.uow,
                                          hasher=call.tools.hasher, clock=call.tools.clock), ignored=call.ignored)


def set_active(call: Call, active: bool) -> Response:
    checked = call.checked
    if checked.dry_run:
        return USER_PREVIEW(users.preview_user_active(call.reseller.id, checked.user_id, active, uow=call.uow))
    return ONE_USER(users.set_user_active(call.reseller.id, checked.user_id, active, call.origin, uow=call.uow,
                                          clock=call.tools.clock))


@api.declare(
    "user/suspend", operation_id="userSuspend", tag=USERS, summary="Suspend a user: the platform stops serving it",
    description="Marks the user inactive (suspendedBy reseller); the SMPP server and the router stop serving it. "
                "dryRun=true answers what it would change.", request=UserHoldSchema,
    answers=(ONE_USER, USER_PREVIEW), errors=(*READ, UserNotFound), example=examples.USER_LOOKUP)
def user_suspend(call: Call) -> Response:
    return set_active(call, False)


@api.declare(
    "user/resume", operation_id="userResume", tag=USERS, summary="Resume a suspended user",
    description="Marks the user active again; one the platform's operators suspended (suspendedBy operator) stays "
                "suspended: status 11. dryRun=true answers what it would change.", request=UserHoldSchema,
    answers=(ONE_USER, USER_PREVIEW), errors=(*READ, UserNotFound, SuspendedByOperator), example=examples.USER_LOOKUP)
def user_resume(call: Call) -> Response:
    return set_active(call, True)
