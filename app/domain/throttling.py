"""How many failed authentications a reseller name takes before it must wait, from one address and from all."""
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

    def wait(self, failures: Iterable[Failure], client: str, now: datetime, *, is_known: Callable[[], bool]) -> int | None:
        """Seconds before client may try this name again, or None when it may try now.

        is_known tells whether the client authenticated as this reseller lately; it is asked only when the
        ceiling on all addresses is reached.
        """
        recent = sorted((failure for failure in failures if failure.at > now - self.window), key=lambda f: f.at)
        mine = [failure for failure in recent if failure.client == client]
        waits = []
        if len(mine) >= self.per_client:
            waits.append(mine[-self.per_client].at + self.window - now)
        if len(recent) >= self.per_reseller and not is_known():
            waits.append(recent[-self.per_reseller].at + self.window - now)
        if not waits:
            return None
        return max(1, math.ceil(max(waits).total_seconds()))

    def with_failure(self, failures: Iterable[Failure], failure: Failure) -> tuple[Failure, ...]:
        """The failures to keep once failure is counted: those still in the window, at most as many as any limit reads."""
        recent = [kept for kept in failures if kept.at > failure.at - self.window]
        recent.append(failure)
        recent.sort(key=lambda f: f.at)
        return tuple(recent[-self.per_reseller:])
