"""The reseller verification cache in the service: argon2 once, never failures remembered, never stale."""

from tests.support.apps import RESELLER, provisioning

CUSTOMER_CREATE = "/services/rest/customer/create"


def test_the_service_runs_argon2_once_for_a_reseller_it_verified_lately(client, reseller, app, monkeypatch):
    hasher = provisioning(app).hasher
    runs = []
    verify = hasher.verify
    monkeypatch.setattr(hasher, "verify", lambda *args: runs.append(1) or verify(*args))
    for name in ("one", "two", "three"):
        assert client.post(CUSTOMER_CREATE, data={**RESELLER, "name": name}).status_code == 201
    assert len(runs) == 1


def test_a_wrong_password_is_never_remembered(client, reseller, app, monkeypatch):
    hasher = provisioning(app).hasher
    runs = []
    verify = hasher.verify
    monkeypatch.setattr(hasher, "verify", lambda *args: runs.append(1) or verify(*args))
    for _ in range(2):
        assert client.post(CUSTOMER_CREATE, data={**RESELLER, "resellerPassword": "wrong", "name": "x"}).status_code == 401
    assert len(runs) == 2


def test_a_changed_password_takes_effect_at_once_despite_the_cache(client, runner, reseller):
    assert client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "one"}).status_code == 201
    runner.invoke(args=["reseller", "set-password", "acme"], env={"RESELLER_PASSWORD": "new secret"})
    assert client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "two"}).status_code == 401


def test_a_disabled_reseller_is_refused_at_once_despite_the_cache(client, runner, reseller):
    assert client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "one"}).status_code == 201
    runner.invoke(args=["reseller", "disable", "acme"])
    assert client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "two"}).status_code == 401
