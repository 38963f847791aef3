"""Fakes of the service layer's ports over dicts, checked against the same ports as the Mongo stores (make typecheck):
unique names and keys, failures counted only on the version read, writes together undone when one fails."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar

from bson import ObjectId

from app.domain.exceptions import CustomerExists, ResellerExists, ResellerNotFound, UserExists
from app.domain.model import AuditEntry, CreditEntry, Customer, Event, FailedName, Failure, Page, Reseller, User
from app.service_layer import ports

T = TypeVar("T")


class FakeResellers:
    def __init__(self, resellers: tuple[Reseller, ...] = ()):
        self.stored = {reseller.name: reseller for reseller in resellers}
        self.failed_names: dict[str, FailedName] = {}
        self.known: set[tuple[ObjectId, str]] = set()
        self.counts_to_lose = 0

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

    def change(self, name: str, changes: dict[str, Any], event: Event) -> None:
        if name not in self.stored:
            raise ResellerNotFound(name)
        self.stored[name] = replace(self.stored[name], **changes)

    def failed_name(self, name: str) -> FailedName:
        return self.failed_names.get(name, FailedName(name))

    def count_failure(self, counted: Reseller | FailedName, failures: tuple[Failure, ...], expires_at: datetime) -> bool:
        if self.counts_to_lose:
            self.counts_to_lose -= 1
            return False
        if isinstance(counted, Reseller):
            stored_reseller = self.stored[counted.name]
            if stored_reseller.failures_version != counted.failures_version:
                return False
            self.stored[counted.name] = replace(stored_reseller, failures=failures,
                                                failures_version=stored_reseller.failures_version + 1)
            return True
        stored_name = self.failed_name(counted.name)
        if stored_name.failures_version != counted.failures_version:
            return False
        self.failed_names[counted.name] = replace(stored_name, failures=failures,
                                                  failures_version=stored_name.failures_version + 1)
        return True

    def forget_failures(self, reseller_id: ObjectId, client: str | None = None, event: Event | None = None) -> None:
        for name, reseller in self.stored.items():
            if reseller.id == reseller_id:
                kept = tuple(f for f in reseller.failures if client and f.client != client)
                self.stored[name] = replace(reseller, failures=kept, failures_version=reseller.failures_version + 1)

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


class FakeCustomers:
    def __init__(self) -> None:
        self.stored: dict[ObjectId, Customer] = {}

    def add(self, customer: Customer) -> None:
        if any(c.name == customer.name or same_key(c, customer) for c in self.stored.values()):
            raise CustomerExists(customer.name)
        self.stored[customer.id] = customer

    def name_taken(self, name: str) -> bool:
        return any(c.name == name for c in self.stored.values())

    def of(self, reseller_id: ObjectId, customer_id: ObjectId) -> Customer | None:
        found = self.stored.get(customer_id)
        return found if found and found.reseller_id == reseller_id else None

    def with_key(self, reseller_id: ObjectId, key: str) -> Customer | None:
        return next((c for c in self.stored.values() if c.idempotency and c.idempotency.key == key), None)

    def with_id(self, customer_id: ObjectId) -> Customer | None:
        return self.stored.get(customer_id)

    def named(self, name: str) -> Customer | None:
        return next((c for c in self.stored.values() if c.name == name), None)

    def page_of(self, reseller_id: ObjectId, after: ObjectId | None, limit: int) -> Page:
        return page_of([c for c in self.stored.values() if c.reseller_id == reseller_id], after, limit)

    def count_of(self, reseller_id: ObjectId) -> int:
        return sum(c.reseller_id == reseller_id for c in self.stored.values())

    def change(self, reseller_id: ObjectId, customer_id: ObjectId, changes: dict[str, Any],
               event: Event) -> Customer | None:
        found = self.of(reseller_id, customer_id)
        if found is None:
            return None
        self.stored[customer_id] = replace(found, **changes)
        return self.stored[customer_id]

    def set_active(self, reseller_id: ObjectId, customer_id: ObjectId, active: bool, event: Event) -> Customer | None:
        return self.change(reseller_id, customer_id, {"active": active}, event)


class FakeUsers:
    def __init__(self) -> None:
        self.stored: dict[ObjectId, User] = {}

    def add(self, user: User) -> None:
        if any(u.username == user.username or same_key(u, user) for u in self.stored.values()):
            raise UserExists(user.username)
        self.stored[user.id] = user

    def username_taken(self, username: str) -> bool:
        return self.named(username) is not None

    def of(self, reseller_id: ObjectId, *, user_id: ObjectId | None = None, username: str | None = None) -> User | None:
        found = self.stored.get(user_id) if user_id is not None else self.named(username or "")
        return found if found and found.reseller_id == reseller_id else None

    def with_key(self, reseller_id: ObjectId, key: str) -> User | None:
        return next((u for u in self.stored.values() if u.idempotency and u.idempotency.key == key), None)

    def with_id(self, user_id: ObjectId) -> User | None:
        return self.stored.get(user_id)

    def named(self, username: str) -> User | None:
        return next((u for u in self.stored.values() if u.username == username), None)

    def page_of(self, reseller_id: ObjectId, after: ObjectId | None, limit: int, *,
                customer_id: ObjectId | None = None) -> Page:
        found = [u for u in self.stored.values()
                 if u.reseller_id == reseller_id and customer_id in (None, u.customer_id)]
        return page_of(found, after, limit)

    def count_of_customer(self, customer_id: ObjectId) -> int:
        return sum(u.customer_id == customer_id for u in self.stored.values())

    def change(self, reseller_id: ObjectId, user_id: ObjectId, changes: dict[str, Any], event: Event) -> User | None:
        found = self.of(reseller_id, user_id=user_id)
        if found is None:
            return None
        self.stored[user_id] = replace(found, **changes)
        return self.stored[user_id]

    def set_active(self, reseller_id: ObjectId, user_id: ObjectId, active: bool, event: Event) -> User | None:
        return self.change(reseller_id, user_id, {"active": active}, event)


class FakeCredits:
    def __init__(self) -> None:
        self.entries: list[CreditEntry] = []

    def add(self, entry: CreditEntry) -> None:
        self.entries.append(entry)


class FakeAudit:
    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    def of_customer(self, customer_id: ObjectId, limit: int) -> list[AuditEntry]:
        return [entry for entry in self.entries if entry.customer_id == customer_id]

    def of_user(self, user_id: ObjectId) -> list[AuditEntry]:
        return [entry for entry in self.entries if entry.user_id == user_id]

    def of_reseller(self, reseller_id: ObjectId, limit: int) -> list[AuditEntry]:
        return [entry for entry in self.entries if entry.reseller_id == reseller_id]


class FakeUnitOfWork:
    """Writes together undo each other's inserts when one fails, as a transaction would."""

    def __init__(self, resellers: tuple[Reseller, ...] = ()):
        self.resellers = FakeResellers(resellers)
        self.customers = FakeCustomers()
        self.users = FakeUsers()
        self.credits = FakeCredits()
        self.audit = FakeAudit()

    def __enter__(self) -> FakeUnitOfWork:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        pass

    def together(self, write: Callable[[ports.Stores], T]) -> T:
        saved = (dict(self.customers.stored), dict(self.users.stored), list(self.credits.entries))
        try:
            return write(self)
        except BaseException:
            self.customers.stored, self.users.stored, self.credits.entries = saved
            raise

    def ping(self) -> None:
        pass


def unit_of_work(*resellers: Reseller) -> ports.UnitOfWork:
    """A fake unit of work, typed as the port it stands in for (mypy checks that it is one)."""
    return FakeUnitOfWork(resellers)
