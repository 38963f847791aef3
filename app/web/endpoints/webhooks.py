"""The reseller's webhooks: create (the signing secret shown once), list, delete, test."""
from flask import Response

from app.domain.exceptions import WebhookNotFound
from app.service_layer import webhooks
from app.web import examples
from app.web.answers import ONE_WEBHOOK, WEBHOOK_CREATED, WEBHOOK_PAGE, WEBHOOK_TRIED
from app.web.endpoint import Call, api
from app.web.endpoints.errors import READ, WEBHOOKS
from app.web.schemas.webhooks import WebhookCreateSchema, WebhookListSchema, WebhookLookupSchema

LOOKUP = {**examples.CREDENTIALS, "webhookId": examples.WEBHOOK_ID}


@api.declare(
    "webhook/create", operation_id="webhookCreate", tag=WEBHOOKS, summary="Create a webhook",
    description="From now on, each of the reseller's events of the types given is POSTed to url as JSON (the event "
                "as events/list answers it), in order, with X-Provisioning-Event-Id and X-Provisioning-Signature: "
                "t=<unix time>,v1=<hex HMAC-SHA-256 of \"t.body\" keyed with the secret>. An answer other than 2xx "
                "within 10 s is retried with exponential backoff for 24 h, later events waiting behind it; then the "
                "webhook is failing. At least once: dedupe by event id. The secret is in this answer only.",
    request=WebhookCreateSchema, answers=(WEBHOOK_CREATED,), errors=READ,
    example={**examples.CREDENTIALS, "url": examples.WEBHOOK_URL, "events": ["*"]})
def webhook_create(call: Call) -> Response:
    return WEBHOOK_CREATED(webhooks.create_webhook(call.reseller.id, call.checked, call.origin, uow=call.uow,
                                                   clock=call.tools.clock))


@api.declare(
    "webhook/list", operation_id="webhookList", tag=WEBHOOKS, summary="The reseller's webhooks, a page at a time",
    description="Answers a page of the reseller's webhooks in creation order (never a secret), each active or "
                "failing; next is the after of the following page.",
    request=WebhookListSchema, answers=(WEBHOOK_PAGE,), errors=READ, example={**examples.CREDENTIALS, "limit": 20})
def webhook_list(call: Call) -> Response:
    return WEBHOOK_PAGE(webhooks.webhooks_of(call.reseller.id, call.checked.after, call.checked.limit, uow=call.uow))


@api.declare(
    "webhook/delete", operation_id="webhookDelete", tag=WEBHOOKS, summary="Delete a webhook",
    description="Deletes the webhook: no delivery is made to it from now on. Answers the webhook as it was.",
    request=WebhookLookupSchema, answers=(ONE_WEBHOOK,), errors=(*READ, WebhookNotFound), example=LOOKUP)
def webhook_delete(call: Call) -> Response:
    return ONE_WEBHOOK(webhooks.delete_webhook(call.reseller.id, call.checked.webhook_id, call.origin, uow=call.uow,
                                               clock=call.tools.clock))


@api.declare(
    "webhook/test", operation_id="webhookTest", tag=WEBHOOKS, summary="Send a webhook a test event now",
    description="POSTs a test event (id 0, type webhook.test) to the webhook now, signed as every delivery, and "
                "answers what the receiver answered within 10 s (status 0 whatever it answered). Nothing is retried "
                "or recorded, and no delivery waits for it.",
    request=WebhookLookupSchema, answers=(WEBHOOK_TRIED,), errors=(*READ, WebhookNotFound), example=LOOKUP)
def webhook_test(call: Call) -> Response:
    return WEBHOOK_TRIED(webhooks.try_webhook(call.reseller.id, call.checked.webhook_id, uow=call.uow,
                                              sender=call.tools.sender(), clock=call.tools.clock))
