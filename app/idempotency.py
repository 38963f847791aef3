"""Idempotency-Key: a retried create gets its first answer again instead of creating twice."""
import hashlib
import hmac
import json
from dataclasses import asdict, dataclass

from flask import jsonify, request

from app import errors, services
from app.exceptions import (
    CustomerExists,
    CustomerNotFound,
    IdempotencyKeyInFlight,
    IdempotencyKeyReused,
    UserExists,
)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_MAX_LENGTH = 255
# Answers that change nothing and that a retry would get again: stored and replayed like a success.
FINAL_ERRORS = (CustomerExists, UserExists, CustomerNotFound)


def key_problem(key):
    """Why an Idempotency-Key header cannot be used, or None (also when there is none)."""
    if key is None:
        return None
    if not 1 <= len(key) <= KEY_MAX_LENGTH:
        return f"must be 1 to {KEY_MAX_LENGTH} characters long"
    if not all("!" <= c <= "~" for c in key):
        return "may contain only visible ASCII characters"
    return None


@dataclass(frozen=True)
class Claim:
    """A request's hold on its Idempotency-Key, and how to record the answer with the write it answers for."""

    id: object
    shape: object

    def completion(self, ids):
        return {"state": "done", "httpCode": 201, "body": self.shape(ids)}


def fingerprint(secret, path, request_data):
    """An HMAC of the endpoint and the checked parameters: equal for equal requests, and no way back to a password.

    The reseller's password is left out: it was just verified, and the key is the reseller's own.
    """
    parameters = asdict(request_data)
    parameters["credentials"].pop("password")
    canonical = json.dumps([path, parameters], sort_keys=True, default=str).encode()
    return hmac.new(secret, canonical, hashlib.sha256).hexdigest()


def respond(request_data, create, shape, *, tools, origin, secret, lease):
    """Authenticate, then create once per Idempotency-Key: create(reseller, claim) returns the ids, shape the body.

    A claim whose request died (and could not give it up) is taken over once its lease has run out.
    """
    reseller = services.authenticate(
        request_data.credentials, origin, repository=tools["repository"], hasher=tools["hasher"],
        clock=tools["clock"], limits=tools["limits"],
    )
    key = request.headers.get(HEADER)
    if key is None:
        return shape(create(reseller, None)), 201
    repository = tools["repository"]
    now = tools["clock"]()
    digest = fingerprint(secret, request.path, request_data)
    claimed, claim = repository.claim_idempotency_key(reseller["_id"], key, digest, now, now + lease)
    if not claimed:
        if claim is None:
            raise IdempotencyKeyInFlight()
        if not hmac.compare_digest(claim["fingerprint"], digest):
            raise IdempotencyKeyReused()
        if claim["state"] == "done":
            return replay(claim)
        if claim["leaseUntil"] > now or not repository.take_over_claim(claim, now + lease):
            raise IdempotencyKeyInFlight()
    try:
        ids = create(reseller, Claim(claim["_id"], shape))
    except FINAL_ERRORS as error:
        response = errors.handle(error)
        repository.finish_claim(claim["_id"], {"httpCode": response.status_code, "body": response.get_json()})
        return response
    except BaseException:
        repository.release_claim(claim["_id"])
        raise
    return shape(ids), 201


def replay(claim):
    """The stored answer of the key's first request, marked as a replay."""
    response = jsonify(claim["body"])
    response.status_code = claim["httpCode"]
    response.headers[REPLAYED_HEADER] = "true"
    return response
