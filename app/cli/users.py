"""`user show|list|find|update|set-password|suspend|resume`."""
import dataclasses
import json

import click

from app.cli.common import (
    after_option,
    api_name,
    command,
    echo_fields,
    echo_rows,
    echo_table,
    existing,
    given_id,
    limit_option,
    new_password,
    operator,
    reseller_names,
    shown,
    shown_change,
    the_one,
    tools,
)
from app.cli.customers import reseller_named
from app.domain import contacts, limits, passwords, push_targets
from app.domain.exceptions import ValueRefused
from app.domain.model import BY_OPERATOR, User
from app.domain.rows import CONTACT_NAME_MAX_LENGTH
from app.domain.text import text_problems
from app.service_layer import lookups, users

user = click.Group("user", help="Look users up (by name, id, email or phone number), list them, change them, set their "
                                "passwords, suspend and resume them.")
FIND_LIMIT = 100
# What `user show` lists after the user's names and owners: every other detail the user has, by its API name.
NOT_DETAILS = {"id", "username", "customer_id", "reseller_id", "created", "password_hash", "idempotency"}
DETAILS = [detail.name for detail in dataclasses.fields(User) if detail.name not in NOT_DETAILS]


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
@click.option("--customer", "customer_name", help="the customer (name or id) whose users to list")
@click.option("--reseller", "reseller_name", help="the reseller whose users (of all its customers) to list")
@limit_option
@after_option
def list_users(customer_name, reseller_name, limit, after, uow):
    """List a customer's users, or a reseller's across its customers, in creation order: id, username, customer,
    active."""
    if (customer_name is None) == (reseller_name is None):
        raise click.UsageError("give exactly one of --customer, --reseller")
    if customer_name is not None:
        owner = the_one(lookups.customers_named_or_with_id(customer_name, uow=uow), "customer", customer_name)
        found = lookups.users_of_customer(owner, given_id(after), limit, uow=uow)
    else:
        reseller = existing(lookups.reseller_named(reseller_name, uow=uow), "reseller", reseller_name)
        found = lookups.users_of_reseller(reseller.id, given_id(after), limit, uow=uow)
    names = customer_names({u.customer_id for u in found.items}, uow)
    echo_table(("ID", "USERNAME", "CUSTOMER", "ACTIVE"),
               [(str(u.id), shown(u.username), names[u.customer_id], shown(u.active)) for u in found.items], found)


def customer_names(customer_ids, uow):
    """Each customer's name by its id ((deleted) for one that is gone)."""
    named_ids = {}
    for customer_id in customer_ids:
        owner = lookups.customer_with_id(customer_id, uow=uow)
        named_ids[customer_id] = shown(owner.name) if owner else "(deleted)"
    return named_ids


@command(user, name="find")
@click.option("--email", help="the users with this email address (compared in its normalized form)")
@click.option("--phone", help="the users with this phone number, exactly as stored")
def find_users(email, phone, uow):
    """Find users of any reseller by email address or phone number: id, username, customer, reseller, contact,
    active."""
    if (email is None) == (phone is None):
        raise click.UsageError("give exactly one of --email, --phone")
    try:
        normalized = contacts.normalized_email(email) if email is not None else None
    except ValueRefused as refused:
        raise click.BadParameter("; ".join(refused.messages), param_hint="--email") from None
    found = lookups.users_with_contact(email=normalized, phone_number=phone, limit=FIND_LIMIT, uow=uow)
    if not found:
        click.echo(f"no user has {'email ' + normalized if normalized else 'phone number ' + phone}")
        return
    customers = customer_names({u.customer_id for u in found}, uow)
    resellers = reseller_names((one.reseller_id for one in found), uow)
    echo_rows([("ID", "USERNAME", "CUSTOMER", "RESELLER", "EMAIL", "PHONE", "ACTIVE"),
               *[(str(u.id), shown(u.username), customers[u.customer_id], resellers[u.reseller_id],
                  shown(u.email or ""), shown(u.phone_number or ""), shown(u.active)) for u in found]])
    if len(found) == FIND_LIMIT:
        click.echo(f"(the first {FIND_LIMIT} only)")


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
    """Suspend (an operators' hold: its reseller cannot resume it) or resume a user, as the operators."""
    found = named(username_or_id, uow)
    users.set_user_active(found.reseller_id, found.id, active, operator(), uow=uow, clock=tools().clock,
                          by=BY_OPERATOR)
    return found


@command(user, name="suspend")
@click.argument("username_or_id")
def suspend_user(username_or_id, uow):
    """Suspend a user: the platform stops serving it, until an operator resumes it (its reseller cannot)."""
    click.echo(f"suspended user {set_active(username_or_id, False, uow).username}")


@command(user, name="resume")
@click.argument("username_or_id")
def resume_user(username_or_id, uow):
    """Resume a suspended user."""
    click.echo(f"resumed user {set_active(username_or_id, True, uow).username}")


CLEARABLE = ("virtualNumber", "contactName", "moPush", "finalStatusPush", "throughput", "maxBindings", "dailyLimit",
             "allowedSenders", "allowedPrefixes")
