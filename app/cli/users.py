"""`user show|list|set-password|suspend|resume`."""
import dataclasses

import click

from app.cli.common import (
    after_option,
    command,
    echo_fields,
    echo_table,
    limit_option,
    new_password,
    operator,
    page_after,
    shown,
    the_one,
    tools,
)
from app.cli.customers import reseller_named
from app.domain import passwords
from app.domain.model import User
from app.service_layer import lookups, users

user = click.Group("user", help="Look users up, list them, set their passwords, suspend and resume them.")
# What `user show` lists after the user's names and owners: every other detail the user has, by its API name.
NOT_DETAILS = {"id", "username", "customer_id", "reseller_id", "created", "password_hash", "idempotency"}
DETAILS = [detail.name for detail in dataclasses.fields(User) if detail.name not in NOT_DETAILS]


def api_name(attribute):
    """An attribute's name as the API spells it (camelCase)."""
    first, *rest = attribute.split("_")
    return first + "".join(word.capitalize() for word in rest)


def named(username_or_id, uow):
    """The user an operator named, by username or id."""
    return the_one(lookups.users_named_or_with_id(username_or_id, uow=uow), "user", username_or_id)


@command(user, name="show")
@click.argument("username_or_id")
def show_user(username_or_id, uow):
    """Show a user (by username or id): ids, customer, reseller, contact details and push configs; never its hash."""
    found = named(username_or_id, uow)
    owner = lookups.customer_with_id(found.customer_id, uow=uow)
    echo_fields([
        ("user", found.username),
        ("id", found.id),
        ("customer", f"{owner.name if owner else '(deleted)'} ({found.customer_id})"),
        ("reseller", reseller_named(found.reseller_id, uow)),
        *[(api_name(name), getattr(found, name)) for name in DETAILS if getattr(found, name) is not None],
        ("createdAt", found.created.at),
    ])


@command(user, name="list")
@click.option("--customer", "customer_name", required=True, help="the customer (name or id) whose users to list")
@limit_option
@after_option
def list_users(customer_name, limit, after, uow):
    """List a customer's users in creation order: id, username, active."""
    owner = the_one(lookups.customers_named_or_with_id(customer_name, uow=uow), "customer", customer_name)
    found = lookups.users_of_customer(owner, page_after(after), limit, uow=uow)
    echo_table(("ID", "USERNAME", "ACTIVE"), [(str(u.id), shown(u.username), shown(u.active)) for u in found.items],
               found)


@command(user, name="set-password")
@click.argument("username_or_id")
def set_user_password(username_or_id, uow):
    """Give a user a new password, from USER_PASSWORD or a prompt."""
    found = named(username_or_id, uow)
    password = new_password("USER_PASSWORD")
    service = tools()
    problems = passwords.user_password_problems(password, service.user_password_min_length)
    if problems:
        raise click.ClickException("the password " + "; ".join(problems))
    users.change_user(found.reseller_id, found.id, {}, operator(), password=password, uow=uow, hasher=service.hasher,
                      clock=service.clock)
    click.echo(f"changed the password of user {found.username}")


def set_active(username_or_id, active, uow):
    found = named(username_or_id, uow)
    users.set_user_active(found.reseller_id, found.id, active, operator(), uow=uow, clock=tools().clock)
    return found


@command(user, name="suspend")
@click.argument("username_or_id")
def suspend_user(username_or_id, uow):
    """Suspend a user: the platform stops serving it."""
    click.echo(f"suspended user {set_active(username_or_id, False, uow).username}")


@command(user, name="resume")
@click.argument("username_or_id")
def resume_user(username_or_id, uow):
    """Resume a suspended user."""
    click.echo(f"resumed user {set_active(username_or_id, True, uow).username}")
