"""MongoDB: the stored documents and their field names, and every read and write the service makes.

Nothing above this module knows a collection or a stored field name: it hands out and takes domain objects.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, WriteConcern
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, PyMongoError

from app.domain import names
from app.domain.exceptions import CustomerExists, ResellerExists, ResellerNotFound, UserExists
from app.domain.model import (
    AuditEntry,
    CreditEntry,
    Customer,
    Event,
    FailedName,
    Failure,
    IdempotencyKey,
    Origin,
    Page,
    Reseller,
    User,
)

log = logging.getLogger(__name__)

RESELLERS = "resellers"
CUSTOMERS = "customers"
USERS = "users"
CREDIT_TRANSACTIONS = "credit_transactions"
KNOWN_CLIENTS = "reseller_known_clients"
FAILED_NAMES = "failed_reseller_names"
# Writes whose success the service announces wait for a majority of the replica set: an acknowledged create
# survives the failover that follows. Updates are an update then a read of the result, not findAndModify: the same
# two steps on mongod, and SecantusDB's findAndModify scans the whole collection.
MAJORITY = WriteConcern("majority")
HISTORY_KEPT = 100
# A process writes "this client authenticated as that reseller" at most this often per pair.
KNOWN_CLIENT_NOTE_SECONDS = 3600
KNOWN_CLIENT_NOTES_KEPT = 10_000
DUPLICATES = {RESELLERS: ResellerExists, CUSTOMERS: CustomerExists, USERS: UserExists}
WITHOUT_HISTORY = {"history": 0}

CUSTOMER_FIELDS = {
    "integration_id": "integrationId",
    "rotation_algorithm": "rotationAlgorithm",
    "billing_type": "billingType",
    "mo_charge": "moCharge",
    "active": "active",
}
USER_FIELDS = {
    "password_hash": "passwordHash",
    "email": "email",
    "phone_number": "phoneNumber",
    "virtual_number": "virtualNumber",
    "contact_name": "contactName",
    "mo_push": "moPush",
    "final_status_push": "finalStatusPush",
    "swapping_source_address_allowed": "swappingSourceAddressAllowed",
    "active": "active",
}
RESELLER_FIELDS = {"password_hash": "passwordHash", "active": "active", "free_credits": "freeCredits"}
# Optional user fields: absent from the document when not set.
OPTIONAL_USER_FIELDS = ("email", "phone_number", "virtual_number", "contact_name", "mo_push", "final_status_push")
# What an audit event names: the API's parameter names, never a value (and never a password's).
API_NAMES = {**CUSTOMER_FIELDS, **USER_FIELDS, **RESELLER_FIELDS, "password_hash": "password"}


class UndoLog:
    """What a unit of work inserted on a server without transactions, to remove again if it fails."""

    def __init__(self) -> None:
        self.inserted: list[tuple[str, ObjectId]] = []

    def undo(self, database: Database) -> None:
        for collection, document_id in reversed(self.inserted):
            try:
                database[collection].delete_one({"_id": document_id})
            except PyMongoError:
                log.error("could not undo the insert of %s %s; remove it by hand", collection, document_id)


class KnownClientNotes:
    """Which (reseller, client) pairs this process recorded lately, so that it records each at most hourly."""

    def __init__(self, seconds: int = KNOWN_CLIENT_NOTE_SECONDS, kept: int = KNOWN_CLIENT_NOTES_KEPT):
        self._seconds = seconds
        self._kept = kept
        self._noted: OrderedDict[tuple[ObjectId, str], float] = OrderedDict()
        self._lock = threading.Lock()

    def due(self, pair: tuple[ObjectId, str]) -> bool:
        with self._lock:
            noted = self._noted.get(pair)
            return noted is None or time.monotonic() - noted > self._seconds

    def noted(self, pair: tuple[ObjectId, str]) -> None:
        with self._lock:
            self._noted[pair] = time.monotonic()
            self._noted.move_to_end(pair)
            while len(self._noted) > self._kept:
                self._noted.popitem(last=False)


class Collections:
    """The collections, made once: with the client's write concern, and (majority) for writes the service announces."""

    def __init__(self, database: Database):
        self.resellers = database[RESELLERS]
        self.customers = database[CUSTOMERS]
        self.users = database[USERS]
        self.known_clients = database[KNOWN_CLIENTS]
        self.failed_names = database[FAILED_NAMES]
        self.majority = {name: database.get_collection(name, write_concern=MAJORITY)
                         for name in (RESELLERS, CUSTOMERS, USERS, CREDIT_TRANSACTIONS)}


