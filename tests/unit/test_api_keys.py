"""API keys on their own: their form, their digest compared in constant time, expiry, revocation and addresses."""
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from app.adapters.passwords import Hasher
from app.domain import api_keys
from app.domain.api_keys import ApiKey
from app.domain.commands import KeyCredentials
from app.domain.exceptions import AuthenticationFailed, TooManyFailures, ValueRefused
from app.domain.model import Event, Origin, Reseller
from app.domain.throttling import FailureLimits
from app.service_layer.authentication import UNKNOWN_KEY, authenticate_key
from tests.unit.fakes import FakeUnitOfWork

NOW = datetime(2026, 12, 2, tzinfo=UTC)
LIMITS = FailureLimits(per_client=3, per_reseller=5, window_seconds=900)


def test_a_key_names_its_id_and_carries_256_random_bits():
    key_id = ObjectId()
    presented = api_keys.new_key(key_id)
    assert presented.startswith(f"pk_{key_id}_") and len(presented.split("_", 2)[2]) == 43
    assert api_keys.key_id_of(presented) == key_id
    assert api_keys.new_key(key_id) != presented


@pytest.mark.parametrize("presented", ["", "pk_x_y", f"pk_{ObjectId()}", f"sk_{ObjectId()}_{'a' * 43}",
                                       f"pk_{ObjectId()}_{'a' * 42}"])
def test_what_is_not_a_keys_form_names_no_key(presented):
    assert api_keys.key_id_of(presented) is None


def test_addresses_and_blocks_are_kept_in_their_canonical_form_and_every_bad_one_named():
    assert api_keys.networks(["192.0.2.7", "198.51.100.0/24", "2001:DB8::/32"]) == (
        "192.0.2.7/32", "198.51.100.0/24", "2001:db8::/32")
    with pytest.raises(ValueRefused) as refused:
        api_keys.networks(["192.0.2.300", "10.0.0.0/33", "example.com"])
    assert "'192.0.2.300', '10.0.0.0/33', 'example.com'" in refused.value.messages[0]


@pytest.mark.parametrize("client, allowed", [("198.51.100.9", True), ("::ffff:198.51.100.9", True),
                                             ("2001:db8::1", True), ("192.0.2.1", False), ("unknown", False)])
def test_a_key_kept_to_some_addresses_admits_only_those(client, allowed):
    assert api_keys.allows(("198.51.100.0/24", "2001:db8::/32"), client) is allowed


@pytest.fixture
def keyed():
    reseller = Reseller(ObjectId(), "acme", "unused", active=True, free_credits=10, created_at=NOW)
    key_id = ObjectId()
    presented = api_keys.new_key(key_id)
    uow = FakeUnitOfWork((reseller,))
    uow.api_keys.add(ApiKey(key_id, reseller.id, "back-end", api_keys.digest_of(presented),
                            Event("apikey.create", NOW, Origin("t"))))
    return uow, reseller, presented


def authenticate(uow, presented, client="192.0.2.1", now=NOW):
    return authenticate_key(KeyCredentials(presented), Origin(client), uow=uow, clock=lambda: now, limits=LIMITS)


def test_a_key_authenticates_its_reseller_without_a_password_hash(keyed, monkeypatch):
    uow, reseller, presented = keyed
    monkeypatch.setattr(Hasher, "verify", lambda *args: pytest.fail("a key check hashed a password"))
    assert authenticate(uow, presented) == reseller
    assert uow.api_keys.stored[api_keys.key_id_of(presented)].last_used_at == NOW


@pytest.mark.parametrize("spoil", ["secret", "revoked", "expired", "address", "disabled"])
def test_a_wrong_revoked_expired_or_misplaced_key_or_a_disabled_resellers_is_refused_alike(keyed, spoil):
    uow, reseller, presented = keyed
    key_id = api_keys.key_id_of(presented)
    key = uow.api_keys.stored[key_id]
    if spoil == "secret":
        presented = presented[:-1] + ("A" if presented[-1] != "A" else "B")
    elif spoil == "revoked":
        uow.api_keys.stored[key_id] = replace(key, revoked_at=NOW)
    elif spoil == "expired":
        uow.api_keys.stored[key_id] = replace(key, expires_at=NOW - timedelta(seconds=1))
    elif spoil == "address":
        uow.api_keys.stored[key_id] = replace(key, allowed_ips=("198.51.100.0/24",))
    else:
        uow.resellers.stored["acme"] = replace(reseller, active=False)
    with pytest.raises(AuthenticationFailed):
        authenticate(uow, presented)
    assert [failure.client for failure in uow.authentications.failures_of("acme")] == ["192.0.2.1"]


def test_failed_keys_are_throttled_like_wrong_passwords(keyed):
    uow, _, presented = keyed
    for _ in range(LIMITS.per_client):
        with pytest.raises(AuthenticationFailed):
            authenticate(uow, f"pk_{ObjectId()}_{'a' * 43}")
    assert len(uow.authentications.failures_of(UNKNOWN_KEY)) == LIMITS.per_client
    with pytest.raises(TooManyFailures):
        authenticate(uow, f"pk_{ObjectId()}_{'a' * 43}")
    assert authenticate(uow, presented, client="192.0.2.2").name == "acme"
