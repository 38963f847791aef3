"""The contract's status table, and the one handler that answers every error in its JSON shape."""
import logging

from flask import current_app, g, jsonify, request
from marshmallow import ValidationError
from pymongo.errors import ConnectionFailure, ExecutionTimeout, PyMongoError, WriteConcernError, WTimeoutError
from werkzeug.exceptions import HTTPException

from app.domain.exceptions import (
    ApiKeyNotFound,
    AuthenticationFailed,
    BatchOutOfTime,
    ClientGone,
    CustomerExists,
    CustomerNotFound,
    CustomerSuspended,
    DatabaseNotReady,
    IdempotencyKeyInFlight,
    IdempotencyKeyReused,
    InsufficientCredits,
    NotYetDurable,
    ReferenceReused,
    SuspendedByOperator,
    Taken,
    TooManyFailures,
    UserExists,
    UserNotFound,
    WebhookNotFound,
)
from app.domain.text import quoted
from app.web import access
from app.web.bodies import RequestInvalid

log = logging.getLogger(__name__)
events = logging.getLogger("app.events")

DONE = 0
INVALID = 1
DATABASE_UNAVAILABLE = 98
INTERNAL_ERROR = 99
# The first request with the key runs for at most a request's deadline; a retry soon after is likely to find it done.
IN_FLIGHT_RETRY_AFTER_SECONDS = 1

DOMAIN_ERRORS = {
    AuthenticationFailed: (2, 401, "reseller authentication failed"),
    CustomerExists: (3, 409, "a customer with this name already exists"),
    UserExists: (4, 409, "a user with this username already exists"),
    CustomerNotFound: (5, 404, "customer not found: no such customer belongs to the reseller"),
    TooManyFailures: (6, 429, "too many failed authentications; try again later"),
    IdempotencyKeyReused: (7, 422, "this Idempotency-Key was used before with other parameters"),
    IdempotencyKeyInFlight: (8, 409, "the first request with this Idempotency-Key is still running; retry later"),
    UserNotFound: (9, 404, "user not found: no such user belongs to the reseller"),
    InsufficientCredits: (10, 409, "insufficient credits: the change would take the customer's balance below 0"),
    ReferenceReused: (7, 422, "this reference was used before on this customer with another amount or reason"),
    SuspendedByOperator: (11, 403, "suspended by the platform's operators: only they can resume it"),
    CustomerSuspended: (12, 409, "the customer is suspended: no user can be created under it"),
    ApiKeyNotFound: (13, 404, "API key not found: no key with this keyId belongs to the reseller"),
    WebhookNotFound: (14, 404, "webhook not found: no webhook with this webhookId belongs to the reseller"),
}
# Errors after which the outcome of a write is unknown, or the database could not settle it in time: the caller
# retries (with its Idempotency-Key, which then answers the first outcome).
UNKNOWN_OUTCOME_LABELS = ("TransientTransactionError", "UnknownTransactionCommitResult", "RetryableWriteError")

MALFORMED = "the request is malformed: {name}"
INTERNAL_ERROR_MESSAGE = "internal error"
DATABASE_UNAVAILABLE_MESSAGE = "database unavailable, try again later"
DATABASE_NOT_READY_MESSAGE = "the database is not ready (a unique index is missing), try again later"
GONE_MESSAGE = "the connection was closed before the request was served; try again"
OUT_OF_TIME_MESSAGE = ("not attempted: the batch ran out of time; send it again with the same Idempotency-Key and the "
                       "rows done are answered as they were")
HTTP_MESSAGES = {
    404: "no such endpoint: {method} {path}",
    405: "method {method} is not allowed on {path}",
    413: "the request body is larger than {limit} bytes",
    415: "unsupported Content-Type '{content_type}': send application/x-www-form-urlencoded, "
    "multipart/form-data or application/json",
}


def answer(body, http_code, headers=None):
    """An answer of the contract: a JSON object whose status the access log and metrics read from here."""
    response = jsonify(body)
    response.status_code = http_code
    response.headers.update(headers or {})
    g.contract_status = body["status"]
    return response


def error_response(status, http_code, message, headers=None, **extra):
    """Answer an error in the contract's shape: status, message, anything else it needs, and the request id."""
    return answer({"status": status, "message": message, **extra, "requestId": g.get("request_id")}, http_code, headers)


def invalid(message, errors):
    """Answer status 1: the request is invalid, with every bad parameter and its messages."""
    return error_response(INVALID, 400, message, errors=errors)


def validation_message(error):
    """What a ValidationError answers: its message, and each bad parameter with its messages."""
    messages = error.messages_dict if isinstance(error.messages, dict) else {"_schema": error.messages}
    whole = messages.pop("_schema", None)
    if whole and not messages:
        return "; ".join(whole), {}
    return f"invalid parameters: {', '.join(sorted(messages))}", messages


