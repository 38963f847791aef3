"""`webhook list|deliveries|replay`: resellers' webhooks and their deliveries, for operators."""
import click

from app.cli.common import (
    after_option,
    command,
    echo_rows,
    echo_table,
    existing,
    given_id,
    limit_option,
    reseller_names,
    shown,
)
from app.domain.exceptions import WebhookNotFound
from app.service_layer import lookups, webhooks

webhook = click.Group("webhook", help="Resellers' webhooks: list them, see and replay their deliveries.")
DELIVERIES_LIMIT_MAX = 1000


@command(webhook, name="list")
@click.option("--reseller", "reseller_name", help="the reseller whose webhooks to list (all resellers' without)")
@limit_option
@after_option
def list_webhooks(reseller_name, limit, after, uow):
    """List webhooks in creation order: id, reseller, state, last event given, URL, event types, last error."""
    owner = existing(lookups.reseller_named(reseller_name, uow=uow), "reseller", reseller_name) if reseller_name else None
    found = webhooks.webhooks_of(owner.id if owner else None, given_id(after), limit, uow=uow)
    names = reseller_names((one.reseller_id for one in found.items), uow)
    echo_table(("ID", "RESELLER", "STATE", "THROUGH", "URL", "EVENTS", "LAST ERROR"),
               [(str(one.id), names[one.reseller_id], one.state, str(one.through), shown(one.url),
                 ",".join(one.events), shown(one.last_error or "")) for one in found.items], found)


@command(webhook, name="deliveries")
@click.argument("webhook_id_given", metavar="WEBHOOK_ID")
@click.option("--limit", type=click.IntRange(1, DELIVERIES_LIMIT_MAX), default=50, show_default=True)
@click.option("--before", type=click.IntRange(1), help="the deliveries of events before this id")
def list_deliveries(webhook_id_given, limit, before, uow):
    """List a webhook's deliveries, newest event first: event, type, state, attempts, last answer, when, next try."""
    try:
        found = webhooks.deliveries_of(given_id(webhook_id_given, "WEBHOOK_ID"), before, limit, uow=uow)
    except WebhookNotFound:
        raise click.ClickException(f"there is no webhook with id {webhook_id_given}") from None
    echo_rows([("EVENT", "TYPE", "STATE", "ATTEMPTS", "LAST ANSWER", "LAST ATTEMPT", "NEXT ATTEMPT"),
               *[(str(one.event_id), one.type, one.state, str(one.attempts),
                  str(one.last_code) if one.last_code is not None else shown(one.last_error or "-"),
                  shown(one.last_attempt_at), shown(one.next_attempt_at) if one.next_attempt_at else "-")
                 for one in found]])
    if len(found) == limit:
        click.echo(f"more: --before {found[-1].event_id}")


@command(webhook, name="replay")
@click.argument("webhook_id_given", metavar="WEBHOOK_ID")
@click.option("--from", "first", type=click.IntRange(1),
              help="the first event to deliver again (default: the oldest delivery not taken)")
def replay_deliveries(webhook_id_given, first, uow):
    """Deliver a webhook's events again, in order, from an event on (a failing webhook is active again)."""
    try:
        done = webhooks.replay(given_id(webhook_id_given, "WEBHOOK_ID"), first, uow=uow)
    except WebhookNotFound:
        raise click.ClickException(f"there is no webhook with id {webhook_id_given}") from None
    click.echo(f"webhook {done.webhook.id} is {done.webhook.state}: its events from {done.first} on are delivered "
               "again, in order")
