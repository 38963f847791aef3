"""The contract's status table, and the one handler that answers every error in its JSON shape."""
import logging

from flask import current_app, g, jsonify, request
from marshmallow import ValidationError
from pymongo.errors import ConnectionFailure, PyMongoError
from werkzeug.exceptions import HTTPException

from app.exceptions import (
    AuthenticationFailed,
    CustomerExists,
    CustomerNotFound,
    IdempotencyKeyInFlight,
    IdempotencyKeyReused,
    RequestInvalid,
    TooManyFailures,
    UserExists,
)

log = logging.getLogger(__name__)
events = logging.getLogger("app.events")

INVALID = 1
DATABASE_UNAVAILABLE = 98
INTERNAL_ERROR = 99

DOMAIN_ERRORS = {
    AuthenticationFailed: (2, 401, "reseller authentication failed"),
    CustomerExists: (3, 409, "a customer with this name already exists"),
    UserExists: (4, 409, "a user with this username already exists"),
    CustomerNotFound: (5, 404, "customer not found: no customer with this customerId belongs to the reseller"),
    TooManyFailures: (6, 429, "too many failed authentications; try again later"),
    IdempotencyKeyReused: (7, 422, "this Idempotency-Key was used before with other parameters"),
    IdempotencyKeyInFlight: (8, 409, "the first request with this Idempotency-Key is still running; retry later"),
}

HTTP_MESSAGES = {
    404: "no such endpoint: {method} {path}",
    405: "method {method} is not allowed on {path}",
    413: "the request body is larger than {limit} bytes",
    415: "unsupported Content-Type {content_type!r}: send application/x-www-form-urlencoded, "
    "multipart/form-data or application/json",
}


def error_response(status, http_code, message, **extra):
    """Answer an error in the contract's shape: status, message, anything else it needs, and the request id."""
    response = jsonify({"status": status, "message": message, **extra, "requestId": g.get("request_id")})
    response.status_code = http_code
    return response


def invalid(message, errors):
    """Answer status 1: the request is invalid, with every bad parameter and its messages."""
    return error_response(INVALID, 400, message, errors=errors)


def handle(error):
    """Map any exception raised while handling a request to its status, HTTP code and message."""
    if isinstance(error, ValidationError):
        names = ", ".join(sorted(error.messages))
        return invalid(f"invalid parameters: {names}", error.messages)
    if isinstance(error, RequestInvalid):
        return invalid(error.message, error.errors)
    if type(error) in DOMAIN_ERRORS:
        response = error_response(*DOMAIN_ERRORS[type(error)])
        if isinstance(error, TooManyFailures):
            events.warning("authentication throttled", extra={"client": request.remote_addr, "retryAfter": error.retry_after})
            response.headers["Retry-After"] = str(error.retry_after)
        return response
    if is_database_unavailable(error):
        response = error_response(DATABASE_UNAVAILABLE, 503, "database unavailable, try again later")
        response.headers["Retry-After"] = str(current_app.config["RETRY_AFTER_SECONDS"])
        return response
    if isinstance(error, HTTPException) and error.code < 500:
        return http_error(error)
    log.exception("internal error on %s %s", request.method, request.path)
    return error_response(INTERNAL_ERROR, 500, "internal error")


def http_error(error):
    """Answer a routing or body-level HTTP error (404, 405, 413, 415, ...) as status 1."""
    template = HTTP_MESSAGES.get(error.code, "the request is malformed: {name}")
    message = template.format(
        method=request.method,
        path=request.path,
        limit=current_app.config["MAX_CONTENT_LENGTH"],
        content_type=request.mimetype,
        name=error.name,
    )
    response = error_response(INVALID, error.code, message, errors={})
    allow = dict(error.get_headers()).get("Allow")
    if allow:
        response.headers["Allow"] = allow
    return response


def is_database_unavailable(error):
    """Tell whether an error means the database cannot be reached or could not settle in time."""
    if isinstance(error, ConnectionFailure):
        return True
    return isinstance(error, PyMongoError) and error.has_error_label("TransientTransactionError")


def contract_status(response):
    """The contract status a response carries, or None when it carries none."""
    body = response.get_json(silent=True) if response.is_json else None
    return body.get("status") if isinstance(body, dict) else None
