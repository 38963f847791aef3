"""The changes `db upgrade` makes to documents written by earlier versions, each a backfill (app.adapters.backfills).

- Look-alike keys: every generation of the rules the service writes, on every document, with the rules and Unicode
  version that made them. A key that another document already holds (two names that look alike under newer rules)
  is reported; both documents stand, the later one under a key of its own, and no new name can take that key.
- Change histories kept on documents by earlier versions move to the append-only audit_events.
- Idempotency fingerprints that covered a user's password are dropped (the key stays: a retry is answered as a replay).
- Failed authentications counted on reseller documents by earlier versions are removed (they live in auth_failures).
- Customers and users from before suspensions existed are marked active (so that the lists' filter on active is an
  equality an index serves); suspensions from before operator holds existed are given the side that made them, as
  the audit trail tells it.
"""
from __future__ import annotations

import hashlib
from typing import Any

from bson import ObjectId
from pymongo import UpdateOne
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError, DuplicateKeyError

from app.adapters.backfills import Backfill, Batch
from app.adapters.documents import (
    AUDIT_EVENTS,
    CUSTOMERS,
    FINGERPRINT_VERSION,
    IDEMPOTENCY,
    KEY_RULES,
    KEY_UNICODE,
    LOOKALIKE_KEYS,
    RESELLERS,
    SUSPENDED_BY,
    USERS,
    audit_event_document,
    history_event,
    key_field,
)
from app.adapters.mongo import MAJORITY
from app.domain import names
from app.domain.model import BY_OPERATOR, BY_RESELLER

DUPLICATE_KEY = 11000
# What a key that another document holds becomes on the later document: its own, which no name can make (names
# hold no control character).
CLASH = "\x00"


def lookalike_keys(collection: str) -> Backfill:
    """Give every document of collection its look-alike keys under every generation the service writes."""
    source, base = LOOKALIKE_KEYS[collection]
    fields = [key_field(base, generation) for generation in sorted(names.LOOKALIKE_GENERATIONS)]

    def apply(documents_of: Collection, documents: list[dict[str, Any]]) -> Batch:
        notes: list[str] = []
        made_by = {KEY_RULES: names.LOOKALIKE_RULES, KEY_UNICODE: names.UNICODE_VERSION}
        keyed: list[tuple[dict[str, Any], dict[str, str]]] = []
        for document in documents:
            wanted = {key_field(base, generation): key(document[source])
                      for generation, key in names.LOOKALIKE_GENERATIONS.items()}
            stale = [field for field, key in wanted.items()
                     if field in document and document[field] != key and CLASH not in document[field]]
            if stale:
                notes.append(f"{collection}: {document[source]!r} ({document['_id']}) has a {', '.join(stale)} that "
                             f"these rules make otherwise: a new generation of the rules must replace it")
                continue
            missing = {field: key for field, key in wanted.items() if field not in document}
            if missing or any(document.get(field) != value for field, value in made_by.items()):
                keyed.append((document, missing))
        unguarded = {field for _, missing in keyed for field in missing} - unique_fields(documents_of)
        notes += clashes(documents_of, collection, source, keyed, unguarded)
        writes = [UpdateOne({"_id": document["_id"], **{field: {"$exists": False} for field in missing}},
                            {"$set": {**missing, **made_by}}) for document, missing in keyed]
        try:
            if writes:
                documents_of.bulk_write(writes, ordered=False)
        except BulkWriteError as error:
            # A key taken meanwhile (a unique index refused it): that document gets a key of its own.
            if any(failed["code"] != DUPLICATE_KEY for failed in error.details["writeErrors"]):
                raise
            for failed in error.details["writeErrors"]:
                document, missing = keyed[failed["index"]]
                for field, key in missing.items():
                    notes += set_key(documents_of, collection, source, document, field, key)
                documents_of.update_one({"_id": document["_id"]}, {"$set": made_by})
        return Batch(len(keyed), tuple(notes))

    projection = {source: 1, KEY_RULES: 1, KEY_UNICODE: 1, **dict.fromkeys(fields, 1)}
    generations = "-".join(str(generation) for generation in sorted(names.LOOKALIKE_GENERATIONS))
    return Backfill(f"lookalike-{collection}-g{generations}-u{names.UNICODE_VERSION}",
                    f"{collection}: look-alike keys", collection, projection, apply)


def unique_fields(documents_of: Collection) -> set[str]:
    """The fields a unique index of one field covers on this collection."""
    return {next(iter(info["key"])) for info in documents_of.list_indexes() if info.get("unique") and len(info["key"]) == 1}


