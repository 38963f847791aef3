"""Suspensions and operator holds: a customer or user suspended by the platform's operators stays suspended until an
operator resumes it; its reseller can suspend and resume only what it suspended itself."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from app.domain.exceptions import SuspendedByOperator
from app.domain.model import BY_OPERATOR, BY_RESELLER, Preview


def held_against(found: Any, active: bool, by: str) -> bool:
    """Whether resuming what was found is refused to the one asking: a reseller's resumption of an operators' hold."""
    return active and not found.active and by == BY_RESELLER and found.suspended_by == BY_OPERATOR


def hold_preview(found: Any, active: bool, by: str) -> Preview:
    """What a suspension (active False) or resumption by a reseller or the operators would make of a customer or
    user: the object as it would become and the fields it would change; SuspendedByOperator when a reseller would
    resume an operators' hold."""
    if held_against(found, active, by):
        raise SuspendedByOperator()
    changes: dict[str, Any] = {}
    if active and not found.active:
        changes = {"active": True, "suspended_by": None}
    elif not active and found.active:
        changes = {"active": False, "suspended_by": by}
    elif not active and by == BY_OPERATOR and found.suspended_by != BY_OPERATOR:
        changes = {"suspended_by": BY_OPERATOR}
    return Preview(replace(found, **changes), tuple(changes))