LIMITS = ("throughput", "max_bindings", "daily_limit", "allowed_senders", "allowed_prefixes")


def checked(option, value, rule):
    """A value an option gives, kept to a domain rule (one line naming the option when it breaks it)."""
    try:
        return rule(value)
    except ValueRefused as refused:
        raise click.BadParameter("; ".join(refused.messages), param_hint=option) from None


def text_rule(max_length):
    def rule(value):
        problems = text_problems(value, max_length=max_length)
        if problems:
            raise ValueRefused(*problems)
        return value
    return rule


def push_rule(value):
    try:
        given = json.loads(value)
    except ValueError:
        raise ValueRefused(push_targets.NOT_AN_OBJECT) from None
    return push_targets.push_config(given, allow_private=tools().allow_private_push_targets)


@command(user, name="update")
@click.argument("username_or_id")
@click.option("--email")
@click.option("--phone-number")
@click.option("--virtual-number")
@click.option("--contact-name")
@click.option("--mo-push", help='a push config as JSON, e.g. \'{"type": "SMPP"}\'')
@click.option("--final-status-push", help="a push config as JSON")
@click.option("--swapping-source-address-allowed", type=click.BOOL, help="true or false")
@click.option("--throughput", type=click.IntRange(*limits.THROUGHPUT), help="messages per second")
@click.option("--max-bindings", type=click.IntRange(*limits.MAX_BINDINGS), help="concurrent SMPP binds")
@click.option("--daily-limit", type=click.IntRange(*limits.DAILY_LIMIT), help="messages per day")
@click.option("--allowed-senders", help="sender ids, separated by commas")
@click.option("--allowed-prefixes", help="destination prefixes, separated by commas")
@click.option("--clear", help=f"details to remove, separated by commas: {', '.join(CLEARABLE)}")
@click.option("--dry-run", is_flag=True, help="say what would change, and change nothing")
def update_user(username_or_id, email, phone_number, virtual_number, contact_name, mo_push, final_status_push,
                swapping_source_address_allowed, throughput, max_bindings, daily_limit, allowed_senders,
                allowed_prefixes, clear, dry_run, uow):
    """Change a user's details and sending limits (its username cannot change; `user set-password` changes its
    password): recorded as the operators'."""
    given = {
        "email": email and checked("--email", email, contacts.normalized_email),
        "phone_number": phone_number and checked("--phone-number", phone_number, contacts.phone_number),
        "virtual_number": virtual_number and checked("--virtual-number", virtual_number, contacts.phone_number),
        "contact_name": contact_name and checked("--contact-name", contact_name, text_rule(CONTACT_NAME_MAX_LENGTH)),
        "mo_push": mo_push and checked("--mo-push", mo_push, push_rule),
        "final_status_push": final_status_push and checked("--final-status-push", final_status_push, push_rule),
        "swapping_source_address_allowed": swapping_source_address_allowed,
    }
    changes = {name: value for name, value in given.items() if value is not None}
    sending = {"throughput": throughput, "max_bindings": max_bindings, "daily_limit": daily_limit,
               "allowed_senders": allowed_senders and checked("--allowed-senders", listed(allowed_senders),
                                                              limits.senders),
               "allowed_prefixes": allowed_prefixes and checked("--allowed-prefixes", listed(allowed_prefixes),
                                                                limits.prefixes)}
    sending = {name: value for name, value in sending.items() if value is not None}
    if sending:
        changes["limits"] = sending
    cleared = cleared_names(clear)
    both = sorted(api_name(name) for name in cleared if name in changes or name in sending)
    if both:
        raise click.UsageError(f"{', '.join(both)}: given and cleared at once")
    if not changes and not cleared:
        raise click.UsageError("nothing to change: give a detail to set, or --clear")
    found = named(username_or_id, uow)
    preview = users.preview_user_change(found.reseller_id, found.id, changes, cleared=cleared, uow=uow)
    said = ", ".join(shown_change(name, detail(found, name), detail(preview.found, name))
                     for name in preview.changed) or "nothing"
    if dry_run:
        click.echo(f"user {found.username}: would change {said}; nothing was written")
        return
    service = tools()
    users.change_user(found.reseller_id, found.id, changes, operator(), cleared=cleared, uow=uow,
                      hasher=service.hasher, clock=service.clock)
    click.echo(f"updated user {found.username}: {said}")


def listed(value):
    return [item.strip() for item in value.split(",")]


def cleared_names(clear):
    """The attributes --clear names (by their API names)."""
    if clear is None:
        return ()
    by_api_name = {name: name_of(name) for name in CLEARABLE}
    unknown = [name for name in listed(clear) if name not in by_api_name]
    if unknown:
        raise click.BadParameter(f"not a detail that can be removed: {', '.join(unknown)} (these can: "
                                 f"{', '.join(CLEARABLE)})", param_hint="--clear")
    return tuple(dict.fromkeys(by_api_name[name] for name in listed(clear)))


def name_of(api):
    """The attribute an API name names (moPush: mo_push)."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in api)


def detail(found, name):
    """A user's detail, a sending limit included."""
    if name in LIMITS:
        return getattr(found.limits, name) if found.limits else None
    return getattr(found, name)
