"""The operators' commands: `flask --app wsgi reseller|customer|user|audit ...`."""
import functools
import getpass
import json
import os
import socket

import click
from flask import current_app
from flask.cli import AppGroup
from marshmallow import ValidationError
from pymongo.errors import ConnectionFailure

from app import services
from app.exceptions import ResellerExists, ResellerNotFound
from app.model import Origin
from app.schemas import ResellerSchema

reseller = AppGroup("reseller", help="Create, change and list resellers.")
customer = AppGroup("customer", help="Look customers up.")
user = AppGroup("user", help="Look users up.")
audit = AppGroup("audit", help="Who created or changed what, when and from where.")
credentials_schema = ResellerSchema()
FREE_CREDITS_MAX = 1_000_000_000
AUDIT_LIMIT_MAX = 1000
CLI_NAMES = {"resellerName": "the name", "resellerPassword": "the password"}


def command(group, name=None):
    """A subcommand of group whose expected failures end in one clear line and exit status 1."""

    def decorate(function):
        @functools.wraps(function)
        def run(*args, **kwargs):
            try:
                function(*args, **kwargs)
            except ResellerExists as error:
                raise click.ClickException(f"a reseller named {error} already exists") from None
            except ResellerNotFound as error:
                raise click.ClickException(f"there is no reseller named {error}") from None
            except ConnectionFailure:
                raise click.ClickException("the database is unavailable (see MONGODB_URI)") from None

        return group.command(name)(run)

    return decorate


def collaborators(*names):
    """The process's repository, hasher and clock, picked by name, with the indexes in place."""
    provisioning = current_app.extensions["provisioning"]
    provisioning["repository"].ensure_indexes()
    return {name: provisioning[name] for name in names}


def operator():
    """The audit trail's origin of a command: who ran it, on which host."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = f"uid {os.getuid()}"
    return Origin(client=f"cli {who}@{socket.gethostname()}")


def checked_credentials(name):
    """Take the password from RESELLER_PASSWORD or a hidden prompt; check both by the API's rules."""
    password = os.environ.get("RESELLER_PASSWORD")
    if not password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        return ResellerSchema.credentials(credentials_schema.load({"resellerName": name, "resellerPassword": password}))
    except ValidationError as error:
        problems = [f"{CLI_NAMES[key]} {message}" for key, messages in error.messages.items() for message in messages]
        raise click.ClickException("; ".join(problems)) from None


@command(reseller)
@click.argument("name")
@click.option("--free-credits", type=click.IntRange(0, FREE_CREDITS_MAX), help="credits for customers created with applyFreeCredits=true")
def create(name, free_credits):
    """Create an active reseller; the password comes from RESELLER_PASSWORD or a prompt."""
    credentials = checked_credentials(name)
    if free_credits is None:
        free_credits = current_app.config["DEFAULT_FREE_CREDITS"]
    services.create_reseller(
        credentials.reseller_name,
        credentials.password,
        operator(),
        free_credits=free_credits,
        **collaborators("repository", "hasher", "clock"),
    )
    click.echo(f"created reseller {name} (freeCredits {free_credits})")


@command(reseller)
@click.argument("name")
def set_password(name):
    """Give a reseller a new password, from RESELLER_PASSWORD or a prompt."""
    credentials = checked_credentials(name)
    services.change_reseller_password(
        credentials.reseller_name, credentials.password, operator(), **collaborators("repository", "hasher", "clock")
    )
    click.echo(f"changed the password of reseller {name}")


@command(reseller)
@click.argument("name")
def disable(name):
    """Refuse every request of a reseller from now on."""
    services.set_reseller_active(name, False, operator(), **collaborators("repository", "clock"))
    click.echo(f"disabled reseller {name}")


@command(reseller)
@click.argument("name")
def enable(name):
    """Accept a disabled reseller's requests again."""
    services.set_reseller_active(name, True, operator(), **collaborators("repository", "clock"))
    click.echo(f"enabled reseller {name}")


