"""The service itself: whether it and its database answer."""
from flask import Response

from app.domain.events import relay_health
from app.web.answers import HEALTHY
from app.web.endpoint import api, provisioning


@api.declare("health", operation_id="health", tag="service", summary="Whether the service and its database answer",
              description="200 when the database answers within 2 s (within a second when gunicorn's master answers "
                          "it, as behind the shipped nginx) and has every unique index the service relies on, else "
                          "503 (status 98). It also says whether the events relay runs and how far behind the "
                          "database's changes it is; a relay that does not run delays events and webhooks, never the "
                          "API, so it does not make health 503.", answers=(HEALTHY,),
              method="get")
def health() -> Response:
    tools = provisioning()
    with tools.health_unit_of_work() as uow:
        uow.ping()
        uow.require_uniqueness()
        relay = uow.events.relay_state()
    return HEALTHY(relay_health(relay, tools.clock()))

