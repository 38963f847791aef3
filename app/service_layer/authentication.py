"""Who is calling: a reseller's credentials checked, and the failed authentications of its name throttled."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from app.domain.commands import Credentials
from app.domain.exceptions import AuthenticationFailed, TooManyFailures
from app.domain.model import FailedName, Failure, Origin, Reseller
from app.domain.throttling import KNOWN_CLIENT_DAYS, FailureLimits
from app.service_layer.ports import Clock, PasswordHasher, UnitOfWork


def authenticate(credentials: Credentials, origin: Origin, *, uow: UnitOfWork, hasher: PasswordHasher, clock: Clock,
                 limits: FailureLimits) -> Reseller:
    """Return the active reseller these credentials prove, or raise AuthenticationFailed.

    A name that failed too often lately, from this client or from everywhere, is refused with TooManyFailures
    before its password is checked. A full password check is counted as a failure before it is made (so that
    concurrent guesses cannot overshoot the limit), and forgotten with this client's other failures on success.
    Names that are no reseller's are counted alike, so that throttling does not tell them apart.
    """
    now = clock()
    resellers = uow.resellers
    reseller = resellers.named(credentials.reseller_name)
    counted: Reseller | FailedName = reseller or resellers.failed_name(credentials.reseller_name)

    def is_known() -> bool:
        return reseller is not None and resellers.is_known_client(
            reseller.id, origin.client, now - timedelta(days=KNOWN_CLIENT_DAYS))

    wait = limits.wait(counted.failures, origin.client, now, is_known=is_known)
    if wait:
        raise TooManyFailures(wait)
    if reseller and reseller.active and hasher.verified_lately(reseller.password_hash, credentials.password):
        if any(failure.client == origin.client for failure in reseller.failures):
            resellers.forget_failures(reseller.id, origin.client)
    else:
        count_failure(counted, origin.client, now, uow=uow, limits=limits, is_known=is_known)
        stored_hash = reseller.password_hash if reseller else None
        if not (hasher.verify(stored_hash, credentials.password) and reseller and reseller.active):
            raise AuthenticationFailed()
        hasher.remember(reseller.password_hash, credentials.password)
        resellers.forget_failures(reseller.id, origin.client)
    resellers.note_known_client(reseller.id, origin.client, now)
    return reseller


def count_failure(counted: Reseller | FailedName, client: str, now: datetime, *, uow: UnitOfWork,
                  limits: FailureLimits, is_known: Callable[[], bool]) -> None:
    """Count a failed authentication of client in advance, unless the limits forbid another try (TooManyFailures).

    Checking and counting are one atomic step: the count is stored only if nobody counted since it was read.
    """
    resellers = uow.resellers
    while True:
        wait = limits.wait(counted.failures, client, now, is_known=is_known)
        if wait:
            raise TooManyFailures(wait)
        kept = limits.with_failure(counted.failures, Failure(client, now))
        if resellers.count_failure(counted, kept, expires_at=now + limits.window):
            return
        counted = (resellers.named(counted.name) if isinstance(counted, Reseller) else None) \
            or resellers.failed_name(counted.name)
