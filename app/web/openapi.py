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
)
from app.web import errors, headers
from app.web.schemas import CustomerCreateSchema, CustomerUserCreateSchema, UserCreateSchema

MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "application/json")
ENDPOINTS = {
    "/services/rest/customer/create": (
        "Create a customer", CustomerCreateSchema, {"id": "the customer's id"},
        (CustomerExists, IdempotencyKeyInFlight),
    ),
    "/services/rest/user/create": (
        "Create a user of one of the reseller's customers", UserCreateSchema, {"id": "the user's id"},
        (CustomerNotFound, UserExists, IdempotencyKeyInFlight),
    ),
    "/services/rest/customer-user/create": (
        "Create a customer and its first user, all or nothing", CustomerUserCreateSchema,
        {"id": "the user's id", "customerId": "the customer's id"}, (CustomerExists, UserExists, IdempotencyKeyInFlight),
    ),
}
ALWAYS = (AuthenticationFailed, TooManyFailures, IdempotencyKeyReused)
OBJECT_ID = {"type": "string", "pattern": "^[0-9a-f]{24}$"}
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
DRY_RUN_PASSED = {
    "description": "dryRun=true: the create would succeed; nothing was written (status 0)",
    "content": {"application/json": {"schema": {
        "type": "object", "required": ["status", "dryRun"], "additionalProperties": False,
        "properties": {"status": {"type": "integer", "enum": [0]}, "dryRun": {"type": "boolean", "enum": [True]}}}}},
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
    for path, (summary, schema, ids, conditions) in ENDPOINTS.items():
        body = {"content": {media: {"schema": schema} for media in MEDIA_TYPES}, "required": True}
        spec.path(path=path, operations={"post": {
            "summary": summary,
            "parameters": [{
                "in": "header", "name": headers.IDEMPOTENCY_HEADER, "required": False,
                "description": "retry safely: a repeat with the same key gets the first answer",
                "schema": {"type": "string", "minLength": 1, "maxLength": headers.KEY_MAX_LENGTH,
                           "pattern": "^[!-~]+$"},
            }],
            "requestBody": body,
            "responses": {"200": DRY_RUN_PASSED, "201": created(ids), **error_responses(conditions + ALWAYS)},
        }})
    spec.path(path="/services/rest/health", operations={"get": {
        "summary": "Whether the service and its database answer",
        "responses": {
            "200": {"description": "up", "content": {"application/json": {"schema": {
                "type": "object", "required": ["status"], "properties": {"status": {"type": "integer", "enum": [0]}}}}}},
            "503": error(errors.DATABASE_UNAVAILABLE, "database unavailable", RETRY_AFTER),
        },
    }})
    return spec.to_dict()


def created(ids):
    properties = {name: {**OBJECT_ID, "description": description} for name, description in ids.items()}
    properties["status"] = {"type": "integer", "enum": [0]}
    return {"description": "created (status 0)", "content": {"application/json": {"schema": {
        "type": "object", "required": list(properties), "properties": properties, "additionalProperties": False}}}}


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
