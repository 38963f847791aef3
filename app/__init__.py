"""The provisioning service: create_app builds it from configuration."""
import logging
import os

from flask import Flask, g
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix

import config
from app import logs
from app.bootstrap import bootstrap
from app.web import access, docs, errors, headers, home, metrics, overload
from app.web.openapi import api
from app.web.schemas import Schemas

log = logging.getLogger(__name__)


def create_app(overrides=None):
    """Build the Flask app from the environment's configuration, with overrides (tests) on top.

    Overrides named like configuration variables are checked like them; "bootstrap" (a dict) is passed on to
    app.bootstrap.bootstrap (a clock, event listeners) by the tests.
    """
    overrides = dict(overrides or {})
    collaborators = overrides.pop("bootstrap", {})
    app = Flask(__name__, static_folder=None)
    app.json = ContractJSON(app)
    given = {name: str(value) for name, value in overrides.items() if name in config.VARIABLES}
    try:
        settings = config.from_environment({**os.environ, **given})
    except config.ConfigurationInvalid as error:
        # The same one line gunicorn.conf.py stops on, for the CLI and every other entry point.
        raise SystemExit(f"provisioning: configuration: {error}") from None
    app.config.update(settings)
    app.config.update({name: value for name, value in overrides.items() if name not in config.VARIABLES})
    app.config["MAX_CONTENT_LENGTH"] = settings["MAX_BODY_BYTES"]
    app.url_map.merge_slashes = False
    logs.hold_driver_log()

    listeners = [logs.DatabaseStateLog(), *collaborators.pop("event_listeners", ())]
    app.extensions["provisioning"] = bootstrap(
        settings, event_listeners=listeners, on_cache_lookup=metrics.record_cache_lookup, **collaborators)
    app.extensions["schemas"] = Schemas(allow_private_push_targets=settings["ALLOW_PRIVATE_PUSH_TARGETS"] == "on",
                                        password_min_length=settings["USER_PASSWORD_MIN_LENGTH"])
    if settings["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings["TRUSTED_PROXIES"])  # type: ignore[method-assign]

    app.register_blueprint(api)
    app.add_url_rule("/", "home", home.home, methods=["GET"], provide_automatic_options=False)
    if settings["API_DOCS"] == "on":
        app.register_blueprint(docs.bp)
    if settings["METRICS"] == "on" and not settings["METRICS_PORT"]:
        app.add_url_rule("/metrics", "metrics", metrics.view, provide_automatic_options=False)
    app.register_error_handler(Exception, errors.handle)
    app.before_request(access.start_request)
    # Before the body is read or anyone authenticated: a stale request costs the worker next to nothing.
    app.before_request(overload.shed_stale)
    app.before_request(overload.guard_client)
    app.teardown_request(overload.release_client)
    app.after_request(observe)
    app.after_request(headers.protected)
    return app


class ContractJSON(DefaultJSONProvider):
    """Answers as UTF-8 JSON in the order written; text that cannot be UTF-8 (a lone surrogate quoted back from a
    request) is escaped rather than failing the answer."""

    sort_keys = False
    ensure_ascii = False

    def dumps(self, obj, **kwargs):
        text = super().dumps(obj, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = super().dumps(obj, **{**kwargs, "ensure_ascii": True})
        return text


def observe(response):
    """Count, time and log every answered request under the contract status its answer was made with."""
    status = g.get("contract_status")
    seconds = access.elapsed()
    metrics.record_request(response, status, seconds)
    return access.finish_request(response, status, seconds)