class MongoRepository:
    """Reads and writes the service's collections; bound to a session (transaction) or an undo log when given."""

    def __init__(self, database: Database, *, session: ClientSession | None = None, undo: UndoLog | None = None,
                 notes: KnownClientNotes | None = None, collections: Collections | None = None):
        self.db = database
        self._session = session
        self._undo = undo
        self._notes = notes or KnownClientNotes()
        self._c = collections or Collections(database)

    def bound(self, *, session: ClientSession | None = None, undo: UndoLog | None = None) -> MongoRepository:
        """The same repository, its writes in this session's transaction or recorded in this undo log."""
        return MongoRepository(self.db, session=session, undo=undo, notes=self._notes, collections=self._c)

    def ping(self) -> None:
        """Ask the server for a round trip; raises ConnectionFailure when it does not answer."""
        self.db.command("ping")

    def _insert(self, collection: str, document: dict[str, Any]) -> None:
        try:
            self._c.majority[collection].insert_one(document, session=self._session)
        except DuplicateKeyError:
            raise DUPLICATES[collection](document.get("name") or document.get("username")) from None
        if self._undo is not None:
            self._undo.inserted.append((collection, document["_id"]))

    # Resellers, and the failed authentications of names.

    def reseller_named(self, name: str) -> Reseller | None:
        """The reseller of this name, with its failed authentications lately, or None."""
        # No projection: a reseller's history holds only operators' commands (at most HISTORY_KEPT), and leaving it
        # out would cost every request more than reading it does.
        document = self._c.resellers.find_one({"name": name}, session=self._session)
        return reseller_from(document) if document else None

    def failed_name(self, name: str) -> FailedName:
        """The failed authentications lately of a name that is no reseller's."""
        document = self._c.failed_names.find_one({"_id": name}, session=self._session)
        if document is None:
            return FailedName(name)
        return FailedName(name, failures_from(document), document["failuresVersion"])

    def count_failure(self, counted: Reseller | FailedName, failures: tuple[Failure, ...], expires_at: datetime) -> bool:
        """Store failures in place of the ones counted was read with; False when they changed meanwhile.

        The version read is compared inside the update (the filter is the _id alone, which every planner serves
        by its index), so that reading, checking and counting are one atomic step.
        """
        stored_failures = [{"client": f.client, "at": f.at} for f in failures]
        if isinstance(counted, Reseller):
            changed = self._c.resellers.update_one({"_id": counted.id}, only_at_version(
                counted.failures_version, "authFailuresVersion", {"authFailures": stored_failures}))
            return changed.modified_count == 1
        try:
            changed = self._c.failed_names.update_one({"_id": counted.name}, only_at_version(
                counted.failures_version, "failuresVersion", {"failures": stored_failures, "expiresAt": expires_at}),
                upsert=True)
        except DuplicateKeyError:
            return False
        return changed.modified_count == 1 or changed.upserted_id is not None

    def forget_failures(self, reseller_id: ObjectId, client: str | None = None, event: Event | None = None) -> None:
        """Forget a reseller name's failed authentications from client (from every client when None), recording the
        event when one is given (an operator's unlock)."""
        removed: dict[str, Any] = {"$pull": {"authFailures": {"client": client}}} if client else \
            {"$set": {"authFailures": []}}
        self._c.resellers.update_one({"_id": reseller_id}, {**removed, "$inc": {"authFailuresVersion": 1},
                                                           **(history_push(event) if event else {})})

    def note_known_client(self, reseller_id: ObjectId, client: str, at: datetime) -> None:
        """Record that client authenticated as this reseller (at most hourly per pair and process)."""
        pair = (reseller_id, client)
        if not self._notes.due(pair):
            return
        self._c.known_clients.update_one({"resellerId": reseller_id, "client": client}, {"$set": {"at": at}},
                                          upsert=True)
        self._notes.noted(pair)

    def is_known_client(self, reseller_id: ObjectId, client: str, since: datetime) -> bool:
        """Tell whether client authenticated as this reseller since then."""
        found = self._c.known_clients.find_one({"resellerId": reseller_id, "client": client})
        return found is not None and found["at"] >= since

    def add_reseller(self, reseller: Reseller, created: Event) -> None:
        """Store a new reseller; raises ResellerExists when the name, or one that looks the same, is taken."""
        self._insert(RESELLERS, {
            "_id": reseller.id,
            "name": reseller.name,
            "nameKey": names.lookalike_key(reseller.name),
            "passwordHash": reseller.password_hash,
            "active": reseller.active,
            "freeCredits": reseller.free_credits,
            "createdAt": created.at,
            "updatedAt": created.at,
            "createdBy": creation_record(created),
        })

    def change_reseller(self, name: str, changes: dict[str, Any], event: Event) -> None:
        """Set fields of the reseller of this name and record the event; raises ResellerNotFound."""
        stored = {RESELLER_FIELDS[key]: value for key, value in changes.items()}
        changed = self._c.majority[RESELLERS].update_one(
            {"name": name}, {"$set": {**stored, "updatedAt": event.at}, **history_push(event)})
        if changed.matched_count == 0:
            raise ResellerNotFound(name)

    def resellers_with_customer_counts(self) -> Iterator[tuple[Reseller, int]]:
        """Each reseller, by name, with the number of its customers."""
        for document in self._c.resellers.find({}, WITHOUT_HISTORY).sort("name", ASCENDING):
            yield reseller_from(document), self._c.customers.count_documents({"resellerId": document["_id"]})

    def reseller_by_id(self, reseller_id: ObjectId) -> Reseller | None:
        document = self._c.resellers.find_one({"_id": reseller_id}, WITHOUT_HISTORY)
        return reseller_from(document) if document else None

    # Customers.

    def add_customer(self, customer: Customer) -> None:
        """Store a new customer; raises CustomerExists when its name, or one that looks the same, is taken."""
        document = {
            "_id": customer.id,
            "name": customer.name,
            "nameKey": names.lookalike_key(customer.name),
            "resellerId": customer.reseller_id,
            "integrationId": customer.integration_id,
            "rotationAlgorithm": customer.rotation_algorithm,
            "billingType": customer.billing_type,
            "moCharge": customer.mo_charge,
            "credits": customer.credits,
            "active": customer.active,
            "createdAt": customer.created.at,
            "createdBy": creation_record(customer.created),
        }
        if customer.idempotency:
            document["idempotency"] = {"key": customer.idempotency.key, "fingerprint": customer.idempotency.fingerprint}
        self._insert(CUSTOMERS, document)

    def add_credit(self, entry: CreditEntry) -> None:
        self._insert(CREDIT_TRANSACTIONS, {"_id": entry.id, "customerId": entry.customer_id, "amount": entry.amount,
                                           "reason": entry.reason, "createdAt": entry.at})

    def customer_name_taken(self, name: str) -> bool:
        """Tell whether a customer has this name, or one that looks the same."""
        return self._c.customers.find_one({"nameKey": names.lookalike_key(name)}, {"_id": 1}) is not None

    def customer_of(self, reseller_id: ObjectId, customer_id: ObjectId) -> Customer | None:
        """The customer with this id if it belongs to this reseller, else None."""
        document = self._c.customers.find_one({"_id": customer_id, "resellerId": reseller_id}, WITHOUT_HISTORY,
                                              session=self._session)
        return customer_from(document) if document else None

    def customer_with_key(self, reseller_id: ObjectId, key: str) -> Customer | None:
        """The customer a request with this Idempotency-Key of this reseller created, or None."""
        document = first(self._c.customers.find(*keyed(reseller_id, key)).hint(IDEMPOTENCY_INDEX).limit(1))
        return customer_from(document) if document else None

    def customers_named_or_with_id(self, name_or_id: str) -> list[Customer]:
        """For operators: the customer with this id, then a different one with this name (at most two)."""
        return [customer_from(document) for document in self._named_or_with_id(CUSTOMERS, "name", name_or_id,
                                                                                WITHOUT_HISTORY)]

    def customers_of(self, reseller_id: ObjectId, after: ObjectId | None, limit: int) -> Page:
        """A page of the reseller's customers in creation order, after the customer with id after."""
        query = {"resellerId": reseller_id, **after_id(after)}
        return page(self._c.customers.find(query, WITHOUT_HISTORY).sort("_id", ASCENDING).limit(limit + 1),
                    customer_from, limit)

    def change_customer(self, reseller_id: ObjectId, customer_id: ObjectId, changes: dict[str, Any],
                        event: Event) -> Customer | None:
        """Set fields of the reseller's customer and record the event; the customer as changed, or None."""
        stored = {CUSTOMER_FIELDS[key]: value for key, value in changes.items()}
        changed = self._c.majority[CUSTOMERS].update_one({"_id": customer_id, "resellerId": reseller_id},
                                                         {"$set": stored, **history_push(event)})
        return self.customer_of(reseller_id, customer_id) if changed.matched_count else None

    def set_customer_active(self, reseller_id: ObjectId, customer_id: ObjectId, active: bool,
                            event: Event) -> Customer | None:
        """Suspend or resume the reseller's customer, recording it only if it was the other way; the customer as it
        now is, or None."""
        self._c.majority[CUSTOMERS].update_one({"_id": customer_id, "resellerId": reseller_id, **other_way(active)},
                                               {"$set": {"active": active}, **history_push(event)})
        return self.customer_of(reseller_id, customer_id)

    def count_users(self, customer_id: ObjectId) -> int:
        """How many users the customer has."""
        return self._c.users.count_documents({"customerId": customer_id})

    # Users.

    def add_user(self, user: User) -> None:
        """Store a new user; raises UserExists when its username, or one that looks the same, is taken."""
        document = {
            "_id": user.id,
            "username": user.username,
            "usernameKey": names.lookalike_key(user.username),
            "passwordHash": user.password_hash,
            "customerId": user.customer_id,
            "resellerId": user.reseller_id,
            **{USER_FIELDS[key]: getattr(user, key) for key in OPTIONAL_USER_FIELDS if getattr(user, key) is not None},
            "swappingSourceAddressAllowed": user.swapping_source_address_allowed,
            "active": user.active,
            "createdAt": user.created.at,
            "createdBy": creation_record(user.created),
        }
        if user.idempotency:
            document["idempotency"] = {"key": user.idempotency.key, "fingerprint": user.idempotency.fingerprint}
        self._insert(USERS, document)

    def username_taken(self, username: str) -> bool:
        """Tell whether a user has this username, or one that looks the same."""
        return self._c.users.find_one({"usernameKey": names.lookalike_key(username)}, {"_id": 1}) is not None

    def user_of(self, reseller_id: ObjectId, *, user_id: ObjectId | None = None, username: str | None = None) -> User | None:
        """The user with this id or username if it belongs to this reseller, else None."""
        if user_id is not None:
            document = self._c.users.find_one({"_id": user_id, "resellerId": reseller_id}, WITHOUT_SECRETS)
        else:
            # By its unique username alone (served by that index on every server), then checked for its reseller.
            document = self._c.users.find_one({"username": names.as_stored(username or "")}, WITHOUT_SECRETS)
        return user_from(document) if document and document["resellerId"] == reseller_id else None

    def user_with_key(self, reseller_id: ObjectId, key: str) -> User | None:
        """The user a request with this Idempotency-Key of this reseller created, or None."""
        document = first(self._c.users.find(*keyed(reseller_id, key)).hint(IDEMPOTENCY_INDEX).limit(1))
        return user_from(document) if document else None

    def users_named_or_with_id(self, name_or_id: str) -> list[User]:
        """For operators: the user with this id, then a different one with this username (at most two)."""
        return [user_from(document) for document in self._named_or_with_id(USERS, "username", name_or_id,
                                                                            WITHOUT_SECRETS)]

    def _named_or_with_id(self, collection: str, name_field: str, name_or_id: str,
                          projection: dict[str, Any]) -> list[dict[str, Any]]:
        # The id first: a reseller chooses names, and one could name a customer after another customer's id.
        filters: list[dict[str, Any]] = [{"_id": ObjectId(name_or_id)}] if ObjectId.is_valid(name_or_id) else []
        filters.append({name_field: names.as_stored(name_or_id)})
        found: list[dict[str, Any]] = []
        for document in (self.db[collection].find_one(by, projection) for by in filters):
            if document is not None and all(document["_id"] != other["_id"] for other in found):
                found.append(document)
        return found

    def users_of(self, reseller_id: ObjectId, after: ObjectId | None, limit: int, *,
                 customer_id: ObjectId | None = None) -> Page:
        """A page of the reseller's users (or of one customer's) in creation order, after the user with id after."""
        owner = {"customerId": customer_id} if customer_id is not None else {"resellerId": reseller_id}
        cursor = self._c.users.find({**owner, **after_id(after)}, WITHOUT_SECRETS).sort("_id", ASCENDING)
        return page(cursor.limit(limit + 1), user_from, limit)

    def change_user(self, reseller_id: ObjectId, user_id: ObjectId, changes: dict[str, Any], event: Event) -> User | None:
        """Set (None: remove) fields of the reseller's user and record the event; the user as changed, or None."""
        update: dict[str, Any] = history_push(event)
        given = {USER_FIELDS[key]: value for key, value in changes.items() if value is not None}
        cleared = {USER_FIELDS[key]: "" for key, value in changes.items() if value is None}
        if given:
            update["$set"] = given
        if cleared:
            update["$unset"] = cleared
        changed = self._c.majority[USERS].update_one({"_id": user_id, "resellerId": reseller_id}, update)
        return self.user_of(reseller_id, user_id=user_id) if changed.matched_count else None

    def set_user_active(self, reseller_id: ObjectId, user_id: ObjectId, active: bool, event: Event) -> User | None:
        """Suspend or resume the reseller's user, recording it only if it was the other way; the user as it now is,
        or None."""
        self._c.majority[USERS].update_one({"_id": user_id, "resellerId": reseller_id, **other_way(active)},
                                           {"$set": {"active": active}, **history_push(event)})
        return self.user_of(reseller_id, user_id=user_id)

    # The audit trail: creation records and change histories, kept on the documents themselves.

    def customer_trail(self, customer_id: ObjectId, limit: int) -> list[AuditEntry]:
        """The customer's creation and changes, and its users' creations (the newest limit of those)."""
        document = self._c.customers.find_one({"_id": customer_id}, {"history": 1, "createdAt": 1, "createdBy": 1,
                                                                     "resellerId": 1})
        if document is None:
            return []
        trail = document_trail(document, customer_id=customer_id)
        users = self._c.users.find({"customerId": customer_id}, TRAIL_FIELDS).sort("_id", DESCENDING).limit(limit)
        return trail + [creation_entry(user, user_id=user["_id"], customer_id=customer_id) for user in users]

    def user_trail(self, user_id: ObjectId) -> list[AuditEntry]:
        """The user's creation and changes."""
        document = self._c.users.find_one({"_id": user_id}, {"history": 1, "createdAt": 1, "createdBy": 1,
                                                             "resellerId": 1, "customerId": 1})
        if document is None:
            return []
        return document_trail(document, customer_id=document["customerId"], user_id=user_id)

    def reseller_trail(self, reseller_id: ObjectId, limit: int) -> list[AuditEntry]:
        """The reseller's creation and commands, and the newest limit customers and users it created."""
        document = self._c.resellers.find_one({"_id": reseller_id}, {"history": 1, "createdAt": 1, "createdBy": 1})
        if document is None:
            return []
        trail = document_trail({**document, "resellerId": reseller_id})
        customers = self._c.customers.find({"resellerId": reseller_id}, TRAIL_FIELDS).sort("_id", DESCENDING).limit(limit)
        trail += [creation_entry(customer, customer_id=customer["_id"]) for customer in customers]
        users = self._c.users.find({"resellerId": reseller_id}, TRAIL_FIELDS).sort("_id", DESCENDING).limit(limit)
        trail += [creation_entry(user, customer_id=user["customerId"], user_id=user["_id"]) for user in users]
        return trail


