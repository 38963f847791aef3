"""The operators' commands: `flask --app wsgi reseller|customer|user|audit|db ...`."""
import functools
import getpass
import json
import os
import socket

import click
from bson import ObjectId
from flask import current_app
from flask.cli import AppGroup
from marshmallow import ValidationError
from pymongo.errors import ConnectionFailure, ExecutionTimeout

from app.adapters import indexes
from app.domain import passwords
from app.domain.exceptions import ResellerExists, ResellerNotFound
from app.domain.model import Origin
from app.service_layer import services
from app.web.fields import quoted
from app.web.schemas import ResellerSchema

reseller = AppGroup("reseller", help="Create, change and list resellers.")
customer = AppGroup("customer", help="Look customers up, list, suspend and resume them.")
user = AppGroup("user", help="Look users up, list them, set their passwords, suspend and resume them.")
audit = AppGroup("audit", help="Who created or changed what, when and from where.")
db = AppGroup("db", help="The database's indexes and documents.")
GROUPS = (reseller, customer, user, audit, db)
credentials_schema = ResellerSchema()
FREE_CREDITS_MAX = 1_000_000_000
AUDIT_LIMIT_MAX = 1000
LIST_LIMIT_MAX = 1000
CLI_NAMES = {"resellerName": "the name", "resellerPassword": "the password"}


def provisioning():
    return current_app.extensions["provisioning"]


def command(group, name=None):
    """A subcommand of group, run within a unit of work (passed as uow), whose expected failures end in one
    clear line and exit status 1."""

    def decorate(function):
        @functools.wraps(function)
        def run(*args, **kwargs):
            try:
                with provisioning().unit_of_work() as uow:
                    function(*args, uow=uow, **kwargs)
            except ResellerExists as error:
                raise click.ClickException(f"a reseller named {error} already exists") from None
            except ResellerNotFound as error:
                raise click.ClickException(f"there is no reseller named {error}") from None
            except (ConnectionFailure, ExecutionTimeout):
                raise click.ClickException("the database is unavailable (see MONGODB_URI)") from None

        return group.command(name)(run)

    return decorate


def operator():
    """The audit trail's origin of a command: who ran it, on which host."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = f"uid {os.getuid()}"
    return Origin(client=f"cli {who}@{socket.gethostname()}")


def new_password(variable):
    """A password from the environment variable, or else from a hidden prompt that asks twice."""
    return os.environ.get(variable) or click.prompt("Password", hide_input=True, confirmation_prompt=True)


def checked_credentials(name):
    """Take the password from RESELLER_PASSWORD or a hidden prompt; check both by the API's rules, and the password
    by OWASP's: 8 characters or more, not one of the most common."""
    password = new_password("RESELLER_PASSWORD")
    try:
        credentials = ResellerSchema.credentials(credentials_schema.load({"resellerName": name,
                                                                          "resellerPassword": password}))
    except ValidationError as error:
        problems = [f"{CLI_NAMES[key]} {message}" for key, messages in error.messages_dict.items() for message in messages]
        raise click.ClickException("; ".join(problems)) from None
    weak = passwords.weakness(credentials.password, passwords.RESELLER_MINIMUM, refuse_common=True)
    if weak:
        raise click.ClickException(f"the password {weak}")
    return credentials


@command(reseller)
@click.argument("name")
@click.option("--free-credits", type=click.IntRange(0, FREE_CREDITS_MAX), help="credits for customers created with applyFreeCredits=true")
def create(name, free_credits, uow):
    """Create an active reseller; the password comes from RESELLER_PASSWORD or a prompt."""
    credentials = checked_credentials(name)
    tools = provisioning()
    if free_credits is None:
        free_credits = tools.default_free_credits
    services.create_reseller(credentials.reseller_name, credentials.password, operator(), free_credits=free_credits,
                             uow=uow, hasher=tools.hasher, clock=tools.clock)
    click.echo(f"created reseller {name} (freeCredits {free_credits})")


