"""The stored documents: collection and field names, indexes, and the writes that go together."""
import logging
import time

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import ConnectionFailure, DuplicateKeyError, PyMongoError

from app.exceptions import CustomerExists, ResellerExists, ResellerNotFound, UserExists

log = logging.getLogger(__name__)

NEWEST_FIRST = ("createdAt", DESCENDING)
UNIQUE = {"unique": True}
FAILURES_KEPT_SECONDS = 24 * 3600
IDEMPOTENCY_KEPT_SECONDS = 24 * 3600
INDEXES = {
    "resellers": [([("name", ASCENDING)], UNIQUE)],
    "customers": [([("name", ASCENDING)], UNIQUE), ([("resellerId", ASCENDING)], {})],
    "users": [([("username", ASCENDING)], UNIQUE), ([("customerId", ASCENDING)], {})],
    "credit_transactions": [([("customerId", ASCENDING)], {})],
    "audit_events": [([(key, ASCENDING), NEWEST_FIRST], {}) for key in ("resellerId", "customerId", "userId")],
    "idempotency_keys": [
        ([("resellerId", ASCENDING), ("key", ASCENDING)], UNIQUE),
        ([("createdAt", ASCENDING)], {"expireAfterSeconds": IDEMPOTENCY_KEPT_SECONDS}),
    ],
    "authentication_failures": [
        ([("resellerName", ASCENDING), NEWEST_FIRST], {}),
        ([("createdAt", ASCENDING)], {"expireAfterSeconds": FAILURES_KEPT_SECONDS}),
    ],
}
FREE_CREDITS = "FREE_CREDITS"
DUPLICATES = {
    "resellers": (ResellerExists, "name"),
    "customers": (CustomerExists, "name"),
    "users": (UserExists, "username"),
}
TOPOLOGIES_WITH_TRANSACTIONS = {"ReplicaSetWithPrimary", "ReplicaSetNoPrimary", "Sharded", "LoadBalanced"}
SERVERS_WITH_TRANSACTIONS = {"RSPrimary", "RSSecondary", "Mongos", "LoadBalancer"}
TRANSACTION_ATTEMPTS = 5