IDEMPOTENCY_INDEX = "resellerId_1_idempotency.key_1"
WITHOUT_SECRETS = {"history": 0, "passwordHash": 0}
TRAIL_FIELDS = {"createdAt": 1, "createdBy": 1, "resellerId": 1, "customerId": 1}


def keyed(reseller_id: ObjectId, key: str) -> tuple[dict[str, Any], dict[str, int]]:
    """The filter and projection of the document a reseller's Idempotency-Key is on."""
    return {"resellerId": reseller_id, "idempotency.key": key}, WITHOUT_SECRETS


def only_at_version(version: int, version_field: str, values: dict[str, Any]) -> list[dict[str, Any]]:
    """An update pipeline that sets values and the next version, but only on a document still at version."""
    still: dict[str, Any] = {"$eq": [{"$ifNull": [f"${version_field}", 0]}, version]}
    changes: dict[str, Any] = {name: {"$cond": [still, {"$literal": value}, f"${name}"]} for name, value in values.items()}
    changes[version_field] = {"$cond": [still, version + 1, f"${version_field}"]}
    return [{"$set": changes}]


def other_way(active: bool) -> dict[str, Any]:
    """The filter of a document whose active flag is not yet active (documents without one count as active)."""
    return {"active": False} if active else {"active": {"$ne": False}}


