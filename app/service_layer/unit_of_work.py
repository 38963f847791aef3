"""A unit of work: one request's (or command's) database work within one deadline, and writes that go together."""
from __future__ import annotations

import contextvars
from collections.abc import Callable
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, TypeVar

import pymongo
from pymongo import MongoClient

from app.adapters.repository import MAJORITY, MongoRepository, UndoLog

T = TypeVar("T")
TOPOLOGIES_WITH_TRANSACTIONS = {"ReplicaSetWithPrimary", "ReplicaSetNoPrimary", "Sharded", "LoadBalanced"}
SERVERS_WITH_TRANSACTIONS = {"RSPrimary", "RSSecondary", "Mongos", "LoadBalancer"}
# Undoing a failed unit of work on a server without transactions gets a deadline of its own: the failure may
# have been the unit's deadline running out.
UNDO_SECONDS = 5.0


class MongoUnitOfWork:
    """Everything a request does in MongoDB runs within one deadline (the driver's client-side operation timeout,
    sent to the server as maxTimeMS too); retries inside it (a new primary, a transient conflict) included."""

    def __init__(self, repository: MongoRepository, *, deadline_seconds: float):
        self.repository = repository
        self._deadline_seconds = deadline_seconds
        self._scope: AbstractContextManager[Any] | None = None

    def __enter__(self) -> MongoUnitOfWork:
        self._scope = pymongo.timeout(self._deadline_seconds)
        self._scope.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        assert self._scope is not None
        self._scope.__exit__(kind, error, trace)

    def together(self, write: Callable[[MongoRepository], T]) -> T:
        """Run write all or nothing: in a transaction where the deployment has them (retried as a whole on
        transient errors, its commit retried when its outcome is unknown), else undoing its inserts on failure."""
        if self.supports_transactions():
            with self.repository.db.client.start_session() as session:
                return session.with_transaction(lambda bound: write(self.repository.bound(session=bound)),
                                                write_concern=MAJORITY)
        undo = UndoLog()
        try:
            return write(self.repository.bound(undo=undo))
        except BaseException:
            contextvars.Context().run(self._undo, undo)
            raise

    def _undo(self, undo: UndoLog) -> None:
        with pymongo.timeout(UNDO_SECONDS):
            undo.undo(self.repository.db)

    def supports_transactions(self) -> bool:
        """Tell whether the deployment has transactions: a replica set (even while it elects a primary), a sharded
        cluster, a load balancer, or a direct connection to one of their members."""
        client: MongoClient = self.repository.db.client
        topology = client.topology_description
        if topology.topology_type_name == "Unknown" or not topology.has_known_servers:
            self.repository.ping()
            topology = client.topology_description
        if topology.topology_type_name in TOPOLOGIES_WITH_TRANSACTIONS:
            return True
        return any(server.server_type_name in SERVERS_WITH_TRANSACTIONS
                   for server in topology.server_descriptions().values())
