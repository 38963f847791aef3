"""Configuration from environment variables; every variable, its default and its meaning."""
import os

# Each entry: environment variable -> (default, parser, description). README.md lists the same table.
DEFAULT_MONGODB_URI = "mongodb://127.0.0.1:27017/provisioning?retryWrites=false"

VARIABLES = {
    "MONGODB_URI": (DEFAULT_MONGODB_URI, str, "MongoDB connection string; its path names the database"),
    "MONGODB_TIMEOUT_MS": ("3000", int, "how long a request waits for an unavailable database before 503"),
    "RETRY_AFTER_SECONDS": ("5", int, "Retry-After sent with 503 database unavailable"),
    "ARGON2_TIME_COST": ("2", int, "argon2id iterations for new password hashes"),
    "ARGON2_MEMORY_KIB": ("19456", int, "argon2id memory in KiB for new password hashes"),
    "ARGON2_PARALLELISM": ("1", int, "argon2id lanes for new password hashes"),
    "VERIFY_CACHE_SECONDS": ("60", int, "how long a successful reseller password check is remembered (0: never)"),
    "VERIFY_CACHE_ENTRIES": ("10000", int, "most reseller password checks remembered per process"),
    "DEFAULT_FREE_CREDITS": ("10", int, "freeCredits of a reseller created without --free-credits"),
    "MAX_BODY_BYTES": (str(1024 * 1024), int, "largest request body accepted; larger ones get 413"),
    "LOG_LEVEL": ("INFO", str, "level of the service's own log lines"),
    "HOST": ("127.0.0.1", str, "address gunicorn listens on"),
    "PORT": ("8080", int, "port gunicorn listens on"),
    "WEB_CONCURRENCY": (str(2 * (os.cpu_count() or 1)), int, "gunicorn worker processes (default: twice the cores)"),
    "THREADS": ("1", int, "threads per gunicorn worker; above 1 gunicorn runs its gthread worker"),
}


class ConfigurationInvalid(Exception):
    """An environment variable holds a value the service cannot use."""


def from_environment(environ=os.environ):
    """Read every variable of VARIABLES, parsed, into a dict keyed by the variable's name."""
    settings = {}
    for name, (default, parse, _) in VARIABLES.items():
        raw = environ.get(name) or default
        try:
            settings[name] = parse(raw)
        except ValueError:
            raise ConfigurationInvalid(f"{name}={raw!r} is not a valid value") from None
    return settings
