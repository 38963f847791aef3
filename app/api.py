"""The HTTP endpoints: parse the body, load the schema, call the service, shape the answer."""
from flask import Blueprint, current_app, g, request

from app import bodies, logs, metrics, services
from app.model import Origin
from app.schemas import CustomerCreateSchema, CustomerUserCreateSchema, UserCreateSchema

bp = Blueprint("api", __name__, url_prefix="/services/rest")

CREATED = 0

customer_create_schema = CustomerCreateSchema()
user_create_schemas = {allowed: UserCreateSchema(allow_private_push_targets=allowed) for allowed in (False, True)}
customer_user_create_schema = CustomerUserCreateSchema()


def collaborators():
    """The repository, hasher and clock the services work with, once the indexes they rely on exist."""
    provisioning = current_app.extensions["provisioning"]
    provisioning["repository"].ensure_indexes()
    return provisioning


def load(schema):
    """Read the request's parameters and check them against schema; raises on the first bad request."""
    params = bodies.parameters(request)
    logs.note_reseller(params)
    return schema.load(params)


def origin():
    """Where this request comes from, for the audit trail."""
    return Origin(client=request.remote_addr, request_id=g.request_id)


@bp.post("/customer/create", provide_automatic_options=False)
def customer_create():
    customer_id = services.create_customer(load(customer_create_schema), origin(), **collaborators())
    return {"id": str(customer_id), "status": CREATED}, 201


@bp.post("/user/create", provide_automatic_options=False)
def user_create():
    schema = user_create_schemas[current_app.config["ALLOW_PRIVATE_PUSH_TARGETS"] == "on"]
    user_id = services.create_user(load(schema), origin(), **collaborators())
    return {"id": str(user_id), "status": CREATED}, 201


@bp.post("/customer-user/create", provide_automatic_options=False)
def customer_user_create():
    request_data = load(customer_user_create_schema)
    customer_id, user_id = services.create_customer_with_user(request_data, origin(), **collaborators())
    return {"id": str(user_id), "customerId": str(customer_id), "status": CREATED}, 201


@bp.get("/health", provide_automatic_options=False)
def health():
    collaborators()["repository"].ping()
    return {"status": 0, "database": "up"}


def metrics_view():
    """GET /metrics: Prometheus' text format, summed over the workers."""
    body, content_type = metrics.exposition()
    return body, 200, {"Content-Type": content_type}
