"""Prometheus metrics, summed across gunicorn's workers through prometheus_client's multiprocess mode."""
import os
from functools import cache

from flask import g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from app.domain.exceptions import AuthenticationFailed, TooManyFailures
from app.web import errors

REQUESTS = Counter(
    "provisioning_requests", "Requests answered, by endpoint, HTTP code and contract status",
    ["endpoint", "code", "status"],
)
LATENCY = Histogram(
    "provisioning_request_duration_seconds", "Time to answer a request, by endpoint", ["endpoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
AUTHENTICATION_FAILURES = Counter("provisioning_authentication_failures", "Reseller authentications that failed")
THROTTLED = Counter("provisioning_throttled", "Requests refused with 429 for too many failed authentications")
DATABASE_ERRORS = Counter("provisioning_database_errors", "Requests answered 503 because the database was unavailable")
VERIFICATION_CACHE = Counter(
    "provisioning_verification_cache_lookups", "Reseller password checks, by whether the cache answered", ["result"]
)
SHED = Counter("provisioning_shed", "Requests answered 503 at once: they had waited longer than STALE_REQUEST_MS")
CLIENTS_GONE = Counter("provisioning_clients_gone",
                       "Requests stopped before an argon2 hash or verification: their client had closed the connection")
# Why an answer was given without the request's work (app.web.overload): counted apart from the database's 503s.
OVERLOADED = {"shed": SHED, "client gone": CLIENTS_GONE}


COUNTED_STATUSES = {
    errors.DOMAIN_ERRORS[AuthenticationFailed][0]: AUTHENTICATION_FAILURES,
    errors.DOMAIN_ERRORS[TooManyFailures][0]: THROTTLED,
    errors.DATABASE_UNAVAILABLE: DATABASE_ERRORS,
}


def registry():
    """The registry to expose: all workers' files in multiprocess mode, else this process's own."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        collected = CollectorRegistry()
        multiprocess.MultiProcessCollector(collected)
        return collected
    return REGISTRY


def exposition():
    """The body and content type of a scrape."""
    return generate_latest(registry()), CONTENT_TYPE_LATEST


def view():
    """GET /metrics: Prometheus' text format, summed over the workers."""
    body, content_type = exposition()
    return body, 200, {"Content-Type": content_type}


def record_cache_lookup(hit):
    VERIFICATION_CACHE.labels("hit" if hit else "miss").inc()


def record_request(response, status, seconds):
    """Count a request and its latency under its route (never the raw path, which any caller can vary)."""
    endpoint = request.url_rule.rule if request.url_rule else "unmatched"
    record(endpoint, response.status_code, status, seconds, g.get("overloaded"))


def record(endpoint, code, status, seconds, overloaded=None):
    """Count an answer under its endpoint, HTTP code and contract status, and the condition it reports."""
    requests, latency = series(endpoint, code, status)
    requests.inc()
    latency.observe(seconds)
    counted = OVERLOADED[overloaded] if overloaded else COUNTED_STATUSES.get(status)
    if counted:
        counted.inc()


@cache
def series(endpoint, code, status):
    """The request counter and latency histogram of one endpoint, HTTP code and contract status, looked up once per
    process: prometheus_client's labels() checks and locks on every call. Bounded: endpoints are routes (or
    "unmatched"), and codes and statuses the service's own."""
    return REQUESTS.labels(endpoint, str(code), str(status)), LATENCY.labels(endpoint)


def forget_process(pid):
    """Drop a dead worker's live gauges from the multiprocess files (its counters stay summed)."""
    multiprocess.mark_process_dead(pid)
