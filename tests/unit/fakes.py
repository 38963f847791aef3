"""Fakes of the service layer's ports over dicts, checked against the same ports as the Mongo stores (make typecheck):
unique names and keys, failures counted as they happen, writes together undone when one fails."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar

from bson import ObjectId

from app.domain.api_keys import ApiKey
from app.domain.commands import NO_FILTERS, ListFilters
from app.domain.events import FeedEvent, FeedPage, RelayState
from app.domain.exceptions import CreditEntryExists, CustomerExists, InsufficientCredits, ResellerExists, UserExists
from app.domain.holds import held_against, hold_preview
from app.domain.model import AuditEntry, Changed, CreditEntry, Customer, Event, Failure, Holder, Page, Reseller, User
from app.domain.webhooks import ACTIVE, DELIVERED, FAILING, Delivery, Outcome, Webhook
from app.service_layer import ports

T = TypeVar("T")


class FakeResellers:
    def __init__(self, resellers: tuple[Reseller, ...] = ()):
        self.stored = {reseller.name: reseller for reseller in resellers}

    def named(self, name: str) -> Reseller | None:
        return self.stored.get(name)

    def by_id(self, reseller_id: ObjectId) -> Reseller | None:
        return next((reseller for reseller in self.stored.values() if reseller.id == reseller_id), None)

    def all(self) -> Iterator[Reseller]:
        return iter(sorted(self.stored.values(), key=lambda reseller: reseller.name))

    def add(self, reseller: Reseller, created: Event) -> None:
        if reseller.name in self.stored:
            raise ResellerExists(reseller.name)
        self.stored[reseller.name] = reseller

    def change(self, name: str, changes: dict[str, Any], at: datetime) -> Reseller | None:
        if name not in self.stored:
            return None
        self.stored[name] = replace(self.stored[name], **changes)
        return self.stored[name]


class FakeAuthentications:
    def __init__(self, resellers: FakeResellers, api_keys: FakeApiKeys) -> None:
        self.resellers = resellers
        self.api_keys = api_keys
        self.failures: dict[str, list[Failure]] = {}
        self.known: set[tuple[ObjectId, str]] = set()

    def attempt_of(self, name: str) -> tuple[Reseller | None, list[Failure]]:
        return self.resellers.named(name), self.failures_of(name)

    def key_attempt_of(self, key_id: ObjectId) -> tuple[ApiKey | None, Reseller | None]:
        key = self.api_keys.with_id(key_id)
        return key, self.resellers.by_id(key.reseller_id) if key else None

    def failures_of(self, name: str) -> list[Failure]:
        return sorted(self.failures.get(name, []), key=lambda failure: failure.at)

    def count_failure(self, name: str, client: str, at: datetime, expires_at: datetime) -> None:
        self.failures.setdefault(name, []).append(Failure(client, at.replace(microsecond=0)))

    def forget_failures(self, name: str, client: str | None = None) -> int:
        kept = [failure for failure in self.failures.get(name, []) if client and failure.client != client]
        forgotten = len(self.failures.get(name, [])) - len(kept)
        self.failures[name] = kept
        return forgotten

    def note_known_client(self, reseller_id: ObjectId, client: str, at: datetime) -> None:
        self.known.add((reseller_id, client))

    def is_known_client(self, reseller_id: ObjectId, client: str, since: datetime) -> bool:
        return (reseller_id, client) in self.known


def same_key(one: Customer | User, other: Customer | User) -> bool:
    return bool(one.idempotency and other.idempotency and one.reseller_id == other.reseller_id
                and one.idempotency.key == other.idempotency.key)


def page_of(found: list[Any], after: ObjectId | None, limit: int) -> Page:
    items = sorted((item for item in found if after is None or item.id > after), key=lambda item: item.id)
    more = len(items) > limit
    return Page(tuple(items[:limit]), items[limit - 1].id if more else None)


def passes(item: Any, filters: ListFilters, name: str) -> bool:
    """Whether a customer or user passes a list's filters (name: the attribute a prefix is of)."""
    wanted = {"active": filters.active, "integration_id": filters.integration_id, "email": filters.email,
              "phone_number": filters.phone_number}
    return (all(value is None or getattr(item, attribute, None) == value for attribute, value in wanted.items())
            and (filters.prefix is None or getattr(item, name).startswith(filters.prefix))
            and (filters.created_after is None or item.created.at >= filters.created_after)
            and (filters.created_before is None or item.created.at < filters.created_before))


