"""The reseller's API keys: create (the key shown once), list, revoke. With the reseller's password only."""
from flask import Response

from app.domain.exceptions import ApiKeyNotFound
from app.service_layer import api_keys
from app.web import examples
from app.web.answers import KEY_CREATED, KEY_PAGE, ONE_KEY
from app.web.endpoint import Call, api
from app.web.endpoints.errors import KEYS, READ
from app.web.schemas.api_keys import ApiKeyCreateSchema, ApiKeyListSchema, ApiKeyRevokeSchema


@api.declare(
    "apikey/create", operation_id="apikeyCreate", tag=KEYS, summary="Create an API key",
    description="Creates a key the reseller's back-end authenticates with (Authorization: Bearer) instead of its "
                "password. The key is in this answer only: keep it; the service keeps only its digest. allowedIps "
                "keeps it to some client addresses, expiresAt ends it. Takes the reseller's password, never a key.",
    request=ApiKeyCreateSchema, answers=(KEY_CREATED,), errors=READ,
    example={**examples.CREDENTIALS, "label": "billing back-end", "allowedIps": ["203.0.113.0/24"]})
def apikey_create(call: Call) -> Response:
    return KEY_CREATED(api_keys.create_key(call.reseller.id, call.checked, call.origin, uow=call.uow,
                                           clock=call.tools.clock))


@api.declare(
    "apikey/list", operation_id="apikeyList", tag=KEYS, summary="The reseller's API keys, a page at a time",
    description="Answers a page of the reseller's keys in creation order (never a key itself); next is the after of "
                "the following page.",
    request=ApiKeyListSchema, answers=(KEY_PAGE,), errors=READ, example={**examples.CREDENTIALS, "limit": 20})
def apikey_list(call: Call) -> Response:
    return KEY_PAGE(api_keys.keys_of(call.reseller.id, call.checked.after, call.checked.limit, uow=call.uow))


@api.declare(
    "apikey/revoke", operation_id="apikeyRevoke", tag=KEYS, summary="Revoke an API key, at once",
    description="Revokes the key: from this answer on, no process of the service accepts it.",
    request=ApiKeyRevokeSchema, answers=(ONE_KEY,), errors=(*READ, ApiKeyNotFound),
    example={**examples.CREDENTIALS, "keyId": examples.KEY_ID})
def apikey_revoke(call: Call) -> Response:
    return ONE_KEY(api_keys.revoke_key(call.reseller.id, call.checked.key_id, call.origin, uow=call.uow,
                                       clock=call.tools.clock))
