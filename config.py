"""Configuration from environment variables: every variable, its default, its meaning and its check."""
import math
import os
from urllib.parse import parse_qs, urlsplit

from pymongo.errors import ConfigurationError, InvalidURI
from pymongo.uri_parser import parse_uri

DEFAULT_MONGODB_URI = "mongodb://127.0.0.1:27017/provisioning?retryWrites=false"
# gunicorn kills a worker that has not answered within this long (gunicorn.conf.py).
WORKER_TIMEOUT_SECONDS = 30
# What a request may still need after its database deadline: aborting its transaction, or undoing its inserts, under
# a deadline of its own (app.adapters.unit_of_work).
ABORT_SECONDS = 5
OWASP_MINIMUM = {"ARGON2_MEMORY_KIB": 19 * 1024, "ARGON2_TIME_COST": 2}


class ConfigurationInvalid(Exception):
    """An environment variable holds a value the service cannot use."""


def mongodb_uri(value):
    """A MongoDB connection string that parses (mongodb+srv:// is left to the driver: it needs DNS)."""
    if value.startswith("mongodb+srv://"):
        return value
    try:
        parse_uri(value)
    except (ConfigurationError, InvalidURI, ValueError) as error:
        raise ValueError(f"not a MongoDB connection string ({error})") from None
    return value


def whole(minimum, maximum=None):
    """A parser of whole numbers within bounds."""

    def parse(value):
        try:
            number = int(value)
        except ValueError:
            raise ValueError("must be a whole number") from None
        if number < minimum or (maximum is not None and number > maximum):
            bounds = f"from {minimum} to {maximum}" if maximum is not None else f"at least {minimum}"
            raise ValueError(f"must be a whole number {bounds}")
        return number

    return parse


def one_of(*choices):
    """A parser that accepts exactly one of choices."""

    def parse(value):
        if value not in choices:
            raise ValueError(f"must be one of: {', '.join(choices)}")
        return value

    return parse


def usable_cpus(cgroup="/sys/fs/cgroup"):
    """The CPUs this process may run on: its affinity, bounded by its cgroup's quota (a container's --cpus)."""
    cpus = len(os.sched_getaffinity(0))
    for path, read in ((f"{cgroup}/cpu.max", cgroup2_quota), (f"{cgroup}/cpu/cpu.cfs_quota_us", cgroup1_quota)):
        try:
            quota = read(path)
        except (OSError, ValueError):
            continue
        if quota is not None:
            return max(1, min(cpus, math.ceil(quota)))
    return cpus


def cgroup2_quota(path):
    """CPUs a cgroup v2 cpu.max allows ("max 100000" or "150000 100000"), or None when unlimited."""
    with open(path, encoding="ascii") as limits:
        quota, period = limits.read().split()
    return None if quota == "max" else int(quota) / int(period)


def cgroup1_quota(path):
    """CPUs a cgroup v1 quota allows, or None when unlimited (-1)."""
    with open(path, encoding="ascii") as given, open(path.replace("cfs_quota_us", "cfs_period_us"),
                                                     encoding="ascii") as per:
        quota, period = int(given.read()), int(per.read())
    return None if quota < 0 else quota / period


def usable_memory_mib(cgroup="/sys/fs/cgroup", meminfo="/proc/meminfo"):
    """The memory this process may use, in MiB: its cgroup's limit (a container's --memory), else the machine's."""
    for path in (f"{cgroup}/memory.max", f"{cgroup}/memory/memory.limit_in_bytes"):
        try:
            with open(path, encoding="ascii") as limit:
                text = limit.read().strip()
        except OSError:
            continue
        # cgroup v2 says "max" when unlimited, v1 a number near 2**63.
        if text != "max" and int(text) < 2**60:
            return int(text) // 2**20
    with open(meminfo, encoding="ascii") as info:
        return int(info.readline().split()[1]) // 1024


# Sync workers per usable CPU. A worker spends most of a request waiting on the database, so the workers must be
# more than the CPUs to keep them busy: measured by `make bench-workers` (docs/workers.md, README "Performance").
WORKERS_PER_CPU = 4
# What a worker may take, with room: its peak resident memory measured 65 MiB (an argon2id hash holds 19 MiB).
# The default leaves half of the memory to everything else (the database's client threads, the page cache).
WORKER_MEMORY_MIB = 96


