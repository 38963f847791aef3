"""The request headers the contract reads: Idempotency-Key, and the one a replayed answer carries."""

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
