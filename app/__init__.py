"""The provisioning service: create_app builds it from configuration."""
import logging
from datetime import datetime, timezone

from flask import Flask
from pymongo import MongoClient
from pymongo.errors import ConfigurationError, ConnectionFailure, InvalidURI

import config
from app import api, cli, errors
from app.passwords import Hasher, VerificationCache
from app.repository import Repository

log = logging.getLogger(__name__)


def utc_now():
    """The current time, in UTC."""
    return datetime.now(timezone.utc)


def create_app(overrides=None):
    """Build the Flask app from the environment's configuration, with overrides (tests) on top."""
    app = Flask(__name__)
    app.config.update(config.from_environment())
    app.config.update(overrides or {})
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_BODY_BYTES"]
    app.config["MAX_FORM_MEMORY_SIZE"] = app.config["MAX_BODY_BYTES"]
    app.config["MAX_FORM_PARTS"] = None  # the body limit bounds the parts; a count limit would answer a false 413
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    app.url_map.merge_slashes = False
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("app").setLevel(app.config["LOG_LEVEL"])

    repository = Repository(connect(app.config))
    app.extensions["provisioning"] = {
        "repository": repository,
        "hasher": Hasher(
            time_cost=app.config["ARGON2_TIME_COST"],
            memory_kib=app.config["ARGON2_MEMORY_KIB"],
            parallelism=app.config["ARGON2_PARALLELISM"],
            cache=VerificationCache(
                seconds=app.config["VERIFY_CACHE_SECONDS"], max_entries=app.config["VERIFY_CACHE_ENTRIES"]
            ),
        ),
        "clock": utc_now,
    }
    try:
        repository.ensure_indexes()
    except ConnectionFailure:
        log.warning("database unavailable at start-up; indexes will be created on the first request")

    app.register_blueprint(api.bp)
    app.register_error_handler(Exception, errors.handle)
    app.cli.add_command(cli.reseller)
    return app


def connect(settings):
    """Open the process's one MongoClient and return the database its URI names."""
    timeout_ms = settings["MONGODB_TIMEOUT_MS"]
    try:
        client = MongoClient(
            settings["MONGODB_URI"],
            serverSelectionTimeoutMS=timeout_ms,
            connectTimeoutMS=timeout_ms,
            tz_aware=True,
            connect=False,
        )
        return client.get_default_database("provisioning")
    except (ConfigurationError, InvalidURI) as error:
        raise config.ConfigurationInvalid(f"MONGODB_URI is not usable: {error}") from None
