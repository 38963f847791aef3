"""`customer show|list|suspend|resume`."""
import click

from app.cli.common import (
    after_option,
    command,
    echo_fields,
    echo_table,
    existing,
    limit_option,
    operator,
    page_after,
    shown,
    the_one,
    tools,
)
from app.service_layer import customers, lookups

customer = click.Group("customer", help="Look customers up, list, suspend and resume them.")


def reseller_named(reseller_id, uow):
    """'name (id)' of a reseller."""
    found = lookups.reseller_with_id(reseller_id, uow=uow)
    return f"{found.name if found else '(deleted)'} ({reseller_id})"


def named(name_or_id, uow):
    """The customer an operator named, by name or id."""
    return the_one(lookups.customers_named_or_with_id(name_or_id, uow=uow), "customer", name_or_id)


@command(customer, name="show")
@click.argument("name_or_id")
def show_customer(name_or_id, uow):
    """Show a customer (by name or id): ids, reseller, settings, credits and how many users it has."""
    found = named(name_or_id, uow)
    echo_fields([
        ("customer", found.name),
        ("id", found.id),
        ("reseller", reseller_named(found.reseller_id, uow)),
        ("integrationId", found.integration_id),
        ("rotationAlgorithm", found.rotation_algorithm),
        ("billingType", found.billing_type),
        ("moCharge", found.mo_charge),
        ("credits", found.credits),
        ("active", found.active),
        ("users", lookups.user_count(found.id, uow=uow)),
        ("createdAt", found.created.at),
    ])


@command(customer, name="list")
@click.option("--reseller", "reseller_name", required=True, help="the reseller whose customers to list")
@limit_option
@after_option
def list_customers(reseller_name, limit, after, uow):
    """List a reseller's customers in creation order: id, name, active, credits."""
    owner = existing(lookups.reseller_named(reseller_name, uow=uow), "reseller", reseller_name)
    found = lookups.customers_of_reseller(owner.id, page_after(after), limit, uow=uow)
    echo_table(("ID", "NAME", "ACTIVE", "CREDITS"),
               [(str(c.id), shown(c.name), shown(c.active), str(c.credits)) for c in found.items], found)


def set_active(name_or_id, active, uow):
    found = named(name_or_id, uow)
    customers.set_customer_active(found.reseller_id, found.id, active, operator(), uow=uow, clock=tools().clock)
    return found


@command(customer, name="suspend")
@click.argument("name_or_id")
def suspend_customer(name_or_id, uow):
    """Suspend a customer: the platform stops serving every user of it."""
    click.echo(f"suspended customer {set_active(name_or_id, False, uow).name}")


@command(customer, name="resume")
@click.argument("name_or_id")
def resume_customer(name_or_id, uow):
    """Resume a suspended customer."""
    click.echo(f"resumed customer {set_active(name_or_id, True, uow).name}")