def clashes(documents_of: Collection, collection: str, source: str,
            keyed: list[tuple[dict[str, Any], dict[str, str]]], unguarded: set[str]) -> list[str]:
    """Give a key of its own to each document whose missing key another holds (stored, or earlier in the batch), for
    the fields no unique index guards yet (where one does, it refuses the write, and set_key takes over); say which
    it looks like."""
    notes = []
    held: dict[tuple[str, str], Any] = {}
    for field in unguarded:
        wanted = [missing[field] for _, missing in keyed if field in missing]
        held.update({(field, found[field]): found for found in documents_of.find({field: {"$in": wanted}},
                                                                                 {field: 1, source: 1})})
    for document, missing in keyed:
        for field, key in [(field, key) for field, key in missing.items() if field in unguarded]:
            holder = held.get((field, key))
            if holder is not None and holder["_id"] != document["_id"]:
                missing[field] = f"{key}{CLASH}{document['_id']}"
                notes.append(f"{collection}: {document[source]!r} ({document['_id']}) looks like {holder[source]!r} "
                             f"({holder['_id']}); both stand, and no new name can look like them")
            else:
                held[(field, key)] = document
    return notes


def set_key(documents_of: Collection, collection: str, source: str, document: dict[str, Any], field: str,
            key: str) -> list[str]:
    """Give a document its key, or, when another document holds that key, a key of its own; say which it looks like."""
    try:
        documents_of.update_one({"_id": document["_id"], field: {"$exists": False}}, {"$set": {field: key}})
        return []
    except DuplicateKeyError:
        holder = documents_of.find_one({field: key}, {source: 1})
        documents_of.update_one({"_id": document["_id"], field: {"$exists": False}},
                                {"$set": {field: f"{key}{CLASH}{document['_id']}"}})
        held_by = f"{holder[source]!r} ({holder['_id']})" if holder else "another document"
        return [f"{collection}: {document[source]!r} ({document['_id']}) looks like {held_by}; both stand, and no new "
                f"name can look like them"]


def histories(collection: str) -> Backfill:
    """Move the change histories of collection's documents to audit_events (the same events, once each)."""
    owner = {RESELLERS: "reseller", CUSTOMERS: "customer", USERS: "user"}[collection]

    def apply(documents_of: Collection, documents: list[dict[str, Any]]) -> Batch:
        with_history = [document for document in documents if "history" in document]
        if not with_history:
            return Batch(0)
        events = [audit_event_document(history_event(entry), event_id=event_id(document["_id"], number, entry),
                                       **owners(owner, document))
                  for document in with_history for number, entry in enumerate(document["history"])]
        audit = documents_of.database.get_collection(AUDIT_EVENTS, write_concern=MAJORITY)
        if events:
            try:
                audit.insert_many(events, ordered=False)
            except BulkWriteError as error:
                if any(failed["code"] != DUPLICATE_KEY for failed in error.details["writeErrors"]):
                    raise
        documents_of.bulk_write([UpdateOne({"_id": document["_id"]}, {"$unset": {"history": ""}})
                                 for document in with_history], ordered=False)
        return Batch(len(with_history))

    return Backfill(f"histories-{collection}", f"{collection}: change histories to audit_events", collection,
                    {"history": 1, "resellerId": 1, "customerId": 1}, apply)


def owners(owner: str, document: dict[str, Any]) -> dict[str, Any]:
    if owner == "reseller":
        return {"reseller_id": document["_id"]}
    if owner == "customer":
        return {"reseller_id": document["resellerId"], "customer_id": document["_id"]}
    return {"reseller_id": document["resellerId"], "customer_id": document["customerId"], "user_id": document["_id"]}


def event_id(document_id: ObjectId, number: int, entry: dict[str, Any]) -> ObjectId:
    """The same id for the same history entry however often the move runs: its time, a digest of its document, then its
    place in the history (so that entries of one second keep their order)."""
    digest = hashlib.sha256(str(document_id).encode()).digest()[:5]
    return ObjectId(ObjectId.from_datetime(entry["at"]).binary[:4] + digest + number.to_bytes(3, "big"))


def fingerprints(collection: str) -> Backfill:
    """Drop the Idempotency-Key fingerprints earlier versions made over a user's password (user/create and
    customer-user/create); mark the others as made the current way (they covered no password)."""

    def apply(documents_of: Collection, documents: list[dict[str, Any]]) -> Batch:
        writes = []
        for document in documents:
            given = document.get(IDEMPOTENCY)
            if not given or given.get("v") == FINGERPRINT_VERSION:
                continue
            over_a_password = collection == USERS or \
                document.get("createdBy", {}).get("action") == "customer-user.create"
            change = {"$unset": {f"{IDEMPOTENCY}.fingerprint": ""}} if over_a_password else {}
            writes.append(UpdateOne({"_id": document["_id"]},
                                    {**change, "$set": {f"{IDEMPOTENCY}.v": FINGERPRINT_VERSION}}))
        if writes:
            documents_of.bulk_write(writes, ordered=False)
        return Batch(len(writes))

    return Backfill(f"fingerprints-{collection}-v{FINGERPRINT_VERSION}", f"{collection}: Idempotency-Key fingerprints",
                    collection, {IDEMPOTENCY: 1, "createdBy.action": 1}, apply)


