"""The service itself: whether it and its database answer, and its OpenAPI document."""
from flask import Response, current_app

from app.web import openapi
from app.web.answers import HEALTHY
from app.web.endpoint import api, provisioning


@api.declare("health", operation_id="health", tag="service", summary="Whether the service and its database answer",
              description="200 when the database answers within 2 s, else 503 (status 98).", answers=(HEALTHY,),
              method="get")
def health() -> Response:
    with provisioning().health_unit_of_work() as uow:
        uow.ping()
    return HEALTHY()


@api.get("/openapi.json", provide_automatic_options=False)
def openapi_document() -> dict:
    return openapi.document(current_app.config["USER_PASSWORD_MIN_LENGTH"])
