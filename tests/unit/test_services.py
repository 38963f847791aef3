"""The service layer on its own, with fakes of its ports (plain dicts) in place of MongoDB."""
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from app.adapters.passwords import Hasher, VerificationCache
from app.domain.commands import (
    Credentials,
    CustomerRequest,
    CustomerUserRequest,
    NewCustomer,
    NewUser,
    UserRequest,
)
from app.domain.exceptions import (
    AuthenticationFailed,
    CustomerExists,
    CustomerNotFound,
    IdempotencyKeyInFlight,
    IdempotencyKeyReused,
    TooManyFailures,
    UserExists,
)
from app.domain.model import AuditEntry, Event, IdempotencyKey, Origin, Reseller
from app.domain.throttling import FailureLimits
from app.service_layer import audit, authentication, creates
from tests.unit.fakes import FakeUnitOfWork

NOW = datetime(2026, 1, 2, tzinfo=UTC)
ORIGIN = Origin(client="192.0.2.1", request_id="r1")
LIMITS = FailureLimits(per_client=3, per_reseller=5, window_seconds=900)


class CountingHasher(Hasher):
    def __init__(self, cache_seconds=0):
        super().__init__(time_cost=1, memory_kib=8, parallelism=1,
                         cache=VerificationCache(seconds=cache_seconds, max_entries=10))
        self.hashed = 0
        self.verified = 0

    def hash(self, password):
        self.hashed += 1
        return super().hash(password)

    def verify(self, stored_hash, password):
        self.verified += 1
        return super().verify(stored_hash, password)


@pytest.fixture
def hasher():
    return CountingHasher()


@pytest.fixture
def reseller(hasher):
    return Reseller(ObjectId(), "acme", hasher.hash("pw"), active=True, free_credits=10, created_at=NOW)


def uow_with(*resellers):
    return FakeUnitOfWork(resellers)


def authenticate(uow, hasher, password="pw", name="acme", client=ORIGIN.client, now=NOW):
    return authentication.authenticate(Credentials(name, password), Origin(client), uow=uow, hasher=hasher,
                                       clock=lambda: now, limits=LIMITS)


def test_the_right_password_of_an_active_reseller_authenticates(hasher, reseller):
    assert authenticate(uow_with(reseller), hasher) == reseller


def test_a_disabled_reseller_with_the_right_password_is_refused(hasher, reseller):
    with pytest.raises(AuthenticationFailed):
        authenticate(uow_with(replace(reseller, active=False)), hasher)


def test_an_unknown_reseller_is_refused_and_its_failure_counted_like_a_known_ones(hasher):
    uow = uow_with()
    with pytest.raises(AuthenticationFailed):
        authenticate(uow, hasher, name="ghost")
    assert [f.client for f in uow.authentications.failures_of("ghost")] == [ORIGIN.client]


def test_a_name_that_failed_too_often_is_refused_before_its_password_is_checked(hasher, reseller):
    uow = uow_with(reseller)
    for _ in range(LIMITS.per_client):
        with pytest.raises(AuthenticationFailed):
            authenticate(uow, hasher, password="wrong")
    checked = hasher.verified
    with pytest.raises(TooManyFailures) as refused:
        authenticate(uow, hasher)
    assert hasher.verified == checked and refused.value.retry_after == 900


def test_a_success_forgets_the_failures_of_its_client_only(hasher, reseller):
    uow = uow_with(reseller)
    for client in ("192.0.2.1", "192.0.2.2"):
        with pytest.raises(AuthenticationFailed):
            authenticate(uow, hasher, password="wrong", client=client)
    authenticate(uow, hasher, client="192.0.2.1")
    assert [f.client for f in uow.authentications.failures_of("acme")] == ["192.0.2.2"]


def test_a_correct_password_never_counts_as_a_failure_however_often_it_is_checked(hasher, reseller):
    uow = uow_with(reseller)
    for _ in range(LIMITS.per_client * 3):
        authenticate(uow, hasher)
    assert uow.authentications.failures_of("acme") == []


def test_a_password_verified_lately_needs_no_hash(reseller):
    cached = CountingHasher(cache_seconds=60)
    uow = uow_with(replace(reseller, password_hash=cached.hash("pw")))
    authenticate(uow, cached)
    verified = cached.verified
    authenticate(uow, cached)
    assert cached.verified == verified


def test_a_locked_name_refuses_even_a_password_verified_lately(reseller):
    cached = CountingHasher(cache_seconds=60)
    uow = uow_with(replace(reseller, password_hash=cached.hash("pw")))
    authenticate(uow, cached)
    for _ in range(LIMITS.per_client):
        with pytest.raises(AuthenticationFailed):
            authenticate(uow, cached, password="wrong")
    with pytest.raises(TooManyFailures):
        authenticate(uow, cached)


def test_the_ceiling_on_all_addresses_spares_a_client_that_authenticated_lately(hasher, reseller):
    uow = uow_with(reseller)
    authenticate(uow, hasher, client="203.0.113.7")
    for number in range(LIMITS.per_reseller):
        with pytest.raises(AuthenticationFailed):
            authenticate(uow, hasher, password="wrong", client=f"198.51.100.{number}")
    with pytest.raises(TooManyFailures):
        authenticate(uow, hasher, client="198.51.100.200")
    assert authenticate(uow, hasher, client="203.0.113.7").name == "acme"


