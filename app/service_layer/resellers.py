"""The operators' commands on resellers: create, change the password, enable or disable, unlock; each change
recorded in the audit trail with it."""
from __future__ import annotations

from typing import Any

from bson import ObjectId

from app.domain.exceptions import ResellerNotFound
from app.domain.model import AuditEntry, Event, Origin, Reseller
from app.service_layer.ports import Clock, PasswordHasher, Stores, UnitOfWork


def create_reseller(name: str, password: str, origin: Origin, *, free_credits: int, uow: UnitOfWork,
                    hasher: PasswordHasher, clock: Clock) -> None:
    """Create an active reseller; raises ResellerExists when the name is taken."""
    now = clock()
    reseller = Reseller(ObjectId(), name, hasher.hash(password), active=True, free_credits=free_credits, created_at=now)
    uow.resellers.add(reseller, Event("reseller.create", now, origin))


def change_reseller(name: str, changes: dict[str, Any], event: Event, *, uow: UnitOfWork) -> Reseller:
    """Change fields of the reseller of this name and record it; raises ResellerNotFound when there is none."""

    def write(stores: Stores) -> Reseller | None:
        changed = stores.resellers.change(name, changes, event.at)
        if changed is not None:
            stores.audit.record(AuditEntry(event, changed.id))
        return changed

    changed = uow.together(write)
    if changed is None:
        raise ResellerNotFound(name)
    return changed


def change_reseller_password(name: str, password: str, origin: Origin, *, uow: UnitOfWork, hasher: PasswordHasher,
                             clock: Clock) -> None:
    """Replace a reseller's password; raises ResellerNotFound when there is none of that name."""
    event = Event("reseller.set-password", clock(), origin, ("password_hash",))
    change_reseller(name, {"password_hash": hasher.hash(password)}, event, uow=uow)


def set_reseller_active(name: str, active: bool, origin: Origin, *, uow: UnitOfWork, clock: Clock) -> None:
    """Enable or disable a reseller; raises ResellerNotFound when there is none of that name."""
    event = Event("reseller.enable" if active else "reseller.disable", clock(), origin, ("active",))
    change_reseller(name, {"active": active}, event, uow=uow)


def set_free_credits(name: str, free_credits: int, origin: Origin, *, uow: UnitOfWork, clock: Clock) -> None:
    """Set the credits a reseller's customers get with applyFreeCredits=true; ResellerNotFound when there is none."""
    event = Event("reseller.set-free-credits", clock(), origin, ("free_credits",))
    change_reseller(name, {"free_credits": free_credits}, event, uow=uow)


def unlock_reseller(name: str, client: str | None, origin: Origin, *, uow: UnitOfWork, clock: Clock) -> int:
    """Forget a reseller name's failed authentications (from one client address, or all); how many were forgotten."""
    reseller = uow.resellers.named(name)
    if reseller is None:
        raise ResellerNotFound(name)

    def write(stores: Stores) -> int:
        forgotten = stores.authentications.forget_failures(name, client)
        stores.audit.record(AuditEntry(Event("reseller.unlock", clock(), origin), reseller.id))
        return forgotten

    return uow.together(write)