def reseller_failures() -> Backfill:
    """Remove the failed authentications earlier versions counted on reseller documents."""

    def apply(documents_of: Collection, documents: list[dict[str, Any]]) -> Batch:
        counted = [UpdateOne({"_id": document["_id"]}, {"$unset": {"authFailures": "", "authFailuresVersion": ""}})
                   for document in documents if "authFailures" in document or "authFailuresVersion" in document]
        if counted:
            documents_of.bulk_write(counted, ordered=False)
        return Batch(len(counted))

    return Backfill("reseller-failures", "resellers: failed authentications to auth_failures", RESELLERS,
                    {"authFailures": 1, "authFailuresVersion": 1}, apply)


def retired_lookalike_keys(collection: str) -> Backfill:
    """Remove the fields of look-alike generations the service no longer writes (their indexes are dropped after)."""
    base = LOOKALIKE_KEYS[collection][1]
    fields = [key_field(base, generation) for generation in names.RETIRED_LOOKALIKE_GENERATIONS]

    def apply(documents_of: Collection, documents: list[dict[str, Any]]) -> Batch:
        holding = [UpdateOne({"_id": document["_id"]}, {"$unset": dict.fromkeys(fields, "")})
                   for document in documents if any(field in document for field in fields)]
        if holding:
            documents_of.bulk_write(holding, ordered=False)
        return Batch(len(holding))

    retired = "-".join(str(generation) for generation in names.RETIRED_LOOKALIKE_GENERATIONS)
    return Backfill(f"retired-lookalike-{collection}-g{retired}", f"{collection}: retired look-alike keys", collection,
                    dict.fromkeys(fields, 1), apply)


# The client an operator's command records in the audit trail begins so (app.cli.common.operator).
OPERATOR_CLIENT = "cli "


def holds(collection: str) -> Backfill:
    """Mark the documents of collection that have no active flag active; give each suspended document without
    suspendedBy the side whose suspension the audit trail records last (an operator's command, or a reseller's
    request), or the operators' when the trail records none (an operator can lift it)."""
    owner, action = ("customerId", "customer.suspend") if collection == CUSTOMERS else ("userId", "user.suspend")

    def suspender(documents_of: Collection, document_id: ObjectId) -> str:
        events = documents_of.database[AUDIT_EVENTS].find({owner: document_id, "action": action}, {"client": 1})
        latest = next(iter(events.sort("_id", -1).limit(1)), None)
        if latest is None:
            return BY_OPERATOR
        return BY_OPERATOR if str(latest.get("client", "")).startswith(OPERATOR_CLIENT) else BY_RESELLER

    def apply(documents_of: Collection, documents: list[dict[str, Any]]) -> Batch:
        writes, ids = [], []
        for document in documents:
            if "active" not in document:
                writes.append(UpdateOne({"_id": document["_id"], "active": {"$exists": False}},
                                        {"$set": {"active": True}}))
                ids.append(document["_id"])
            elif document["active"] is False and SUSPENDED_BY not in document:
                writes.append(UpdateOne({"_id": document["_id"], "active": False, SUSPENDED_BY: {"$exists": False}},
                                        {"$set": {SUSPENDED_BY: suspender(documents_of, document["_id"])}}))
                ids.append(document["_id"])
        if not writes:
            return Batch(0)
        try:
            documents_of.bulk_write(writes, ordered=False)
        except BulkWriteError as error:
            # A document that a unique index being built refuses (SecantusDB refuses any update of a document whose
            # key another holds while the index only refuses new duplicates; mongod does not): reported, and done by
            # the upgrade that runs after the duplicates are resolved.
            failed = error.details["writeErrors"]
            if any(one["code"] != DUPLICATE_KEY for one in failed):
                raise
            return Batch(len(writes) - len(failed), tuple(
                f"{collection}: {ids[one['index']]} not updated yet: {one['errmsg'][:120]}"
                for one in failed))
        return Batch(len(writes))

    return Backfill(f"holds-{collection}", f"{collection}: active flags and who suspended", collection,
                    {"active": 1, SUSPENDED_BY: 1}, apply)


def cleanups() -> list[Backfill]:
    """What is removed once the indexes over it are gone (a field under a unique index cannot be removed before)."""
    retired = (RESELLERS, CUSTOMERS, USERS) if names.RETIRED_LOOKALIKE_GENERATIONS else ()
    return [retired_lookalike_keys(collection) for collection in retired]


def every_backfill() -> list[Backfill]:
    """What fills in documents before the indexes over them are built or retired."""
    return [
        *(lookalike_keys(collection) for collection in (RESELLERS, CUSTOMERS, USERS)),
        *(histories(collection) for collection in (RESELLERS, CUSTOMERS, USERS)),
        *(fingerprints(collection) for collection in (CUSTOMERS, USERS)),
        reseller_failures(),
        *(holds(collection) for collection in (CUSTOMERS, USERS)),
    ]
