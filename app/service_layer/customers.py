"""A reseller's customers: found, listed, changed, suspended and resumed (another reseller's are never found)."""
from __future__ import annotations

from bson import ObjectId

from app.domain.commands import CustomerChange, ListRequest
from app.domain.exceptions import CustomerNotFound
from app.domain.model import Customer, Event, Origin, Page
from app.service_layer.ports import Clock, UnitOfWork


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
    changed = uow.customers.change(reseller_id, request.customer_id, request.changes, event)
    if changed is None:
        raise CustomerNotFound()
    return changed


def set_customer_active(reseller_id: ObjectId, customer_id: ObjectId, active: bool, origin: Origin, *,
                        uow: UnitOfWork, clock: Clock) -> Customer:
    """Suspend or resume the reseller's customer (a change only when it was the other way); the customer."""
    event = Event("customer.resume" if active else "customer.suspend", clock(), origin, ("active",))
    found = uow.customers.set_active(reseller_id, customer_id, active, event)
    if found is None:
        raise CustomerNotFound()
    return found