@command(reseller, name="list")
def list_resellers():
    """Show every reseller: name, whether active, its freeCredits and how many customers it has."""
    rows = [("NAME", "ACTIVE", "FREE CREDITS", "CUSTOMERS")]
    for found in collaborators("repository")["repository"].resellers_with_customer_counts():
        rows.append((found["name"], "yes" if found["active"] else "no", str(found["freeCredits"]), str(found["customers"])))
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def shown(value):
    """A stored value as a person reads it: times in UTC, objects as JSON, booleans as true/false."""
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict) or value == "":
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def echo_fields(fields):
    width = max(len(label) for label, _ in fields)
    for label, value in fields:
        click.echo(f"{label.ljust(width)}  {shown(value)}")


def existing(found, kind, name):
    """The document found, or a one-line error saying there is none of that name."""
    if found is None:
        raise click.ClickException(f"there is no {kind} named {name}")
    return found


def named(repository, collection, document_id):
    """'name (id)' of a referenced reseller or customer."""
    found = repository.find_by_id(collection, document_id, {"name": 1})
    return f"{found['name'] if found else '(deleted)'} ({document_id})"


@command(customer, name="show")
@click.argument("name")
def show_customer(name):
    """Show a customer: ids, reseller, settings, credits and how many users it has."""
    repository = collaborators("repository")["repository"]
    found = existing(repository.find_customer(name), "customer", name)
    echo_fields([
        ("customer", found["name"]),
        ("id", found["_id"]),
        ("reseller", named(repository, "resellers", found["resellerId"])),
        *[(key, found[key]) for key in ("integrationId", "rotationAlgorithm", "billingType", "moCharge", "credits")],
        ("users", repository.count_users(found["_id"])),
        ("createdAt", found["createdAt"]),
    ])


USER_FIELDS = ("email", "phoneNumber", "virtualNumber", "contactName", "moPush", "finalStatusPush",
               "swappingSourceAddressAllowed", "createdAt")


@command(user, name="show")
@click.argument("username")
def show_user(username):
    """Show a user: ids, customer, reseller, contact details and push configs; never its password hash."""
    repository = collaborators("repository")["repository"]
    found = existing(repository.find_user(username), "user", username)
    echo_fields([
        ("user", found["username"]),
        ("id", found["_id"]),
        ("customer", named(repository, "customers", found["customerId"])),
        ("reseller", named(repository, "resellers", found["resellerId"])),
        *[(key, found[key]) for key in USER_FIELDS if key in found],
    ])


@command(audit, name="show")
@click.option("--customer", "customer_name", help="events about the customer of this name")
@click.option("--user", "username", help="events about the user of this username")
@click.option("--reseller", "reseller_name", help="events of the reseller of this name")
@click.option("--limit", type=click.IntRange(1, AUDIT_LIMIT_MAX), default=20, show_default=True)
def show_audit(customer_name, username, reseller_name, limit):
    """Show the newest audit events about one customer, user or reseller."""
    chosen = [(kind, value) for kind, value in (("customer", customer_name), ("user", username), ("reseller", reseller_name)) if value]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --customer, --user, --reseller")
    [(kind, value)] = chosen
    repository = collaborators("repository")["repository"]
    finder, field = {
        "customer": (repository.find_customer, "customerId"),
        "user": (repository.find_user, "userId"),
        "reseller": (repository.find_reseller, "resellerId"),
    }[kind]
    found = existing(finder(value), kind, value)
    events = repository.audit_trail(field, found["_id"], limit)
    if not events:
        click.echo(f"no audit events for {kind} {value}")
    for event in events:
        parts = [shown(event["createdAt"]), event["action"], f"reseller {event['resellerName']}"]
        parts += [f"{label} {event[key]}" for label, key in (("customer", "customerId"), ("user", "userId")) if key in event]
        parts.append(f"from {event['client']}")
        if "requestId" in event:
            parts.append(f"request {event['requestId']}")
        click.echo("  ".join(parts))
