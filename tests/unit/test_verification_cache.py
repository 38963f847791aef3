"""The reseller verification cache on its own: successes remembered for a while, under a key no one else can make."""
import pytest

from app.adapters.passwords import VerificationCache


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def cache(clock):
    return VerificationCache(seconds=60, max_entries=2, clock=clock)


def test_a_remembered_success_is_known_for_its_ttl_and_then_forgotten(cache, clock):
    cache.remember("$stored", "right")
    assert cache.remembers("$stored", "right")
    clock.now += 59
    assert cache.remembers("$stored", "right")
    clock.now += 1
    assert not cache.remembers("$stored", "right")


def test_only_the_same_password_against_the_same_stored_hash_is_remembered(cache):
    cache.remember("$stored", "right")
    assert not cache.remembers("$stored", "wrong")
    assert not cache.remembers("$replaced", "right")


def test_the_cache_keeps_at_most_its_bound_dropping_the_oldest(cache):
    for stored in ("$a", "$b", "$c"):
        cache.remember(stored, "right")
    assert [cache.remembers(stored, "right") for stored in ("$a", "$b", "$c")] == [False, True, True]


def test_a_ttl_of_zero_disables_the_cache(clock):
    cache = VerificationCache(seconds=0, max_entries=10, clock=clock)
    cache.remember("$stored", "right")
    assert not cache.remembers("$stored", "right")


def test_the_cache_key_is_not_the_password_or_a_plain_hash_of_it():
    cache = VerificationCache(seconds=60, max_entries=10)
    cache.remember("$argon2id$stored", "right")
    [key] = list(cache._expiries)
    other_process = VerificationCache(seconds=60, max_entries=10)
    assert key != other_process._digest("$argon2id$stored", "right")


