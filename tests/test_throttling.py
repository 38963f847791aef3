"""Failed reseller authentications are counted in MongoDB; too many from one address, or from all, get 429."""
import logging
import statistics
import time
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from tests.conftest import RESELLER, app_for

URL = "/services/rest/customer/create"
SMALL_LIMITS = {"THROTTLE_FAILURES": 3, "THROTTLE_RESELLER_FAILURES": 5, "THROTTLE_WINDOW_SECONDS": 900}


class Clock:
    """A clock the test moves; starts at the real time."""

    def __init__(self, real):
        self.offset = timedelta()
        self.real = real

    def __call__(self):
        return self.real() + self.offset


@pytest.fixture
def throttled_app(database_uri, app, reseller):
    """An app with small limits (3 per address, 5 per reseller) and a clock the test can move."""
    small = app_for(database_uri, **SMALL_LIMITS)
    small.extensions["provisioning"]["clock"] = Clock(small.extensions["provisioning"]["clock"])
    return small


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
    hasher = throttled_app.extensions["provisioning"]["hasher"]
    monkeypatch.setattr(hasher, "verify", lambda *args: pytest.fail("the password was checked"))
    assert attempt(throttled_app).status_code == 429


def test_a_throttled_request_does_not_extend_the_throttle(throttled_app, db):
    for _ in range(3):
        attempt(throttled_app)
    for _ in range(5):
        attempt(throttled_app)
    assert db.authentication_failures.count_documents({}) == 3


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


def test_the_throttle_ends_when_the_window_passes(throttled_app):
    for _ in range(3):
        attempt(throttled_app)
    assert attempt(throttled_app).status_code == 429
    throttled_app.extensions["provisioning"]["clock"].offset = timedelta(seconds=901)
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


def test_failure_counters_expire_by_a_ttl_index(db, app):
    [ttl] = [index for index in db.authentication_failures.index_information().values() if "expireAfterSeconds" in index]
    assert ttl["key"] == [("createdAt", 1)]


def test_throttling_is_counted_and_logged(throttled_app, caplog):
    caplog.set_level(logging.INFO)
    before = REGISTRY.get_sample_value("provisioning_throttled_total") or 0
    for _ in range(4):
        attempt(throttled_app)
    assert REGISTRY.get_sample_value("provisioning_throttled_total") - before == 1
    assert [r.getMessage() for r in caplog.records if r.name == "app.events"] == ["authentication throttled"]


def test_unknown_reseller_and_wrong_password_take_the_same_time(database_uri, reseller, make_reseller):
    """Medians over many samples, at OWASP's argon2 minimum, within 25% of each other."""
    app = app_for(database_uri, ARGON2_TIME_COST=2, ARGON2_MEMORY_KIB=19456, THROTTLE_FAILURES=1000,
                  THROTTLE_RESELLER_FAILURES=1000)
    make_reseller("timed", "timed secret")
    app.extensions["provisioning"]["repository"].db.resellers.update_one(
        {"name": "timed"}, {"$set": {"passwordHash": app.extensions["provisioning"]["hasher"].hash("timed secret")}})
    samples = {"unknown": [], "wrong": []}
    for number in range(40):
        for kind, name in (("unknown", f"nobody{number}"), ("wrong", "timed")):
            started = time.perf_counter()
            assert attempt(app, address=f"192.0.2.{number}", name=name).status_code == 401
            samples[kind].append(time.perf_counter() - started)
    unknown, wrong = statistics.median(samples["unknown"]), statistics.median(samples["wrong"])
    assert 0.8 <= unknown / wrong <= 1.25, (unknown, wrong)
