"""`flask --app wsgi reseller ...`: the only way resellers come to exist and change."""
import functools
import os

import click
from flask import current_app
from flask.cli import AppGroup
from marshmallow import ValidationError
from pymongo.errors import ConnectionFailure

from app import services
from app.exceptions import ResellerExists, ResellerNotFound
from app.schemas import ResellerSchema

reseller = AppGroup("reseller", help="Create, change and list resellers.")
credentials_schema = ResellerSchema()
FREE_CREDITS_MAX = 1_000_000_000
CLI_NAMES = {"resellerName": "the name", "resellerPassword": "the password"}


def command(function=None, *, name=None):
    """A reseller subcommand whose expected failures end in one clear line and exit status 1."""
    if function is None:
        return functools.partial(command, name=name)

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

    return reseller.command(name)(run)


def collaborators(*names):
    """The process's repository, hasher and clock, picked by name, with the indexes in place."""
    provisioning = current_app.extensions["provisioning"]
    provisioning["repository"].ensure_indexes()
    return {name: provisioning[name] for name in names}


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


@command
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
        free_credits=free_credits,
        **collaborators("repository", "hasher", "clock"),
    )
    click.echo(f"created reseller {name} (freeCredits {free_credits})")


@command
@click.argument("name")
def set_password(name):
    """Give a reseller a new password, from RESELLER_PASSWORD or a prompt."""
    credentials = checked_credentials(name)
    services.change_reseller_password(
        credentials.reseller_name, credentials.password, **collaborators("repository", "hasher", "clock")
    )
    click.echo(f"changed the password of reseller {name}")


@command
@click.argument("name")
def disable(name):
    """Refuse every request of a reseller from now on."""
    services.set_reseller_active(name, False, **collaborators("repository", "clock"))
    click.echo(f"disabled reseller {name}")


@command
@click.argument("name")
def enable(name):
    """Accept a disabled reseller's requests again."""
    services.set_reseller_active(name, True, **collaborators("repository", "clock"))
    click.echo(f"enabled reseller {name}")


@command(name="list")
def list_resellers():
    """Show every reseller: name, whether active, its freeCredits and how many customers it has."""
    rows = [("NAME", "ACTIVE", "FREE CREDITS", "CUSTOMERS")]
    for found in collaborators("repository")["repository"].resellers_with_customer_counts():
        rows.append((found["name"], "yes" if found["active"] else "no", str(found["freeCredits"]), str(found["customers"])))
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