@command(reseller)
@click.argument("name")
def set_password(name, uow):
    """Give a reseller a new password, from RESELLER_PASSWORD or a prompt."""
    credentials = checked_credentials(name)
    tools = provisioning()
    services.change_reseller_password(credentials.reseller_name, credentials.password, operator(), uow=uow,
                                      hasher=tools.hasher, clock=tools.clock)
    click.echo(f"changed the password of reseller {name}")


@command(reseller)
@click.argument("name")
def disable(name, uow):
    """Refuse every request of a reseller from now on."""
    services.set_reseller_active(name, False, operator(), uow=uow, clock=provisioning().clock)
    click.echo(f"disabled reseller {name}")


@command(reseller)
@click.argument("name")
def enable(name, uow):
    """Accept a disabled reseller's requests again."""
    services.set_reseller_active(name, True, operator(), uow=uow, clock=provisioning().clock)
    click.echo(f"enabled reseller {name}")


@command(reseller)
@click.argument("name")
@click.option("--address", help="forget only the failures from this client address")
def unlock(name, address, uow):
    """Forget a reseller's failed authentications, so that a throttled reseller can work again at once."""
    forgotten = services.unlock_reseller(name, address, operator(), uow=uow, clock=provisioning().clock)
    click.echo(f"unlocked reseller {name}: forgot {forgotten} failed authentication(s)"
               + (f" from {address}" if address else ""))


@command(reseller, name="list")
def list_resellers(uow):
    """Show every reseller: name, whether active, its freeCredits and how many customers it has."""
    rows = [("NAME", "ACTIVE", "FREE CREDITS", "CUSTOMERS")]
    for found, customers in uow.repository.resellers_with_customer_counts():
        rows.append((shown(found.name), "yes" if found.active else "no", str(found.free_credits), str(customers)))
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def shown(value):
    """A stored value as a person reads it on a terminal: times in UTC, objects as JSON, booleans as true/false, and
    no character that could move the cursor or reorder the line (written as an escape)."""
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict) or value == "":
        return quoted(json.dumps(value, ensure_ascii=False))
    return quoted(str(value))


def echo_fields(fields):
    width = max(len(label) for label, _ in fields)
    for label, value in fields:
        click.echo(f"{label.ljust(width)}  {shown(value)}")


def existing(found, kind, name):
    """The object found, or a one-line error saying there is none of that name."""
    if found is None:
        raise click.ClickException(f"there is no {kind} named {quoted(name)}")
    return found


def the_one(found, kind, name_or_id):
    """The customer or user an operator named by id or name: the id wins, and a different one of that name is told."""
    if not found:
        raise click.ClickException(f"there is no {kind} named {quoted(name_or_id)} or with that id")
    if len(found) > 1:
        click.echo(f"note: {name_or_id} is the id of this {kind}; the {kind} of that name has id {found[1].id}",
                   err=True)
    return found[0]


def reseller_named(repository, reseller_id):
    """'name (id)' of a reseller."""
    found = repository.reseller_by_id(reseller_id)
    return f"{found.name if found else '(deleted)'} ({reseller_id})"


@command(customer, name="show")
@click.argument("name_or_id")
def show_customer(name_or_id, uow):
    """Show a customer (by name or id): ids, reseller, settings, credits and how many users it has."""
    repository = uow.repository
    found = the_one(repository.customers_named_or_with_id(name_or_id), "customer", name_or_id)
    echo_fields([
        ("customer", found.name),
        ("id", found.id),
        ("reseller", reseller_named(repository, found.reseller_id)),
        ("integrationId", found.integration_id),
        ("rotationAlgorithm", found.rotation_algorithm),
        ("billingType", found.billing_type),
        ("moCharge", found.mo_charge),
        ("credits", found.credits),
        ("active", found.active),
        ("users", repository.count_users(found.id)),
        ("createdAt", found.created.at),
    ])


