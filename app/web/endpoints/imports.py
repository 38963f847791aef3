"""Bulk import: up to 100 customers with their first users in one request, one result per row."""
import time

from flask import Response, current_app
from marshmallow import ValidationError

from app.domain.commands import KeyCredentials
from app.domain.exceptions import IdempotencyKeyReused
from app.domain.model import Created
from app.service_layer import imports
from app.service_layer.idempotency import row_key
from app.web import examples
from app.web.answers import DRY_RUN_PASSED, IMPORTED, ROW_CREATED
from app.web.endpoint import Call, api
from app.web.endpoints.errors import CUSTOMERS, READ
from app.web.errors import row_result
from app.web.schemas.base import AUTHORIZATION_GIVEN, CREDENTIALS
from app.web.schemas.creates import CustomerUserCreateSchema
from app.web.schemas.imports import CustomerUserImportSchema

ROW_EXAMPLE = {"customer": "1212412@acme", "username": "1212412@acme", "password": "app-Pa55",
               "phoneNumber": "999444111", "applyFreeCredits": True}


@api.declare(
    "customer-user/import", operation_id="customerUserImport", tag=CUSTOMERS,
    summary="Create up to 100 customers with their first users, one result per row",
    description="Each row is a customer-user/create of its own: its result (in order) is exactly what that endpoint "
                "would have answered for it (status, id and customerId, or message and errors), and rows are "
                "independent (one refused row stops none of the others). The credentials and dryRun are given once. "
                "In JSON, rows is an array of objects; in a multipart form, a CSV file part (text/csv) whose header "
                "row names the parameters. The Idempotency-Key covers the whole batch: sent again with it, the rows "
                "done are answered as they were (replayed: true) and the others are done now; with other rows, it is "
                "status 7. Rows the batch had no time left for are status 98: send it again with the key.",
    request=CustomerUserImportSchema, answers=(IMPORTED,), errors=(*READ, IdempotencyKeyReused),
    example={**examples.CREDENTIALS, "rows": [ROW_EXAMPLE, {**ROW_EXAMPLE, "customer": "1212413@acme",
                                                            "username": "1212413@acme"}]}, keyed=True)
def customer_user_import(call: Call) -> Response:
    started = time.monotonic()
    checked = call.checked
    requests = [checked_row(row, call) for row in checked.rows]
    keys = [row_key(call.key, index) if call.key else None for index in range(len(requests))]
    if call.key is not None and not checked.dry_run:
        imports.refuse_reused_batch(call.reseller.id, [key for key in keys if key], uow=call.uow)
    tools = call.tools
    outcomes = imports.import_rows(call.reseller, list(zip(requests, keys, strict=True)), call.origin,
                                   unit_of_work=tools.unit_of_work, hasher=tools.hasher, clock=tools.clock,
                                   deadline=started + tools.deadline_seconds)
    return IMPORTED([result_of(outcome) for outcome in outcomes])


def checked_row(row, call):
    """A row checked as customer-user/create checks its parameters, with the batch's credentials and dryRun: the
    request it makes, or the ValidationError that refuses it."""
    schema = current_app.extensions["schemas"].of(CustomerUserCreateSchema)
    credentials = call.checked.credentials
    given = {key: value for key, value in row.items() if key not in (*CREDENTIALS.values(), "dryRun")}
    token = None
    if isinstance(credentials, KeyCredentials):
        token = AUTHORIZATION_GIVEN.set(f"Bearer {credentials.key}")
    else:
        given.update({CREDENTIALS["reseller_name"]: credentials.reseller_name,
                      CREDENTIALS["reseller_password"]: credentials.password})
    try:
        request = schema.load({**given, "dryRun": call.checked.dry_run})
        errors = schema.suffix_errors_of(request, call.reseller.name) if token is not None else {}
        if errors:
            raise ValidationError(errors)
        return request
    except ValidationError as refused:
        return refused
    finally:
        if token is not None:
            AUTHORIZATION_GIVEN.reset(token)


def result_of(outcome):
    """What customer-user/create would have answered for a row's outcome."""
    if isinstance(outcome, Created):
        return {**ROW_CREATED.body(outcome), "status": 0}
    if outcome is imports.DRY_RUN_PASSED:
        return {"status": 0, **DRY_RUN_PASSED.body(None)}
    result = row_result(outcome)
    if result is None:
        raise outcome
    return result
