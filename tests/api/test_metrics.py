"""Prometheus metrics of one process (the gunicorn tests check the sum across workers)."""
import pytest
from prometheus_client import REGISTRY

from scripts.embedded_db import free_port
from tests.support.apps import RESELLER, app_for
from tests.support.database import with_database

CUSTOMER_CREATE = "/services/rest/customer/create"


def sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def delta():
    """Measure how much a sample grows while a block runs."""

    class Delta:
        def __init__(self, name, **labels):
            self.name, self.labels = name, labels

        def __enter__(self):
            self.before = sample(self.name, **self.labels)
            return self

        def __exit__(self, *exc):
            self.grown = sample(self.name, **self.labels) - self.before

    return Delta


def test_requests_are_counted_by_endpoint_http_code_and_status(client, reseller, delta):
    with delta("provisioning_requests_total", endpoint=CUSTOMER_CREATE, code="201", status="0") as created, \
            delta("provisioning_requests_total", endpoint=CUSTOMER_CREATE, code="409", status="3") as exists:
        client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "shop"})
        client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "shop"})
    assert (created.grown, exists.grown) == (1, 1)


def test_latency_is_observed_per_endpoint(client, reseller, delta):
    with delta("provisioning_request_duration_seconds_count", endpoint=CUSTOMER_CREATE) as observed:
        client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "shop"})
    assert observed.grown == 1


def test_unmatched_paths_share_one_label_so_callers_cannot_grow_the_series(client, delta):
    with delta("provisioning_requests_total", endpoint="unmatched", code="404", status="1") as unmatched:
        client.post("/random-1")
        client.post("/random-2")
    assert unmatched.grown == 2


def test_authentication_failures_are_counted(client, reseller, delta):
    with delta("provisioning_authentication_failures_total") as failures:
        client.post(CUSTOMER_CREATE, data={**RESELLER, "resellerPassword": "wrong", "name": "shop"})
    assert failures.grown == 1


def test_verification_cache_hits_and_misses_are_counted(client, reseller, delta):
    with delta("provisioning_verification_cache_lookups_total", result="hit") as hits, \
            delta("provisioning_verification_cache_lookups_total", result="miss") as misses:
        client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "one"})
        client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "two"})
    assert (hits.grown, misses.grown) == (1, 1)


def test_database_unavailability_is_counted(delta):
    app = app_for(with_database(f"mongodb://127.0.0.1:{free_port()}/?retryWrites=false", "p"), MONGODB_TIMEOUT_MS=300)
    with delta("provisioning_database_errors_total") as errors:
        app.test_client().get("/services/rest/health")
    assert errors.grown == 1


def test_metrics_are_served_in_prometheus_text_format(client, reseller):
    client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "shop"})
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert 'provisioning_requests_total{code="201",endpoint="/services/rest/customer/create",status="0"}' in response.get_data(as_text=True)


@pytest.mark.parametrize("settings", [{"METRICS": "off"}, {"METRICS_PORT": "9109"}])
def test_metrics_can_be_switched_off_or_moved_off_the_service_port(database_uri, settings):
    response = app_for(database_uri, **settings).test_client().get("/metrics")
    assert (response.status_code, response.json["status"]) == (404, 1)
