"""Backfills: a change to the documents of a live, shared collection, made in `_id` order a batch at a time.

Each batch is written with a majority write concern and then recorded (how far it got) in `upgrades`, so that an
upgrade that stops, is killed or loses its lease starts again where it stopped. The work is throttled: after each
batch the backfill rests for a share of the time the batch took, leaving the database to the service. Once a
backfill has gone through the whole collection, the next upgrade starts it again a little before where it ended, for
the documents written meanwhile by processes of the older version.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bson import ObjectId
from pymongo.collection import Collection
from pymongo.database import Database

from app.adapters.documents import UPGRADES
from app.adapters.mongo import MAJORITY
from app.domain.upgrades import Note, Progress, UpgradeEvent

# Documents another process wrote a little before a finished backfill's end may carry smaller ids than its last one
# (an ObjectId's first part is its maker's clock): the next run starts this much earlier.
RESCAN = timedelta(minutes=10)


@dataclass(frozen=True)
class Pace:
    """How fast backfills go: documents per batch, and the share of a batch's time to rest after it."""

    batch_size: int = 1000
    rest: float = 0.25


@dataclass(frozen=True)
class Batch:
    """What a backfill did to one batch: documents changed, and lines to report."""

    changed: int
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Backfill:
    """A change to every document of a collection that needs it: which fields to read, and what to do to a batch."""

    key: str
    task: str
    collection: str
    projection: dict[str, Any]
    apply: Callable[[Collection, list[dict[str, Any]]], Batch]


def run(database: Database, backfill: Backfill, pace: Pace, *, before_batch: Callable[[], None]) -> Iterator[UpgradeEvent]:
    """Run a backfill from where it stopped, yielding its progress and what it reports."""
    upgrades = database.get_collection(UPGRADES, write_concern=MAJORITY)
    collection = database.get_collection(backfill.collection, write_concern=MAJORITY)
    state = upgrades.find_one({"_id": f"backfill:{backfill.key}"}) or {}
    after = state.get("after")
    if state.get("finished") and after is not None:
        after = ObjectId.from_datetime(after.generation_time - RESCAN)
    scope: dict[str, Any] = {"_id": {"$gt": after}} if after is not None else {}
    total = collection.count_documents(scope) if scope else collection.estimated_document_count()
    scanned = changed = 0
    started = time.monotonic()
    yield Progress(backfill.task, 0, total)
    # One cursor in _id order, read a batch at a time: each batch is the _id range from the last one's end.
    cursor = collection.find(scope, backfill.projection).sort("_id", 1).batch_size(pace.batch_size)
    try:
        for documents in batches(cursor, pace.batch_size):
            before_batch()
            batch_started = time.monotonic()
            done = backfill.apply(collection, documents)
            after = documents[-1]["_id"]
            upgrades.update_one({"_id": f"backfill:{backfill.key}"}, {"$set": {"after": after, "finished": False}},
                                upsert=True)
            scanned += len(documents)
            changed += done.changed
            for note in done.notes:
                yield Note(note)
            yield Progress(backfill.task, scanned, max(total, scanned))
            time.sleep((time.monotonic() - batch_started) * pace.rest)
    finally:
        cursor.close()
    upgrades.update_one({"_id": f"backfill:{backfill.key}"}, {"$set": {"after": after, "finished": True}}, upsert=True)
    if changed:
        yield Note(f"{backfill.task}: {changed} of {scanned} documents changed in {time.monotonic() - started:.1f} s")


def batches(documents: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for document in documents:
        batch.append(document)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
