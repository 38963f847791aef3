"""Idempotency-Key: the fingerprint that tells a retry (same parameters) from another request with the same key."""
import dataclasses
import hashlib
import hmac
import json
from typing import Any

from app.domain.model import IdempotencyKey

# Fields of a request that never enter its fingerprint: passwords (the reseller's was just verified; a user's must
# not be recoverable from a stored fingerprint by guessing, nor a retry tell which password a user was created with),
# and whether it was a dry run.
LEFT_OUT = frozenset({"password", "dry_run"})


def keyed(secret: bytes, key: str, endpoint: str, request: Any) -> IdempotencyKey:
    """The key with an HMAC of the endpoint and the checked parameters but passwords: equal for equal requests."""
    canonical = json.dumps([endpoint, without_passwords(dataclasses.asdict(request))], sort_keys=True, default=str)
    return IdempotencyKey(key, hmac.new(secret, canonical.encode(), hashlib.sha256).hexdigest())


def without_passwords(parameters: Any) -> Any:
    """The parameters, at any depth, without the fields LEFT_OUT."""
    if isinstance(parameters, dict):
        return {name: without_passwords(value) for name, value in parameters.items() if name not in LEFT_OUT}
    return parameters
