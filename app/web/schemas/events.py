"""The feed's parameters: the events after an id, at most limit, optionally of one type or one customer."""
from marshmallow import post_load

from app.domain import events
from app.domain.commands import FeedRequest
from app.web import fields
from app.web.schemas import parameters
from app.web.schemas.base import ResellerSchema
from app.web.schemas.parameters import described


class EventListSchema(ResellerSchema):
    """events/list."""

    component = "EventList"
    after = fields.WholeNumber(minimum=0, maximum=events.LARGEST_ID, load_default=0, **described(
        "the events after this id (the last one the previous page or call gave); 0 or none: from the first"))
    limit = parameters.limit()
    event_type = fields.Choice(events.TYPES, data_key="type", **described("only events of this type"))
    customer_id = fields.ObjectIdText(data_key="customerId", **described(
        "only the events about this customer of the reseller: its own, its users' and its credits'"))

    @post_load
    def make_request(self, data, **kwargs):
        return FeedRequest(self.credentials(data), data["limit"], data["after"], data.get("event_type"),
                           data.get("customer_id"))
