"""The unit of work on MongoDB: one request's (or command's) database work within one deadline, and writes that go
together in a transaction."""
from __future__ import annotations

import contextvars
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

import pymongo
from pymongo import MongoClient

from app.adapters.audit import MongoAudit
from app.adapters.credits import MongoCredits
from app.adapters.customers import MongoCustomers
from app.adapters.mongo import MAJORITY, Binding, Collections, UndoLog
from app.adapters.resellers import KnownClientNotes, MongoResellers
from app.adapters.users import MongoUsers

T = TypeVar("T")
TOPOLOGIES_WITH_TRANSACTIONS = {"ReplicaSetWithPrimary", "ReplicaSetNoPrimary", "Sharded", "LoadBalanced"}
SERVERS_WITH_TRANSACTIONS = {"RSPrimary", "RSSecondary", "Mongos", "LoadBalancer"}
# Undoing a failed unit of work on a server without transactions gets a deadline of its own: the failure may
# have been the unit's deadline running out.
UNDO_SECONDS = 5.0


@dataclass(frozen=True)
class MongoStores:
    """The stores, their writes bound alike (to a transaction, an undo log, or neither)."""

    resellers: MongoResellers
    customers: MongoCustomers
    users: MongoUsers
    credits: MongoCredits
    audit: MongoAudit

    @classmethod
    def of(cls, collections: Collections, notes: KnownClientNotes) -> MongoStores:
        return cls(MongoResellers(collections, notes), MongoCustomers(collections), MongoUsers(collections),
                   MongoCredits(collections), MongoAudit(collections))

    def bound(self, binding: Binding) -> MongoStores:
        return MongoStores(self.resellers.bound(binding), self.customers.bound(binding), self.users.bound(binding),
                           self.credits.bound(binding), self.audit)


class MongoUnitOfWork:
    """Everything a request does in MongoDB runs within one deadline (the driver's client-side operation timeout,
    sent to the server as maxTimeMS too); retries inside it (a new primary, a transient conflict) included."""

    def __init__(self, collections: Collections, stores: MongoStores, *, deadline_seconds: float):
        self._c = collections
        self._stores = stores
        self.resellers = stores.resellers
        self.customers = stores.customers
        self.users = stores.users
        self.credits = stores.credits
        self.audit = stores.audit
        self._deadline_seconds = deadline_seconds
        self._scope: AbstractContextManager[Any] | None = None

    def __enter__(self) -> MongoUnitOfWork:
        self._scope = pymongo.timeout(self._deadline_seconds)
        self._scope.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        assert self._scope is not None
        self._scope.__exit__(kind, error, trace)

    def together(self, write: Callable[[MongoStores], T]) -> T:
        """Run write all or nothing: in a transaction where the deployment has them (retried as a whole on
        transient errors, its commit retried when its outcome is unknown), else undoing its inserts on failure."""
        if self.supports_transactions():
            with self._c.database.client.start_session() as session:
                return session.with_transaction(lambda bound: write(self._stores.bound(Binding(session=bound))),
                                                write_concern=MAJORITY)
        undo = UndoLog()
        try:
            return write(self._stores.bound(Binding(undo=undo)))
        except BaseException:
            contextvars.Context().run(self._undo, undo)
            raise

    def _undo(self, undo: UndoLog) -> None:
        with pymongo.timeout(UNDO_SECONDS):
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
