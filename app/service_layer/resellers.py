"""The operators' commands on resellers: create, change the password, enable or disable, unlock."""
from __future__ import annotations

from bson import ObjectId

from app.domain.exceptions import ResellerNotFound
from app.domain.model import Event, Origin, Reseller
from app.service_layer.ports import Clock, PasswordHasher, UnitOfWork


def create_reseller(name: str, password: str, origin: Origin, *, free_credits: int, uow: UnitOfWork,
                    hasher: PasswordHasher, clock: Clock) -> None:
    """Create an active reseller; raises ResellerExists when the name is taken."""
    now = clock()
    reseller = Reseller(ObjectId(), name, hasher.hash(password), active=True, free_credits=free_credits, created_at=now)
    uow.resellers.add(reseller, Event("reseller.create", now, origin))


def change_reseller_password(name: str, password: str, origin: Origin, *, uow: UnitOfWork, hasher: PasswordHasher,
                             clock: Clock) -> None:
    """Replace a reseller's password; raises ResellerNotFound when there is none of that name."""
    event = Event("reseller.set-password", clock(), origin, ("password_hash",))
    uow.resellers.change(name, {"password_hash": hasher.hash(password)}, event)


def set_reseller_active(name: str, active: bool, origin: Origin, *, uow: UnitOfWork, clock: Clock) -> None:
    """Enable or disable a reseller; raises ResellerNotFound when there is none of that name."""
    event = Event("reseller.enable" if active else "reseller.disable", clock(), origin, ("active",))
    uow.resellers.change(name, {"active": active}, event)


def unlock_reseller(name: str, client: str | None, origin: Origin, *, uow: UnitOfWork, clock: Clock) -> int:
    """Forget a reseller name's failed authentications (from one client address, or all); how many were forgotten."""
    reseller = uow.resellers.named(name)
    if reseller is None:
        raise ResellerNotFound(name)
    forgotten = [failure for failure in reseller.failures if client is None or failure.client == client]
    uow.resellers.forget_failures(reseller.id, client, Event("reseller.unlock", clock(), origin))
    return len(forgotten)
