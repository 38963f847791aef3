"""Webhooks: created (the signing secret shown once), listed, deleted and tried by their reseller, each change in the
audit trail; their deliveries seen and replayed by operators."""
from __future__ import annotations

from dataclasses import dataclass

from bson import ObjectId

from app.domain import events, webhooks
from app.domain.commands import NewWebhook
from app.domain.exceptions import WebhookNotFound
from app.domain.model import AuditEntry, Event, Origin, Page
from app.domain.webhooks import Delivery, Outcome, Webhook
from app.service_layer.ports import Clock, Sender, Stores, UnitOfWork


def create_webhook(reseller_id: ObjectId, request: NewWebhook, origin: Origin, *, uow: UnitOfWork,
                   clock: Clock) -> tuple[Webhook, str]:
    """A new webhook of the reseller, given the events after the reseller's last one (those to come), and its signing
    secret (shown once)."""
    event = Event("webhook.create", clock(), origin, ("url", "events"))
    secret = webhooks.new_secret()
    webhook = Webhook(ObjectId(), reseller_id, request.url, request.events, event,
                      through=uow.events.last_of(reseller_id))

    def write(stores: Stores) -> None:
        stores.webhooks.add(webhook, secret)
        stores.audit.record(AuditEntry(event, reseller_id))

    uow.together(write)
    return webhook, secret


def webhooks_of(reseller_id: ObjectId | None, after: ObjectId | None, limit: int, *, uow: UnitOfWork) -> Page:
    """A page of the reseller's webhooks (every reseller's, for operators, when None), in creation order."""
    return uow.webhooks.page_of(reseller_id, after, limit)


def delete_webhook(reseller_id: ObjectId, webhook_id: ObjectId, origin: Origin, *, uow: UnitOfWork,
                   clock: Clock) -> Webhook:
    """Delete the reseller's webhook: no delivery is made to it from now on; the webhook as it was."""
    event = Event("webhook.delete", clock(), origin, ("url", "events"))

    def write(stores: Stores) -> Webhook | None:
        gone = stores.webhooks.delete(reseller_id, webhook_id)
        if gone is not None:
            stores.audit.record(AuditEntry(event, reseller_id))
        return gone

    gone = uow.together(write)
    if gone is None:
        raise WebhookNotFound()
    return gone


def webhook_of(reseller_id: ObjectId, webhook_id: ObjectId, *, uow: UnitOfWork) -> Webhook:
    found = uow.webhooks.of(reseller_id, webhook_id)
    if found is None:
        raise WebhookNotFound()
    return found


def try_webhook(reseller_id: ObjectId, webhook_id: ObjectId, *, uow: UnitOfWork, sender: Sender,
                 clock: Clock) -> Outcome:
    """Send the reseller's webhook a test event now (id 0, type webhook.test), signed as every delivery; what the
    receiver answered. Nothing is recorded and no delivery waits for it."""
    webhook = webhook_of(reseller_id, webhook_id, uow=uow)
    secret = uow.webhooks.secret_of(webhook.id)
    if secret is None:
        raise WebhookNotFound()
    now = clock()
    body, headers = webhooks.signed(events.test_event(reseller_id, now), secret, now)
    return sender.post(webhook.url, body, headers)


def any_webhook(webhook_id: ObjectId, *, uow: UnitOfWork) -> Webhook:
    """For operators: the webhook with this id, whoever's it is."""
    found = uow.webhooks.with_id(webhook_id)
    if found is None:
        raise WebhookNotFound()
    return found


def deliveries_of(webhook_id: ObjectId, before: int | None, limit: int, *, uow: UnitOfWork) -> list[Delivery]:
    """For operators: a webhook's deliveries, newest event first."""
    any_webhook(webhook_id, uow=uow)
    return uow.deliveries.page_of(webhook_id, before, limit)


@dataclass(frozen=True)
class Replayed:
    """A replay: the webhook as it now is, and the first event it will be given again."""

    webhook: Webhook
    first: int


def replay(webhook_id: ObjectId, first: int | None, *, uow: UnitOfWork) -> Replayed:
    """For operators: deliver the webhook's events again from event first (by default its oldest delivery not taken,
    else the event after the last it was given), in order; a failing webhook is active again."""
    webhook = any_webhook(webhook_id, uow=uow)
    if first is None:
        oldest = uow.deliveries.oldest_undelivered(webhook_id)
        first = oldest.event_id if oldest else webhook.through + 1
    replayed = uow.webhooks.replay(webhook_id, max(0, first - 1))
    if replayed is None:
        raise WebhookNotFound()
    return Replayed(replayed, first)