class Repository:
    """Reads and writes the service's collections in one MongoDB database."""

    def __init__(self, database):
        self.db = database
        self._indexes_ready = False

    def ensure_indexes(self):
        """Create the contract's indexes once per process; creating existing ones is a no-op on the server."""
        if self._indexes_ready:
            return
        for collection, indexes in INDEXES.items():
            for keys, options in indexes:
                self.db[collection].create_index(keys, **options)
        self._indexes_ready = True

    def ping(self):
        """Ask the server for a round trip; raises ConnectionFailure when it does not answer."""
        self.db.command("ping")

    def find_reseller(self, name):
        """Return the reseller named name, or None."""
        return self.db.resellers.find_one({"name": name})

    def customer_belongs_to(self, customer_id, reseller_id):
        """Tell whether the customer with this id exists and belongs to this reseller."""
        # Only _id in the filter: a point lookup on the _id index on every server, whatever its planner.
        found = self.db.customers.find_one({"_id": customer_id}, {"resellerId": 1})
        return found is not None and found["resellerId"] == reseller_id

    def insert_customer(self, customer, *, reseller, origin, created_at, claim=None):
        """Store a new customer and its audit event (and complete the claim); return {"customerId": id}.

        Raises CustomerExists when the name is taken.
        """
        document = self._customer_document(customer, reseller, credits=0, created_at=created_at)
        ids = {"customerId": document["_id"]}
        audit = self._audit("customer.create", reseller, origin, created_at, **ids)
        self._write_together([("customers", document), ("audit_events", audit)], self._completing(claim, ids))
        return ids

    def insert_user(self, user, password_hash, *, customer_id, reseller, origin, created_at, claim=None):
        """Store a new user and its audit event (and complete the claim); return {"customerId", "userId"}.

        Raises UserExists when the username is taken.
        """
        document = self._user_document(user, password_hash, customer_id, reseller, created_at)
        ids = {"customerId": customer_id, "userId": document["_id"]}
        audit = self._audit("user.create", reseller, origin, created_at, **ids)
        self._write_together([("users", document), ("audit_events", audit)], self._completing(claim, ids))
        return ids

    def insert_customer_with_user(
        self, customer, user, password_hash, *, reseller, free_credits, origin, created_at, claim=None
    ):
        """Store a customer, its free-credit entry (free_credits not None), its first user and the audit event
        (and complete the claim), all or nothing; return {"customerId", "userId"}."""
        customer_document = self._customer_document(customer, reseller, credits=free_credits or 0, created_at=created_at)
        customer_id = customer_document["_id"]
        user_document = self._user_document(user, password_hash, customer_id, reseller, created_at)
        writes = [("customers", customer_document)]
        if free_credits is not None:
            credit = {"_id": ObjectId(), "customerId": customer_id, "amount": free_credits, "reason": FREE_CREDITS,
                      "createdAt": created_at}
            writes.append(("credit_transactions", credit))
        writes.append(("users", user_document))
        ids = {"customerId": customer_id, "userId": user_document["_id"]}
        audit = self._audit("customer-user.create", reseller, origin, created_at, **ids)
        self._write_together([*writes, ("audit_events", audit)], self._completing(claim, ids))
        return ids

    def insert_reseller(self, name, password_hash, *, free_credits, origin, created_at):
        """Store a new, active reseller and its audit event; raises ResellerExists when the name is taken."""
        document = {
            "_id": ObjectId(),
            "name": name,
            "passwordHash": password_hash,
            "active": True,
            "freeCredits": free_credits,
            "createdAt": created_at,
            "updatedAt": created_at,
        }
        audit = self._audit("reseller.create", document, origin, created_at)
        self._write_together([("resellers", document), ("audit_events", audit)])

    def update_reseller(self, name, changes, *, action, origin, updated_at):
        """Set fields of the reseller named name, with an audit event; raises ResellerNotFound when there is none."""
        reseller = self.find_reseller(name)
        if reseller is None:
            raise ResellerNotFound(name)
        audit = self._audit(action, reseller, origin, updated_at)
        update = ("resellers", {"_id": reseller["_id"]}, {"$set": {**changes, "updatedAt": updated_at}})
        self._write_together([("audit_events", audit)], [update])

    @staticmethod
    def _customer_document(customer, reseller, *, credits, created_at):
        return {
            "_id": ObjectId(),
            "name": customer.name,
            "resellerId": reseller["_id"],
            "integrationId": customer.integration_id,
            "rotationAlgorithm": customer.rotation_algorithm,
            "billingType": customer.billing_type,
            "moCharge": customer.mo_charge,
            "credits": credits,
            "createdAt": created_at,
        }

    @staticmethod
    def _user_document(user, password_hash, customer_id, reseller, created_at):
        given = {
            "email": user.email,
            "phoneNumber": user.phone_number,
            "virtualNumber": user.virtual_number,
            "contactName": user.contact_name,
            "moPush": user.mo_push,
            "finalStatusPush": user.final_status_push,
        }
        return {
            "_id": ObjectId(),
            "username": user.username,
            "passwordHash": password_hash,
            "customerId": customer_id,
            "resellerId": reseller["_id"],
            **{key: value for key, value in given.items() if value is not None},
            "swappingSourceAddressAllowed": user.swapping_source_address_allowed,
            "createdAt": created_at,
        }

    @staticmethod
    def _audit(action, reseller, origin, created_at, **ids):
        """An audit_events document: what, which reseller, which ids, from where, which request, when."""
        event = {"_id": ObjectId(), "action": action, "resellerId": reseller["_id"], "resellerName": reseller["name"],
                 **ids, "client": origin.client}
        if origin.request_id:
            event["requestId"] = origin.request_id
        event["createdAt"] = created_at
        return event

    @staticmethod
    def _completing(claim, ids):
        """The update that records a claimed Idempotency-Key's answer along with the write it answers for."""
        return [("idempotency_keys", {"_id": claim.id}, {"$set": claim.completion(ids)})] if claim else []

    def _write_together(self, inserts, updates=()):
        """Insert the documents (each with its _id), then apply the updates, all or nothing."""

        def write(session):
            for collection, document in inserts:
                try:
                    self.db[collection].insert_one(document, session=session)
                except DuplicateKeyError:
                    exception, key = DUPLICATES[collection]
                    raise exception(document[key]) from None
            for collection, query, change in updates:
                self.db[collection].update_one(query, change, session=session)

        if self.supports_transactions():
            self._in_transaction(write)
            return
        try:
            write(None)
        except Exception:
            self._undo(inserts)
            raise

    def supports_transactions(self):
        """Tell whether the deployment has transactions: a replica set (even while it elects a primary), a
        sharded cluster, a load balancer, or a direct connection to one of their members."""
        topology = self.db.client.topology_description
        if topology.topology_type_name in TOPOLOGIES_WITH_TRANSACTIONS:
            return True
        servers = topology.server_descriptions().values()
        return any(server.server_type_name in SERVERS_WITH_TRANSACTIONS for server in servers)

    def _in_transaction(self, write):
        """Run write(session) in a transaction, retrying briefly on write conflicts, never on a lost server."""
        with self.db.client.start_session() as session:
            for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
                try:
                    with session.start_transaction():
                        return write(session)
                except PyMongoError as error:
                    transient = error.has_error_label("TransientTransactionError")
                    if not transient or isinstance(error, ConnectionFailure) or attempt == TRANSACTION_ATTEMPTS:
                        raise
                    time.sleep(0.005 * attempt)

    def _undo(self, inserts):
        """On a server without transactions, remove what a failed unit of work had inserted."""
        for collection, document in reversed(inserts):
            try:
                self.db[collection].delete_one({"_id": document["_id"]})
            except PyMongoError:
                log.error("could not undo %s %s of a failed write; remove it by hand", collection, document["_id"])

    def resellers_with_customer_counts(self):
        """Yield each reseller, by name, with the number of its customers; never its hash."""
        for reseller in self.db.resellers.find({}, {"passwordHash": 0}).sort("name", ASCENDING):
            reseller["customers"] = self.db.customers.count_documents({"resellerId": reseller["_id"]})
            yield reseller

    def find_customer(self, name):
        """Return the customer named name, or None."""
        return self.db.customers.find_one({"name": name})

    def find_user(self, username):
        """Return the user with this username, without its password hash, or None."""
        return self.db.users.find_one({"username": username}, {"passwordHash": 0})

    def count_users(self, customer_id):
        """How many users the customer has."""
        return self.db.users.count_documents({"customerId": customer_id})

    def find_by_id(self, collection, document_id, fields):
        """Return the named fields of one document of collection, or None."""
        return self.db[collection].find_one({"_id": document_id}, fields)

    def audit_trail(self, field, value, limit):
        """The newest audit events whose field holds value, newest first."""
        return list(self.db.audit_events.find({field: value}).sort([NEWEST_FIRST, ("_id", DESCENDING)]).limit(limit))

    def recent_failures(self, reseller_name, since, limit):
        """The newest failed authentications for a reseller name since a time: client and time of each."""
        query = {"resellerName": reseller_name, "createdAt": {"$gte": since}}
        return list(self.db.authentication_failures.find(query, {"client": 1, "createdAt": 1}).sort([NEWEST_FIRST]).limit(limit))

    def record_failure(self, reseller_name, client, created_at):
        """Count one failed authentication of a reseller name from a client (kept a day by a TTL index)."""
        self.db.authentication_failures.insert_one({"resellerName": reseller_name, "client": client, "createdAt": created_at})

    def clear_failures(self, failures):
        """Forget failed authentications (as recent_failures returned them), after their client authenticated."""
        self.db.authentication_failures.delete_many({"_id": {"$in": [failure["_id"] for failure in failures]}})

    def claim_idempotency_key(self, reseller_id, key, fingerprint, now, lease_until):
        """Claim a reseller's Idempotency-Key for a request; return (True, claim) or (False, the earlier claim)."""
        claim = {"_id": ObjectId(), "resellerId": reseller_id, "key": key, "fingerprint": fingerprint,
                 "state": "pending", "leaseUntil": lease_until, "createdAt": now}
        for _ in range(2):
            try:
                self.db.idempotency_keys.insert_one(claim)
                return True, claim
            except DuplicateKeyError:
                earlier = self.db.idempotency_keys.find_one({"resellerId": reseller_id, "key": key})
                if earlier is not None:
                    return False, earlier
        return False, self.db.idempotency_keys.find_one({"resellerId": reseller_id, "key": key})

    def take_over_claim(self, earlier, lease_until):
        """Take a pending claim whose request died (its lease ran out); tell whether this request got it."""
        taken = self.db.idempotency_keys.update_one(
            {"_id": earlier["_id"], "state": "pending", "leaseUntil": earlier["leaseUntil"]},
            {"$set": {"leaseUntil": lease_until}},
        )
        return taken.modified_count == 1

    def finish_claim(self, claim_id, answer):
        """Record the answer of a claimed request that changed nothing (an error the caller should see again)."""
        self.db.idempotency_keys.update_one({"_id": claim_id}, {"$set": {"state": "done", **answer}})

    def release_claim(self, claim_id):
        """Give a claim up after a failure that a retry may cure (database unavailable, internal error)."""
        try:
            self.db.idempotency_keys.delete_one({"_id": claim_id, "state": "pending"})
        except PyMongoError:
            log.warning("could not release idempotency claim %s; its lease will run out", claim_id)
