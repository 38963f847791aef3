"""The HTTP endpoints: load the parameters, authenticate, run the service once per key, answer."""
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Blueprint, current_app, g, request
from marshmallow import ValidationError

from app.bootstrap import Provisioning
from app.domain.model import Created, IdempotencyKey, Origin, Reseller
from app.service_layer import idempotency, services
from app.service_layer.unit_of_work import MongoUnitOfWork
from app.web import access, bodies, metrics, openapi
from app.web.errors import DONE, answer
from app.web.headers import IDEMPOTENCY_HEADER, REPLAYED_HEADER, key_problem

bp = Blueprint("api", __name__, url_prefix="/services/rest")

def provisioning() -> Provisioning:
    return current_app.extensions["provisioning"]


def schemas():
    return current_app.extensions["schemas"]


def load(schema):
    """The request's parameters, checked, and its Idempotency-Key header; every problem is reported at once."""
    params = bodies.parameters(request)
    access.note_reseller(params)
    problem = key_problem(request.headers.get(IDEMPOTENCY_HEADER))
    try:
        loaded = schema.load(params)
    except ValidationError as error:
        if problem:
            error.messages[IDEMPOTENCY_HEADER] = [problem]
        raise
    if problem:
        raise ValidationError({IDEMPOTENCY_HEADER: [problem]})
    return loaded


def origin() -> Origin:
    """Where this request comes from, for throttling and the audit trail."""
    return Origin(client=request.remote_addr, request_id=g.request_id)


@contextmanager
def authenticated(schema) -> Iterator[tuple[object, MongoUnitOfWork, Reseller]]:
    """Load the parameters (status 1 first), then, within the request's unit of work, authenticate the reseller."""
    checked = load(schema)
    tools = provisioning()
    with tools.unit_of_work() as uow:
        reseller = services.authenticate(checked.credentials, origin(), uow=uow, hasher=tools.hasher,
                                         clock=tools.clock, limits=tools.limits)
        yield checked, uow, reseller


def idempotency_key(endpoint: str, checked) -> IdempotencyKey | None:
    """The request's Idempotency-Key with the fingerprint of its parameters, or None when it sent none."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    return idempotency.keyed(provisioning().idempotency_secret, key, endpoint, checked) if key is not None else None


def created(body, outcome: Created):
    """201 with the ids created, marked when they are an earlier request's."""
    return answer({**body, "status": DONE}, 201, {REPLAYED_HEADER: "true"} if outcome.replayed else None)


def dry_run_passed():
    return answer({"status": DONE, "dryRun": True}, 200)


@bp.post("/customer/create", provide_automatic_options=False)
def customer_create():
    with authenticated(schemas().customer_create) as (checked, uow, reseller):
        if checked.dry_run:
            services.check_customer_create(reseller, checked, uow=uow)
            return dry_run_passed()
        outcome = services.create_customer(reseller, checked, origin(), idempotency_key("customer/create", checked),
                                           uow=uow, clock=provisioning().clock)
    return created({"id": str(outcome.customer_id)}, outcome)


@bp.post("/user/create", provide_automatic_options=False)
def user_create():
    with authenticated(schemas().user_create) as (checked, uow, reseller):
        if checked.dry_run:
            services.check_user_create(reseller, checked, uow=uow)
            return dry_run_passed()
        tools = provisioning()
        outcome = services.create_user(reseller, checked, origin(), idempotency_key("user/create", checked), uow=uow,
                                       hasher=tools.hasher, clock=tools.clock)
    return created({"id": str(outcome.user_id)}, outcome)


@bp.post("/customer-user/create", provide_automatic_options=False)
def customer_user_create():
    with authenticated(schemas().customer_user_create) as (checked, uow, reseller):
        if checked.dry_run:
            services.check_customer_with_user_create(reseller, checked, uow=uow)
            return dry_run_passed()
        tools = provisioning()
        outcome = services.create_customer_with_user(
            reseller, checked, origin(), idempotency_key("customer-user/create", checked), uow=uow,
            hasher=tools.hasher, clock=tools.clock)
    return created({"id": str(outcome.user_id), "customerId": str(outcome.customer_id)}, outcome)


@bp.get("/openapi.json", provide_automatic_options=False)
def openapi_document():
    return openapi.document()


@bp.get("/health", provide_automatic_options=False)
def health():
    with provisioning().health_unit_of_work() as uow:
        uow.repository.ping()
    return answer({"status": DONE, "database": "up"}, 200)


def metrics_view():
    """GET /metrics: Prometheus' text format, summed over the workers."""
    body, content_type = metrics.exposition()
    return body, 200, {"Content-Type": content_type}
