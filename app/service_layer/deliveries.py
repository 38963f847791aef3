"""The delivery worker: each webhook given its reseller's events in order, one at a time, the next only once the
receiver took the one before (a 2xx answer); a delivery not taken is retried on the schedule (exponential backoff
with jitter) for its whole period, then the webhook is marked failing and its deliveries stop until an operator
replays them.

Webhooks are served concurrently, each by one task at a time (so each in order): a slow or dead receiver holds one of
the pool's threads for its own deliveries only, and its retries wait on the schedule, not in a thread.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from bson import ObjectId

from app.domain.events import FeedEvent
from app.domain.webhooks import DELIVERED, FAILED, PENDING, RetrySchedule, Webhook, signed
from app.service_layer.ports import Clock, Sender, UnitOfWork
from app.service_layer.relay import failure

log = logging.getLogger("app.events")
# How many events a task reads at once.
PAGE = 100


@dataclass(frozen=True)
class Delivering:
    """What deliveries need: a unit of work per step (a delivery may wait 10 s for its receiver, longer than a unit's
    deadline, so none is held meanwhile), what sends, the clock, the retry schedule, and whether to go on (the relay
    still holds its lease and is not stopping)."""

    units: Callable[[], UnitOfWork]
    sender: Sender
    clock: Clock
    schedule: RetrySchedule
    going: Callable[[], bool] = lambda: True


def deliver_due(webhook_id: ObjectId, work: Delivering) -> int:
    """Give the webhook its events after the last it was given, in order, until one is not taken, none is left, or
    work stops going; how many were taken."""
    taken = 0
    while work.going():
        with work.units() as uow:
            webhook = uow.webhooks.with_id(webhook_id)
            if webhook is None or webhook.failing or (webhook.retry_at and webhook.retry_at > work.clock()):
                return taken
            page = uow.events.page_of(webhook.reseller_id, webhook.through, PAGE)
        if not page.events:
            return taken
        for event in page.events:
            if not work.going():
                return taken
            if not webhook.takes(event.type):
                continue
            if event.id - 1 > webhook.through:
                webhook = skipped(webhook, event.id - 1, work)
                if webhook is None:
                    return taken
            if not deliver(webhook, event, work):
                return taken
            taken += 1
            webhook = replace(webhook, through=event.id, retry_at=None)
        if page.events[-1].id > webhook.through and skipped(webhook, page.events[-1].id, work) is None:
            return taken
    return taken


def skipped(webhook: Webhook, through: int, work: Delivering) -> Webhook | None:
    """The webhook past events it does not take; None when it changed meanwhile (deleted, replayed)."""
    with work.units() as uow:
        moved = uow.webhooks.advance(webhook, through)
    return replace(webhook, through=through) if moved else None


def deliver(webhook: Webhook, event: FeedEvent, work: Delivering) -> bool:
    """One attempt at delivering the event, recorded; True when the receiver took it (and the webhook moved past it)."""
    with work.units() as uow:
        secret = uow.webhooks.secret_of(webhook.id)
        earlier = uow.deliveries.of(webhook.id, event.id)
    if secret is None:
        return False
    now = work.clock()
    body, headers = signed(event, secret, now)
    outcome = work.sender.post(webhook.url, body, headers)
    retrying = earlier is not None and earlier.state == PENDING
    since = earlier.first_attempt_at if retrying and earlier else now
    attempts = (earlier.attempts if retrying and earlier else 0) + 1
    with work.units() as uow:
        if outcome.taken:
            uow.deliveries.attempted(webhook, event, outcome, at=now, state=DELIVERED, retrying_since=since,
                                     next_attempt_at=None)
            return uow.webhooks.advance(webhook, event.id)
        error = outcome.error or f"answered {outcome.code}"
        next_at = work.schedule.next_attempt(since, attempts, now)
        if next_at is None:
            uow.deliveries.attempted(webhook, event, outcome, at=now, state=FAILED, retrying_since=since,
                                     next_attempt_at=None)
            uow.webhooks.mark_failing(webhook, now, error)
            log.warning("webhook failing", extra={"webhookId": str(webhook.id), "eventId": event.id, "error": error})
        else:
            uow.deliveries.attempted(webhook, event, outcome, at=now, state=PENDING, retrying_since=since,
                                     next_attempt_at=next_at)
            uow.webhooks.retry_at(webhook, next_at, error)
    return False


class Dispatcher:
    """Looks for webhooks with events to deliver (after the relay writes some, and every tick) and gives each to a
    thread of a pool, one task per webhook at a time."""

    def __init__(self, work: Delivering, *, concurrency: int, tick_seconds: float = 1.0,
                 on_delivered: Callable[[int], None] = lambda count: None):
        self._work = work
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="delivery")
        self._tick = tick_seconds
        self._busy: set[ObjectId] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._on_delivered = on_delivered

    def wake(self) -> None:
        """New events were written: look at once."""
        self._wake.set()

    def run(self, stop: threading.Event) -> None:
        """Dispatch until stop is set; then wait for the deliveries under way."""
        try:
            while not stop.is_set():
                if self._work.going():
                    try:
                        self.dispatch()
                    except Exception as error:
                        log.error("could not look for deliveries (%s); trying again", failure(error))
                self._wake.wait(self._tick)
                self._wake.clear()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def dispatch(self) -> None:
        """Start a task for each webhook that is due, has events after the last it was given, and has none running."""
        with self._work.units() as uow:
            due = uow.webhooks.due(self._work.clock())
            lasts = uow.events.lasts_of(list({webhook.reseller_id for webhook in due}))
        for webhook in due:
            if lasts.get(webhook.reseller_id, 0) <= webhook.through:
                continue
            with self._lock:
                if webhook.id in self._busy:
                    continue
                self._busy.add(webhook.id)
            self._pool.submit(self._serve, webhook.id)

    def _serve(self, webhook_id: ObjectId) -> None:
        try:
            self._on_delivered(deliver_due(webhook_id, self._work))
        except Exception as error:
            # Looked at again at the next tick, not at once: the database may be what failed.
            log.error("deliveries to webhook %s failed (%s); trying again", webhook_id, failure(error))
        else:
            # Events the relay wrote while this task ran are looked for now.
            self._wake.set()
        finally:
            with self._lock:
                self._busy.discard(webhook_id)