def first(cursor: Any) -> dict[str, Any] | None:
    return next(iter(cursor), None)


def after_id(after: ObjectId | None) -> dict[str, Any]:
    return {"_id": {"$gt": after}} if after is not None else {}


def page(cursor: Any, build: Any, limit: int) -> Page:
    """A page of at most limit items from a cursor asked for one more, which tells whether another page follows."""
    items = [build(document) for document in cursor]
    more = len(items) > limit
    items = items[:limit]
    return Page(tuple(items), items[-1].id if more else None)


def creation_record(created: Event) -> dict[str, Any]:
    record = {"action": created.action, "client": created.origin.client}
    if created.origin.request_id:
        record["requestId"] = created.origin.request_id
    return record


def history_push(event: Event) -> dict[str, Any]:
    """The $push that records an event in a document's history, which keeps the newest HISTORY_KEPT."""
    entry = {"action": event.action, "at": event.at, "client": event.origin.client,
             "fields": sorted(API_NAMES.get(name, name) for name in event.fields)}
    if event.origin.request_id:
        entry["requestId"] = event.origin.request_id
    return {"$push": {"history": {"$each": [entry], "$slice": -HISTORY_KEPT}}}


def creation_event(document: dict[str, Any], default_action: str) -> Event:
    created_by = document.get("createdBy", {})
    origin = Origin(created_by.get("client", "unknown"), created_by.get("requestId"))
    return Event(created_by.get("action", default_action), document["createdAt"], origin)


