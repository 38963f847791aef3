"""The OpenAPI 3 document, generated from the endpoints' own schemas, fields and status table."""
import functools

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from app.domain.exceptions import (
    AuthenticationFailed,
    CustomerExists,
    CustomerNotFound,
    IdempotencyKeyInFlight,
    IdempotencyKeyReused,
    TooManyFailures,
    UserExists,
    UserNotFound,
)
from app.web import errors, headers
from app.web.schemas import (
    CustomerCreateSchema,
    CustomerLookupSchema,
    CustomerUpdateSchema,
    CustomerUserCreateSchema,
    ListSchema,
    UserCreateSchema,
    UserIdSchema,
    UserListSchema,
    UserLookupSchema,
    UserUpdateSchema,
)

MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "application/json")
OBJECT_ID = {"type": "string", "pattern": "^[0-9a-f]{24}$"}
TIME = {"type": "string", "format": "date-time"}
CUSTOMER = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "name", "integrationId", "rotationAlgorithm", "billingType", "moCharge", "credits", "active",
                 "createdAt"],
    "properties": {
        "id": OBJECT_ID, "name": {"type": "string"}, "integrationId": {"type": "string"},
        "rotationAlgorithm": {"type": "string", "enum": ["CONVERSATION", "MAX_ROTATION"]},
        "billingType": {"type": "string", "enum": ["PRE_PAID", "POST_PAID"]},
        "moCharge": {"type": "integer", "minimum": 0}, "credits": {"type": "integer"}, "active": {"type": "boolean"},
        "createdAt": TIME,
    },
}
PUSH = {"type": "object", "required": ["type"], "properties": {"type": {"type": "string", "enum": ["URL", "EMAIL", "SMPP"]},
                                                               "data": {"type": "object"}}}
USER = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "username", "customerId", "swappingSourceAddressAllowed", "active", "createdAt"],
    "properties": {
        "id": OBJECT_ID, "username": {"type": "string"}, "customerId": OBJECT_ID, "email": {"type": "string"},
        "phoneNumber": {"type": "string"}, "virtualNumber": {"type": "string"}, "contactName": {"type": "string"},
        "moPush": PUSH, "finalStatusPush": PUSH, "swappingSourceAddressAllowed": {"type": "boolean"},
        "active": {"type": "boolean"}, "createdAt": TIME,
    },
}


def done(properties, description):
    """A 200 answer with status 0 and these properties."""
    schema = {"type": "object", "additionalProperties": False, "required": ["status", *properties],
              "properties": {"status": {"type": "integer", "enum": [0]}, **properties}}
    return {"200": {"description": description, "content": {"application/json": {"schema": schema}}}}


ONE_CUSTOMER = done({"customer": {"$ref": "#/components/schemas/Customer"}}, "the customer (status 0)")
ONE_USER = done({"user": {"$ref": "#/components/schemas/User"}}, "the user (status 0)")
NEXT = {"type": "string", "nullable": True, "pattern": "^[0-9a-f]{24}$",
        "description": "the id to give as after for the next page; null on the last page"}
DRY_RUN_PASSED = {
    "description": "dryRun=true: the create would succeed; nothing was written (status 0)",
    "content": {"application/json": {"schema": {
        "type": "object", "required": ["status", "dryRun"], "additionalProperties": False,
        "properties": {"status": {"type": "integer", "enum": [0]}, "dryRun": {"type": "boolean", "enum": [True]}}}}},
}


def created(ids):
    properties = {name: {**OBJECT_ID, "description": description} for name, description in ids.items()}
    properties["status"] = {"type": "integer", "enum": [0]}
    return {"200": DRY_RUN_PASSED, "201": {"description": "created (status 0)", "content": {"application/json": {
        "schema": {"type": "object", "required": list(properties), "properties": properties,
                   "additionalProperties": False}}}}}


