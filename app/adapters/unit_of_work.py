"""The unit of work on MongoDB: one request's (or command's) database work within one deadline, in one causally
consistent session, and writes that go together in a transaction."""
from __future__ import annotations

import contextvars
import random
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

import pymongo
from pymongo import MongoClient
from pymongo.client_session import ClientSession
from pymongo.errors import ConnectionFailure, ExecutionTimeout, PyMongoError

from app.adapters import indexes
from app.adapters.api_keys import MongoApiKeys
from app.adapters.audit import MongoAudit
from app.adapters.authentications import MongoAuthentications
from app.adapters.credits import MongoCredits
from app.adapters.customers import MongoCustomers
from app.adapters.events import MongoEvents
from app.adapters.mongo import MAJORITY, Binding, Collections, UndoLog
from app.adapters.resellers import MongoResellers
from app.adapters.secrets import SecretBox
from app.adapters.users import MongoUsers
from app.adapters.webhooks import MongoDeliveries, MongoWebhooks
from app.domain.exceptions import DatabaseNotReady
from config import ABORT_SECONDS

T = TypeVar("T")
TOPOLOGIES_WITH_TRANSACTIONS = {"ReplicaSetWithPrimary", "ReplicaSetNoPrimary", "Sharded", "LoadBalanced"}
SERVERS_WITH_TRANSACTIONS = {"RSPrimary", "RSSecondary", "Mongos", "LoadBalancer"}
# Aborting a failed transaction, or undoing a failed unit of work on a server without transactions, gets a deadline
# of its own (config.ABORT_SECONDS): the failure may have been the unit's deadline running out, and under that
# deadline pymongo would not even send the abort (the transaction would keep its unique keys for up to 60 s, the
# server's transactionLifetimeLimitSeconds).
# How long a unit of work retries a transaction that conflicts with another (a write conflict: a document or a unique
# key another transaction holds) before it answers 503: a conflict that lasts is another request's transaction still
# open, and holding a worker for the whole deadline would only stop others. Other transient errors (an election, a
# lost connection) are retried until the deadline: a new primary comes within it.
CONFLICT_SECONDS = 2.0
WRITE_CONFLICT = 112
# After a conflict a transaction waits a random time up to this, doubled at each conflict up to the most (exponential
# backoff with jitter): requests that met on one document spread out instead of meeting again at once.
CONFLICT_PAUSE_SECONDS = 0.005
CONFLICT_PAUSE_MOST_SECONDS = 0.2
# The unique indexes are looked at again after this long (a per-process cache).
UNIQUENESS_CHECK_SECONDS = 5.0


@dataclass(frozen=True)
class MongoStores:
    """The stores, their writes bound alike (to a session and its transaction, an undo log, or neither)."""

    resellers: MongoResellers
    authentications: MongoAuthentications
    customers: MongoCustomers
    users: MongoUsers
    credits: MongoCredits
    audit: MongoAudit
    api_keys: MongoApiKeys
    events: MongoEvents
    webhooks: MongoWebhooks
    deliveries: MongoDeliveries

    @classmethod
    def of(cls, collections: Collections, box: SecretBox) -> MongoStores:
        return cls(MongoResellers(collections), MongoAuthentications(collections), MongoCustomers(collections),
                   MongoUsers(collections), MongoCredits(collections), MongoAudit(collections),
                   MongoApiKeys(collections), MongoEvents(collections), MongoWebhooks(collections, box),
                   MongoDeliveries(collections))

    def bound(self, binding: Binding) -> MongoStores:
        return MongoStores(self.resellers.bound(binding), self.authentications.bound(binding),
                           self.customers.bound(binding), self.users.bound(binding), self.credits.bound(binding),
                           self.audit.bound(binding), self.api_keys.bound(binding), self.events.bound(binding),
                           self.webhooks.bound(binding), self.deliveries.bound(binding))


class Uniqueness:
    """Whether the unique indexes the service relies on are in place, looked at once in a while per process: while
    one is missing, creates and health answer 503 rather than let duplicates in."""

    def __init__(self, collections: Collections, seconds: float = UNIQUENESS_CHECK_SECONDS):
        self._c = collections
        self._seconds = seconds
        self._checked_at = float("-inf")
        self._missing: list[str] = []
        self._lock = threading.Lock()

    def require(self) -> None:
        """Raise DatabaseNotReady naming the unique indexes that are missing."""
        now = time.monotonic()
        if now - self._checked_at > self._seconds:
            with self._lock:
                if now - self._checked_at > self._seconds:
                    self._missing = indexes.missing_uniqueness(self._c.database)
                    self._checked_at = now
        if self._missing:
            raise DatabaseNotReady(self._missing)


class SessionReaper:
    """Kills, in the background, the sessions of transactions whose abort may not have reached the database (it did
    not answer in time): their writes would keep their unique keys until the server's transaction lifetime ends."""

    RETRY_SECONDS = 1.0
    GIVE_UP_SECONDS = 120.0

    def __init__(self, client: MongoClient):
        self._client = client
        self._pending: list[tuple[Mapping[str, Any], float]] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def kill(self, session_id: Mapping[str, Any]) -> None:
        with self._lock:
            self._pending.append((session_id, time.monotonic()))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="session-reaper", daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.RETRY_SECONDS)
            self._wake.clear()
            with self._lock:
                pending, self._pending = self._pending, []
            if not pending:
                return
            left = []
            for session_id, since in pending:
                try:
                    with pymongo.timeout(ABORT_SECONDS):
                        self._client.admin.command("killSessions", [session_id])
                except PyMongoError:
                    if time.monotonic() - since < self.GIVE_UP_SECONDS:
                        left.append((session_id, since))
            with self._lock:
                self._pending = left + self._pending