def default_workers():
    """WORKERS_PER_CPU for each usable CPU, as many as half of the usable memory holds, one at least."""
    return max(1, min(WORKERS_PER_CPU * usable_cpus(), usable_memory_mib() // 2 // WORKER_MEMORY_MIB))


# Each entry: environment variable -> (default, parser, description). README.md lists the same table.
VARIABLES = {
    "MONGODB_URI": (DEFAULT_MONGODB_URI, mongodb_uri, "MongoDB connection string; its path names the database"),
    "MONGODB_TIMEOUT_MS": (
        "15000",
        whole(1),
        "the deadline of a request's database work, retries through a failover included, before 503",
    ),
    "RETRY_AFTER_SECONDS": ("5", whole(1), "Retry-After sent with 503 database unavailable"),
    "ARGON2_TIME_COST": ("2", whole(1), "argon2id iterations for new password hashes"),
    "ARGON2_MEMORY_KIB": ("19456", whole(8), "argon2id memory in KiB for new password hashes"),
    "ARGON2_PARALLELISM": ("1", whole(1, 255), "argon2id lanes for new password hashes"),
    "VERIFY_CACHE_SECONDS": ("60", whole(0), "how long a successful reseller password check is remembered (0: never)"),
    "VERIFY_CACHE_ENTRIES": ("10000", whole(1), "most reseller password checks remembered per process"),
    "THROTTLE_FAILURES": ("10", whole(1), "failed authentications of a reseller name from one client address before 429"),
    "THROTTLE_RESELLER_FAILURES": ("100", whole(1), "failed authentications of a reseller name from all addresses before 429"),
    "THROTTLE_WINDOW_SECONDS": ("900", whole(1, 86400), "the window those failures are counted in"),
    "TRUSTED_PROXIES": ("0", whole(0, 10), "proxies in front whose X-Forwarded-For gives the client address"),
    "STALE_REQUEST_MS": (
        "2000",
        whole(0),
        "behind TRUSTED_PROXIES: a request that waited longer than this for a worker (X-Request-Start) gets 503 at once",
    ),
    "DEFAULT_FREE_CREDITS": ("10", whole(0, 1_000_000_000), "freeCredits of a reseller created without --free-credits"),
    "MAX_BODY_BYTES": (str(1024 * 1024), whole(1), "largest request body accepted; larger ones get 413"),
    "LOG_LEVEL": ("INFO", one_of("DEBUG", "INFO", "WARNING", "ERROR"), "level of the service's own log lines"),
    "LOG_FORMAT": (
        "auto",
        one_of("auto", "json", "text"),
        "log lines as JSON objects, or as text for people; auto: text on a terminal, JSON in production or piped",
    ),
    "METRICS": ("on", one_of("on", "off"), "serve Prometheus metrics"),
    "API_DOCS": ("on", one_of("on", "off"), "serve the interactive API page at /services/rest/docs"),
    "METRICS_PORT": ("", whole(1, 65535), "serve metrics on this port instead of GET /metrics on the service's port"),
    "HEALTH_PORT": ("", whole(1, 65535), "gunicorn's master also answers GET /services/rest/health on this port"),
    "IDEMPOTENCY_SECRET": (
        "development-only-idempotency-secret",
        str,
        "key of the HMAC that fingerprints Idempotency-Key requests; set a random one of 32+ characters in production",
    ),
    "WEBHOOK_SECRETS_KEY": (
        "development-only-webhook-secrets-key",
        str,
        "key that seals webhooks' signing secrets in the database (AES-256-GCM); set a random one of 32+ characters in "
        "production, and keep it: secrets sealed with another cannot be read",
    ),
    "WEBHOOK_RETRY_FIRST_MS": ("10000", whole(1), "a delivery not taken is tried again after this long, then twice as "
                                                  "long each time (with jitter)"),
    "WEBHOOK_RETRY_MOST_SECONDS": ("3600", whole(1), "the longest wait between two attempts of a delivery"),
    "WEBHOOK_RETRY_FOR_SECONDS": ("86400", whole(1), "how long a delivery is retried before its webhook is marked "
                                                     "failing"),
    "WEBHOOK_CONCURRENCY": ("32", whole(1, 1000), "webhooks the relay delivers to at once (each in order)"),
    "RELAY": ("on", one_of("on", "off"), "make run starts the events relay beside gunicorn"),
    "RELAY_LEASE_SECONDS": ("10", whole(2, 600), "a relay that stops renewing its lease for this long is taken over "
                                                  "by another"),
    "RELAY_METRICS_PORT": ("", whole(1, 65535), "the events relay serves its Prometheus metrics on this port"),
    "USER_PASSWORD_MIN_LENGTH": ("1", whole(1, 128), "the fewest characters a user's password may have (the contract: 1)"),
    "ALLOW_PRIVATE_PUSH_TARGETS": (
        "off",
        one_of("off", "on"),
        "on: URL push targets may be localhost or private addresses (on-premises platforms)",
    ),
    "DEPLOYMENT": (
        "development",
        one_of("development", "production"),
        "production requires MONGODB_URI and argon2 parameters at OWASP's minimum or above",
    ),
    "HOST": ("127.0.0.1", str, "address gunicorn listens on"),
    "PORT": ("8080", whole(1, 65535), "port gunicorn listens on"),
    "WEB_CONCURRENCY": (
        str(default_workers()),
        whole(1),
        f"gunicorn worker processes (default: {WORKERS_PER_CPU} for each CPU this process may use, its container's "
        f"quota included, as many as half of its memory holds at {WORKER_MEMORY_MIB} MiB each)",
    ),
    "THREADS": ("1", whole(1), "threads per gunicorn worker; above 1 gunicorn runs its gthread worker"),
}


def from_environment(environ=os.environ):
    """Read and check every variable of VARIABLES into a dict keyed by its name; an empty one takes its default.

    Raises ConfigurationInvalid naming every bad variable at once.
    """
    settings = {}
    problems = []
    for name, (default, parse, _) in VARIABLES.items():
        raw = environ.get(name) or default
        try:
            settings[name] = parse(raw) if raw else None
        except ValueError as error:
            problems.append(f"{name}={raw!r} is not valid: {error}")
    if not problems:
        problems = combined_problems(settings, environ)
    if problems:
        raise ConfigurationInvalid("; ".join(problems))
    return settings


def combined_problems(settings, environ):
    """What is wrong with settings that are each valid alone: limits that contradict, production without safeguards."""
    problems = []
    if settings["THROTTLE_FAILURES"] > settings["THROTTLE_RESELLER_FAILURES"]:
        problems.append("THROTTLE_FAILURES must not be above THROTTLE_RESELLER_FAILURES")
    longest = (WORKER_TIMEOUT_SECONDS - ABORT_SECONDS) * 1000
    if settings["MONGODB_TIMEOUT_MS"] >= longest:
        problems.append(f"MONGODB_TIMEOUT_MS must be below {longest}: gunicorn's worker timeout of "
                        f"{WORKER_TIMEOUT_SECONDS} s, less {ABORT_SECONDS} s to abort what a request left unfinished")
    ports = [settings[name] for name in ("PORT", "METRICS_PORT", "HEALTH_PORT") if settings[name]]
    if len(set(ports)) < len(ports):
        problems.append("PORT, METRICS_PORT and HEALTH_PORT must differ")
    if settings["DEPLOYMENT"] != "production":
        return problems
    if not environ.get("MONGODB_URI"):
        problems.append("MONGODB_URI is required when DEPLOYMENT=production")
    elif retryable_writes_off(settings["MONGODB_URI"]):
        problems.append("MONGODB_URI must not turn retryable writes off (retryWrites=false) when DEPLOYMENT=production")
    for name, minimum in OWASP_MINIMUM.items():
        if settings[name] < minimum:
            problems.append(f"{name}={settings[name]} is below OWASP's minimum of {minimum} for production")
    if len(environ.get("IDEMPOTENCY_SECRET") or "") < 32:
        problems.append("IDEMPOTENCY_SECRET of at least 32 characters is required when DEPLOYMENT=production")
    if len(environ.get("WEBHOOK_SECRETS_KEY") or "") < 32:
        problems.append("WEBHOOK_SECRETS_KEY of at least 32 characters is required when DEPLOYMENT=production")
    return problems


def retryable_writes_off(uri):
    """Tell whether a connection string turns the driver's retryable writes off."""
    options = parse_qs(urlsplit(uri).query)
    return any(key.lower() == "retrywrites" and values[-1].lower() == "false" for key, values in options.items())
