"""The events relay's Prometheus metrics, served by the relay process itself on RELAY_METRICS_PORT."""
from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

REGISTRY = CollectorRegistry()
LEADING = Gauge("provisioning_events_relay_leading", "1 while this relay holds the lease (the one writing events)",
                registry=REGISTRY)
LAG = Gauge("provisioning_events_relay_lag_seconds",
            "How long ago the last change the relay wrote an event for was committed (0 when none waits)",
            registry=REGISTRY)
RELAYED = Counter("provisioning_events_relayed", "Events written to the feed", registry=REGISTRY)
DELIVERED = Counter("provisioning_webhook_deliveries_taken", "Deliveries a webhook's receiver took (2xx)",
                    registry=REGISTRY)


def serve(host, port):
    """Serve the metrics from a thread of this process."""
    start_http_server(port, addr=host, registry=REGISTRY)