def set_hold(stored: dict[ObjectId, Any], found: Any, active: bool, by: str) -> Changed:
    """A suspension or resumption as the stores make it: a change only when it was the other way."""
    if held_against(found, active, by):
        return Changed(found, False)
    preview = hold_preview(found, active, by)
    if not preview.changed:
        return Changed(found, False)
    stored[found.id] = preview.found
    return Changed(preview.found, True)


class FakeCustomers:
    def __init__(self) -> None:
        self.stored: dict[ObjectId, Customer] = {}

    def add(self, customer: Customer) -> None:
        if any(c.name == customer.name or same_key(c, customer) for c in self.stored.values()):
            raise CustomerExists(customer.name)
        self.stored[customer.id] = customer

    def holder(self, name: str, *, durable: bool = False) -> Holder | None:
        found = self.named(name)
        return Holder(found.id, found.reseller_id) if found else None

    def of(self, reseller_id: ObjectId, customer_id: ObjectId) -> Customer | None:
        found = self.stored.get(customer_id)
        return found if found and found.reseller_id == reseller_id else None

    def with_key(self, reseller_id: ObjectId, key: str, *, durable: bool = False) -> Customer | None:
        return next((c for c in self.stored.values() if c.idempotency and c.idempotency.key == key), None)

    def with_id(self, customer_id: ObjectId) -> Customer | None:
        return self.stored.get(customer_id)

    def named(self, name: str) -> Customer | None:
        return next((c for c in self.stored.values() if c.name == name), None)

    def page_of(self, reseller_id: ObjectId, after: ObjectId | None, limit: int,
                filters: ListFilters = NO_FILTERS) -> Page:
        return page_of([c for c in self.stored.values() if c.reseller_id == reseller_id and passes(c, filters, "name")],
                       after, limit)

    def count_of(self, reseller_id: ObjectId, *, active: bool | None = None) -> int:
        return sum(c.reseller_id == reseller_id and active in (None, c.active) for c in self.stored.values())

    def change(self, reseller_id: ObjectId, customer_id: ObjectId, changes: dict[str, Any]) -> Changed | None:
        found = self.of(reseller_id, customer_id)
        if found is None:
            return None
        self.stored[customer_id] = replace(found, **changes)
        return Changed(self.stored[customer_id], True)

    def set_active(self, reseller_id: ObjectId, customer_id: ObjectId, active: bool, by: str) -> Changed | None:
        found = self.of(reseller_id, customer_id)
        return set_hold(self.stored, found, active, by) if found else None

    def change_credits(self, reseller_id: ObjectId, customer_id: ObjectId, amount: int) -> Changed | None:
        found = self.of(reseller_id, customer_id)
        if found is None:
            return None
        if found.credits + amount < 0:
            raise InsufficientCredits()
        return self.change(reseller_id, customer_id, {"credits": found.credits + amount})


