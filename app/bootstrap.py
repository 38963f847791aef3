"""The composition root: the MongoDB client, the stores, hasher, clock and limits, built once per process."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pymongo import MongoClient, monitoring
from pymongo.database import Database

from app.adapters.backfills import Pace
from app.adapters.mongo import Collections
from app.adapters.passwords import Hasher, VerificationCache
from app.adapters.relay import MongoRelay
from app.adapters.secrets import SecretBox
from app.adapters.unit_of_work import MongoStores, MongoUnitOfWork, SessionReaper, Uniqueness
from app.adapters.upgrade import WAIT_FOR_LEASE_SECONDS, MongoUpgrade
from app.adapters.webhook_sender import HttpSender
from app.domain.throttling import FailureLimits
from app.domain.webhooks import RetrySchedule
from app.service_layer.ports import DatabaseUpgrade, PasswordHasher, Relay, Sender, UnitOfWork

# Health answers whether the database answers now; it must not wait as long as a request rides out a failover.
HEALTH_DEADLINE_SECONDS = 2.0


def utc_now() -> datetime:
    """The current time, in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Provisioning:
    """What the service's endpoints and commands work with."""

    collections: Collections
    stores: MongoStores
    uniqueness: Uniqueness
    reaper: SessionReaper
    hasher: PasswordHasher
    clock: Callable[[], datetime]
    limits: FailureLimits
    idempotency_secret: bytes
    deadline_seconds: float
    default_free_credits: int
    user_password_min_length: int
    allow_private_push_targets: bool = False
    retries: RetrySchedule = field(default_factory=RetrySchedule)
    webhook_concurrency: int = 32
    relay_lease_seconds: float = 10.0

    @property
    def database(self) -> Database:
        """The service's database (for tests, benchmarks and `db upgrade`)."""
        return self.collections.database

    def unit_of_work(self, deadline_seconds: float | None = None) -> UnitOfWork:
        """A unit of work for one request or command, within its deadline."""
        return self._unit_of_work(deadline_seconds or self.deadline_seconds)

    def health_unit_of_work(self) -> UnitOfWork:
        return self._unit_of_work(min(HEALTH_DEADLINE_SECONDS, self.deadline_seconds))

    def _unit_of_work(self, deadline_seconds: float) -> MongoUnitOfWork:
        return MongoUnitOfWork(self.collections, self.stores, deadline_seconds=deadline_seconds,
                               uniqueness=self.uniqueness, reaper=self.reaper)

    def database_upgrade(self, *, batch_size: int = 1000, rest: float = 0.25,
                         wait_seconds: float = WAIT_FOR_LEASE_SECONDS) -> DatabaseUpgrade:
        """`db upgrade` on the service's database: backfills of batch_size documents, resting rest of each batch's
        time after it; waiting wait_seconds at most for another upgrade to finish."""
        return MongoUpgrade(self.database, pace=Pace(batch_size, rest), wait_seconds=wait_seconds)

    def relay(self) -> Relay:
        """The events relay's side of the database (one per relay process: it holds the lease)."""
        return MongoRelay(self.database, lease_seconds=self.relay_lease_seconds, clock=self.clock)

    def sender(self) -> Sender:
        """What sends webhook deliveries."""
        return HttpSender(allow_private=self.allow_private_push_targets)


APP_NAME = "provisioning"
# Connections beyond one per request thread: the session reaper's, and a spare while one is being replaced.
SPARE_CONNECTIONS = 2


def pool_options(settings: dict[str, Any]) -> dict[str, Any]:
    """Each worker process holds few connections: one per request thread and a couple more; it polls the servers'
    state instead of holding a streaming monitor connection per server (pymongo's advice for many small processes);
    and it names itself to the servers (their logs and currentOp), unless the connection string does."""
    options: dict[str, Any] = {"maxPoolSize": settings["THREADS"] + SPARE_CONNECTIONS, "serverMonitoringMode": "poll"}
    if "appname=" not in settings["MONGODB_URI"].lower():
        options["appName"] = APP_NAME
    return options


def bootstrap(settings: dict[str, Any], *, clock: Callable[[], datetime] = utc_now,
              event_listeners: Sequence[monitoring._EventListener] = (),
              on_cache_lookup: Callable[[bool], None] = lambda hit: None) -> Provisioning:
    """Build the collaborators from the settings once; the MongoDB client connects on first use (after a fork)."""
    deadline_ms = settings["MONGODB_TIMEOUT_MS"]
    client: MongoClient = MongoClient(
        settings["MONGODB_URI"],
        # One deadline bounds all of a request's database work (pymongo.timeout in the unit of work); waiting
        # for a primary is bounded by it too, so that a request rides out an election that ends in time.
        serverSelectionTimeoutMS=deadline_ms,
        tz_aware=True,
        connect=False,
        event_listeners=list(event_listeners),
        **pool_options(settings),
    )
    collections = Collections(client.get_default_database("provisioning"))
    return Provisioning(
        collections=collections,
        stores=MongoStores.of(collections, SecretBox(settings["WEBHOOK_SECRETS_KEY"])),
        uniqueness=Uniqueness(collections),
        reaper=SessionReaper(client),
        hasher=Hasher(
            time_cost=settings["ARGON2_TIME_COST"],
            memory_kib=settings["ARGON2_MEMORY_KIB"],
            parallelism=settings["ARGON2_PARALLELISM"],
            cache=VerificationCache(seconds=settings["VERIFY_CACHE_SECONDS"],
                                    max_entries=settings["VERIFY_CACHE_ENTRIES"], on_lookup=on_cache_lookup),
        ),
        clock=clock,
        limits=FailureLimits(
            per_client=settings["THROTTLE_FAILURES"],
            per_reseller=settings["THROTTLE_RESELLER_FAILURES"],
            window_seconds=settings["THROTTLE_WINDOW_SECONDS"],
        ),
        idempotency_secret=settings["IDEMPOTENCY_SECRET"].encode(),
        deadline_seconds=deadline_ms / 1000,
        default_free_credits=settings["DEFAULT_FREE_CREDITS"],
        user_password_min_length=settings["USER_PASSWORD_MIN_LENGTH"],
        allow_private_push_targets=settings["ALLOW_PRIVATE_PUSH_TARGETS"] == "on",
        retries=RetrySchedule(first_seconds=settings["WEBHOOK_RETRY_FIRST_MS"] / 1000,
                              most_seconds=settings["WEBHOOK_RETRY_MOST_SECONDS"],
                              for_seconds=settings["WEBHOOK_RETRY_FOR_SECONDS"]),
        webhook_concurrency=settings["WEBHOOK_CONCURRENCY"],
        relay_lease_seconds=settings["RELAY_LEASE_SECONDS"],
    )
