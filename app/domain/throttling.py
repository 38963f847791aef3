"""How many failed authentications a reseller name takes before it must wait, from one address and from all.

Failures are counted when they happen (a wrong password, an unknown or disabled reseller), never in advance: a
correct password never counts, however many workers check it at once. Guesses checked at the same moment can pass
the limit by at most the number of requests in flight for that name.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.domain.model import Failure

# An address that authenticated as a reseller this recently is that reseller's own: the ceiling on all
# addresses together (against distributed guessing) does not lock it out, only its own per-address limit.
KNOWN_CLIENT_DAYS = 30


@dataclass(frozen=True)
class FailureLimits:
    """Failed authentications a name takes within the window: from one client address, and from all together."""

    per_client: int
    per_reseller: int
    window_seconds: int

    @property
    def window(self) -> timedelta:
        return timedelta(seconds=self.window_seconds)

    def locks(self, failures: Iterable[Failure], now: datetime) -> Locks:
        """Which addresses must wait before they try this name again, and for how long."""
        recent = sorted((failure for failure in failures if failure.at > now - self.window), key=lambda f: f.at)

        def seconds(reached: datetime | None) -> int | None:
            return None if reached is None else max(1, math.ceil((reached + self.window - now).total_seconds()))

        addresses = {}
        for client in sorted({failure.client for failure in recent}):
            wait = seconds(limit_reached_at([f for f in recent if f.client == client], self.per_client))
            if wait is not None:
                addresses[client] = wait
        return Locks(sum(failure.count for failure in recent), seconds(limit_reached_at(recent, self.per_reseller)),
                     addresses)

    def wait(self, failures: Iterable[Failure], client: str, now: datetime, *, is_known: Callable[[], bool]) -> int | None:
        """Seconds before client may try this name again, or None when it may try now.

        is_known tells whether the client authenticated as this reseller lately; it is asked only when the
        ceiling on all addresses is reached.
        """
        recent = sorted((failure for failure in failures if failure.at > now - self.window), key=lambda f: f.at)
        mine = [failure for failure in recent if failure.client == client]
        waits = []
        for counted, limit in ((mine, self.per_client), (recent, self.per_reseller)):
            reached = limit_reached_at(counted, limit)
            if reached is not None and (counted is mine or not is_known()):
                waits.append(reached + self.window - now)
        if not waits:
            return None
        return max(1, math.ceil(max(waits).total_seconds()))


@dataclass(frozen=True)
class Locks:
    """How a reseller name stands with the throttling: its failed authentications within the window, the seconds
    every address but its known ones must wait (None: none must), and the seconds each locked address must wait."""

    failures: int
    everywhere: int | None
    addresses: dict[str, int]


def limit_reached_at(failures: list[Failure], limit: int) -> datetime | None:
    """When the limit-th newest of these failures (oldest first) happened: the window counts it until then plus the
    window; None when there are fewer."""
    seen = 0
    for failure in reversed(failures):
        seen += failure.count
        if seen >= limit:
            return failure.at
    return None