class MongoUnitOfWork:
    """Everything a request does in MongoDB runs within one deadline (the driver's client-side operation timeout,
    sent to the server as maxTimeMS too), in one causally consistent session, retries inside it included."""

    def __init__(self, collections: Collections, stores: MongoStores, *, deadline_seconds: float,
                 uniqueness: Uniqueness, reaper: SessionReaper):
        self._c = collections
        self._stores = stores
        self._deadline_seconds = deadline_seconds
        self._uniqueness = uniqueness
        self._reaper = reaper
        self._scope: AbstractContextManager[Any] | None = None
        self._session: ClientSession | None = None
        self._deadline = float("inf")
        self._bind(stores)

    def _bind(self, stores: MongoStores) -> None:
        self.resellers = stores.resellers
        self.authentications = stores.authentications
        self.customers = stores.customers
        self.users = stores.users
        self.credits = stores.credits
        self.audit = stores.audit
        self.api_keys = stores.api_keys
        self.events = stores.events
        self.webhooks = stores.webhooks
        self.deliveries = stores.deliveries

    def __enter__(self) -> MongoUnitOfWork:
        self._deadline = time.monotonic() + self._deadline_seconds
        self._scope = pymongo.timeout(self._deadline_seconds)
        self._scope.__enter__()
        self._session = self._c.database.client.start_session(causal_consistency=True)
        self._bind(self._stores.bound(Binding(session=self._session)))
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        assert self._scope is not None and self._session is not None
        self._session.end_session()
        self._scope.__exit__(kind, error, trace)

    def require_uniqueness(self) -> None:
        """Raise DatabaseNotReady when a unique index the service relies on is missing."""
        self._uniqueness.require()

    def together(self, write: Callable[[MongoStores], T], *, contended: bool = False) -> T:
        """Run write all or nothing: in a transaction where the deployment has them, else undoing its inserts on
        failure. A contended write (one that many requests make to the same document at once, as credit changes do)
        retries its conflicts until the deadline rather than for CONFLICT_SECONDS."""
        assert self._session is not None
        if self.supports_transactions():
            return self._in_transaction(self._session, write, contended)
        undo = UndoLog()
        try:
            return write(self._stores.bound(Binding(session=self._session, undo=undo)))
        except BaseException:
            contextvars.Context().run(self._undo, undo)
            raise

    def _in_transaction(self, session: ClientSession, write: Callable[[MongoStores], T], contended: bool) -> T:
        """A transaction, retried as a whole on transient errors (for CONFLICT_SECONDS at most), its commit retried
        while its outcome is unknown (within the deadline), aborted under a deadline of its own when it fails."""
        stores = self._stores.bound(Binding(session=session))
        conflicts_until = self._deadline if contended else min(time.monotonic() + CONFLICT_SECONDS, self._deadline)
        pause = CONFLICT_PAUSE_SECONDS
        while True:
            session.start_transaction(write_concern=MAJORITY)
            try:
                result = write(stores)
            except BaseException as error:
                self._abort(session, error)
                if retried(error, conflicts_until, self._deadline):
                    time.sleep(random.uniform(0, pause))
                    pause = min(pause * 2, CONFLICT_PAUSE_MOST_SECONDS)
                    continue
                raise
            try:
                self._commit(session)
                return result
            except PyMongoError as error:
                if retried(error, conflicts_until, self._deadline):
                    continue
                raise

    def _commit(self, session: ClientSession) -> None:
        while True:
            try:
                session.commit_transaction()
                return
            except PyMongoError as error:
                # Committing again is safe: a commit that went through answers again that it did; until the deadline.
                unknown = error.has_error_label("UnknownTransactionCommitResult") and not isinstance(error, ExecutionTimeout)
                if not unknown or time.monotonic() >= self._deadline:
                    raise

    def _abort(self, session: ClientSession, error: BaseException) -> None:
        if not session.in_transaction:
            return
        contextvars.Context().run(self._abort_now, session)
        if isinstance(error, (ConnectionFailure, ExecutionTimeout)):
            # The database did not answer in time: the abort may not have reached it either. The session is killed
            # in the background, and not used again (pymongo's pool would hand it to another request).
            self._reaper.kill(session.session_id)
            session._server_session.mark_dirty()

    @staticmethod
    def _abort_now(session: ClientSession) -> None:
        with pymongo.timeout(ABORT_SECONDS):
            session.abort_transaction()

    def _undo(self, undo: UndoLog) -> None:
        with pymongo.timeout(ABORT_SECONDS):
            undo.undo(self._c.database)

    def ping(self) -> None:
        """Ask the server for a round trip; raises ConnectionFailure when it does not answer."""
        self._c.database.command("ping")

    def supports_transactions(self) -> bool:
        """Tell whether the deployment has transactions: a replica set (even while it elects a primary), a sharded
        cluster, a load balancer, or a direct connection to one of their members."""
        client: MongoClient = self._c.database.client
        topology = client.topology_description
        if topology.topology_type_name == "Unknown" or not topology.has_known_servers:
            self.ping()
            topology = client.topology_description
        if topology.topology_type_name in TOPOLOGIES_WITH_TRANSACTIONS:
            return True
        return any(server.server_type_name in SERVERS_WITH_TRANSACTIONS
                   for server in topology.server_descriptions().values())


def retried(error: BaseException, conflicts_until: float, deadline: float) -> bool:
    """Whether a transaction runs again after this error: a transient one (a new primary, a lost connection) until the
    deadline, a write conflict only until conflicts_until."""
    if not (isinstance(error, PyMongoError) and error.has_error_label("TransientTransactionError")):
        return False
    return time.monotonic() < (conflicts_until if getattr(error, "code", None) == WRITE_CONFLICT else deadline)
