"""Each endpoint declared once: its path, request schema, success answers and the errors it may give. The view is
made from the declaration (load the parameters, authenticate, run the service), and the OpenAPI document is read
from the same declarations."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, current_app, g, request
from marshmallow import Schema, ValidationError

from app.bootstrap import Provisioning
from app.domain.commands import KeyCredentials
from app.domain.model import IdempotencyKey, Origin, Reseller
from app.service_layer import idempotency
from app.service_layer.authentication import authenticate, authenticate_key
from app.service_layer.ports import UnitOfWork
from app.web import access, bodies
from app.web.answers import Success
from app.web.headers import IDEMPOTENCY_HEADER, key_problem
from app.web.schemas.base import AUTHORIZATION, AUTHORIZATION_GIVEN, ResellerSuffix

PREFIX = "/services/rest"
# An answer names at most this many parameters it ignored, each cut to this length.
IGNORED_MAX = 20
LOGGED_NAME_MAX = 64


@dataclass(frozen=True)
class Call:
    """An authenticated request, as a view works with it: its checked parameters, the calling reseller, where it
    comes from, its Idempotency-Key (on endpoints that take one), its unit of work and the service's collaborators."""

    checked: Any
    reseller: Reseller
    origin: Origin
    key: IdempotencyKey | None
    uow: UnitOfWork
    tools: Provisioning
    ignored: tuple[str, ...] = ()


@dataclass(frozen=True)
class Endpoint:
    """An endpoint of the API, as its view and the OpenAPI document both read it."""

    path: str
    operation_id: str
    tag: str
    summary: str
    description: str
    answers: tuple[Success, ...]
    request: type[Schema] | None = None
    errors: tuple[type[Exception], ...] = ()
    example: dict[str, Any] = field(default_factory=dict)
    keyed: bool = False
    method: str = "post"

    @property
    def url(self) -> str:
        return f"{PREFIX}/{self.path}"


class Api(Blueprint):
    """The API's blueprint, which keeps the declaration of each endpoint it serves."""

    def __init__(self) -> None:
        super().__init__("api", __name__, url_prefix=PREFIX)
        self.declared: list[Endpoint] = []

    def declare(self, path: str, *, operation_id: str, tag: str, summary: str, description: str,
                 answers: tuple[Success, ...], request: type[Schema] | None = None,
                 errors: tuple[type[Exception], ...] = (), example: dict[str, Any] | None = None, keyed: bool = False,
                 method: str = "post") -> Callable[[Callable[..., Response]], Callable[..., Response]]:
        """Declare an endpoint and serve it with the function decorated: a function of a Call when the endpoint
        takes a request body (it is then authenticated), else of nothing."""
        declared = Endpoint(path, operation_id, tag, summary, description, answers, request, errors, example or {},
                            keyed, method)
        self.declared.append(declared)

        def serve(function: Callable[..., Response]) -> Callable[..., Response]:
            def view() -> Response:
                return served(declared, function) if declared.request else function()

            self.add_url_rule(f"/{path}", function.__name__, view, methods=[method.upper()],
                              provide_automatic_options=False)
            return function

        return serve


api = Api()


def provisioning() -> Provisioning:
    return current_app.extensions["provisioning"]


def load(schema: Schema) -> tuple[Any, tuple[str, ...]]:
    """The request's parameters, checked, and its Idempotency-Key header (every problem is reported at once); and the
    parameters the schema does not know (ignored), by name."""
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
    known = {field.data_key or name for name, field in schema.load_fields.items()}
    unknown = sorted(str(name)[:LOGGED_NAME_MAX] for name in params if name not in known)
    return loaded, tuple(unknown[:IGNORED_MAX])


def origin() -> Origin:
    """Where this request comes from, for throttling and the audit trail."""
    return Origin(client=request.remote_addr or "unknown", request_id=g.request_id)


def served(declared: Endpoint, function: Callable[[Call], Response]) -> Response:
    """Load the parameters (status 1 first), then, within the request's unit of work, authenticate the reseller (by
    its password, or by the API key of the Authorization header) and run the view."""
    assert declared.request is not None
    schema = current_app.extensions["schemas"].of(declared.request)
    given = AUTHORIZATION_GIVEN.set(request.headers.get(AUTHORIZATION))
    try:
        checked, ignored = load(schema)
    finally:
        AUTHORIZATION_GIVEN.reset(given)
    tools = provisioning()
    with tools.unit_of_work() as uow:
        came_from = origin()
        if isinstance(checked.credentials, KeyCredentials):
            reseller = authenticate_key(checked.credentials, came_from, uow=uow, clock=tools.clock,
                                        limits=tools.limits)
            errors = schema.suffix_errors_of(checked, reseller.name) if isinstance(schema, ResellerSuffix) else {}
            if errors:
                raise ValidationError(errors)
        else:
            reseller = authenticate(checked.credentials, came_from, uow=uow, hasher=tools.hasher, clock=tools.clock,
                                    limits=tools.limits)
        access.note_reseller(reseller.name)
        key = None
        if declared.keyed and (header := request.headers.get(IDEMPOTENCY_HEADER)) is not None:
            key = idempotency.keyed(tools.idempotency_secret, header, declared.path, checked, reseller.name)
        return function(Call(checked, reseller, came_from, key, uow, tools, ignored))
