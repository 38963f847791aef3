"""Webhooks: a reseller's URL that is sent each of its events, in order, signed with a secret only the reseller and the
service know; retried with exponential backoff and jitter when the receiver does not take it, and marked failing when
it has not for long."""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from bson import ObjectId

from app.domain import push_targets
from app.domain.events import EVERY_TYPE, TYPES, FeedEvent, as_json
from app.domain.exceptions import ValueRefused
from app.domain.model import Event
from app.domain.text import quoted

SECRET_PREFIX = "whsec_"
SIGNATURE_HEADER = "X-Provisioning-Signature"
EVENT_ID_HEADER = "X-Provisioning-Event-Id"
# A receiver that has not answered within this long has not taken the event (the contract: 10 s).
TIMEOUT_SECONDS = 10.0
ACTIVE = "active"
FAILING = "failing"
# What a delivery's record says of it.
PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"


@dataclass(frozen=True)
class Webhook:
    """A reseller's webhook: where it is, which event types it takes (or every one), whether it is active or failing
    (its deliveries stopped after a day of refusals, until an operator replays them), the last event it has been
    given or skipped (through), and when its next attempt is due while a delivery is being retried."""

    id: ObjectId
    reseller_id: ObjectId
    url: str
    events: tuple[str, ...]
    created: Event
    state: str = ACTIVE
    through: int = 0
    retry_at: datetime | None = None
    failing_since: datetime | None = None
    last_error: str | None = None

    def takes(self, event_type: str) -> bool:
        return EVERY_TYPE in self.events or event_type in self.events

    @property
    def failing(self) -> bool:
        return self.state == FAILING


def new_secret() -> str:
    """A new signing secret (256 random bits): shown to the reseller once."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Provisioning-Signature of a body sent at timestamp (Unix seconds): t=<timestamp>,v1=<hex HMAC-SHA-256 of
    "<timestamp>.<body>" keyed with the secret, the whole string as UTF-8>."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass(frozen=True)
class Outcome:
    """What one attempt at a delivery met: the receiver's HTTP code, or why there was none (refused address, timeout,
    connection refused), and how long it took."""

    code: int | None
    error: str | None = None
    milliseconds: float = 0.0

    @property
    def taken(self) -> bool:
        """The receiver took the event: it answered 2xx."""
        return self.code is not None and 200 <= self.code < 300


@dataclass(frozen=True)
class RetrySchedule:
    """When a delivery the receiver did not take is tried again: after first_seconds, doubling at each attempt up to
    most_seconds, each wait drawn between its half and its whole (jitter, so that receivers coming back are not met
    by every sender at once); for for_seconds after the first attempt, the last one at that mark, then no more."""

    first_seconds: float = 10.0
    most_seconds: float = 3600.0
    for_seconds: float = 86400.0
    draw: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def wait(self, attempts: int) -> float:
        """The wait after the attempts-th attempt failed (1 for the first)."""
        whole = min(self.most_seconds, self.first_seconds * 2 ** min(attempts - 1, 64))
        return self.draw.uniform(whole / 2, whole)

    def next_attempt(self, first_attempt_at: datetime, attempts: int, now: datetime) -> datetime | None:
        """When to try again after the attempts-th failure at now; None once for_seconds have passed since the first
        attempt (the webhook is then failing)."""
        end = first_attempt_at + timedelta(seconds=self.for_seconds)
        if now >= end:
            return None
        return min(now + timedelta(seconds=self.wait(attempts)), end)


@dataclass(frozen=True)
class Delivery:
    """The record of one event's delivery to one webhook: pending (being retried), delivered, or failed (given up on:
    the webhook is failing); how many attempts, when, and what the last one met."""

    webhook_id: ObjectId
    event_id: int
    type: str
    state: str
    attempts: int
    first_attempt_at: datetime
    last_attempt_at: datetime
    last_code: int | None = None
    last_error: str | None = None
    next_attempt_at: datetime | None = None


URL_MAX_LENGTH = 2048
HTTPS_ONLY = "must be an https URL (http only where ALLOW_PRIVATE_PUSH_TARGETS=on)"
NEVER_REFUSED = "must not point at a link-local, metadata, multicast or unspecified address"
# Addresses no delivery goes to, even where private targets are allowed: the link-local block (cloud instance
# metadata at 169.254.169.254 and fe80::/10), AWS's IPv6 metadata address, Alibaba Cloud's, and "this host" (0.0.0.0,
# ::, which connect to the machine itself).
NEVER = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"),
         ipaddress.ip_network("fd00:ec2::254/128"), ipaddress.ip_network("100.100.100.200/32"),
         ipaddress.ip_network("0.0.0.0/8"), ipaddress.ip_network("::/128"))


def webhook_url(url: str, *, allow_private: bool) -> str:
    """A webhook's URL: an absolute https URL passing the push-URL rules (app.domain.push_targets), or http too where
    private targets are allowed; else ValueRefused saying why."""
    if len(url) > URL_MAX_LENGTH:
        raise ValueRefused(f"must be at most {URL_MAX_LENGTH} characters")
    try:
        push_targets.push_url(url, allow_private=allow_private)
    except ValueRefused as refused:
        raise ValueRefused(*[message.removeprefix("data.url ") for message in refused.messages]) from None
    parts = urlsplit(url)
    if not allow_private and parts.scheme.lower() != "https":
        raise ValueRefused(HTTPS_ONLY)
    try:
        literal = ipaddress.ip_address((parts.hostname or "").split("%", 1)[0])
    except ValueError:
        literal = None
    if literal is not None and refusal(literal, allow_private=allow_private):
        raise ValueRefused(NEVER_REFUSED)
    return url


def refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address, *, allow_private: bool) -> str | None:
    """Why a delivery may not connect to this address (what the webhook's host name resolved to when it is sent), or
    None: the push-URL rules checked again on the address itself, since DNS may answer otherwise than it did when the
    webhook was created (DNS rebinding)."""
    plain = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped else address
    if any(plain in network for network in NEVER if network.version == plain.version) or plain.is_multicast:
        return f"{address} is a link-local, metadata or unspecified address"
    if not allow_private and push_targets.is_internal_address(address):
        return f"{address} is a private, loopback or reserved address"
    return None


def event_types(items: list[str]) -> tuple[str, ...]:
    """The event types a webhook takes: some of events.TYPES, or "*" for every one (types given beside it add nothing);
    every bad one named."""
    unknown = [item for item in items if item not in (*TYPES, EVERY_TYPE)]
    problems = []
    if unknown:
        problems.append(f"each must be one of {', '.join(TYPES)}, or * for every type; not: "
                        f"{', '.join(map(quoted, unknown[:10]))}")
    if not items:
        problems.append("must name at least one event type, or *")
    if problems:
        raise ValueRefused(*problems)
    return (EVERY_TYPE,) if EVERY_TYPE in items else tuple(dict.fromkeys(items))


def signed(event: FeedEvent, secret: str, at: datetime) -> tuple[bytes, dict[str, str]]:
    """A delivery of the event: its body (the event as JSON, as events/list answers it) and headers (its id, and the
    signature of the body at this time)."""
    body = json.dumps(as_json(event), separators=(",", ":"), ensure_ascii=False).encode()
    return body, {SIGNATURE_HEADER: signature(secret, int(at.timestamp()), body), EVENT_ID_HEADER: str(event.id)}
