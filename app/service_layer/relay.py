"""The events relay: one process at a time (the lease) reads the database's change stream from where the last one
stopped and writes each change's event, numbered in its reseller's order, with the position it reached
(app.adapters.relay says how that is done once and without gaps); a second relay waits and takes over when the first
stops renewing its lease. It tells how far behind the change stream it is (its lag) with a heartbeat."""
from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.domain.events import Change, FeedEvent
from app.domain.exceptions import RelayLeaseLost
from app.service_layer.ports import Relay

log = logging.getLogger("app.events")


# The most of an error's message a log line of the relay carries.
FAILURE_CHARACTERS = 400


def failure(error: BaseException) -> str:
    """An error in one short line: its type, message and where it was raised. The relay's failures are mostly the
    database's (down, failing over) and repeat each second while they last; a line each, not a traceback each, so
    that they stay whole beside the other processes' lines on a shared output (a write longer than a pipe's atomic
    size may interleave with theirs)."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"{type(error).__name__}: {error}"[:FAILURE_CHARACTERS] + where


@dataclass(frozen=True)
class Pace:
    """How the relay reads: at most batch changes per transaction, waiting up to wait_seconds for changes when there
    are none; a heartbeat every heartbeat_seconds; another try at the lease (or after a failure) every retry_seconds."""

    batch: int = 500
    wait_seconds: float = 0.5
    heartbeat_seconds: float = 1.0
    retry_seconds: float = 1.0


@dataclass
class Progress:
    """What the relay reports as it goes: whether it holds the lease, its lag, and the events it wrote."""

    leading: Callable[[bool], None] = lambda held: None
    lag: Callable[[float], None] = lambda seconds: None
    written: Callable[[list[FeedEvent]], None] = lambda events: None


def run_relay(relay: Relay, lease_seconds: float, stop: threading.Event, *, pace: Pace = Pace(),
              progress: Progress | None = None) -> None:
    """Relay until stop is set: wait for the lease, follow the change stream while it is held, wait again when it is
    lost; give it up at the end."""
    progress = progress or Progress()
    waiting_said = False
    try:
        while not stop.is_set():
            try:
                if not relay.take_lease():
                    if not waiting_said:
                        log.info("another events relay holds the lease; waiting to take over")
                        waiting_said = True
                    stop.wait(pace.retry_seconds)
                    continue
                waiting_said = False
                log.info("events relay leading", extra={"holder": relay.holder})
                progress.leading(True)
                follow(relay, lease_seconds, stop, pace, progress)
            except RelayLeaseLost:
                log.warning("the events relay lost its lease to another; waiting to take it again")
            except Exception as error:
                log.error("the events relay failed (%s); starting again from its saved position", failure(error))
            progress.leading(False)
            stop.wait(pace.retry_seconds)
    finally:
        relay.release_lease()


def follow(relay: Relay, lease_seconds: float, stop: threading.Event, pace: Pace, progress: Progress) -> None:
    """Read changes and write their events until stop is set; RelayLeaseLost when another relay took the lease."""
    changes = relay.open_changes(pace.wait_seconds)
    renewed, beat, saved = time.monotonic(), float("-inf"), None
    try:
        while not stop.is_set():
            if time.monotonic() - renewed > lease_seconds / 3:
                renewed = renew(relay, renewed, lease_seconds)
            batch = changes.next_batch(pace.batch, pace.wait_seconds)
            lag = 0.0
            if batch.changes:
                progress.written(write(relay, batch.changes, batch.token))
                saved = batch.token
                # How long ago the last change written was committed: how far behind the change stream the relay is.
                lag = max(0.0, (relay.database_now() - batch.changes[-1].committed_at).total_seconds())
            elif batch.token is not None and batch.token != saved:
                relay.note_position(batch.token)
                saved = batch.token
            progress.lag(lag)
            if time.monotonic() - beat > pace.heartbeat_seconds:
                relay.heartbeat(lag)
                beat = time.monotonic()
    finally:
        changes.close()


def renew(relay: Relay, renewed: float, lease_seconds: float) -> float:
    """Renew the lease (renewed: when it last was); when it was renewed now. A renewal that fails while the lease has
    not expired yet is tried again at the next turn, the change stream kept open (opening it again reads from the saved
    position, which may take long on a large oplog); RelayLeaseLost when another relay holds the lease."""
    started = time.monotonic()
    try:
        if relay.take_lease():
            return started
    except Exception as error:
        if time.monotonic() - renewed >= lease_seconds:
            raise
        log.warning("renewing the events relay's lease failed (%s); trying again while it holds", failure(error))
        return renewed
    raise RelayLeaseLost()


def write(relay: Relay, changes: tuple[Change, ...], token: Mapping[str, Any] | None) -> list[FeedEvent]:
    """Write the events of changes with the position after them (token; None writes no position); the events written.
    A batch the database did not take within the step's deadline (a large one on a loaded database) is written again
    in halves, the position saved with the second, once the relay has renewed its lease: a database that does not
    answer fails that renewal, and the relay starts again from its saved position. The first half written again after a
    crash is harmless: its events are found and take no number."""
    try:
        return relay.append(changes, token)
    except RelayLeaseLost:
        raise
    except Exception as error:
        if len(changes) < 2:
            raise
        if not relay.take_lease():
            raise RelayLeaseLost() from error
        log.warning("writing %d events failed (%s); writing them in halves", len(changes), failure(error))
    half = len(changes) // 2
    return write(relay, changes[:half], None) + write(relay, changes[half:], token)