class FakeUsers:
    def __init__(self) -> None:
        self.stored: dict[ObjectId, User] = {}

    def add(self, user: User) -> None:
        if any(u.username == user.username or same_key(u, user) for u in self.stored.values()):
            raise UserExists(user.username)
        self.stored[user.id] = user

    def holder(self, username: str, *, durable: bool = False) -> Holder | None:
        found = self.named(username)
        return Holder(found.id, found.reseller_id) if found else None

    def of(self, reseller_id: ObjectId, *, user_id: ObjectId | None = None, username: str | None = None) -> User | None:
        found = self.stored.get(user_id) if user_id is not None else self.named(username or "")
        return found if found and found.reseller_id == reseller_id else None

    def with_key(self, reseller_id: ObjectId, key: str, *, durable: bool = False) -> User | None:
        return next((u for u in self.stored.values() if u.idempotency and u.idempotency.key == key), None)

    def with_id(self, user_id: ObjectId) -> User | None:
        return self.stored.get(user_id)

    def named(self, username: str) -> User | None:
        return next((u for u in self.stored.values() if u.username == username), None)

    def page_of(self, reseller_id: ObjectId, after: ObjectId | None, limit: int, *,
                customer_id: ObjectId | None = None, filters: ListFilters = NO_FILTERS) -> Page:
        found = [u for u in self.stored.values()
                 if u.reseller_id == reseller_id and customer_id in (None, u.customer_id)
                 and passes(u, filters, "username")]
        return page_of(found, after, limit)

    def with_contact(self, *, email: str | None = None, phone_number: str | None = None, limit: int) -> list[User]:
        found = [u for u in self.stored.values() if (email is not None and u.email == email)
                 or (email is None and u.phone_number == phone_number)]
        return sorted(found, key=lambda u: (u.reseller_id, u.id))[:limit]

    def count_of_customer(self, customer_id: ObjectId) -> int:
        return sum(u.customer_id == customer_id for u in self.stored.values())

    def count_of_reseller(self, reseller_id: ObjectId, *, active: bool | None = None) -> int:
        return sum(u.reseller_id == reseller_id and active in (None, u.active) for u in self.stored.values())

    def change(self, reseller_id: ObjectId, user_id: ObjectId, changes: dict[str, Any]) -> Changed | None:
        found = self.of(reseller_id, user_id=user_id)
        if found is None:
            return None
        self.stored[user_id] = replace(found, **changes)
        return Changed(self.stored[user_id], True)

    def set_active(self, reseller_id: ObjectId, user_id: ObjectId, active: bool, by: str) -> Changed | None:
        found = self.of(reseller_id, user_id=user_id)
        return set_hold(self.stored, found, active, by) if found else None


class FakeCredits:
    def __init__(self) -> None:
        self.entries: list[CreditEntry] = []

    def add(self, entry: CreditEntry) -> None:
        if any((entry.idempotency and other.idempotency and other.reseller_id == entry.reseller_id
                and other.idempotency.key == entry.idempotency.key)
               or (entry.reference and other.customer_id == entry.customer_id and other.reference == entry.reference)
               for other in self.entries):
            raise CreditEntryExists()
        self.entries.append(entry)

    def with_key(self, reseller_id: ObjectId, key: str, *, durable: bool = False) -> CreditEntry | None:
        return next((entry for entry in self.entries if entry.reseller_id == reseller_id and entry.idempotency
                     and entry.idempotency.key == key), None)

    def with_reference(self, customer_id: ObjectId, reference: str, *, durable: bool = False) -> CreditEntry | None:
        return next((entry for entry in self.entries if entry.customer_id == customer_id
                     and entry.reference == reference), None)

    def page_of(self, customer_id: ObjectId, after: ObjectId | None, limit: int, *, newest_first: bool) -> Page:
        mine = sorted((entry for entry in self.entries if entry.customer_id == customer_id),
                      key=lambda entry: entry.id, reverse=newest_first)
        if after is not None:
            mine = [entry for entry in mine if (entry.id < after if newest_first else entry.id > after)]
        return Page(tuple(mine[:limit]), mine[limit - 1].id if len(mine) > limit else None)