def test_failures_older_than_the_window_no_longer_count(hasher, reseller):
    uow = uow_with(reseller)
    for _ in range(LIMITS.per_client):
        with pytest.raises(AuthenticationFailed):
            authenticate(uow, hasher, password="wrong")
    later = NOW + timedelta(seconds=LIMITS.window_seconds + 1)
    assert authenticate(uow, hasher, now=later).name == "acme"


def test_a_user_for_a_customer_of_another_reseller_is_refused_before_any_hashing(hasher, reseller):
    uow = uow_with(reseller)
    request = UserRequest(Credentials("acme", "pw"), ObjectId(), NewUser("u", "user pw", email="a@b.com"))
    hashed = hasher.hashed
    with pytest.raises(CustomerNotFound):
        creates.create_user(reseller, request, ORIGIN, None, uow=uow, hasher=hasher, clock=lambda: NOW)
    assert hasher.hashed == hashed and uow.users.stored == {}


def test_a_user_is_stored_with_a_hash_of_its_password_its_resellers_ids_and_its_creation(hasher, reseller):
    uow = uow_with(reseller)
    customer = creates.create_customer(reseller, CustomerRequest(Credentials("acme", "pw"), NewCustomer("shop")),
                                        ORIGIN, None, uow=uow, clock=lambda: NOW)
    request = UserRequest(Credentials("acme", "pw"), customer.customer_id, NewUser("u", "user pw", email="a@b.com"))
    created = creates.create_user(reseller, request, ORIGIN, None, uow=uow, hasher=hasher, clock=lambda: NOW)
    user = uow.users.stored[created.user_id]
    assert hasher.verify(user.password_hash, "user pw")
    assert (user.customer_id, user.reseller_id, user.created) == (customer.customer_id, reseller.id,
                                                                   Event("user.create", NOW, ORIGIN))


def create_twice(uow, reseller, first_key, second_key, name="shop"):
    def create(key, customer_name):
        request = CustomerRequest(Credentials("acme", "pw"), NewCustomer(customer_name))
        return creates.create_customer(reseller, request, ORIGIN, key, uow=uow, clock=lambda: NOW)

    return create(first_key, "shop"), create(second_key, name)


def test_a_second_create_with_the_same_key_and_fingerprint_is_the_first_ones_ids_replayed(reseller):
    key = IdempotencyKey("k", "fingerprint")
    first, again = create_twice(uow_with(reseller), reseller, key, key)
    assert (again.customer_id, again.replayed, first.replayed) == (first.customer_id, True, False)


def test_the_same_key_with_another_fingerprint_is_reused(reseller):
    with pytest.raises(IdempotencyKeyReused):
        create_twice(uow_with(reseller), reseller, IdempotencyKey("k", "one"), IdempotencyKey("k", "two"), name="other")


def test_a_taken_name_without_a_key_stays_taken(reseller):
    with pytest.raises(CustomerExists):
        create_twice(uow_with(reseller), reseller, None, None)


def test_a_key_whose_customer_has_no_user_yet_is_in_flight(hasher, reseller):
    uow = uow_with(reseller)
    key = IdempotencyKey("k", "f")
    request = CustomerUserRequest(Credentials("acme", "pw"), NewCustomer("c"), NewUser("c", "p"), False)
    uow.customers.add(creates.new_customer(request.customer, reseller, Event("x", NOW, ORIGIN), key=key))
    with pytest.raises(IdempotencyKeyInFlight):
        creates.create_customer_with_user(reseller, request, ORIGIN, key, uow=uow, hasher=hasher, clock=lambda: NOW)


def test_a_customer_and_user_are_written_together_or_not_at_all(hasher, reseller):
    uow = uow_with(reseller)
    taken = UserRequest(Credentials("acme", "pw"), ObjectId(), NewUser("taken", "p"))
    uow.users.add(creates.new_user(taken.user, "hash", ObjectId(), reseller, Event("x", NOW, ORIGIN)))
    request = CustomerUserRequest(Credentials("acme", "pw"), NewCustomer("c"), NewUser("taken", "p"), True)
    with pytest.raises(UserExists):
        creates.create_customer_with_user(reseller, request, ORIGIN, None, uow=uow, hasher=hasher, clock=lambda: NOW)
    assert (uow.customers.stored, uow.credits.entries) == ({}, [])


def test_a_customer_and_its_first_user_created_together_are_one_audit_entry():
    event = Event("customer-user.create", NOW, ORIGIN)
    reseller_id, customer_id, user_id = ObjectId(), ObjectId(), ObjectId()
    entries = [AuditEntry(event, reseller_id, customer_id), AuditEntry(event, reseller_id, customer_id, user_id),
               AuditEntry(Event("customer.update", NOW + timedelta(seconds=1), ORIGIN, ("billing_type",)), reseller_id,
                          customer_id)]
    trail = audit.newest_first(entries, limit=10)
    assert [(entry.event.action, entry.user_id) for entry in trail] == [("customer.update", None),
                                                                        ("customer-user.create", user_id)]


def test_credentials_never_show_the_password_in_their_repr():
    assert "secret" not in repr(Credentials("acme", "secret"))
    assert "secret" not in repr(NewUser("u", "secret"))
