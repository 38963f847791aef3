"""The HTTP interface: bodies, parameter rules, views, errors, OpenAPI, metrics."""
