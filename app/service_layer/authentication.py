"""Who is calling: a reseller's credentials checked, and the failed authentications of its name throttled."""
from __future__ import annotations

from datetime import timedelta

from app.domain import api_keys
from app.domain.commands import Credentials, KeyCredentials
from app.domain.exceptions import AuthenticationFailed, TooManyFailures
from app.domain.model import Origin, Reseller
from app.domain.throttling import KNOWN_CLIENT_DAYS, FailureLimits
from app.service_layer.ports import Clock, PasswordHasher, UnitOfWork


def authenticate(credentials: Credentials, origin: Origin, *, uow: UnitOfWork, hasher: PasswordHasher, clock: Clock,
                 limits: FailureLimits) -> Reseller:
    """Return the active reseller these credentials prove, or raise AuthenticationFailed.

    A name that failed too often lately, from this client or from everywhere, is refused with TooManyFailures before
    its password is checked, even the right one (a guesser must not learn that it guessed right). A password this
    process verified lately against the reseller's hash is then proven without a hash; else a failure (wrong
    password, unknown or disabled reseller, all alike) is counted once known, and a success forgets this client's
    failures. The reseller's own document is never written.
    """
    now = clock()
    authentications = uow.authentications
    reseller, failures = authentications.attempt_of(credentials.reseller_name)

    def is_known() -> bool:
        return reseller is not None and authentications.is_known_client(
            reseller.id, origin.client, now - timedelta(days=KNOWN_CLIENT_DAYS))

    wait = limits.wait(failures, origin.client, now, is_known=is_known)
    if wait:
        raise TooManyFailures(wait, reseller.name if reseller else None)
    if reseller and reseller.active and hasher.verified_lately(reseller.password_hash, credentials.password):
        authentications.note_known_client(reseller.id, origin.client, now)
        return reseller
    stored_hash = reseller.password_hash if reseller else None
    if not (hasher.verify(stored_hash, credentials.password) and reseller and reseller.active):
        authentications.count_failure(credentials.reseller_name, origin.client, now, expires_at=now + limits.window)
        raise AuthenticationFailed()
    hasher.remember(reseller.password_hash, credentials.password)
    if any(failure.client == origin.client for failure in failures):
        authentications.forget_failures(reseller.name, origin.client)
    authentications.note_known_client(reseller.id, origin.client, now)
    return reseller


# What the failed authentications of a key that names no key (or is not a key's form) are counted under.
UNKNOWN_KEY = "(an unknown API key)"


def authenticate_key(credentials: KeyCredentials, origin: Origin, *, uow: UnitOfWork, clock: Clock,
                     limits: FailureLimits) -> Reseller:
    """Return the active reseller whose API key this is, or raise AuthenticationFailed: a wrong, revoked or expired
    key, one presented from an address it does not allow, or a disabled reseller's, all alike. Found by the id the
    key names, compared in constant time, never an argon2 hash; failures are counted under the reseller's name (and
    throttled) as wrong passwords are."""
    now = clock()
    key_id = api_keys.key_id_of(credentials.key)
    authentications = uow.authentications
    key, reseller = authentications.key_attempt_of(key_id) if key_id else (None, None)
    counted_as = reseller.name if reseller else UNKNOWN_KEY
    failures = authentications.failures_of(counted_as)

    def is_known() -> bool:
        return reseller is not None and authentications.is_known_client(
            reseller.id, origin.client, now - timedelta(days=KNOWN_CLIENT_DAYS))

    wait = limits.wait(failures, origin.client, now, is_known=is_known)
    if wait:
        raise TooManyFailures(wait, reseller.name if reseller else None)
    if not (key and reseller and reseller.active and key.admits(credentials.key, origin.client, now)):
        authentications.count_failure(counted_as, origin.client, now, expires_at=now + limits.window)
        raise AuthenticationFailed()
    if any(failure.client == origin.client for failure in failures):
        authentications.forget_failures(reseller.name, origin.client)
    uow.api_keys.used(key.id, now)
    authentications.note_known_client(reseller.id, origin.client, now)
    return reseller
