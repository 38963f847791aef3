"""The events feed of a reseller: its events in their order, after any id it gave before."""
from __future__ import annotations

from bson import ObjectId

from app.domain.commands import FeedRequest
from app.domain.events import FeedPage
from app.service_layer.customers import customer_of
from app.service_layer.ports import UnitOfWork


def events_of(reseller_id: ObjectId, request: FeedRequest, *, uow: UnitOfWork) -> FeedPage:
    """A page of the reseller's events after request.after, optionally of one type or of one of its customers (another
    reseller's customer is CustomerNotFound, as everywhere)."""
    if request.customer_id is not None:
        customer_of(reseller_id, request.customer_id, uow=uow)
    return uow.events.page_of(reseller_id, request.after, request.limit, event_type=request.event_type,
                              customer_id=request.customer_id)
