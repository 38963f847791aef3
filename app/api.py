"""The HTTP endpoints: parse the body, load the schema, call the service, shape the answer."""
from datetime import timedelta

from flask import Blueprint, current_app, g, request
from marshmallow import ValidationError

from app import bodies, idempotency, logs, metrics, openapi, services
from app.model import Origin
from app.schemas import CustomerCreateSchema, CustomerUserCreateSchema, UserCreateSchema

bp = Blueprint("api", __name__, url_prefix="/services/rest")

CREATED = 0

customer_create_schema = CustomerCreateSchema()
user_create_schemas = {allowed: UserCreateSchema(allow_private_push_targets=allowed) for allowed in (False, True)}
customer_user_create_schema = CustomerUserCreateSchema()


def collaborators():
    """The repository, hasher, clock and limits the services work with, once the indexes they rely on exist."""
    provisioning = current_app.extensions["provisioning"]
    provisioning["repository"].ensure_indexes()
    return provisioning


def load(schema):
    """Read the request's parameters and Idempotency-Key and check them; every problem is reported at once."""
    params = bodies.parameters(request)
    logs.note_reseller(params)
    key_problem = idempotency.key_problem(request.headers.get(idempotency.HEADER))
    try:
        loaded = schema.load(params)
    except ValidationError as error:
        if key_problem:
            error.messages[idempotency.HEADER] = [key_problem]
        raise
    if key_problem:
        raise ValidationError({idempotency.HEADER: [key_problem]})
    return loaded


def origin():
    """Where this request comes from, for throttling and the audit trail."""
    return Origin(client=request.remote_addr, request_id=g.request_id)


def respond(request_data, service, needs, shape):
    """Authenticate and run service once per Idempotency-Key, with the collaborators it needs by name."""
    tools = collaborators()
    where = origin()

    def create(reseller, claim):
        return service(reseller, request_data, where, claim=claim, **{name: tools[name] for name in needs})

    return idempotency.respond(
        request_data, create, shape, tools=tools, origin=where,
        secret=current_app.config["IDEMPOTENCY_SECRET"].encode(),
        lease=timedelta(seconds=current_app.config["IDEMPOTENCY_LEASE_SECONDS"]),
    )


@bp.post("/customer/create", provide_automatic_options=False)
def customer_create():
    return respond(load(customer_create_schema), services.create_customer, ("repository", "clock"),
                   lambda ids: {"id": str(ids["customerId"]), "status": CREATED})


@bp.post("/user/create", provide_automatic_options=False)
def user_create():
    schema = user_create_schemas[current_app.config["ALLOW_PRIVATE_PUSH_TARGETS"] == "on"]
    return respond(load(schema), services.create_user, ("repository", "hasher", "clock"),
                   lambda ids: {"id": str(ids["userId"]), "status": CREATED})


@bp.post("/customer-user/create", provide_automatic_options=False)
def customer_user_create():
    return respond(
        load(customer_user_create_schema), services.create_customer_with_user, ("repository", "hasher", "clock"),
        lambda ids: {"id": str(ids["userId"]), "customerId": str(ids["customerId"]), "status": CREATED},
    )


@bp.get("/openapi.json", provide_automatic_options=False)
def openapi_document():
    return openapi.document()


@bp.get("/health", provide_automatic_options=False)
def health():
    collaborators()["repository"].ping()
    return {"status": 0, "database": "up"}


def metrics_view():
    """GET /metrics: Prometheus' text format, summed over the workers."""
    body, content_type = metrics.exposition()
    return body, 200, {"Content-Type": content_type}