class FakeApiKeys:
    def __init__(self) -> None:
        self.stored: dict[ObjectId, ApiKey] = {}

    def add(self, key: ApiKey) -> None:
        self.stored[key.id] = key

    def with_id(self, key_id: ObjectId) -> ApiKey | None:
        return self.stored.get(key_id)

    def of(self, reseller_id: ObjectId, key_id: ObjectId) -> ApiKey | None:
        found = self.stored.get(key_id)
        return found if found and found.reseller_id == reseller_id else None

    def page_of(self, reseller_id: ObjectId | None, after: ObjectId | None, limit: int) -> Page:
        return page_of([key for key in self.stored.values() if reseller_id in (None, key.reseller_id)], after, limit)

    def revoke(self, reseller_id: ObjectId, key_id: ObjectId, at: datetime) -> Changed | None:
        found = self.of(reseller_id, key_id)
        if found is None:
            return None
        if found.revoked:
            return Changed(found, False)
        self.stored[key_id] = replace(found, revoked_at=at)
        return Changed(self.stored[key_id], True)

    def used(self, key_id: ObjectId, at: datetime) -> None:
        self.stored[key_id] = replace(self.stored[key_id], last_used_at=at)


class FakeAudit:
    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    def record(self, entry: AuditEntry) -> None:
        self.entries.append(entry)

    def of_customer(self, customer_id: ObjectId, limit: int, before: ObjectId | None = None) -> list[AuditEntry]:
        return [entry for entry in self.entries if entry.customer_id == customer_id][-limit:]

    def of_user(self, user_id: ObjectId, limit: int, before: ObjectId | None = None) -> list[AuditEntry]:
        return [entry for entry in self.entries if entry.user_id == user_id][-limit:]

    def of_reseller(self, reseller_id: ObjectId, limit: int, before: ObjectId | None = None) -> list[AuditEntry]:
        return [entry for entry in self.entries if entry.reseller_id == reseller_id][-limit:]


class FakeEvents:
    def __init__(self) -> None:
        self.stored: list[FeedEvent] = []

    def append(self, event: FeedEvent) -> FeedEvent:
        """Number and keep an event, as the relay does."""
        numbered = replace(event, id=self.last_of(event.reseller_id) + 1)
        self.stored.append(numbered)
        return numbered

    def page_of(self, reseller_id: ObjectId, after: int, limit: int, *, event_type: str | None = None,
                customer_id: ObjectId | None = None) -> FeedPage:
        found = [event for event in self.stored if event.reseller_id == reseller_id and event.id > after
                 and event_type in (None, event.type) and customer_id in (None, event.customer_id)]
        return FeedPage(tuple(found[:limit]), found[limit - 1].id if len(found) > limit else None)

    def last_of(self, reseller_id: ObjectId) -> int:
        return max((event.id for event in self.stored if event.reseller_id == reseller_id), default=0)

    def lasts_of(self, reseller_ids: list[ObjectId]) -> dict[ObjectId, int]:
        return {reseller_id: self.last_of(reseller_id) for reseller_id in reseller_ids}

    def relay_state(self) -> RelayState | None:
        return None


