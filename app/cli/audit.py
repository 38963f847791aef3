"""`audit show`: who created or changed what, when and from where."""
import click

from app.cli.common import command, existing, given_id, reseller_names, shown, the_one
from app.service_layer import audit as trails
from app.service_layer import lookups

audit = click.Group("audit", help="Who created or changed what, when and from where.")
AUDIT_LIMIT_MAX = 1000


@command(audit, name="show")
@click.option("--customer", "customer_name", help="events about the customer of this name or id")
@click.option("--user", "username", help="events about the user of this username or id")
@click.option("--reseller", "reseller_name", help="events of the reseller of this name")
@click.option("--limit", type=click.IntRange(1, AUDIT_LIMIT_MAX), default=20, show_default=True)
@click.option("--before", help="the events before this one (the id the previous page ended with)")
def show_audit(customer_name, username, reseller_name, limit, before, uow):
    """Show the newest audit events about one customer, user or reseller, newest first, a page at a time."""
    chosen = [(kind, value) for kind, value in (("customer", customer_name), ("user", username),
                                                ("reseller", reseller_name)) if value]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --customer, --user, --reseller")
    [(kind, value)] = chosen
    before = given_id(before, "--before")
    if kind == "customer":
        found = the_one(lookups.customers_named_or_with_id(value, uow=uow), kind, value)
        trail = trails.customer_trail(found.id, limit, before=before, uow=uow)
    elif kind == "user":
        found = the_one(lookups.users_named_or_with_id(value, uow=uow), kind, value)
        trail = trails.user_trail(found.id, limit, before=before, uow=uow)
    else:
        owner = existing(lookups.reseller_named(value, uow=uow), kind, value)
        trail = trails.reseller_trail(owner.id, limit, before=before, uow=uow)
    if not trail:
        click.echo(f"no audit events for {kind} {value}")
    names = reseller_names((entry.reseller_id for entry in trail), uow)
    for entry in trail:
        event = entry.event
        parts = [shown(event.at), event.action, f"reseller {names[entry.reseller_id]}"]
        parts += [f"{label} {value}" for label, value in (("customer", entry.customer_id), ("user", entry.user_id))
                  if value]
        if event.fields:
            parts.append(f"changed {','.join(event.fields)}")
        parts.append(f"from {shown(event.origin.client)}")
        if event.origin.request_id:
            parts.append(f"request {event.origin.request_id}")
        click.echo("  ".join(parts))
    if len(trail) == limit and trail[-1].id is not None:
        click.echo(f"more: --before {trail[-1].id}")
