"""`customer show|list|suspend|resume`."""
import click

from app.cli.common import (
    after_option,
    command,
    echo_fields,
    echo_table,
    existing,
    given_id,
    limit_option,
    operator,
    shown,
    shown_change,
    the_one,
    tools,
)
from app.domain import credits
from app.domain.commands import CreditRequest, CustomerChange, LedgerRequest
from app.domain.exceptions import InsufficientCredits, ReferenceReused
from app.domain.model import BY_OPERATOR
from app.domain.text import text_problems
from app.service_layer import credits as credits_service
from app.service_layer import customers, lookups

ROTATION_ALGORITHMS = ("CONVERSATION", "MAX_ROTATION")
BILLING_TYPES = ("PRE_PAID", "POST_PAID")
MO_CHARGE_MAX = 1_000_000_000

customer = click.Group("customer", help="Look customers up, list, change, suspend and resume them, and their credits.")


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
        *([("suspendedBy", found.suspended_by)] if found.suspended_by else []),
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
    found = lookups.customers_of_reseller(owner.id, given_id(after), limit, uow=uow)
    echo_table(("ID", "NAME", "ACTIVE", "CREDITS"),
               [(str(c.id), shown(c.name), shown(c.active), str(c.credits)) for c in found.items], found)


def set_active(name_or_id, active, uow):
    """Suspend (an operators' hold: its reseller cannot resume it) or resume a customer, as the operators."""
    found = named(name_or_id, uow)
    customers.set_customer_active(found.reseller_id, found.id, active, operator(), uow=uow, clock=tools().clock,
                                  by=BY_OPERATOR)
    return found


@command(customer, name="suspend")
@click.argument("name_or_id")
def suspend_customer(name_or_id, uow):
    """Suspend a customer: the platform stops serving every user of it, until an operator resumes it (its reseller
    cannot)."""
    click.echo(f"suspended customer {set_active(name_or_id, False, uow).name}")


@command(customer, name="resume")
@click.argument("name_or_id")
def resume_customer(name_or_id, uow):
    """Resume a suspended customer."""
    click.echo(f"resumed customer {set_active(name_or_id, True, uow).name}")


# A negative AMOUNT is an argument, not an unknown option (click's documented way: ignore_unknown_options).
@command(customer, name="credit", context_settings={"ignore_unknown_options": True})
@click.argument("name_or_id")
@click.argument("amount", type=click.IntRange(-credits.AMOUNT_MAX, credits.AMOUNT_MAX))
@click.option("--reason", type=click.Choice(credits.REASONS), required=True, help="what the change is")
@click.option("--reference", help="the ticket or invoice it is for (once per customer)")
def credit_customer(name_or_id, amount, reason, reference, uow):
    """Add AMOUNT credits to a customer (negative: take them), never below 0; recorded as the operator's."""
    if amount == 0:
        raise click.BadParameter("must not be 0", param_hint="AMOUNT")
    if reference is not None and (problems := text_problems(reference, max_length=credits.REFERENCE_MAX_LENGTH)):
        raise click.BadParameter("; ".join(problems), param_hint="--reference")
    found = named(name_or_id, uow)
    request = CreditRequest(None, found.id, amount, reason, reference)
    try:
        made = credits_service.change_credits(found.reseller_id, request, operator(), None, uow=uow,
                                              clock=tools().clock, by=BY_OPERATOR)
    except InsufficientCredits:
        raise click.ClickException(f"customer {found.name} has {found.credits} credits: {amount} would take them "
                                   "below 0; nothing was changed") from None
    except ReferenceReused:
        raise click.ClickException(f"the reference {reference} was used before on this customer with another amount "
                                   "or reason") from None
    what = "was already" if made.replayed else "is now"
    click.echo(f"customer {found.name} {what} at {made.entry.balance_after} credits ({made.entry.amount:+d}, "
               f"{made.entry.reason}, transaction {made.entry.id})")


@command(customer, name="transactions")
@click.argument("name_or_id")
@limit_option
@after_option
@click.option("--order", type=click.Choice(["desc", "asc"]), default="desc", show_default=True)
def customer_transactions(name_or_id, limit, after, order, uow):
    """List a customer's ledger: time, amount, reason, balance after, origin, reference."""
    found = named(name_or_id, uow)
    page = credits_service.ledger_of(found.reseller_id, LedgerRequest(None, found.id, limit, given_id(after),
                                                                      order == "asc"), uow=uow)
    echo_table(("ID", "AT", "AMOUNT", "REASON", "BALANCE", "ORIGIN", "REFERENCE"),
               [(str(entry.id), shown(entry.created.at), f"{entry.amount:+d}", entry.reason, str(entry.balance_after),
                 entry.origin, shown(entry.reference or "")) for entry in page.items], page)


@command(customer, name="update")
@click.argument("name_or_id")
@click.option("--integration-id", help="the reseller's own reference for the customer")
@click.option("--rotation-algorithm", type=click.Choice(ROTATION_ALGORITHMS))
@click.option("--billing-type", type=click.Choice(BILLING_TYPES))
@click.option("--mo-charge", type=click.IntRange(0, MO_CHARGE_MAX), help="what a mobile-originated message costs")
@click.option("--dry-run", is_flag=True, help="say what would change, and change nothing")
def update_customer(name_or_id, integration_id, rotation_algorithm, billing_type, mo_charge, dry_run, uow):
    """Change a customer's settings (its name cannot change): recorded as the operators'."""
    if integration_id is not None and (problems := text_problems(integration_id, max_length=128)):
        raise click.BadParameter("; ".join(problems), param_hint="--integration-id")
    changes = {name: value for name, value in (("integration_id", integration_id),
                                               ("rotation_algorithm", rotation_algorithm),
                                               ("billing_type", billing_type), ("mo_charge", mo_charge))
               if value is not None}
    if not changes:
        raise click.UsageError("nothing to change: give at least one of --integration-id, --rotation-algorithm, "
                               "--billing-type, --mo-charge")
    found = named(name_or_id, uow)
    request = CustomerChange(None, found.id, changes)
    preview = customers.preview_customer_change(found.reseller_id, request, uow=uow)
    said = ", ".join(shown_change(name, getattr(found, name), getattr(preview.found, name))
                     for name in preview.changed) or "nothing"
    if dry_run:
        click.echo(f"customer {found.name}: would change {said}; nothing was written")
        return
    customers.change_customer(found.reseller_id, request, operator(), uow=uow, clock=tools().clock)
    click.echo(f"updated customer {found.name}: {said}")
