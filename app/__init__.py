"""The provisioning service: create_app builds it from configuration."""
import logging
import os
from datetime import datetime, timezone

from flask import Flask
from pymongo import MongoClient
from pymongo.errors import ConnectionFailure
from werkzeug.middleware.proxy_fix import ProxyFix

import config
from app import api, cli, errors, logs, metrics, services
from app.passwords import Hasher, VerificationCache
from app.repository import Repository

log = logging.getLogger(__name__)


def utc_now():
    """The current time, in UTC."""
    return datetime.now(timezone.utc)


def create_app(overrides=None):
    """Build the Flask app from the environment's configuration, with overrides (tests) on top."""
    overrides = overrides or {}
    app = Flask(__name__)
    given = {name: str(value) for name, value in overrides.items() if name in config.VARIABLES}
    app.config.update(config.from_environment({**os.environ, **given}))
    app.config.update({name: value for name, value in overrides.items() if name not in config.VARIABLES})
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_BODY_BYTES"]
    app.config["MAX_FORM_MEMORY_SIZE"] = app.config["MAX_BODY_BYTES"]
    app.config["MAX_FORM_PARTS"] = None  # the body limit bounds the parts; a count limit would answer a false 413
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    app.url_map.merge_slashes = False
    logs.configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])

    client = MongoClient(
        app.config["MONGODB_URI"],
        serverSelectionTimeoutMS=app.config["MONGODB_TIMEOUT_MS"],
        connectTimeoutMS=app.config["MONGODB_TIMEOUT_MS"],
        # A server that accepts but never answers must not hold a worker until gunicorn kills it (30 s).
        socketTimeoutMS=5 * app.config["MONGODB_TIMEOUT_MS"],
        tz_aware=True,
        connect=False,
        event_listeners=[logs.DatabaseStateLog()],
    )
    repository = Repository(client.get_default_database("provisioning"))
    app.extensions["provisioning"] = {
        "repository": repository,
        "hasher": Hasher(
            time_cost=app.config["ARGON2_TIME_COST"],
            memory_kib=app.config["ARGON2_MEMORY_KIB"],
            parallelism=app.config["ARGON2_PARALLELISM"],
            cache=VerificationCache(
                seconds=app.config["VERIFY_CACHE_SECONDS"],
                max_entries=app.config["VERIFY_CACHE_ENTRIES"],
                on_lookup=metrics.record_cache_lookup,
            ),
        ),
        "clock": utc_now,
        "limits": services.FailureLimits(
            per_client=app.config["THROTTLE_FAILURES"],
            per_reseller=app.config["THROTTLE_RESELLER_FAILURES"],
            window_seconds=app.config["THROTTLE_WINDOW_SECONDS"],
        ),
    }
    if app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"])

    app.register_blueprint(api.bp)
    if app.config["METRICS"] == "on" and not app.config["METRICS_PORT"]:
        app.add_url_rule("/metrics", "metrics", api.metrics_view, provide_automatic_options=False)
    app.register_error_handler(Exception, errors.handle)
    app.before_request(logs.start_request)
    app.after_request(observe)
    app.cli.add_command(cli.reseller)
    app.cli.add_command(cli.customer)
    app.cli.add_command(cli.user)
    app.cli.add_command(cli.audit)

    log.info("service started", extra={"database": repository.db.name, "deployment": app.config["DEPLOYMENT"]})
    try:
        repository.ensure_indexes()
    except ConnectionFailure:
        log.warning("database unavailable at start-up; indexes will be created on the first request")
    return app


def observe(response):
    """Count, time and log every answered request under its contract status."""
    status = errors.contract_status(response)
    metrics.record_request(response, status)
    return logs.finish_request(response, status)
