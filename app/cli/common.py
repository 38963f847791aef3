"""What the operators' commands share: the service's collaborators, a unit of work per command, failures as one
line, who ran a command, and how stored values read on a terminal."""
import functools
import getpass
import json
import os
import socket

import click
from bson import ObjectId
from pymongo.errors import ConnectionFailure, ExecutionTimeout

import config
from app.bootstrap import Provisioning, bootstrap
from app.domain.exceptions import ResellerExists, ResellerNotFound
from app.domain.model import BY_OPERATOR, Origin
from app.domain.text import quoted
from app.service_layer import lookups

LIST_LIMIT_MAX = 1000


def tools() -> Provisioning:
    """The service's collaborators: the ones the command was invoked with (tests), else built once from the
    environment's configuration."""
    context = click.get_current_context()
    given = context.find_object(Provisioning)
    if given is not None:
        return given
    root = context.find_root()
    if "provisioning" not in root.meta:
        try:
            settings = config.from_environment()
        except config.ConfigurationInvalid as error:
            # The same one line gunicorn.conf.py and create_app stop on.
            raise SystemExit(f"provisioning: configuration: {error}") from None
        root.meta["provisioning"] = bootstrap(settings)
    return root.meta["provisioning"]


def command(group, name=None, **settings):
    """A subcommand of group, run within a unit of work (passed as uow), whose expected failures end in one
    clear line and exit status 1; settings are click's command settings."""

    def decorate(function):
        @functools.wraps(function)
        def run(*args, **kwargs):
            try:
                with tools().unit_of_work() as uow:
                    function(*args, uow=uow, **kwargs)
            except ResellerExists as error:
                raise click.ClickException(f"a reseller named {error} already exists") from None
            except ResellerNotFound as error:
                raise click.ClickException(f"there is no reseller named {error}") from None
            except (ConnectionFailure, ExecutionTimeout):
                raise click.ClickException("the database is unavailable (see MONGODB_URI)") from None

        return group.command(name, **settings)(run)

    return decorate


def operator():
    """The audit trail's origin of a command: who ran it, on which host."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = f"uid {os.getuid()}"
    return Origin(client=f"cli {who}@{socket.gethostname()}", by=BY_OPERATOR)


def new_password(variable):
    """A password from the environment variable, or else from a hidden prompt that asks twice."""
    return os.environ.get(variable) or click.prompt("Password", hide_input=True, confirmation_prompt=True)


def api_name(attribute):
    """An attribute's name as the API spells it (camelCase)."""
    first, *rest = attribute.split("_")
    return first + "".join(word.capitalize() for word in rest)


def shown_change(attribute, before, after):
    """'name old -> new' for a field a change makes, in the API's words ((none) for a value not set)."""
    def value(given):
        return "(none)" if given is None else shown(given)
    return f"{api_name(attribute)} {value(before)} -> {value(after)}"


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


def echo_rows(rows):
    """Rows, the first a header, their columns aligned."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def echo_table(header, rows, found):
    """Rows under a header, columns aligned, then how to ask for the next page when there is one."""
    echo_rows([header, *rows])
    if found.next_after:
        click.echo(f"more: --after {found.next_after}")


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


def given_id(value, hint="--after"):
    """The id an argument or option gives (an object to act on, where the previous page ended), or None."""
    if value is None:
        return None
    if not ObjectId.is_valid(value):
        raise click.BadParameter("must be an id: 24 hexadecimal digits", param_hint=hint)
    return ObjectId(value)


def reseller_names(reseller_ids, uow):
    """Each reseller's name as a terminal shows it, by its id (the id itself for one that is gone): one read each."""
    named = {}
    for reseller_id in reseller_ids:
        if reseller_id not in named:
            holder = lookups.reseller_with_id(reseller_id, uow=uow)
            named[reseller_id] = shown(holder.name) if holder else str(reseller_id)
    return named


def limit_option(function):
    return click.option("--limit", type=click.IntRange(1, LIST_LIMIT_MAX), default=50, show_default=True)(function)


def after_option(function):
    return click.option("--after", help="the last id of the previous page")(function)
