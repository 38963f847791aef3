"""Conditions the service reports to its caller, each named for what happened."""


class AuthenticationFailed(Exception):
    """The reseller is unknown, disabled, or gave the wrong password: the caller is not told which."""


class TooManyFailures(Exception):
    """The reseller name failed to authenticate too often lately; try again after retry_after seconds. reseller is the
    name of the reseller it is, when it is one (never what a caller gave that names none: it may be a password typed
    in the wrong field)."""

    def __init__(self, retry_after: int, reseller: str | None = None):
        super().__init__(retry_after)
        self.retry_after = retry_after
        self.reseller = reseller


class Taken(Exception):
    """A name is taken; existing is the id of what holds it when it belongs to the calling reseller (None otherwise:
    another reseller's object is never revealed)."""

    def __init__(self, name: str = "", existing: object = None):
        super().__init__(name)
        self.existing = existing


class CustomerExists(Taken):
    """A customer with this name, or one that looks the same, already exists, under any reseller."""


class UserExists(Taken):
    """A user with this username, or one that looks the same, already exists."""


class CustomerNotFound(Exception):
    """No customer with this id (or name) belongs to the calling reseller."""


class UserNotFound(Exception):
    """No user with this id or username belongs to the calling reseller."""


class IdempotencyKeyReused(Exception):
    """The Idempotency-Key was used before with other parameters."""


class IdempotencyKeyInFlight(Exception):
    """The first request with this Idempotency-Key is still running."""


class ClientGone(Exception):
    """The caller closed its connection before the request's costly work began: nobody will read the answer."""


class ResellerExists(Exception):
    """A reseller with this name already exists."""


class ResellerNotFound(Exception):
    """No reseller has this name."""


class ValueRefused(ValueError):
    """A value breaks a rule of the contract; messages says each way it does."""

    def __init__(self, *messages: str):
        super().__init__("; ".join(messages))
        self.messages = list(messages)


class UpgradeBlocked(Exception):
    """The database holds data that a required index cannot be built over (e.g. two look-alike names)."""


class DatabaseNotReady(Exception):
    """A unique index the service relies on is missing (`db upgrade` has not run, or is replacing it): creates are
    refused rather than let duplicates in."""

    def __init__(self, missing: list[str]):
        super().__init__(", ".join(missing))
        self.missing = missing


class NotYetDurable(Exception):
    """What a replay or a conflict would report is not yet held by a majority of the replica set (a failover could
    still roll it back): the caller is asked to try again."""


class InsufficientCredits(Exception):
    """The change would take the customer's balance below 0; nothing was written."""


class ReferenceReused(Exception):
    """The reference was used before on this customer with another amount or reason."""


class ApiKeyNotFound(Exception):
    """No API key with this id belongs to the calling reseller."""


class CreditEntryExists(Exception):
    """The ledger holds an entry with this Idempotency-Key, or with this reference on the customer, already."""


class WebhookNotFound(Exception):
    """No webhook with this id belongs to the calling reseller."""


class RelayLeaseLost(Exception):
    """The events relay's lease expired or another relay took it: this one stops writing and waits to take it again."""


class SuspendedByOperator(Exception):
    """The customer or user was suspended by the platform's operators: a reseller cannot resume it."""


class CustomerSuspended(Exception):
    """The customer is suspended: no user can be created under it."""


class BatchOutOfTime(Exception):
    """A row of a bulk import was not begun: the batch ran out of the time its caller waits; send it again (with its
    Idempotency-Key, the rows done are answered as they were)."""
