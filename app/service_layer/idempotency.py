"""Idempotency-Key: the fingerprint that tells a retry (same parameters) from another request with the same key."""
import dataclasses
import hashlib
import hmac
import json
from typing import Any

from app.domain.model import IdempotencyKey

# Fields of a request that never enter its fingerprint, at any depth (a batch's rows too): passwords (a user's must not
# be recoverable from a stored fingerprint by guessing, nor a retry tell which password a user was created with), and
# whether it was a dry run.
# The credentials enter as the name of the reseller they proved, however given (a password or an API key).
LEFT_OUT = frozenset({"password", "resellerPassword", "dry_run", "dryRun"})


def keyed(secret: bytes, key: str, endpoint: str, request: Any, reseller_name: str) -> IdempotencyKey:
    """The key with an HMAC of the endpoint and the checked parameters but passwords: equal for equal requests."""
    parameters = {**dataclasses.asdict(request), "credentials": {"reseller_name": reseller_name}}
    canonical = json.dumps([endpoint, without_passwords(parameters)], sort_keys=True, default=str)
    return IdempotencyKey(key, hmac.new(secret, canonical.encode(), hashlib.sha256).hexdigest())


def without_passwords(parameters: Any) -> Any:
    """The parameters, at any depth, without the fields LEFT_OUT, nor those not given (None): a field a later version
    adds to a request leaves the fingerprints of requests without it as they were."""
    if isinstance(parameters, dict):
        return {name: without_passwords(value) for name, value in parameters.items()
                if name not in LEFT_OUT and value is not None}
    if isinstance(parameters, (list, tuple)):
        return [without_passwords(value) for value in parameters]
    return parameters


def row_key(batch: IdempotencyKey, index: int) -> IdempotencyKey:
    """The key of a batch's row (customer-user/import): the batch's key and the row's place, separated by a space (no
    key a caller gives has one), with the batch's fingerprint."""
    return IdempotencyKey(f"{batch.key} {index}", batch.fingerprint)
