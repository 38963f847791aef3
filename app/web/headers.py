"""The request headers the contract reads (Idempotency-Key), the one a replayed answer carries, and the ones every
answer carries."""
from flask import request

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_MAX_LENGTH = 255


def key_problem(key):
    """Why an Idempotency-Key header cannot be used, or None (also when there is none)."""
    if key is None:
        return None
    if not 1 <= len(key) <= KEY_MAX_LENGTH:
        return f"must be 1 to {KEY_MAX_LENGTH} characters long"
    if not all("!" <= c <= "~" for c in key):
        return "may contain only visible ASCII characters"
    return None


# Answers the service may let caches keep: they hold nothing of a caller's (the OpenAPI document; the API page's
# files are not JSON and carry their own max-age).
CACHEABLE_ENDPOINTS = frozenset({"api.openapi_document"})
NO_SNIFF = {"X-Content-Type-Options": "nosniff"}
NO_STORE = {"Cache-Control": "no-store"}


def protected(response):
    """Every answer: browsers read it as the type it says (nosniff), so a quoted value is never run as a script or a
    page. Every JSON answer but the OpenAPI document: no cache keeps it (no-store), since creates, reads and errors
    may carry a caller's data (names, emails, phone numbers), and a shared cache must not hand it to another."""
    response.headers.update(NO_SNIFF)
    if response.mimetype == "application/json" and request.endpoint not in CACHEABLE_ENDPOINTS:
        response.headers.update(NO_STORE)
    return response
