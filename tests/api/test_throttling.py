"""Failed reseller authentications are counted in MongoDB; too many from one address, or from all, get 429."""
import logging
import statistics
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from tests.support.apps import RESELLER, SMALL_LIMITS, Clock, Operator, app_for, create_reseller, provisioning

URL = "/services/rest/customer/create"


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def throttled_app(database_uri, app, reseller, clock):
    """An app with small limits (3 per address, 5 per reseller) and a clock the test can move."""
    return app_for(database_uri, clock=clock, **SMALL_LIMITS)


def attempt(app, address="192.0.2.1", password="wrong", name="acme", **headers):
    client = app.test_client()
    params = {**RESELLER, "resellerName": name, "resellerPassword": password, "name": f"shop{time.monotonic_ns()}"}
    return client.post(URL, data=params, environ_base={"REMOTE_ADDR": address}, headers=headers)


def test_after_the_limit_an_address_gets_429_status_6_with_retry_after(throttled_app):
    assert [attempt(throttled_app).status_code for _ in range(3)] == [401, 401, 401]
    response = attempt(throttled_app, password=RESELLER["resellerPassword"])
    assert (response.status_code, response.json["status"]) == (429, 6)
    assert 890 <= int(response.headers["Retry-After"]) <= 900


def test_a_throttled_request_is_refused_without_checking_the_password(throttled_app, monkeypatch):
    for _ in range(3):
        attempt(throttled_app)
    hasher = provisioning(throttled_app).hasher
    monkeypatch.setattr(hasher, "verify", lambda *args: pytest.fail("the password was checked"))
    assert attempt(throttled_app).status_code == 429


def test_a_throttled_request_does_not_extend_the_throttle(throttled_app, db):
    for _ in range(3):
        attempt(throttled_app)
    for _ in range(5):
        attempt(throttled_app)
    assert sum(counted["count"] for counted in db.auth_failures.find({"name": "acme"})) == 3


def test_other_addresses_are_not_throttled_by_one_addresss_failures(throttled_app):
    for _ in range(3):
        attempt(throttled_app, address="192.0.2.1")
    assert attempt(throttled_app, address="192.0.2.2", password=RESELLER["resellerPassword"]).status_code == 201


def test_failures_from_many_addresses_throttle_the_reseller_name_everywhere(throttled_app):
    for number in range(5):
        assert attempt(throttled_app, address=f"198.51.100.{number}").status_code == 401
    response = attempt(throttled_app, address="203.0.113.9", password=RESELLER["resellerPassword"])
    assert (response.status_code, response.json["status"]) == (429, 6)


def test_a_success_resets_its_addresss_count(throttled_app):
    for _ in range(2):
        attempt(throttled_app)
    assert attempt(throttled_app, password=RESELLER["resellerPassword"]).status_code == 201
    assert [attempt(throttled_app).status_code for _ in range(2)] == [401, 401]
    assert attempt(throttled_app, password=RESELLER["resellerPassword"]).status_code == 201


def test_the_throttle_ends_when_the_window_passes(throttled_app, clock):
    for _ in range(3):
        attempt(throttled_app)
    assert attempt(throttled_app).status_code == 429
    clock.offset = timedelta(seconds=901)
    assert attempt(throttled_app, password=RESELLER["resellerPassword"]).status_code == 201


def test_unknown_reseller_names_are_throttled_alike(throttled_app):
    codes = [attempt(throttled_app, name="ghost").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]


def test_x_forwarded_for_is_ignored_without_trusted_proxies(throttled_app):
    for number in range(3):
        attempt(throttled_app, **{"X-Forwarded-For": f"203.0.113.{number}"})
    assert attempt(throttled_app, **{"X-Forwarded-For": "203.0.113.99"}).status_code == 429


def test_x_forwarded_for_gives_the_client_behind_a_trusted_proxy(database_uri, reseller):
    app = app_for(database_uri, TRUSTED_PROXIES=1, **SMALL_LIMITS)
    for _ in range(3):
        attempt(app, **{"X-Forwarded-For": "203.0.113.1"})
    assert attempt(app, **{"X-Forwarded-For": "203.0.113.1"}).status_code == 429
    assert attempt(app, password=RESELLER["resellerPassword"], **{"X-Forwarded-For": "203.0.113.2"}).status_code == 201


def test_failures_expire_by_a_ttl_index_when_the_window_has_passed(throttled_app, db):
    attempt(throttled_app, name="ghost")
    [ttl] = [index for index in db.auth_failures.index_information().values() if "expireAfterSeconds" in index]
    assert (ttl["key"], ttl["expireAfterSeconds"]) == ([("expiresAt", 1)], 0)
    stored = db.auth_failures.find_one({"name": "ghost"})
    assert timedelta(seconds=900) <= stored["expiresAt"] - stored["second"] < timedelta(seconds=901)


