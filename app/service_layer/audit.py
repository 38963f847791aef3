"""The audit trail as operators read it: who created or changed what, when and from where, newest first."""
from __future__ import annotations

from bson import ObjectId

from app.domain.model import AuditEntry
from app.service_layer.ports import UnitOfWork


def newest_first(entries: list[AuditEntry], limit: int) -> list[AuditEntry]:
    """The newest limit entries, newest first; a customer and its first user created together are one entry."""
    with_users = {(entry.event.action, entry.customer_id) for entry in entries if entry.user_id is not None}
    kept = [entry for entry in entries
            if entry.user_id is not None or (entry.event.action, entry.customer_id) not in with_users]
    # Within one millisecond, the ids (made in creation order by one process) break the tie.
    return sorted(kept, key=lambda entry: (entry.event.at, entry.user_id or entry.customer_id or entry.reseller_id),
                  reverse=True)[:limit]


def customer_trail(customer_id: ObjectId, limit: int, *, before: ObjectId | None = None,
                   uow: UnitOfWork) -> list[AuditEntry]:
    """The customer's creation and changes, and its users': the newest limit (before an entry's id), newest first."""
    return newest_first(uow.audit.of_customer(customer_id, limit, before), limit)


def user_trail(user_id: ObjectId, limit: int, *, before: ObjectId | None = None, uow: UnitOfWork) -> list[AuditEntry]:
    """The user's creation and changes: the newest limit (before an entry's id), newest first."""
    return newest_first(uow.audit.of_user(user_id, limit, before), limit)


def reseller_trail(reseller_id: ObjectId, limit: int, *, before: ObjectId | None = None,
                   uow: UnitOfWork) -> list[AuditEntry]:
    """The reseller's creation and commands, and the creations and changes of its customers and users: the newest
    limit (before an entry's id), newest first."""
    return newest_first(uow.audit.of_reseller(reseller_id, limit, before), limit)
