"""API keys' parameters: a new key, a page of keys, a key to revoke. They take the reseller's password, never a key."""
from marshmallow import post_load

from app.domain import api_keys
from app.domain.commands import ApiKeyLookup, ListRequest, NewApiKey
from app.web import fields, patterns
from app.web.schemas import parameters
from app.web.schemas.base import ResellerSchema
from app.web.schemas.parameters import described


class KeyManagement(ResellerSchema):
    """What manages API keys: with the reseller's name and password only."""

    keys_allowed = False


class ApiKeyCreateSchema(KeyManagement):
    """apikey/create."""

    component = "ApiKeyCreate"
    label = fields.Text(max_length=api_keys.LABEL_MAX_LENGTH, required=True,
                        **described("what the key is for, 1 to 64 characters (e.g. the back-end using it)"))
    allowed_ips = fields.ListOf(api_keys.networks, data_key="allowedIps", item_pattern=patterns.IPV4_BLOCK,
                                most=api_keys.ADDRESSES_MAX, description="IPv4 or IPv6 addresses or CIDR blocks",
                                **described("the only client addresses the key works from (up to 50 addresses or "
                                            "CIDR blocks, IPv4 or IPv6); none: any"))
    expires_at = fields.Moment(future=True, data_key="expiresAt", **described(
        "when the key stops working (ISO 8601 with its offset, in the future); none: never"))

    @post_load
    def make_request(self, data, **kwargs):
        return NewApiKey(self.credentials(data), data["label"], data.get("allowed_ips", ()), data.get("expires_at"))


class ApiKeyListSchema(KeyManagement):
    """apikey/list."""

    component = "ApiKeyList"
    limit = parameters.limit()
    after = parameters.after()

    @post_load
    def make_request(self, data, **kwargs):
        return ListRequest(self.credentials(data), data["limit"], data.get("after"))


class ApiKeyRevokeSchema(KeyManagement):
    """apikey/revoke."""

    component = "ApiKeyRevoke"
    key_id = fields.ObjectIdText(data_key="keyId", required=True, **described("the id of one of the reseller's keys"))

    @post_load
    def make_request(self, data, **kwargs):
        return ApiKeyLookup(self.credentials(data), data["key_id"])
