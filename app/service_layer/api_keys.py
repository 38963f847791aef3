"""API keys: created, listed and revoked by their reseller (with its password, never with a key), each change in the
audit trail; and the operators' view of any reseller's."""
from __future__ import annotations

from bson import ObjectId

from app.domain import api_keys
from app.domain.api_keys import ApiKey
from app.domain.commands import NewApiKey
from app.domain.exceptions import ApiKeyNotFound
from app.domain.model import AuditEntry, Changed, Event, Origin, Page
from app.service_layer.ports import Clock, Stores, UnitOfWork


def create_key(reseller_id: ObjectId, request: NewApiKey, origin: Origin, *, uow: UnitOfWork,
               clock: Clock) -> tuple[ApiKey, str]:
    """A new key of the reseller, and the key itself (shown once: only its digest is kept)."""
    event = Event("apikey.create", clock(), origin, ("label", "allowedIps", "expiresAt"))
    key_id = ObjectId()
    presented = api_keys.new_key(key_id)
    key = ApiKey(key_id, reseller_id, request.label, api_keys.digest_of(presented), event, request.allowed_ips,
                 request.expires_at)

    def write(stores: Stores) -> None:
        stores.api_keys.add(key)
        stores.audit.record(AuditEntry(event, reseller_id, api_key_id=key_id))

    uow.together(write)
    return key, presented


def keys_of(reseller_id: ObjectId | None, after: ObjectId | None, limit: int, *, uow: UnitOfWork) -> Page:
    """A page of the reseller's keys (every reseller's, for operators, when None), in creation order."""
    return uow.api_keys.page_of(reseller_id, after, limit)


def revoke_key(reseller_id: ObjectId, key_id: ObjectId, origin: Origin, *, uow: UnitOfWork, clock: Clock) -> ApiKey:
    """Revoke the reseller's key at once (ApiKeyNotFound when it has none of this id); the key as revoked."""
    event = Event("apikey.revoke", clock(), origin, ("revoked",))

    def write(stores: Stores) -> Changed | None:
        changed = stores.api_keys.revoke(reseller_id, key_id, event.at)
        if changed is not None and changed.changed:
            stores.audit.record(AuditEntry(event, reseller_id, api_key_id=key_id))
        return changed

    changed = uow.together(write)
    if changed is None:
        raise ApiKeyNotFound()
    return changed.found


def any_key(key_id: ObjectId, *, uow: UnitOfWork) -> ApiKey:
    """For operators: the key with this id, whoever's it is."""
    found = uow.api_keys.with_id(key_id)
    if found is None:
        raise ApiKeyNotFound()
    return found
