"""A row of a bulk import of customers with their first users, as a CSV file gives it to the operators' command: every
value a string, checked by the same rules as customer-user/create's parameters; every problem of the row at once."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from app.domain import contacts, limits, names, passwords, text
from app.domain.commands import NewCustomer, NewUser
from app.domain.exceptions import ValueRefused

CONTACT_NAME_MAX_LENGTH = 256
# The columns a row may have, by the API's parameter names (customer-user/create's); the required ones first.
REQUIRED = ("customer", "username", "password")
COLUMNS = (*REQUIRED, "applyFreeCredits", "contactName", "email", "phoneNumber", "throughput", "maxBindings",
           "dailyLimit", "allowedSenders", "allowedPrefixes")


class RowRefused(Exception):
    """A row breaks the rules: errors maps each bad column to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(", ".join(sorted(errors)))
        self.errors = errors


@dataclass(frozen=True)
class ImportRow:
    """What a row asks for: the customer, its first user, and whether free credits apply."""

    customer: NewCustomer
    user: NewUser
    apply_free_credits: bool


def flag(value: str) -> bool:
    if value.lower() not in ("true", "false"):
        raise ValueRefused("must be true or false")
    return value.lower() == "true"


def whole(minimum: int, maximum: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        digits = value.lstrip("0") or "0"
        if not (value.isascii() and value.isdigit()) or len(digits) > len(str(maximum)) or \
                not minimum <= int(digits) <= maximum:
            raise ValueRefused(f"must be a whole number from {minimum} to {maximum}")
        return int(digits)
    return parse


def text_of(max_length: int) -> Callable[[str], str]:
    def parse(value: str) -> str:
        problems = text.text_problems(value, max_length=max_length)
        if problems:
            raise ValueRefused(*problems)
        return value
    return parse


def listed(rule: Callable[[list[str]], tuple[str, ...]]) -> Callable[[str], tuple[str, ...]]:
    return lambda value: rule([item.strip() for item in value.split(",")])


PARSERS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "applyFreeCredits": ("apply_free_credits", flag),
    "contactName": ("contact_name", text_of(CONTACT_NAME_MAX_LENGTH)),
    "email": ("email", contacts.normalized_email),
    "phoneNumber": ("phone_number", contacts.phone_number),
    "throughput": ("throughput", whole(*limits.THROUGHPUT)),
    "maxBindings": ("max_bindings", whole(*limits.MAX_BINDINGS)),
    "dailyLimit": ("daily_limit", whole(*limits.DAILY_LIMIT)),
    "allowedSenders": ("allowed_senders", listed(limits.senders)),
    "allowedPrefixes": ("allowed_prefixes", listed(limits.prefixes)),
}
LIMITS = ("throughput", "max_bindings", "daily_limit", "allowed_senders", "allowed_prefixes")


def import_row(row: Mapping[str, str | None], *, reseller: str, password_min_length: int,
               apply_free_credits: bool | None = None) -> ImportRow:
    """The customer and first user a row asks for (an empty cell is a value not given; apply_free_credits is the
    default of a row without one), or RowRefused with every problem."""
    given = {column: value for column, value in row.items() if column in COLUMNS and value not in (None, "")}
    errors: dict[str, list[str]] = {}
    for column in REQUIRED:
        if column not in given:
            errors[column] = ["is required"]
    stored: dict[str, str] = {}
    for column in ("customer", "username"):
        if column in given:
            name, problems = text.identifier(str(given[column]))
            problem = names.suffix_problem(name, reseller) if not problems else None
            problems += [problem] if problem else []
            if problems:
                errors[column] = problems
            stored[column] = name
    if "password" in given:
        problems = passwords.user_password_problems(str(given["password"]), password_min_length)
        if problems:
            errors["password"] = problems
    values: dict[str, Any] = {}
    for column, (attribute, parse) in PARSERS.items():
        if column in given:
            try:
                values[attribute] = parse(str(given[column]))
            except ValueRefused as refused:
                errors[column] = refused.messages
    free_credits = values.pop("apply_free_credits", apply_free_credits)
    if free_credits is None and "applyFreeCredits" not in errors:
        errors["applyFreeCredits"] = ["is required (or give --apply-free-credits)"]
    if errors:
        raise RowRefused(errors)
    sending = {name: values.pop(name) for name in LIMITS if name in values}
    user = NewUser(username=stored["username"], password=str(given["password"]), **values,
                   limits=limits.SendingLimits(**sending) if sending else None)
    return ImportRow(NewCustomer(name=stored["customer"]), user, bool(free_credits))
