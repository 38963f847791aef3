"""The service itself: whether it and its database answer."""
from flask import Response

from app.web.answers import HEALTHY
from app.web.endpoint import api, provisioning


@api.declare("health", operation_id="health", tag="service", summary="Whether the service and its database answer",
              description="200 when the database answers within 2 s (within a second when gunicorn's master answers "
                          "it, as behind the shipped nginx) and has every unique index the service relies on, else "
                          "503 (status 98).", answers=(HEALTHY,),
              method="get")
def health() -> Response:
    with provisioning().health_unit_of_work() as uow:
        uow.ping()
        uow.require_uniqueness()
    return HEALTHY()

