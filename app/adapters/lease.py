"""Leases on the database's clock: one `db upgrade` at a time on a database, however many a rolling deploy starts
(the upgrade lease), and one events relay at a time (app.adapters.relay, which keeps its position on its lease's
document).

A lease is a document (the upgrade's in `upgrades`) with its holder and an expiry reckoned by the database's own clock (its hello
answer's localTime), so that the hosts' clocks do not matter. Its holder renews it while it works; a holder that dies stops renewing, and
the lease is free again once it has expired.
"""
from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, PyMongoError

from app.adapters.documents import UPGRADES
from app.adapters.mongo import MAJORITY

LEASE_ID = "lease"
LEASE_SECONDS = 60


class LeaseLost(Exception):
    """The upgrade's lease expired or was taken while it worked: it stops rather than run beside another."""


class LeaseHeld(Exception):
    """Another upgrade held the lease for longer than this one would wait."""



class UpgradeLease:
    """The lease on one database's upgrades (or, given another collection and id, on another task), for one holder."""

    def __init__(self, database: Database, *, seconds: float = LEASE_SECONDS, collection: str = UPGRADES,
                 lease_id: str = LEASE_ID):
        self._upgrades = database.get_collection(collection, write_concern=MAJORITY)
        self._id = lease_id
        self._seconds = seconds
        self.holder = f"{socket.gethostname()}:{uuid.uuid4().hex[:12]}"
        self._lost = threading.Event()

    def take(self) -> bool:
        """Take (or renew) the lease; False when another holder has it and it has not expired."""
        now = self._upgrades.database.client.admin.command("hello")["localTime"]
        mine_or_expired = {"$or": [{"holder": self.holder}, {"expiresAt": {"$lt": now}}]}
        try:
            self._upgrades.update_one({"_id": self._id, **mine_or_expired}, {"$set": {
                "holder": self.holder, "expiresAt": now + timedelta(seconds=self._seconds), "renewedAt": now}},
                upsert=True)
        except DuplicateKeyError:
            return False
        return True

    def holder_now(self) -> dict[str, Any] | None:
        return self._upgrades.find_one({"_id": self._id})

    def release(self) -> None:
        self._upgrades.delete_one({"_id": self._id, "holder": self.holder})

    def check(self) -> None:
        """Raise LeaseLost when renewing failed since the lease was taken."""
        if self._lost.is_set():
            raise LeaseLost("the upgrade lease was lost (another upgrade took it, or the database did not answer)")

    @contextmanager
    def renewing(self) -> Iterator[UpgradeLease]:
        """Keep the lease taken for the block, renewing it in the background; release it at the end."""
        stop = threading.Event()
        renewer = threading.Thread(target=self._renew, args=(stop,), name="upgrade-lease", daemon=True)
        renewer.start()
        try:
            yield self
        finally:
            stop.set()
            renewer.join()
            with contextlib.suppress(PyMongoError):  # it expires by itself
                self.release()

    def _renew(self, stop: threading.Event) -> None:
        """Renew every third of the lease's time; lost when another holder took it, or when no renewal got through
        for two thirds of it (the lease may be expiring)."""
        renewed = time.monotonic()
        while not stop.wait(self._seconds / 3):
            try:
                if not self.take():
                    self._lost.set()
                    return
                renewed = time.monotonic()
            except PyMongoError:
                if time.monotonic() - renewed > self._seconds * 2 / 3:
                    self._lost.set()
                    return
