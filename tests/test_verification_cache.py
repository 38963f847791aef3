"""The reseller verification cache: successes remembered briefly, never failures, never stale."""
import pytest

from app.passwords import Hasher, VerificationCache
from tests.conftest import RESELLER

CUSTOMER_CREATE = "/services/rest/customer/create"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class CountingHasher(Hasher):
    """A Hasher that counts the argon2 verifications it really runs."""

    def __init__(self, cache):
        super().__init__(time_cost=1, memory_kib=8, parallelism=1, cache=cache)
        self.argon2_runs = 0

    def _matches(self, stored_hash, password):
        self.argon2_runs += 1
        return super()._matches(stored_hash, password)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def hasher(clock):
    return CountingHasher(VerificationCache(seconds=60, max_entries=2, clock=clock))


@pytest.fixture
def stored(hasher):
    return hasher.hash("right")


def test_a_success_is_remembered_so_argon2_runs_once(hasher, stored):
    assert hasher.verify(stored, "right") and hasher.verify(stored, "right")
    assert hasher.argon2_runs == 1


def test_a_failure_is_never_remembered(hasher, stored):
    assert not hasher.verify(stored, "wrong") and not hasher.verify(stored, "wrong")
    assert hasher.argon2_runs == 2


def test_a_remembered_success_expires_after_the_ttl(hasher, stored, clock):
    hasher.verify(stored, "right")
    clock.now += 60
    assert hasher.verify(stored, "right")
    assert hasher.argon2_runs == 2


def test_a_new_stored_hash_is_verified_afresh(hasher, stored):
    hasher.verify(stored, "right")
    replaced = hasher.hash("new")
    assert not hasher.verify(replaced, "right")
    assert hasher.argon2_runs == 2


def test_the_cache_keeps_at_most_its_bound_dropping_the_oldest(hasher, stored):
    others = [hasher.hash("b"), hasher.hash("c")]
    hasher.verify(stored, "right")
    hasher.verify(others[0], "b")
    hasher.verify(others[1], "c")
    hasher.verify(stored, "right")
    assert hasher.argon2_runs == 4


def test_a_ttl_of_zero_disables_the_cache(clock):
    hasher = CountingHasher(VerificationCache(seconds=0, max_entries=10, clock=clock))
    stored = hasher.hash("right")
    hasher.verify(stored, "right")
    hasher.verify(stored, "right")
    assert hasher.argon2_runs == 2


def test_the_cache_key_is_not_the_password_or_a_plain_hash_of_it():
    cache = VerificationCache(seconds=60, max_entries=10)
    cache.remember("$argon2id$stored", "right")
    [key] = list(cache._expiries)
    other_process = VerificationCache(seconds=60, max_entries=10)
    assert key != other_process._digest("$argon2id$stored", "right")


def test_a_changed_password_takes_effect_at_once_despite_the_cache(client, runner, reseller):
    assert client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "one"}).status_code == 201
    runner.invoke(args=["reseller", "set-password", "acme"], env={"RESELLER_PASSWORD": "new secret"})
    assert client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "two"}).status_code == 401


def test_a_disabled_reseller_is_refused_at_once_despite_the_cache(client, runner, reseller):
    assert client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "one"}).status_code == 201
    runner.invoke(args=["reseller", "disable", "acme"])
    assert client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "two"}).status_code == 401