def creation_entry(document: dict[str, Any], *, customer_id: ObjectId | None = None,
                   user_id: ObjectId | None = None) -> AuditEntry:
    action = "user.create" if user_id is not None else "customer.create"
    return AuditEntry(creation_event(document, action), document["resellerId"], customer_id, user_id)


def document_trail(document: dict[str, Any], *, customer_id: ObjectId | None = None,
                   user_id: ObjectId | None = None) -> list[AuditEntry]:
    """A document's creation and the changes in its history, as audit entries."""
    default = "user.create" if user_id else "customer.create" if customer_id else "reseller.create"
    trail = [AuditEntry(creation_event(document, default), document["resellerId"], customer_id, user_id)]
    for entry in document.get("history", []):
        event = Event(entry["action"], entry["at"], Origin(entry["client"], entry.get("requestId")),
                      tuple(entry.get("fields", ())))
        trail.append(AuditEntry(event, document["resellerId"], customer_id, user_id))
    return trail


def failures_from(document: dict[str, Any], field: str = "failures") -> tuple[Failure, ...]:
    return tuple(Failure(failure["client"], failure["at"]) for failure in document.get(field, ()))


def reseller_from(document: dict[str, Any]) -> Reseller:
    return Reseller(
        id=document["_id"],
        name=document["name"],
        password_hash=document["passwordHash"],
        active=document["active"],
        free_credits=document["freeCredits"],
        created_at=document["createdAt"],
        failures=failures_from(document, "authFailures"),
        failures_version=document.get("authFailuresVersion", 0),
    )


def idempotency_from(document: dict[str, Any]) -> IdempotencyKey | None:
    given = document.get("idempotency")
    return IdempotencyKey(given["key"], given["fingerprint"]) if given else None


def customer_from(document: dict[str, Any]) -> Customer:
    return Customer(
        id=document["_id"],
        name=document["name"],
        reseller_id=document["resellerId"],
        integration_id=document["integrationId"],
        rotation_algorithm=document["rotationAlgorithm"],
        billing_type=document["billingType"],
        mo_charge=document["moCharge"],
        credits=document["credits"],
        # Documents from before suspensions existed count as active.
        active=document.get("active", True),
        created=creation_event(document, "customer.create"),
        idempotency=idempotency_from(document),
    )


def user_from(document: dict[str, Any]) -> User:
    return User(
        id=document["_id"],
        username=document["username"],
        customer_id=document["customerId"],
        reseller_id=document["resellerId"],
        created=creation_event(document, "user.create"),
        **{key: document[USER_FIELDS[key]] for key in OPTIONAL_USER_FIELDS if USER_FIELDS[key] in document},
        swapping_source_address_allowed=document.get("swappingSourceAddressAllowed", False),
        active=document.get("active", True),
        idempotency=idempotency_from(document),
    )
