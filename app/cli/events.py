"""`events relay|list`: the relay that makes every committed change an event (and delivers them to webhooks), and
a reseller's feed as operators read it."""
import signal
import sys
import threading
from logging.config import dictConfig

import click

import config
from app import logs
from app.cli import relay_metrics
from app.cli.common import command, echo_rows, existing, shown, tools
from app.domain import events as kinds
from app.domain.commands import FeedRequest
from app.service_layer import events, lookups
from app.service_layer.deliveries import Delivering, Dispatcher
from app.service_layer.relay import Progress, run_relay

events_group = click.Group("events", help="The events relay, and resellers' event feeds.")
FEED_LIMIT_MAX = 1000


@events_group.command("relay")
def relay():
    """Run the events relay until stopped (SIGTERM or Ctrl-C): one at a time takes the lease and writes every change's
    event; others wait and take over when it stops. The one leading also delivers the events to webhooks."""
    try:
        settings = config.from_environment()
    except config.ConfigurationInvalid as error:
        raise SystemExit(f"provisioning: configuration: {error}") from None
    log_format = logs.chosen_format(settings["LOG_FORMAT"], settings["DEPLOYMENT"], sys.stderr)
    dictConfig(logs.logging_config(log_format, settings["LOG_LEVEL"]))
    made = tools()
    stop, leading = threading.Event(), threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: stop.set())
    if settings["RELAY_METRICS_PORT"]:
        relay_metrics.serve(settings["HOST"], settings["RELAY_METRICS_PORT"])
    dispatcher = Dispatcher(
        Delivering(made.unit_of_work, made.sender(), made.clock, made.retries,
                   going=lambda: leading.is_set() and not stop.is_set()),
        concurrency=made.webhook_concurrency, on_delivered=relay_metrics.DELIVERED.inc)

    def lead(held):
        if held:
            leading.set()
        else:
            leading.clear()
        relay_metrics.LEADING.set(1 if held else 0)

    def written(found):
        relay_metrics.RELAYED.inc(len(found))
        if found:
            dispatcher.wake()

    delivering = threading.Thread(target=dispatcher.run, args=(stop,), name="deliveries")
    delivering.start()
    logs.events.info("events relay started")
    try:
        run_relay(made.relay(), made.relay_lease_seconds, stop,
                  progress=Progress(leading=lead, lag=relay_metrics.LAG.set, written=written))
    finally:
        stop.set()
        delivering.join()
        logs.events.info("events relay stopped")


@command(events_group, name="list")
@click.option("--reseller", "reseller_name", required=True, help="the reseller whose events to list")
@click.option("--after", type=click.IntRange(0, kinds.LARGEST_ID), default=0, show_default=True,
              help="the events after this id")
@click.option("--limit", type=click.IntRange(1, FEED_LIMIT_MAX), default=50, show_default=True)
@click.option("--type", "event_type", type=click.Choice(kinds.TYPES), help="only events of this type")
def list_events(reseller_name, after, limit, event_type, uow):
    """List a reseller's events in their order: id, type, time, origin, what they concern, what changed."""
    owner = existing(lookups.reseller_named(reseller_name, uow=uow), "reseller", reseller_name)
    found = events.events_of(owner.id, FeedRequest(None, limit, after, event_type), uow=uow)
    rows = [("ID", "TYPE", "AT", "ORIGIN", "CONCERNS", "CHANGED")]
    for event in found.events:
        concerns = " ".join(f"{name}={value}" for name, value in (
            ("customer", event.customer_id), ("user", event.user_id), ("key", event.api_key_id),
            ("amount", event.amount)) if value is not None)
        rows.append((str(event.id), event.type, shown(event.occurred_at), event.origin, concerns,
                     ",".join(event.changed)))
    echo_rows(rows)
    if found.next_after:
        click.echo(f"more: --after {found.next_after}")
