"""Idempotency-Key: the fingerprint that tells a retry (same parameters) from another request with the same key."""
import dataclasses
import hashlib
import hmac
import json
from typing import Any

from app.domain.model import IdempotencyKey


def keyed(secret: bytes, key: str, endpoint: str, request: Any) -> IdempotencyKey:
    """The key with an HMAC of the endpoint and the checked parameters: equal for equal requests, and no way
    back to a password. The reseller's password is left out: it was just verified, and the key is the reseller's own.
    """
    parameters = dataclasses.asdict(request)
    parameters["credentials"].pop("password")
    parameters.pop("dry_run", None)
    canonical = json.dumps([endpoint, parameters], sort_keys=True, default=str).encode()
    return IdempotencyKey(key, hmac.new(secret, canonical, hashlib.sha256).hexdigest())
