"""A reseller's customers: found (by id or name), listed, changed, suspended and resumed (another reseller's are never
found); each change also as a dry run that writes nothing. Each change and its audit entry are written together."""
from __future__ import annotations

from dataclasses import replace

from bson import ObjectId

from app.domain import names
from app.domain.commands import CustomerChange, CustomerLookup, ListRequest
from app.domain.exceptions import CustomerNotFound, SuspendedByOperator
from app.domain.holds import held_against, hold_preview
from app.domain.model import BY_RESELLER, AuditEntry, Changed, Customer, Event, Origin, Page, Preview
from app.service_layer.ports import Clock, Stores, UnitOfWork


def customer_of(reseller_id: ObjectId, customer_id: ObjectId, *, uow: UnitOfWork) -> Customer:
    """The reseller's customer with this id; another reseller's is CustomerNotFound, exactly like none."""
    found = uow.customers.of(reseller_id, customer_id)
    if found is None:
        raise CustomerNotFound()
    return found


def customer_found(reseller_id: ObjectId, request: CustomerLookup, *, uow: UnitOfWork) -> Customer:
    """The reseller's customer with the id or the name the request gives; another reseller's is CustomerNotFound."""
    if request.customer_id is not None:
        return customer_of(reseller_id, request.customer_id, uow=uow)
    found = uow.customers.named(names.as_stored(request.name or ""))
    if found is None or found.reseller_id != reseller_id:
        raise CustomerNotFound()
    return found


def customers_of(reseller_id: ObjectId, request: ListRequest, *, uow: UnitOfWork) -> Page:
    """A page of the reseller's customers that pass the request's filters, in creation order."""
    return uow.customers.page_of(reseller_id, request.after, request.limit, request.filters)


def change_customer(reseller_id: ObjectId, request: CustomerChange, origin: Origin, *, uow: UnitOfWork,
                    clock: Clock) -> Customer:
    """Change settings of the reseller's customer, recording which; the customer as changed."""
    event = Event("customer.update", clock(), origin, tuple(request.changes))

    def write(stores: Stores) -> Changed | None:
        return recorded(stores.customers.change(reseller_id, request.customer_id, request.changes), stores, event,
                        reseller_id, request.customer_id)

    return found_or_not(uow.together(write))


def preview_customer_change(reseller_id: ObjectId, request: CustomerChange, *, uow: UnitOfWork) -> Preview:
    """A dry run of customer/update: the customer as the change would leave it and the settings it would change;
    nothing written."""
    found = customer_of(reseller_id, request.customer_id, uow=uow)
    changed = tuple(name for name, value in request.changes.items() if getattr(found, name) != value)
    return Preview(replace(found, **request.changes), changed)


def set_customer_active(reseller_id: ObjectId, customer_id: ObjectId, active: bool, origin: Origin, *,
                        uow: UnitOfWork, clock: Clock, by: str = BY_RESELLER) -> Customer:
    """Suspend or resume the reseller's customer, as the reseller or the operators (a change, and an audit entry,
    only when it was the other way); SuspendedByOperator for a reseller's resumption of an operators' hold. The
    customer as this request left it."""
    event = Event("customer.resume" if active else "customer.suspend", clock(), origin, ("active", "suspended_by"))

    def write(stores: Stores) -> Changed | None:
        changed = stores.customers.set_active(reseller_id, customer_id, active, by)
        if changed is not None and not changed.changed and held_against(changed.found, active, by):
            raise SuspendedByOperator()
        return recorded(changed, stores, event, reseller_id, customer_id)

    return found_or_not(uow.together(write))


def preview_customer_active(reseller_id: ObjectId, customer_id: ObjectId, active: bool, *, uow: UnitOfWork,
                            by: str = BY_RESELLER) -> Preview:
    """A dry run of customer/suspend or customer/resume: what it would make of the customer; nothing written."""
    return hold_preview(customer_of(reseller_id, customer_id, uow=uow), active, by)


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
