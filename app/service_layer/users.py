"""A reseller's users: found, listed, changed, suspended and resumed (another reseller's are never found). Each change
and its audit entry are written together."""
from __future__ import annotations

from bson import ObjectId

from app.domain.commands import ListRequest
from app.domain.exceptions import UserNotFound
from app.domain.limits import LIMIT_NAMES
from app.domain.model import Changed, Event, Origin, Page, User
from app.service_layer.customers import customer_of, recorded
from app.service_layer.ports import Clock, PasswordHasher, Stores, UnitOfWork


def user_of(reseller_id: ObjectId, *, user_id: ObjectId | None = None, username: str | None = None,
            uow: UnitOfWork) -> User:
    """The reseller's user with this id or username; another reseller's is UserNotFound, exactly like none."""
    found = uow.users.of(reseller_id, user_id=user_id, username=username)
    if found is None:
        raise UserNotFound()
    return found


def users_of(reseller_id: ObjectId, request: ListRequest, *, uow: UnitOfWork) -> Page:
    """A page of the reseller's users, or of one of its customers' (CustomerNotFound if not its), in creation order."""
    if request.customer_id is not None:
        customer_of(reseller_id, request.customer_id, uow=uow)
    return uow.users.page_of(reseller_id, request.after, request.limit, customer_id=request.customer_id)


def change_user(reseller_id: ObjectId, user_id: ObjectId, changes: dict[str, object], origin: Origin, *,
                cleared: tuple[str, ...] = (), password: str | None = None, uow: UnitOfWork, hasher: PasswordHasher,
                clock: Clock) -> User:
    """Change details of the reseller's user, remove the cleared ones, give it a new password (hashed as at
    creation); record which fields changed."""
    changes = {**changes, **dict.fromkeys(name for name in cleared if name not in LIMIT_NAMES)}
    given_limits: dict[str, object] = changes.pop("limits", None) or {}  # type: ignore[assignment]
    limits = {**given_limits, **dict.fromkeys(name for name in cleared if name in LIMIT_NAMES)}
    if limits:
        changes["limits"] = limits
    if password is not None:
        user_of(reseller_id, user_id=user_id, uow=uow)  # before spending a hash on it
        changes["password_hash"] = hasher.hash(password)
    event = Event("user.update", clock(), origin, (*(name for name in changes if name != "limits"), *limits))

    def write(stores: Stores) -> Changed | None:
        changed = stores.users.change(reseller_id, user_id, changes)
        return recorded(changed, stores, event, reseller_id, changed.found.customer_id, user_id) if changed else None

    return found_or_not(uow.together(write))


def set_user_active(reseller_id: ObjectId, user_id: ObjectId, active: bool, origin: Origin, *, uow: UnitOfWork,
                    clock: Clock) -> User:
    """Suspend or resume the reseller's user (a change, and an audit entry, only when it was the other way); the
    user as this request left it."""
    event = Event("user.resume" if active else "user.suspend", clock(), origin, ("active",))

    def write(stores: Stores) -> Changed | None:
        changed = stores.users.set_active(reseller_id, user_id, active)
        return recorded(changed, stores, event, reseller_id, changed.found.customer_id, user_id) if changed else None

    return found_or_not(uow.together(write))


def found_or_not(changed: Changed | None) -> User:
    if changed is None:
        raise UserNotFound()
    return changed.found
