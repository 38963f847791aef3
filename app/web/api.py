"""The HTTP endpoints: load the parameters, authenticate, run the service once per key, answer."""
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, current_app, g, request
from marshmallow import ValidationError

from app.bootstrap import Provisioning
from app.domain.model import Created, Customer, IdempotencyKey, Origin, Page, Reseller, User
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
    problem = key_problem(request.headers.get(IDEMPOTENCY_HEADER))
    try:
        loaded = schema.load(params)
    except ValidationError as error:
        if problem:
            error.messages_dict[IDEMPOTENCY_HEADER] = [problem]
        raise
    if problem:
        raise ValidationError({IDEMPOTENCY_HEADER: [problem]})
    return loaded


def origin() -> Origin:
    """Where this request comes from, for throttling and the audit trail."""
    return Origin(client=request.remote_addr or "unknown", request_id=g.request_id)


@contextmanager
def authenticated(schema) -> Iterator[tuple[Any, MongoUnitOfWork, Reseller]]:
    """Load the parameters (status 1 first), then, within the request's unit of work, authenticate the reseller."""
    checked = load(schema)
    tools = provisioning()
    with tools.unit_of_work() as uow:
        reseller = services.authenticate(checked.credentials, origin(), uow=uow, hasher=tools.hasher,
                                         clock=tools.clock, limits=tools.limits)
        access.note_reseller(reseller.name)
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
        key = idempotency_key("customer/create", checked)
        if checked.dry_run:
            services.check_customer_create(reseller, checked, key, uow=uow)
            return dry_run_passed()
        outcome = services.create_customer(reseller, checked, origin(), key, uow=uow, clock=provisioning().clock)
    return created({"id": str(outcome.customer_id)}, outcome)


@bp.post("/user/create", provide_automatic_options=False)
def user_create():
    with authenticated(schemas().user_create) as (checked, uow, reseller):
        key = idempotency_key("user/create", checked)
        if checked.dry_run:
            services.check_user_create(reseller, checked, key, uow=uow)
            return dry_run_passed()
        tools = provisioning()
        outcome = services.create_user(reseller, checked, origin(), key, uow=uow, hasher=tools.hasher,
                                       clock=tools.clock)
    return created({"id": str(outcome.user_id)}, outcome)


@bp.post("/customer-user/create", provide_automatic_options=False)
def customer_user_create():
    with authenticated(schemas().customer_user_create) as (checked, uow, reseller):
        key = idempotency_key("customer-user/create", checked)
        if checked.dry_run:
            services.check_customer_with_user_create(reseller, checked, key, uow=uow)
            return dry_run_passed()
        tools = provisioning()
        outcome = services.create_customer_with_user(reseller, checked, origin(), key, uow=uow, hasher=tools.hasher,
                                                     clock=tools.clock)
    return created({"id": str(outcome.user_id), "customerId": str(outcome.customer_id)}, outcome)


def iso_time(moment: datetime) -> str:
    """A stored time in ISO 8601, UTC, to the millisecond MongoDB keeps."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def customer_json(customer: Customer) -> dict:
    """A customer as the API answers it."""
    return {"id": str(customer.id), "name": customer.name, "integrationId": customer.integration_id,
            "rotationAlgorithm": customer.rotation_algorithm, "billingType": customer.billing_type,
            "moCharge": customer.mo_charge, "credits": customer.credits, "active": customer.active,
            "createdAt": iso_time(customer.created.at)}


USER_DETAILS = (("email", "email"), ("phoneNumber", "phone_number"), ("virtualNumber", "virtual_number"),
                ("contactName", "contact_name"), ("moPush", "mo_push"), ("finalStatusPush", "final_status_push"))


def user_json(user: User) -> dict:
    """A user as the API answers it: optional details only when set, never its password hash."""
    return {"id": str(user.id), "username": user.username, "customerId": str(user.customer_id),
            **{key: getattr(user, name) for key, name in USER_DETAILS if getattr(user, name) is not None},
            "swappingSourceAddressAllowed": user.swapping_source_address_allowed, "active": user.active,
            "createdAt": iso_time(user.created.at)}


def done(body):
    """200 status 0: a read, an update or a suspension."""
    return answer({"status": DONE, **body}, 200)


def page(name, found: Page, shape):
    return done({name: [shape(item) for item in found.items],
                 "next": str(found.next_after) if found.next_after else None})


@bp.post("/customer/get", provide_automatic_options=False)
def customer_get():
    with authenticated(schemas().customer_lookup) as (checked, uow, reseller):
        customer = services.customer_of(reseller.id, checked.customer_id, uow=uow)
    return done({"customer": customer_json(customer)})


@bp.post("/customer/list", provide_automatic_options=False)
def customer_list():
    with authenticated(schemas().customer_list) as (checked, uow, reseller):
        found = services.customers_of(reseller.id, checked, uow=uow)
    return page("customers", found, customer_json)


@bp.post("/customer/update", provide_automatic_options=False)
def customer_update():
    with authenticated(schemas().customer_update) as (checked, uow, reseller):
        customer = services.change_customer(reseller.id, checked, origin(), uow=uow, clock=provisioning().clock)
    return done({"customer": customer_json(customer)})


def customer_active(active):
    with authenticated(schemas().customer_lookup) as (checked, uow, reseller):
        customer = services.set_customer_active(reseller.id, checked.customer_id, active, origin(), uow=uow,
                                                clock=provisioning().clock)
    return done({"customer": customer_json(customer)})


@bp.post("/customer/suspend", provide_automatic_options=False)
def customer_suspend():
    return customer_active(False)


@bp.post("/customer/resume", provide_automatic_options=False)
def customer_resume():
    return customer_active(True)


@bp.post("/user/get", provide_automatic_options=False)
def user_get():
    with authenticated(schemas().user_lookup) as (checked, uow, reseller):
        user = services.user_of(reseller.id, user_id=checked.user_id, username=checked.username, uow=uow)
    return done({"user": user_json(user)})


@bp.post("/user/list", provide_automatic_options=False)
def user_list():
    with authenticated(schemas().user_list) as (checked, uow, reseller):
        found = services.users_of(reseller.id, checked, uow=uow)
    return page("users", found, user_json)


@bp.post("/user/update", provide_automatic_options=False)
def user_update():
    with authenticated(schemas().user_update) as (checked, uow, reseller):
        tools = provisioning()
        user = services.change_user(reseller.id, checked.user_id, checked.changes, origin(), cleared=checked.cleared,
                                    password=checked.password, uow=uow, hasher=tools.hasher, clock=tools.clock)
    return done({"user": user_json(user)})


def user_active(active):
    with authenticated(schemas().user_id) as (checked, uow, reseller):
        user = services.set_user_active(reseller.id, checked.user_id, active, origin(), uow=uow,
                                        clock=provisioning().clock)
    return done({"user": user_json(user)})


@bp.post("/user/suspend", provide_automatic_options=False)
def user_suspend():
    return user_active(False)


@bp.post("/user/resume", provide_automatic_options=False)
def user_resume():
    return user_active(True)


@bp.get("/openapi.json", provide_automatic_options=False)
def openapi_document():
    return openapi.document(current_app.config["USER_PASSWORD_MIN_LENGTH"])


@bp.get("/health", provide_automatic_options=False)
def health():
    with provisioning().health_unit_of_work() as uow:
        uow.repository.ping()
    return answer({"status": DONE, "database": "up"}, 200)


def metrics_view():
    """GET /metrics: Prometheus' text format, summed over the workers."""
    body, content_type = metrics.exposition()
    return body, 200, {"Content-Type": content_type}
