"""What `db upgrade` reports while it brings the database to what the service relies on."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Note:
    """Something the upgrade did, found or left alone, in one line."""

    text: str


@dataclass(frozen=True)
class Progress:
    """How far a long step has come: done of total (None while unknown)."""

    task: str
    done: int
    total: int | None
    unit: str = "documents"


UpgradeEvent = Note | Progress