CREATE = (AuthenticationFailed, TooManyFailures, IdempotencyKeyReused, IdempotencyKeyInFlight)
READ = (AuthenticationFailed, TooManyFailures)
ENDPOINTS = {
    "customer/create": ("Create a customer", CustomerCreateSchema, created({"id": "the customer's id"}),
                        CREATE + (CustomerExists,)),
    "user/create": ("Create a user of one of the reseller's customers", UserCreateSchema,
                    created({"id": "the user's id"}), CREATE + (CustomerNotFound, UserExists)),
    "customer-user/create": ("Create a customer and its first user, all or nothing", CustomerUserCreateSchema,
                             created({"id": "the user's id", "customerId": "the customer's id"}),
                             CREATE + (CustomerExists, UserExists)),
    "customer/get": ("One of the reseller's customers", CustomerLookupSchema, ONE_CUSTOMER, READ + (CustomerNotFound,)),
    "customer/list": ("The reseller's customers, a page at a time in creation order", ListSchema,
                      done({"customers": {"type": "array", "items": {"$ref": "#/components/schemas/Customer"}},
                            "next": NEXT}, "a page of customers (status 0)"), READ),
    "customer/update": ("Change a customer's settings (not its name)", CustomerUpdateSchema, ONE_CUSTOMER,
                        READ + (CustomerNotFound,)),
    "customer/suspend": ("Suspend a customer: the platform stops serving its users", CustomerLookupSchema,
                         ONE_CUSTOMER, READ + (CustomerNotFound,)),
    "customer/resume": ("Resume a suspended customer", CustomerLookupSchema, ONE_CUSTOMER, READ + (CustomerNotFound,)),
    "user/get": ("One of the reseller's users, by userId or username", UserLookupSchema, ONE_USER,
                 READ + (UserNotFound,)),
    "user/list": ("The reseller's users (or one customer's), a page at a time in creation order", UserListSchema,
                  done({"users": {"type": "array", "items": {"$ref": "#/components/schemas/User"}}, "next": NEXT},
                       "a page of users (status 0)"), READ + (CustomerNotFound,)),
    "user/update": ("Change a user's details or password (not its username); clear removes optional ones",
                    UserUpdateSchema, ONE_USER, READ + (UserNotFound,)),
    "user/suspend": ("Suspend a user: the platform stops serving it", UserIdSchema, ONE_USER, READ + (UserNotFound,)),
    "user/resume": ("Resume a suspended user", UserIdSchema, ONE_USER, READ + (UserNotFound,)),
}
ERROR = {
    "type": "object",
    "required": ["status", "message", "requestId"],
    "properties": {
        "status": {"type": "integer"},
        "message": {"type": "string"},
        "requestId": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
}
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before trying again", "schema": {"type": "integer"}}}


def field_rule(self, field, **kwargs):
    """apispec attribute function: a field of ours describes its own rule."""
    return field.openapi() if hasattr(field, "openapi") else {}


@functools.cache
def document():
    """The whole OpenAPI document as a dict, built once per process."""
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title="Provisioning service",
        version="1",
        openapi_version="3.0.3",
        plugins=[plugin],
        info={"description": "Resellers create customers and their users. Every answer is a JSON object with a "
                             "numeric status; errors add a message and the request id."},
    )
    plugin.converter.add_attribute_function(field_rule)
    spec.components.schema("Error", ERROR)
    spec.components.schema("Customer", CUSTOMER)
    spec.components.schema("User", USER)
    for path, (summary, schema, success, conditions) in ENDPOINTS.items():
        body = {"content": {media: {"schema": schema} for media in MEDIA_TYPES}, "required": True}
        operation = {"summary": summary, "requestBody": body, "responses": {**success, **error_responses(conditions)}}
        if path.endswith("/create"):
            operation["parameters"] = [{
                "in": "header", "name": headers.IDEMPOTENCY_HEADER, "required": False,
                "description": "retry safely: a repeat with the same key gets the first answer",
                "schema": {"type": "string", "minLength": 1, "maxLength": headers.KEY_MAX_LENGTH,
                           "pattern": "^[!-~]+$"},
            }]
        spec.path(path=f"/services/rest/{path}", operations={"post": operation})
    spec.path(path="/services/rest/health", operations={"get": {
        "summary": "Whether the service and its database answer",
        "responses": {
            "200": {"description": "up", "content": {"application/json": {"schema": {
                "type": "object", "required": ["status"], "properties": {"status": {"type": "integer", "enum": [0]}}}}}},
            "503": error(errors.DATABASE_UNAVAILABLE, "database unavailable", RETRY_AFTER),
        },
    }})
    return spec.to_dict()


def error(statuses, description, headers=None):
    """A response of the Error shape whose status is one of statuses."""
    statuses = statuses if isinstance(statuses, (list, tuple)) else [statuses]
    schema = {"allOf": [{"$ref": "#/components/schemas/Error"},
                        {"type": "object", "properties": {"status": {"type": "integer", "enum": sorted(set(statuses))}}}]}
    response = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def error_responses(conditions):
    """The error responses of a create: the contract's status table, by HTTP code."""
    by_code = {
        400: ([errors.INVALID], ["invalid request (status 1); errors names each bad parameter"]),
        413: ([errors.INVALID], ["body larger than the limit (status 1)"]),
        415: ([errors.INVALID], ["unsupported Content-Type (status 1)"]),
        500: ([errors.INTERNAL_ERROR], ["internal error (status 99)"]),
        503: ([errors.DATABASE_UNAVAILABLE], ["database unavailable (status 98)"]),
    }
    for condition in conditions:
        status, code, message = errors.DOMAIN_ERRORS[condition]
        statuses, descriptions = by_code.setdefault(code, ([], []))
        statuses.append(status)
        descriptions.append(f"{message} (status {status})")
    return {
        str(code): error(statuses, "; ".join(descriptions), RETRY_AFTER if code in (429, 503) else None)
        for code, (statuses, descriptions) in sorted(by_code.items())
    }
