"""API keys: a reseller's back-end authenticates with one instead of its password. A key is `pk_<id>_<secret>`: the id
finds it, the secret (256 random bits) proves it; only a SHA-256 digest of the whole key is stored (its entropy makes
a slow hash unnecessary), compared in constant time. A key may be kept to some client addresses and may expire."""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from bson import ObjectId

from app.domain.exceptions import ValueRefused
from app.domain.model import Event

PREFIX = "pk"
KEY = re.compile(r"pk_([0-9a-f]{24})_([A-Za-z0-9_-]{43})")
LABEL_MAX_LENGTH = 64
ADDRESSES_MAX = 50


@dataclass(frozen=True)
class ApiKey:
    """A reseller's API key as stored: never its secret, only the digest of the whole key."""

    id: ObjectId
    reseller_id: ObjectId
    label: str
    digest: str = field(repr=False)
    created: Event
    allowed_ips: tuple[str, ...] = ()
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def admits(self, presented: str, client: str, now: datetime) -> bool:
        """Whether this key, presented whole, lets this client in now: the digest matches (in constant time), it is
        not revoked nor expired, and the client's address is one it allows (any, when it names none)."""
        matches = hmac.compare_digest(digest_of(presented), self.digest)
        current = not self.revoked and (self.expires_at is None or now < self.expires_at)
        return matches and current and allows(self.allowed_ips, client)


def new_key(key_id: ObjectId) -> str:
    """A new key for this id: shown to the reseller once, never stored."""
    return f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"


def digest_of(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_id_of(presented: str) -> ObjectId | None:
    """The id a presented key names, or None when it is not a key's form."""
    found = KEY.fullmatch(presented)
    return ObjectId(found[1]) if found else None


def networks(items: list[str]) -> tuple[str, ...]:
    """Addresses and CIDR blocks (IPv4, IPv6), at most 50, in their canonical form; every bad one named at once."""
    problems, kept = [], []
    if len(items) > ADDRESSES_MAX:
        problems.append(f"must list at most {ADDRESSES_MAX} addresses or blocks")
    bad = []
    for item in items:
        try:
            kept.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            bad.append(item)
    if bad:
        problems.append(f"each must be an IPv4 or IPv6 address or CIDR block; not: {', '.join(map(repr, bad[:10]))}")
    if not items:
        problems.append("must list at least one address or block")
    if problems:
        raise ValueRefused(*problems)
    return tuple(dict.fromkeys(kept))


def allows(allowed: tuple[str, ...], client: str) -> bool:
    """Whether a client address is in one of the allowed blocks (every address when none is named)."""
    if not allowed:
        return True
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in ipaddress.ip_network(block) for block in allowed)
