"""The conditions most endpoints share, for their declarations."""
from app.domain.exceptions import AuthenticationFailed, IdempotencyKeyInFlight, IdempotencyKeyReused, TooManyFailures

# Every authenticated endpoint may answer these.
READ = (AuthenticationFailed, TooManyFailures)
# A create with an Idempotency-Key may also answer these.
CREATE = (*READ, IdempotencyKeyReused, IdempotencyKeyInFlight)
CUSTOMERS = "customers"
USERS = "users"
KEYS = "api keys"
EVENTS = "events"
WEBHOOKS = "webhooks"
