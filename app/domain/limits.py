"""Sending limits of a user, read by the SMPP server and the router (this service stores and validates them; they
enforce them): messages per second, concurrent binds, messages per day, the sender ids and destination prefixes the
user may use. A limit not set is the platform's default."""
from __future__ import annotations

import re
from dataclasses import dataclass, fields

from app.domain.exceptions import ValueRefused

THROUGHPUT = (1, 10_000)
MAX_BINDINGS = (1, 100)
DAILY_LIMIT = (1, 100_000_000)
SENDERS_MAX = 50
SENDER = re.compile(r"[A-Za-z0-9+ ]{1,16}")
SENDER_RULE = "1 to 16 characters of letters, digits, '+' and spaces"
PREFIXES_MAX = 200
PREFIX = re.compile(r"[0-9]{1,15}")
PREFIX_RULE = "1 to 15 digits"


@dataclass(frozen=True)
class SendingLimits:
    """The limits set on a user; None where the platform's default applies."""

    throughput: int | None = None
    max_bindings: int | None = None
    daily_limit: int | None = None
    allowed_senders: tuple[str, ...] | None = None
    allowed_prefixes: tuple[str, ...] | None = None

    def given(self) -> dict[str, object]:
        """The limits set, by name."""
        return {limit.name: getattr(self, limit.name) for limit in fields(self) if getattr(self, limit.name) is not None}


LIMIT_NAMES = tuple(limit.name for limit in fields(SendingLimits))


def listed(items: list[str], *, most: int, pattern: re.Pattern[str], rule: str, what: str) -> tuple[str, ...]:
    """A list of sender ids or prefixes: each item kept to its rule, at most `most`, duplicates once; every bad item
    named at once."""
    problems = []
    if not items:
        problems.append(f"must list at least one {what}")
    if len(items) > most:
        problems.append(f"must list at most {most} {what}s")
    bad = [item for item in items if not pattern.fullmatch(item)]
    if bad:
        problems.append(f"each {what} must be {rule}; not: {', '.join(repr(item) for item in bad[:10])}")
    if problems:
        raise ValueRefused(*problems)
    return tuple(dict.fromkeys(items))


def senders(items: list[str]) -> tuple[str, ...]:
    return listed(items, most=SENDERS_MAX, pattern=SENDER, rule=SENDER_RULE, what="sender id")


def prefixes(items: list[str]) -> tuple[str, ...]:
    return listed(items, most=PREFIXES_MAX, pattern=PREFIX, rule=PREFIX_RULE, what="prefix")