@command(customer, name="list")
@click.option("--reseller", "reseller_name", required=True, help="the reseller whose customers to list")
@click.option("--limit", type=click.IntRange(1, LIST_LIMIT_MAX), default=50, show_default=True)
@click.option("--after", help="the last id of the previous page")
def list_customers(reseller_name, limit, after, uow):
    """List a reseller's customers in creation order: id, name, active, credits."""
    owner = existing(uow.repository.reseller_named(reseller_name), "reseller", reseller_name)
    found = uow.repository.customers_of(owner.id, page_after(after), limit)
    echo_table(("ID", "NAME", "ACTIVE", "CREDITS"),
               [(str(c.id), shown(c.name), shown(c.active), str(c.credits)) for c in found.items], found)


@command(customer, name="suspend")
@click.argument("name_or_id")
def suspend_customer(name_or_id, uow):
    """Suspend a customer: the platform stops serving every user of it."""
    found = the_one(uow.repository.customers_named_or_with_id(name_or_id), "customer", name_or_id)
    services.set_customer_active(found.reseller_id, found.id, False, operator(), uow=uow, clock=provisioning().clock)
    click.echo(f"suspended customer {found.name}")


@command(customer, name="resume")
@click.argument("name_or_id")
def resume_customer(name_or_id, uow):
    """Resume a suspended customer."""
    found = the_one(uow.repository.customers_named_or_with_id(name_or_id), "customer", name_or_id)
    services.set_customer_active(found.reseller_id, found.id, True, operator(), uow=uow, clock=provisioning().clock)
    click.echo(f"resumed customer {found.name}")


def page_after(after):
    if after is None:
        return None
    if not ObjectId.is_valid(after):
        raise click.BadParameter("must be an id: 24 hexadecimal digits", param_hint="--after")
    return ObjectId(after)


def echo_table(header, rows, found):
    """Rows under a header, columns aligned, then how to ask for the next page when there is one."""
    rows = [header, *rows]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    if found.next_after:
        click.echo(f"more: --after {found.next_after}")


USER_FIELDS = (("email", "email"), ("phoneNumber", "phone_number"), ("virtualNumber", "virtual_number"),
               ("contactName", "contact_name"), ("moPush", "mo_push"), ("finalStatusPush", "final_status_push"),
               ("swappingSourceAddressAllowed", "swapping_source_address_allowed"), ("active", "active"))


@command(user, name="show")
@click.argument("username_or_id")
def show_user(username_or_id, uow):
    """Show a user (by username or id): ids, customer, reseller, contact details and push configs; never its hash."""
    repository = uow.repository
    found = the_one(repository.users_named_or_with_id(username_or_id), "user", username_or_id)
    owner = repository.customer_of(found.reseller_id, found.customer_id)
    echo_fields([
        ("user", found.username),
        ("id", found.id),
        ("customer", f"{owner.name if owner else '(deleted)'} ({found.customer_id})"),
        ("reseller", reseller_named(repository, found.reseller_id)),
        *[(label, getattr(found, name)) for label, name in USER_FIELDS if getattr(found, name) is not None],
        ("createdAt", found.created.at),
    ])


@command(user, name="list")
@click.option("--customer", "customer_name", required=True, help="the customer (name or id) whose users to list")
@click.option("--limit", type=click.IntRange(1, LIST_LIMIT_MAX), default=50, show_default=True)
@click.option("--after", help="the last id of the previous page")
def list_users(customer_name, limit, after, uow):
    """List a customer's users in creation order: id, username, active."""
    owner = the_one(uow.repository.customers_named_or_with_id(customer_name), "customer", customer_name)
    found = uow.repository.users_of(owner.reseller_id, page_after(after), limit, customer_id=owner.id)
    echo_table(("ID", "USERNAME", "ACTIVE"), [(str(u.id), shown(u.username), shown(u.active)) for u in found.items], found)


