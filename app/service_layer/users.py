"""A reseller's users: found, listed, changed, suspended and resumed (another reseller's are never found); each change
also as a dry run that writes nothing. Each change and its audit entry are written together."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from bson import ObjectId

from app.domain.commands import ListRequest
from app.domain.exceptions import SuspendedByOperator, UserNotFound
from app.domain.holds import held_against, hold_preview
from app.domain.limits import LIMIT_NAMES, SendingLimits
from app.domain.model import BY_RESELLER, Changed, Event, Origin, Page, Preview, User
from app.service_layer.customers import customer_of, recorded
from app.service_layer.ports import Clock, PasswordHasher, Stores, UnitOfWork

PASSWORD = "password"


def user_of(reseller_id: ObjectId, *, user_id: ObjectId | None = None, username: str | None = None,
            uow: UnitOfWork) -> User:
    """The reseller's user with this id or username; another reseller's is UserNotFound, exactly like none."""
    found = uow.users.of(reseller_id, user_id=user_id, username=username)
    if found is None:
        raise UserNotFound()
    return found


def users_of(reseller_id: ObjectId, request: ListRequest, *, uow: UnitOfWork) -> Page:
    """A page of the reseller's users, or of one of its customers' (CustomerNotFound if not its), that pass the
    request's filters, in creation order."""
    if request.customer_id is not None:
        customer_of(reseller_id, request.customer_id, uow=uow)
    return uow.users.page_of(reseller_id, request.after, request.limit, customer_id=request.customer_id,
                             filters=request.filters)


def user_changes(changes: dict[str, Any], cleared: tuple[str, ...]) -> dict[str, Any]:
    """The fields an update sets (None: removes), its sending limits as one "limits" entry of their own."""
    merged = {**changes, **dict.fromkeys(name for name in cleared if name not in LIMIT_NAMES)}
    given_limits: dict[str, Any] = merged.pop("limits", None) or {}
    limits = {**given_limits, **dict.fromkeys(name for name in cleared if name in LIMIT_NAMES)}
    if limits:
        merged["limits"] = limits
    return merged


def change_user(reseller_id: ObjectId, user_id: ObjectId, changes: dict[str, object], origin: Origin, *,
                cleared: tuple[str, ...] = (), password: str | None = None, uow: UnitOfWork, hasher: PasswordHasher,
                clock: Clock) -> User:
    """Change details of the reseller's user, remove the cleared ones, give it a new password (hashed as at
    creation); record which fields changed."""
    stored = user_changes(changes, cleared)
    limits: dict[str, Any] = stored.get("limits", {})
    if password is not None:
        user_of(reseller_id, user_id=user_id, uow=uow)  # before spending a hash on it
        stored["password_hash"] = hasher.hash(password)
    event = Event("user.update", clock(), origin, (*(name for name in stored if name != "limits"), *limits))

    def write(stores: Stores) -> Changed | None:
        changed = stores.users.change(reseller_id, user_id, stored)
        return recorded(changed, stores, event, reseller_id, changed.found.customer_id, user_id) if changed else None

    return found_or_not(uow.together(write))


def preview_user_change(reseller_id: ObjectId, user_id: ObjectId, changes: dict[str, object], *,
                        cleared: tuple[str, ...] = (), password: str | None = None, uow: UnitOfWork) -> Preview:
    """A dry run of user/update: the user as the change would leave it and the fields it would change (a new password
    always changes; it is not hashed); nothing written."""
    found = user_of(reseller_id, user_id=user_id, uow=uow)
    merged = user_changes(changes, cleared)
    limits = merged.pop("limits", {})
    changed = [name for name, value in merged.items() if getattr(found, name) != value]
    current = found.limits.given() if found.limits else {}
    changed += [name for name, value in limits.items() if current.get(name) != value]
    new_limits = {**current, **limits}
    given = {name: value for name, value in new_limits.items() if value is not None}
    became = replace(found, **merged, limits=SendingLimits(**given) if given else None)
    return Preview(became, (*changed, *([PASSWORD] if password is not None else [])))


def set_user_active(reseller_id: ObjectId, user_id: ObjectId, active: bool, origin: Origin, *, uow: UnitOfWork,
                    clock: Clock, by: str = BY_RESELLER) -> User:
    """Suspend or resume the reseller's user, as the reseller or the operators (a change, and an audit entry, only
    when it was the other way); SuspendedByOperator for a reseller's resumption of an operators' hold. The user as
    this request left it."""
    event = Event("user.resume" if active else "user.suspend", clock(), origin, ("active", "suspended_by"))

    def write(stores: Stores) -> Changed | None:
        changed = stores.users.set_active(reseller_id, user_id, active, by)
        if changed is None:
            return None
        if not changed.changed and held_against(changed.found, active, by):
            raise SuspendedByOperator()
        return recorded(changed, stores, event, reseller_id, changed.found.customer_id, user_id)

    return found_or_not(uow.together(write))


def preview_user_active(reseller_id: ObjectId, user_id: ObjectId, active: bool, *, uow: UnitOfWork,
                        by: str = BY_RESELLER) -> Preview:
    """A dry run of user/suspend or user/resume: what it would make of the user; nothing written."""
    return hold_preview(user_of(reseller_id, user_id=user_id, uow=uow), active, by)


def found_or_not(changed: Changed | None) -> User:
    if changed is None:
        raise UserNotFound()
    return changed.found
