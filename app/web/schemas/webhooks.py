"""Webhooks' parameters: a new webhook, a page of webhooks, a webhook to delete or try."""
from marshmallow import post_load

from app.domain import events, webhooks
from app.domain.commands import ListRequest, NewWebhook, WebhookLookup
from app.web import fields, patterns
from app.web.schemas import parameters
from app.web.schemas.base import ResellerSchema
from app.web.schemas.parameters import described


def webhook_id():
    return fields.ObjectIdText(data_key="webhookId", required=True, **described("the id of one of the reseller's "
                                                                                "webhooks"))


class WebhookCreateSchema(ResellerSchema):
    """webhook/create."""

    component = "WebhookCreate"
    url = fields.WebhookUrl(required=True, **described(
        "where the events are POSTed: an absolute https URL of a public host (push URLs' rules; http and private "
        "hosts too where the platform sets ALLOW_PRIVATE_PUSH_TARGETS=on)"))
    events = fields.ListOf(webhooks.event_types, item_pattern=patterns.EVENT_TYPE_PATTERN, most=len(events.TYPES),
                           description="event types, or * for every type", required=True,
                           **described("the event types sent to it, or * for every type"))

    @post_load
    def make_request(self, data, **kwargs):
        return NewWebhook(self.credentials(data), data["url"], data["events"])


class WebhookListSchema(ResellerSchema):
    """webhook/list."""

    component = "WebhookList"
    limit = parameters.limit()
    after = parameters.after()

    @post_load
    def make_request(self, data, **kwargs):
        return ListRequest(self.credentials(data), data["limit"], data.get("after"))


class WebhookLookupSchema(ResellerSchema):
    """webhook/delete, webhook/test."""

    component = "WebhookLookup"
    webhook_id = webhook_id()

    @post_load
    def make_request(self, data, **kwargs):
        return WebhookLookup(self.credentials(data), data["webhook_id"])
