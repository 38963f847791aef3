"""`reseller create|set-password|disable|enable|unlock|list`."""
import click

from app.cli.common import command, echo_fields, echo_rows, new_password, operator, shown, tools
from app.domain import passwords
from app.domain.commands import Credentials
from app.domain.text import identifier, text_problems
from app.service_layer import lookups, resellers

reseller = click.Group("reseller", help="Create, change, show and list resellers.")
FREE_CREDITS_MAX = 1_000_000_000


def checked_credentials(name):
    """Take the password from RESELLER_PASSWORD or a hidden prompt; check both by the API's rules, and the password
    by OWASP's: 8 characters or more, not one of the most common."""
    password = new_password("RESELLER_PASSWORD")
    stored, problems = identifier(name, forbidden="@") if name else (name, ["is required"])
    refused = [f"the name {problem}" for problem in problems]
    refused += [f"the password {problem}" for problem in text_problems(password, max_length=passwords.PASSWORD_MAX_LENGTH)]
    if refused:
        raise click.ClickException("; ".join(refused))
    weak = passwords.weakness(password, passwords.RESELLER_MINIMUM, refuse_common=True)
    if weak:
        raise click.ClickException(f"the password {weak}")
    return Credentials(stored, password)


@command(reseller)
@click.argument("name")
@click.option("--free-credits", type=click.IntRange(0, FREE_CREDITS_MAX),
              help="credits for customers created with applyFreeCredits=true")
def create(name, free_credits, uow):
    """Create an active reseller; the password comes from RESELLER_PASSWORD or a prompt."""
    credentials = checked_credentials(name)
    service = tools()
    if free_credits is None:
        free_credits = service.default_free_credits
    resellers.create_reseller(credentials.reseller_name, credentials.password, operator(), free_credits=free_credits,
                              uow=uow, hasher=service.hasher, clock=service.clock)
    click.echo(f"created reseller {name} (freeCredits {free_credits})")


@command(reseller)
@click.argument("name")
def set_password(name, uow):
    """Give a reseller a new password, from RESELLER_PASSWORD or a prompt."""
    credentials = checked_credentials(name)
    service = tools()
    resellers.change_reseller_password(credentials.reseller_name, credentials.password, operator(), uow=uow,
                                       hasher=service.hasher, clock=service.clock)
    click.echo(f"changed the password of reseller {name}")


@command(reseller)
@click.argument("name")
def disable(name, uow):
    """Refuse every request of a reseller from now on."""
    resellers.set_reseller_active(name, False, operator(), uow=uow, clock=tools().clock)
    click.echo(f"disabled reseller {name}")


@command(reseller)
@click.argument("name")
def enable(name, uow):
    """Accept a disabled reseller's requests again."""
    resellers.set_reseller_active(name, True, operator(), uow=uow, clock=tools().clock)
    click.echo(f"enabled reseller {name}")


@command(reseller)
@click.argument("name")
@click.option("--address", help="forget only the failures from this client address")
def unlock(name, address, uow):
    """Forget a reseller's failed authentications, so that a throttled reseller can work again at once."""
    forgotten = resellers.unlock_reseller(name, address, operator(), uow=uow, clock=tools().clock)
    click.echo(f"unlocked reseller {name}: forgot {forgotten} failed authentication(s)"
               + (f" from {address}" if address else ""))


@command(reseller, name="set-free-credits")
@click.argument("name")
@click.argument("free_credits", type=click.IntRange(0, FREE_CREDITS_MAX))
def set_free_credits(name, free_credits, uow):
    """Set the credits customers created with applyFreeCredits=true get from now on."""
    resellers.set_free_credits(name, free_credits, operator(), uow=uow, clock=tools().clock)
    click.echo(f"reseller {name} gives {free_credits} free credits from now on")


@command(reseller, name="list")
def list_resellers(uow):
    """Show every reseller: name, whether active, its freeCredits and how many customers it has."""
    rows = [("NAME", "ACTIVE", "FREE CREDITS", "CUSTOMERS")]
    for found, customers in lookups.resellers_with_customer_counts(uow=uow):
        rows.append((shown(found.name), "yes" if found.active else "no", str(found.free_credits), str(customers)))
    echo_rows(rows)


@command(reseller, name="show")
@click.argument("name")
def show_reseller(name, uow):
    """Show a reseller: whether it is enabled, its free credits, how many customers and users it has (and how many
    are suspended), and whether failed authentications lock its name out (and for how long)."""
    service = tools()
    summary = lookups.reseller_summary(name, uow=uow, limits=service.limits, clock=service.clock)
    found, locks = summary.reseller, summary.locks
    everywhere = f"yes, for {locks.everywhere} s more (all but its known addresses)" if locks.everywhere else "no"
    echo_fields([
        ("reseller", found.name),
        ("id", found.id),
        ("active", found.active),
        ("freeCredits", found.free_credits),
        ("customers", f"{summary.customers} ({summary.suspended_customers} suspended)"),
        ("users", f"{summary.users} ({summary.suspended_users} suspended)"),
        ("failures", f"{locks.failures} failed logins in the last {service.limits.window_seconds} s"),
        ("locked", everywhere),
        *[(f"locked from {address}", f"for {seconds} s more") for address, seconds in locks.addresses.items()],
        ("createdAt", found.created_at),
    ])
    if locks.everywhere or locks.addresses:
        click.echo(f"(provisioning reseller unlock {found.name} forgets them)")