def row_result(error):
    """A bulk import's row refused: the body customer-user/create would have answered for it (without its HTTP
    code); None for a condition that is not a row's."""
    if isinstance(error, ValidationError):
        message, errors = validation_message(error)
        return {"status": INVALID, "message": message, "errors": errors, "requestId": g.get("request_id")}
    if isinstance(error, BatchOutOfTime):
        return {"status": DATABASE_UNAVAILABLE, "message": OUT_OF_TIME_MESSAGE, "requestId": g.get("request_id")}
    if type(error) in DOMAIN_ERRORS:
        status, _, message = DOMAIN_ERRORS[type(error)]
        return {"status": status, "message": message, **existing(error), "requestId": g.get("request_id")}
    return None


def handle(error):
    """Map any exception raised while handling a request to its status, HTTP code and message."""
    if isinstance(error, ValidationError):
        return invalid(*validation_message(error))
    if isinstance(error, RequestInvalid):
        return invalid(error.message, error.errors)
    if type(error) in DOMAIN_ERRORS:
        return error_response(*DOMAIN_ERRORS[type(error)], headers=retry_after(error), **existing(error))
    if isinstance(error, ClientGone):
        return client_gone()
    if isinstance(error, DatabaseNotReady):
        log.error("a unique index the service relies on is missing: %s; run db upgrade", error)
        return unavailable(DATABASE_NOT_READY_MESSAGE)
    if isinstance(error, NotYetDurable):
        log.warning("what a replay or a conflict would report is not yet durable")
        return unavailable("the outcome is not known yet, try again later")
    if is_database_unavailable(error):
        log.warning("database unavailable or outcome unknown: %s", type(error).__name__)
        return unavailable(DATABASE_UNAVAILABLE_MESSAGE)
    if isinstance(error, HTTPException) and error.code is not None and error.code < 500:
        return http_error(error)
    log.exception("internal error on %s %s", request.method, request.path)
    return error_response(INTERNAL_ERROR, 500, INTERNAL_ERROR_MESSAGE)


def unavailable(message):
    """Answer status 98 (HTTP 503) with Retry-After: the caller retries, with its Idempotency-Key if it has one."""
    return error_response(DATABASE_UNAVAILABLE, 503, message,
                          {"Retry-After": str(current_app.config["RETRY_AFTER_SECONDS"])})


def client_gone():
    """A request stopped before its argon2 work because its caller had closed the connection (app.web.overload):
    logged and counted apart; should anyone read the answer after all (a client that closed only its sending side),
    it says to try again."""
    g.overloaded = "client gone"
    events.info("client gone before the work", extra={"requestId": g.get("request_id"), "path": request.path[:128],
                                                       "client": request.remote_addr})
    return error_response(DATABASE_UNAVAILABLE, 503, GONE_MESSAGE,
                          {"Retry-After": str(current_app.config["RETRY_AFTER_SECONDS"])})


def existing(error):
    """The id of the caller's own object that holds a name a create found taken (never another reseller's)."""
    if isinstance(error, Taken) and error.existing is not None:
        return {"id": str(error.existing)}
    return {}


def retry_after(error):
    """The Retry-After header of an error the caller may retry, else none."""
    if isinstance(error, TooManyFailures):
        if error.reseller is not None:
            access.note_reseller(error.reseller)
        events.warning("authentication throttled", extra={"reseller": error.reseller or "(no such reseller)",
                                                          "client": request.remote_addr, "retryAfter": error.retry_after})
        return {"Retry-After": str(error.retry_after)}
    if isinstance(error, IdempotencyKeyInFlight):
        return {"Retry-After": str(IN_FLIGHT_RETRY_AFTER_SECONDS)}
    return None


def http_error(error):
    """Answer a routing or body-level HTTP error (404, 405, 413, 415, ...) as status 1."""
    template = HTTP_MESSAGES.get(error.code, MALFORMED)
    message = template.format(
        method=quoted(request.method),
        path=quoted(request.path),
        limit=current_app.config["MAX_CONTENT_LENGTH"],
        content_type=quoted(request.mimetype),
        name=error.name,
    )
    allow = dict(error.get_headers()).get("Allow")
    return error_response(INVALID, error.code, message, {"Allow": allow} if allow else None, errors={})


def is_database_unavailable(error):
    """Tell whether an error means the database cannot be reached, did not settle in time, or left the outcome of a
    write unknown (a write concern not met, a commit whose result was lost)."""
    if isinstance(error, (ConnectionFailure, ExecutionTimeout, WriteConcernError, WTimeoutError)):
        return True
    return isinstance(error, PyMongoError) and any(error.has_error_label(label) for label in UNKNOWN_OUTCOME_LABELS)