def test_failures_are_counted_apart_and_the_reseller_document_is_never_written(throttled_app, db):
    before = db.resellers.find_one({"name": "acme"})
    for number in range(8):
        attempt(throttled_app, address=f"198.51.100.{number}")
    attempt(throttled_app, address="198.51.100.9", password=RESELLER["resellerPassword"])
    assert sum(counted["count"] for counted in db.auth_failures.find({"name": "acme"})) == \
        SMALL_LIMITS["THROTTLE_RESELLER_FAILURES"]
    assert db.resellers.find_one({"name": "acme"}) == before


def test_correct_requests_at_once_from_one_address_with_every_cache_cold_are_never_throttled(database_uri, reseller):
    """32 workers just started (each its own cold verification cache) check the same reseller from one NAT address."""
    workers = [app_for(database_uri) for _ in range(32)]
    with ThreadPoolExecutor(max_workers=32) as pool:
        codes = Counter(pool.map(lambda worker: attempt(worker, password=RESELLER["resellerPassword"]).status_code,
                                 workers))
    assert codes == {201: 32}


def test_throttling_is_counted_and_logged(throttled_app, caplog):
    caplog.set_level(logging.INFO)
    before = REGISTRY.get_sample_value("provisioning_throttled_total") or 0
    for _ in range(4):
        attempt(throttled_app)
    assert REGISTRY.get_sample_value("provisioning_throttled_total") - before == 1
    [event] = [r for r in caplog.records if r.name == "app.events"]
    assert (event.getMessage(), event.reseller) == ("authentication throttled", "acme")
    [access] = [r for r in caplog.records if r.name == "app.access" and r.httpStatus == 429]
    assert access.reseller == "acme"


def test_unknown_reseller_and_wrong_password_take_the_same_time(database_uri, reseller, make_reseller):
    """Medians over many samples, at OWASP's argon2 minimum, within 25% of each other."""
    app = app_for(database_uri, ARGON2_TIME_COST=2, ARGON2_MEMORY_KIB=19456, THROTTLE_FAILURES=1000,
                  THROTTLE_RESELLER_FAILURES=1000)
    create_reseller(app, "timed", "timed secret")
    samples = {"unknown": [], "wrong": []}
    for number in range(40):
        for kind, name in (("unknown", f"nobody{number}"), ("wrong", "timed")):
            started = time.perf_counter()
            assert attempt(app, address=f"192.0.2.{number}", name=name).status_code == 401
            samples[kind].append(time.perf_counter() - started)
    unknown, wrong = statistics.median(samples["unknown"]), statistics.median(samples["wrong"])
    assert 0.8 <= unknown / wrong <= 1.25, (unknown, wrong)


def test_many_addresses_failing_do_not_lock_out_the_address_the_reseller_works_from(database_uri, app, reseller):
    """10 addresses x 11 failures reach the ceiling (100): new addresses wait, the reseller's usual one does not."""
    defaults = app_for(database_uri)
    assert attempt(defaults, address="203.0.113.10", password=RESELLER["resellerPassword"]).status_code == 201
    for number in range(10):
        codes = [attempt(defaults, address=f"198.51.100.{number}").status_code for _ in range(11)]
        assert codes == [401] * 10 + [429]
    assert attempt(defaults, address="198.51.100.200", password=RESELLER["resellerPassword"]).status_code == 429
    assert attempt(defaults, address="203.0.113.10", password=RESELLER["resellerPassword"]).status_code == 201


def test_concurrent_guesses_from_one_address_check_no_more_passwords_than_the_limit_and_those_in_flight(
        database_uri, app, reseller, monkeypatch):
    limited = app_for(database_uri, THROTTLE_FAILURES=10)
    hasher = provisioning(limited).hasher
    checked = []
    verify = hasher.verify
    monkeypatch.setattr(hasher, "verify", lambda *args: checked.append(1) or verify(*args))
    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = Counter(pool.map(lambda _: attempt(limited).status_code, range(60)))
    # Failures count once they happen: guesses checked at the same moment pass the limit by at most those in flight.
    assert 10 <= len(checked) <= 10 + 16
    assert codes == {401: len(checked), 429: 60 - len(checked)}


def test_a_disabled_resellers_password_is_always_checked_in_full(database_uri, app, make_reseller, monkeypatch):
    """Right or wrong, a disabled reseller's password costs a full argon2 verification: timing tells nothing."""
    make_reseller("sleepy", "sleepy secret")
    served = app_for(database_uri)
    assert attempt(served, name="sleepy", password="sleepy secret").status_code == 201  # remembered now
    assert Operator(served).invoke(args=["reseller", "disable", "sleepy"]).exit_code == 0
    hasher = provisioning(served).hasher
    monkeypatch.setattr(hasher, "verified_lately", lambda *args: pytest.fail("the cache answered"))
    checked = []
    verify = hasher.verify
    monkeypatch.setattr(hasher, "verify", lambda *args: checked.append(1) or verify(*args))
    for password in ("sleepy secret", "wrong"):
        assert attempt(served, name="sleepy", password=password).status_code == 401
    assert len(checked) == 2
