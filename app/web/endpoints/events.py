"""The reseller's events feed."""
from flask import Response

from app.domain.exceptions import CustomerNotFound
from app.service_layer import events
from app.web import examples
from app.web.answers import EVENT_PAGE
from app.web.endpoint import Call, api
from app.web.endpoints.errors import EVENTS, READ
from app.web.schemas.events import EventListSchema


@api.declare(
    "events/list", operation_id="eventsList", tag=EVENTS, summary="The reseller's events, in order, after an id",
    description="Answers the reseller's events after the id given (0: from the first), in their order: every change "
                "of its customers, users, credits and API keys, numbered 1, 2, 3, ... without gaps, each exactly "
                "once. Keep the id of the last event you processed and ask again after it: the feed resumes there. "
                "next is null when the page reaches the end of the feed as it stands. type and customerId keep to "
                "events of one type or about one customer (its users' and its credits' included).",
    request=EventListSchema, answers=(EVENT_PAGE,), errors=(*READ, CustomerNotFound),
    example={**examples.CREDENTIALS, "after": 41, "limit": 50})
def events_list(call: Call) -> Response:
    return EVENT_PAGE(events.events_of(call.reseller.id, call.checked, uow=call.uow))
