"""A reseller's customers: found, listed, changed, suspended and resumed (another reseller's are never found). Each
change and its audit entry are written together."""
from __future__ import annotations

from bson import ObjectId

from app.domain.commands import CustomerChange, ListRequest
from app.domain.exceptions import CustomerNotFound
from app.domain.model import AuditEntry, Changed, Customer, Event, Origin, Page
from app.service_layer.ports import Clock, Stores, UnitOfWork


def customer_of(reseller_id: ObjectId, customer_id: ObjectId, *, uow: UnitOfWork) -> Customer:
    """The reseller's customer with this id; another reseller's is CustomerNotFound, exactly like none."""
    found = uow.customers.of(reseller_id, customer_id)
    if found is None:
        raise CustomerNotFound()
    return found


def customers_of(reseller_id: ObjectId, request: ListRequest, *, uow: UnitOfWork) -> Page:
    """A page of the reseller's customers, in creation order."""
    return uow.customers.page_of(reseller_id, request.after, request.limit)


def change_customer(reseller_id: ObjectId, request: CustomerChange, origin: Origin, *, uow: UnitOfWork,
                    clock: Clock) -> Customer:
    """Change settings of the reseller's customer, recording which; the customer as changed."""
    event = Event("customer.update", clock(), origin, tuple(request.changes))

    def write(stores: Stores) -> Changed | None:
        return recorded(stores.customers.change(reseller_id, request.customer_id, request.changes), stores, event,
                        reseller_id, request.customer_id)

    return found_or_not(uow.together(write))


def set_customer_active(reseller_id: ObjectId, customer_id: ObjectId, active: bool, origin: Origin, *,
                        uow: UnitOfWork, clock: Clock) -> Customer:
    """Suspend or resume the reseller's customer (a change, and an audit entry, only when it was the other way); the
    customer as this request left it."""
    event = Event("customer.resume" if active else "customer.suspend", clock(), origin, ("active",))

    def write(stores: Stores) -> Changed | None:
        return recorded(stores.customers.set_active(reseller_id, customer_id, active), stores, event, reseller_id,
                        customer_id)

    return found_or_not(uow.together(write))


def recorded(changed: Changed | None, stores: Stores, event: Event, reseller_id: ObjectId, customer_id: ObjectId,
             user_id: ObjectId | None = None) -> Changed | None:
    """Record a change in the audit trail (in its transaction) when there was one."""
    if changed is not None and changed.changed:
        stores.audit.record(AuditEntry(event, reseller_id, customer_id, user_id))
    return changed


def found_or_not(changed: Changed | None) -> Customer:
    if changed is None:
        raise CustomerNotFound()
    return changed.found