class FakeWebhooks:
    def __init__(self) -> None:
        self.stored: dict[ObjectId, Webhook] = {}
        self.secrets: dict[ObjectId, str] = {}

    def add(self, webhook: Webhook, secret: str) -> None:
        self.stored[webhook.id] = webhook
        self.secrets[webhook.id] = secret

    def of(self, reseller_id: ObjectId, webhook_id: ObjectId) -> Webhook | None:
        found = self.stored.get(webhook_id)
        return found if found and found.reseller_id == reseller_id else None

    def with_id(self, webhook_id: ObjectId) -> Webhook | None:
        return self.stored.get(webhook_id)

    def page_of(self, reseller_id: ObjectId | None, after: ObjectId | None, limit: int) -> Page:
        return page_of([hook for hook in self.stored.values() if reseller_id in (None, hook.reseller_id)], after, limit)

    def delete(self, reseller_id: ObjectId, webhook_id: ObjectId) -> Webhook | None:
        found = self.of(reseller_id, webhook_id)
        if found:
            del self.stored[webhook_id]
        return found

    def secret_of(self, webhook_id: ObjectId) -> str | None:
        return self.secrets.get(webhook_id) if webhook_id in self.stored else None

    def due(self, now: datetime) -> list[Webhook]:
        return [hook for hook in self.stored.values()
                if hook.state == ACTIVE and (hook.retry_at is None or hook.retry_at <= now)]

    def _moved(self, webhook: Webhook, **changes: Any) -> bool:
        found = self.stored.get(webhook.id)
        if found is None or found.state != ACTIVE or found.through != webhook.through:
            return False
        self.stored[webhook.id] = replace(found, **changes)
        return True

    def advance(self, webhook: Webhook, through: int) -> bool:
        return self._moved(webhook, through=through, retry_at=None, last_error=None)

    def retry_at(self, webhook: Webhook, at: datetime, error: str) -> None:
        self._moved(webhook, retry_at=at, last_error=error)

    def mark_failing(self, webhook: Webhook, at: datetime, error: str) -> None:
        self._moved(webhook, state=FAILING, failing_since=at, retry_at=None, last_error=error)

    def replay(self, webhook_id: ObjectId, through: int) -> Webhook | None:
        found = self.stored.get(webhook_id)
        if found is None:
            return None
        self.stored[webhook_id] = replace(found, state=ACTIVE, through=through, retry_at=None, failing_since=None,
                                          last_error=None)
        return self.stored[webhook_id]


class FakeDeliveries:
    def __init__(self) -> None:
        self.stored: dict[tuple[ObjectId, int], Delivery] = {}

    def of(self, webhook_id: ObjectId, event_id: int) -> Delivery | None:
        return self.stored.get((webhook_id, event_id))

    def attempted(self, webhook: Webhook, event: FeedEvent, outcome: Outcome, *, at: datetime, state: str,
                  retrying_since: datetime, next_attempt_at: datetime | None) -> Delivery:
        earlier = self.stored.get((webhook.id, event.id))
        made = Delivery(webhook.id, event.id, event.type, state, (earlier.attempts if earlier else 0) + 1,
                        retrying_since, at, outcome.code, outcome.error, next_attempt_at)
        self.stored[(webhook.id, event.id)] = made
        return made

    def page_of(self, webhook_id: ObjectId, before: int | None, limit: int) -> list[Delivery]:
        found = sorted((one for one in self.stored.values()
                        if one.webhook_id == webhook_id and (before is None or one.event_id < before)),
                       key=lambda one: -one.event_id)
        return found[:limit]

    def oldest_undelivered(self, webhook_id: ObjectId) -> Delivery | None:
        return next(iter(sorted((one for one in self.stored.values()
                                 if one.webhook_id == webhook_id and one.state != DELIVERED),
                                key=lambda one: one.event_id)), None)


class FakeUnitOfWork:
    """Writes together undo each other's inserts when one fails, as a transaction would."""

    def __init__(self, resellers: tuple[Reseller, ...] = ()):
        self.resellers = FakeResellers(resellers)
        self.customers = FakeCustomers()
        self.users = FakeUsers()
        self.credits = FakeCredits()
        self.audit = FakeAudit()
        self.api_keys = FakeApiKeys()
        self.authentications = FakeAuthentications(self.resellers, self.api_keys)
        self.events = FakeEvents()
        self.webhooks = FakeWebhooks()
        self.deliveries = FakeDeliveries()

    def __enter__(self) -> FakeUnitOfWork:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        pass

    def together(self, write: Callable[[ports.Stores], T], *, contended: bool = False) -> T:
        saved = (dict(self.customers.stored), dict(self.users.stored), list(self.credits.entries),
                 list(self.audit.entries))
        try:
            return write(self)
        except BaseException:
            self.customers.stored, self.users.stored, self.credits.entries, self.audit.entries = saved
            raise

    def ping(self) -> None:
        pass

    def require_uniqueness(self) -> None:
        pass


def unit_of_work(*resellers: Reseller) -> ports.UnitOfWork:
    """A fake unit of work, typed as the port it stands in for (mypy checks that it is one)."""
    return FakeUnitOfWork(resellers)
