"""The service layer: what each endpoint and reseller command does, given its checked input and collaborators."""
import math
from dataclasses import dataclass
from datetime import timedelta

from app.exceptions import AuthenticationFailed, CustomerNotFound, TooManyFailures


@dataclass(frozen=True)
class FailureLimits:
    """How many failed authentications a reseller name takes, from one client and from all, within a window."""

    per_client: int
    per_reseller: int
    window_seconds: int


def authenticate(credentials, origin, *, repository, hasher, clock, limits):
    """Return the active reseller these credentials prove, or raise AuthenticationFailed.

    A reseller name that failed too often lately, from this client or from everywhere, is refused with
    TooManyFailures before its password is checked; a success forgets this client's failures.
    """
    now = clock()
    window = timedelta(seconds=limits.window_seconds)
    failures = repository.recent_failures(credentials.reseller_name, now - window, limits.per_reseller)
    from_client = [failure for failure in failures if failure["client"] == origin.client]
    waits = [
        recent[limit - 1]["createdAt"] + window - now
        for recent, limit in ((from_client, limits.per_client), (failures, limits.per_reseller))
        if len(recent) >= limit
    ]
    if waits:
        raise TooManyFailures(max(1, math.ceil(max(waits).total_seconds())))
    reseller = repository.find_reseller(credentials.reseller_name)
    stored_hash = reseller["passwordHash"] if reseller else None
    password_matches = hasher.verify(stored_hash, credentials.password)
    if not (password_matches and reseller["active"]):
        repository.record_failure(credentials.reseller_name, origin.client, now)
        raise AuthenticationFailed()
    if from_client:
        repository.clear_failures(from_client)
    return reseller


def create_customer(reseller, request, origin, *, repository, clock, claim=None):
    """Create the customer for the authenticated reseller; return its ids."""
    return repository.insert_customer(
        request.customer, reseller=reseller, origin=origin, created_at=clock(), claim=claim
    )


def create_user(reseller, request, origin, *, repository, hasher, clock, claim=None):
    """Create a user of one of the authenticated reseller's customers; return its ids."""
    if not repository.customer_belongs_to(request.customer_id, reseller["_id"]):
        raise CustomerNotFound()
    return repository.insert_user(
        request.user,
        hasher.hash(request.user.password),
        customer_id=request.customer_id,
        reseller=reseller,
        origin=origin,
        created_at=clock(),
        claim=claim,
    )


def create_customer_with_user(reseller, request, origin, *, repository, hasher, clock, claim=None):
    """Create a customer and its first user together for the authenticated reseller; return their ids."""
    return repository.insert_customer_with_user(
        request.customer,
        request.user,
        hasher.hash(request.user.password),
        reseller=reseller,
        free_credits=reseller["freeCredits"] if request.apply_free_credits else None,
        origin=origin,
        created_at=clock(),
        claim=claim,
    )


def create_reseller(name, password, origin, *, free_credits, repository, hasher, clock):
    """Create an active reseller; raises ResellerExists when the name is taken."""
    repository.insert_reseller(
        name, hasher.hash(password), free_credits=free_credits, origin=origin, created_at=clock()
    )


def change_reseller_password(name, password, origin, *, repository, hasher, clock):
    """Replace a reseller's password; raises ResellerNotFound when there is none of that name."""
    repository.update_reseller(
        name, {"passwordHash": hasher.hash(password)}, action="reseller.set-password", origin=origin,
        updated_at=clock(),
    )


def set_reseller_active(name, active, origin, *, repository, clock):
    """Enable or disable a reseller; raises ResellerNotFound when there is none of that name."""
    action = "reseller.enable" if active else "reseller.disable"
    repository.update_reseller(name, {"active": active}, action=action, origin=origin, updated_at=clock())
