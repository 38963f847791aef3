"""The events relay's writes: each change's event numbered in its reseller's order and written together with the
relay's position in the change stream, once.

One relay at a time holds the lease (app.adapters.lease: a document of event_relay, on the database's clock). Each
batch of changes is one transaction that
- checks the lease is still this relay's (writing its document: a relay that took it over meanwhile makes this
  transaction fail, so two relays never both write),
- skips the changes whose events exist already (an event's _id is its change's key: a change read again after a crash
  finds its event and takes no number),
- takes the next numbers of each reseller (event_sequences: the last number given, incremented by the new events),
- inserts the events and saves the position after them (the resume token).
All of it commits or none of it: a number is taken only by an event that is written, so each reseller's numbers run
1, 2, 3, ... without a gap, and a relay that dies anywhere resumes at the position that went with the last events
written.

A relay killed within a transaction leaves it open on the server, holding the documents it wrote (the lease's among
them) until the server aborts it: mongod after transactionLifetimeLimitSeconds (60 s by default), SecantusDB when it
next reaps. So each relay runs its transactions in one session whose id it notes on the lease, and the relay that takes
an expired lease over first kills that session (killSessions, which aborts its transaction): it takes over within the
lease's time, not the server's. Each step runs within the lease's time too (pymongo.timeout), so that a relay never
hangs on a database that does not answer: it fails the step and starts again from its saved position.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pymongo
from bson import ObjectId
from bson.timestamp import Timestamp
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import PyMongoError
from pymongo.read_concern import ReadConcern

from app.adapters.changes import ChangeReader
from app.adapters.documents import EVENT_RELAY, EVENT_SEQUENCES, EVENTS, event_document
from app.adapters.lease import UpgradeLease
from app.adapters.mongo import MAJORITY
from app.domain.events import Change, FeedEvent, RelayState
from app.domain.exceptions import RelayLeaseLost

LEASE_ID = "lease"
POSITION_ID = "position"


class MongoRelay:
    """The relay's side of the database: its lease, its position, the change stream, and the events it writes."""

    def __init__(self, database: Database, *, lease_seconds: float, clock: Callable[[], datetime]):
        self._database = database
        self._lease = UpgradeLease(database, seconds=lease_seconds, collection=EVENT_RELAY, lease_id=LEASE_ID)
        self._relay = database.get_collection(EVENT_RELAY, write_concern=MAJORITY)
        self._events = database.get_collection(EVENTS, write_concern=MAJORITY)
        self._sequences = database.get_collection(EVENT_SEQUENCES, write_concern=MAJORITY)
        self._clock = clock
        self._offset = timedelta(0)
        self._step_seconds = lease_seconds
        # The session of every transaction of this relay (its id noted on the lease).
        self._session = database.client.start_session()

    @property
    def holder(self) -> str:
        return self._lease.holder

    def take_lease(self) -> bool:
        """Take or renew the lease (False while another relay holds it), ending first the session of the relay whose
        lease expired; note the database's clock meanwhile."""
        with pymongo.timeout(self._step_seconds):
            now = self._database.client.admin.command("hello")["localTime"].replace(tzinfo=UTC)
            self._offset = now - self._clock()
            held = self._relay.find_one({"_id": LEASE_ID}) or {}
            expired = held.get("holder") not in (None, self.holder) and held["expiresAt"].replace(tzinfo=UTC) < now
            if expired and held.get("session") is not None:
                self._database.client.admin.command("killSessions", [held["session"]])
            if not self._lease.take():
                return False
            self._relay.update_one({"_id": LEASE_ID, "holder": self.holder},
                                   {"$set": {"session": self._session.session_id}})
            return True

    def release_lease(self) -> None:
        with contextlib.suppress(PyMongoError), pymongo.timeout(self._step_seconds):  # it expires by itself
            self._lease.release()

    def database_now(self) -> datetime:
        """The database's clock, as last compared with this process's."""
        return self._clock() + self._offset

    def open_changes(self, wait_seconds: float) -> ChangeReader:
        """The change stream from the saved position; the first relay ever starts from now, or from the cluster time
        `db upgrade` noted (start_position), so that what the service wrote before the relay first ran has events."""
        position = self._relay.find_one({"_id": POSITION_ID}) or {}
        start_at = position.get("startAt")
        if position.get("token") is None and start_at is None:
            start_at = self._database.command("ping")["operationTime"]
        return ChangeReader(self._database, token=position.get("token"), start_at=start_at,
                            wait_seconds=wait_seconds)

    def append(self, changes: tuple[Change, ...], token: Mapping[str, Any] | None) -> list[FeedEvent]:
        """Write the events of changes not written before, numbered, with the position after them (none when token is
        None: the first part of a batch written in parts), in one transaction; the events written. RelayLeaseLost when
        another relay holds the lease."""
        with pymongo.timeout(self._step_seconds):
            return self._session.with_transaction(lambda held: self._append(held, changes, token),
                                                  read_concern=ReadConcern("snapshot"), write_concern=MAJORITY)

    def _append(self, session: ClientSession, changes: tuple[Change, ...],
                token: Mapping[str, Any] | None) -> list[FeedEvent]:
        self._fence(session)
        keys = [change.sourced.key for change in changes]
        known = {found["_id"] for found in self._events.find({"_id": {"$in": keys}}, {"_id": 1}, session=session)}
        fresh: dict[str, Change] = {}
        for change in changes:
            if change.sourced.key not in known:
                fresh.setdefault(change.sourced.key, change)
        counts: dict[ObjectId, int] = {}
        for change in fresh.values():
            reseller = change.sourced.event.reseller_id
            counts[reseller] = counts.get(reseller, 0) + 1
        next_number = {reseller: self._take_numbers(session, reseller, count) for reseller, count in counts.items()}
        written, documents = [], []
        relayed_at = self.database_now()
        for change in fresh.values():
            event = change.sourced.event
            numbered = replace(event, id=next_number[event.reseller_id])
            next_number[event.reseller_id] += 1
            written.append(numbered)
            documents.append(event_document(change.sourced.key, numbered, committed_at=change.committed_at,
                                            relayed_at=relayed_at))
        if documents:
            self._events.insert_many(documents, ordered=True, session=session)
        if token is not None:
            self._save(session, token, changes[-1].committed_at if changes else None)
        return written

    def _fence(self, session: ClientSession) -> None:
        """Write the lease's document in the transaction, if it is still this relay's."""
        held = self._relay.update_one({"_id": LEASE_ID, "holder": self.holder}, {"$inc": {"batches": 1}},
                                      session=session)
        if not held.matched_count:
            raise RelayLeaseLost()

    def _take_numbers(self, session: ClientSession, reseller_id: ObjectId, count: int) -> int:
        """Take count numbers of the reseller's order; the first of them."""
        self._sequences.update_one({"_id": reseller_id}, {"$inc": {"last": count}}, upsert=True, session=session)
        last = self._sequences.find_one({"_id": reseller_id}, session=session)
        assert last is not None
        return int(last["last"]) - count + 1

    def _save(self, session: ClientSession | None, token: Mapping[str, Any] | None,
              committed_at: datetime | None) -> None:
        saved: dict[str, Any] = {"token": token}
        if committed_at is not None:
            saved["committedAt"] = committed_at
        self._relay.update_one({"_id": POSITION_ID}, {"$set": saved}, upsert=True, session=session)

    def note_position(self, token: Mapping[str, Any] | None) -> None:
        """Save the position the stream reached without a change to write (its postBatchResumeToken), if this relay
        still holds the lease."""
        def save(held: ClientSession) -> None:
            self._fence(held)
            self._save(held, token, None)

        with pymongo.timeout(self._step_seconds):
            self._session.with_transaction(save, write_concern=MAJORITY)

    def heartbeat(self, lag_seconds: float) -> None:
        """Tell health and operators the relay runs, and how far behind the change stream it is."""
        with pymongo.timeout(self._step_seconds):
            self._relay.update_one({"_id": POSITION_ID}, {"$set": {
                "heartbeatAt": self.database_now(), "lagSeconds": lag_seconds, "holder": self.holder}}, upsert=True)


def relay_state(database: Database) -> RelayState | None:
    """What the relay last told (None before it ever ran)."""
    found = database[EVENT_RELAY].find_one({"_id": POSITION_ID}, {"heartbeatAt": 1, "lagSeconds": 1, "holder": 1})
    if not found or "heartbeatAt" not in found:
        return None
    return RelayState(found["heartbeatAt"].replace(tzinfo=UTC), float(found.get("lagSeconds", 0.0)),
                      found.get("holder"))


def note_start(database: Database) -> bool:
    """Note the cluster time the first relay starts reading from, unless a relay has a position already (for
    `db upgrade`: what the service writes from then on has events, even before the relay first runs); True when
    noted now."""
    now: Timestamp | None = database.command("ping").get("operationTime")
    if now is None:  # a standalone server: no change stream, no relay
        return False
    noted = database.get_collection(EVENT_RELAY, write_concern=MAJORITY).update_one(
        {"_id": POSITION_ID}, {"$setOnInsert": {"startAt": now, "token": None}}, upsert=True)
    return noted.upserted_id is not None