@command(user, name="set-password")
@click.argument("username_or_id")
def set_user_password(username_or_id, uow):
    """Give a user a new password, from USER_PASSWORD or a prompt."""
    found = the_one(uow.repository.users_named_or_with_id(username_or_id), "user", username_or_id)
    password = new_password("USER_PASSWORD")
    # The rule user/update applies: the schema checks it with placeholder credentials.
    problems = current_app.extensions["schemas"].user_update.validate(
        {"resellerName": "operator", "resellerPassword": "unused", "userId": str(found.id), "password": password})
    if problems:
        raise click.ClickException("the password " + "; ".join(problems.get("password", ["is not valid"])))
    tools = provisioning()
    services.change_user(found.reseller_id, found.id, {}, operator(), password=password, uow=uow, hasher=tools.hasher,
                         clock=tools.clock)
    click.echo(f"changed the password of user {found.username}")


@command(user, name="suspend")
@click.argument("username_or_id")
def suspend_user(username_or_id, uow):
    """Suspend a user: the platform stops serving it."""
    found = the_one(uow.repository.users_named_or_with_id(username_or_id), "user", username_or_id)
    services.set_user_active(found.reseller_id, found.id, False, operator(), uow=uow, clock=provisioning().clock)
    click.echo(f"suspended user {found.username}")


@command(user, name="resume")
@click.argument("username_or_id")
def resume_user(username_or_id, uow):
    """Resume a suspended user."""
    found = the_one(uow.repository.users_named_or_with_id(username_or_id), "user", username_or_id)
    services.set_user_active(found.reseller_id, found.id, True, operator(), uow=uow, clock=provisioning().clock)
    click.echo(f"resumed user {found.username}")


@command(audit, name="show")
@click.option("--customer", "customer_name", help="events about the customer of this name or id")
@click.option("--user", "username", help="events about the user of this username or id")
@click.option("--reseller", "reseller_name", help="events of the reseller of this name")
@click.option("--limit", type=click.IntRange(1, AUDIT_LIMIT_MAX), default=20, show_default=True)
def show_audit(customer_name, username, reseller_name, limit, uow):
    """Show the newest audit events about one customer, user or reseller, newest first."""
    chosen = [(kind, value) for kind, value in (("customer", customer_name), ("user", username), ("reseller", reseller_name)) if value]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --customer, --user, --reseller")
    [(kind, value)] = chosen
    repository = uow.repository
    if kind == "customer":
        entries = repository.customer_trail(the_one(repository.customers_named_or_with_id(value), kind, value).id, limit)
    elif kind == "user":
        entries = repository.user_trail(the_one(repository.users_named_or_with_id(value), kind, value).id)
    else:
        entries = repository.reseller_trail(existing(repository.reseller_named(value), kind, value).id, limit)
    trail = services.audit_trail(entries, limit)
    if not trail:
        click.echo(f"no audit events for {kind} {value}")
    names = {}
    for entry in trail:
        if entry.reseller_id not in names:
            found = repository.reseller_by_id(entry.reseller_id)
            names[entry.reseller_id] = shown(found.name) if found else str(entry.reseller_id)
        event = entry.event
        parts = [shown(event.at), event.action, f"reseller {names[entry.reseller_id]}"]
        parts += [f"{label} {value}" for label, value in (("customer", entry.customer_id), ("user", entry.user_id)) if value]
        if event.fields:
            parts.append(f"changed {','.join(event.fields)}")
        parts.append(f"from {shown(event.origin.client)}")
        if event.origin.request_id:
            parts.append(f"request {event.origin.request_id}")
        click.echo("  ".join(parts))


@db.command("upgrade")
def upgrade():
    """Create and change the indexes the service relies on, and fill in what older documents lack."""
    database = provisioning().repository.db
    try:
        done = list(indexes.upgrade(database))
    except indexes.UpgradeBlocked as error:
        raise click.ClickException(str(error)) from None
    except ConnectionFailure:
        raise click.ClickException("the database is unavailable (see MONGODB_URI)") from None
    for line in done:
        click.echo(line)
    click.echo(f"database {database.name} is up to date")
