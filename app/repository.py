"""The stored documents: collection and field names, indexes, and the writes that go together."""
import logging
import time

from bson import ObjectId
from pymongo import ASCENDING
from pymongo.errors import ConnectionFailure, DuplicateKeyError, PyMongoError

from app.exceptions import CustomerExists, ResellerExists, ResellerNotFound, UserExists

log = logging.getLogger(__name__)

INDEXES = {
    "resellers": [("name", True)],
    "customers": [("name", True), ("resellerId", False)],
    "users": [("username", True), ("customerId", False)],
    "credit_transactions": [("customerId", False)],
}
FREE_CREDITS = "FREE_CREDITS"
SERVERS_WITH_TRANSACTIONS = {"RSPrimary", "Mongos", "LoadBalancer"}
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
        for collection, keys in INDEXES.items():
            for key, unique in keys:
                self.db[collection].create_index([(key, ASCENDING)], unique=unique)
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

    def insert_customer(self, customer, *, reseller_id, created_at, credits=0, customer_id=None, session=None):
        """Store a new customer and return its id; raises CustomerExists when the name is taken."""
        document = {
            "_id": customer_id or ObjectId(),
            "name": customer.name,
            "resellerId": reseller_id,
            "integrationId": customer.integration_id,
            "rotationAlgorithm": customer.rotation_algorithm,
            "billingType": customer.billing_type,
            "moCharge": customer.mo_charge,
            "credits": credits,
            "createdAt": created_at,
        }
        try:
            self.db.customers.insert_one(document, session=session)
        except DuplicateKeyError:
            raise CustomerExists(customer.name) from None
        return document["_id"]

    def insert_user(self, user, password_hash, *, customer_id, reseller_id, created_at, session=None):
        """Store a new user and return its id; raises UserExists when the username is taken."""
        document = {
            "username": user.username,
            "passwordHash": password_hash,
            "customerId": customer_id,
            "resellerId": reseller_id,
            "email": user.email,
            "phoneNumber": user.phone_number,
            "virtualNumber": user.virtual_number,
            "contactName": user.contact_name,
            "moPush": user.mo_push,
            "finalStatusPush": user.final_status_push,
        }
        document = {key: value for key, value in document.items() if value is not None}
        document["swappingSourceAddressAllowed"] = user.swapping_source_address_allowed
        document["createdAt"] = created_at
        try:
            result = self.db.users.insert_one(document, session=session)
        except DuplicateKeyError:
            raise UserExists(user.username) from None
        return result.inserted_id

    def insert_customer_with_user(self, customer, user, password_hash, *, reseller_id, free_credits, created_at):
        """Store a customer, its free-credit entry (free_credits not None) and its first user, all or nothing."""

        def write(session):
            customer_id = self.insert_customer(
                customer,
                reseller_id=reseller_id,
                created_at=created_at,
                credits=free_credits or 0,
                customer_id=planned_customer_id,
                session=session,
            )
            if free_credits is not None:
                self.db.credit_transactions.insert_one(
                    {"customerId": customer_id, "amount": free_credits, "reason": FREE_CREDITS, "createdAt": created_at},
                    session=session,
                )
            user_id = self.insert_user(
                user,
                password_hash,
                customer_id=customer_id,
                reseller_id=reseller_id,
                created_at=created_at,
                session=session,
            )
            return customer_id, user_id

        planned_customer_id = ObjectId()
        if self.supports_transactions():
            return self._in_transaction(write)
        try:
            return write(None)
        except Exception:
            self._remove_customer(planned_customer_id)
            raise

    def supports_transactions(self):
        """Tell whether the server already talked to is a replica-set primary, a mongos or a load balancer."""
        servers = self.db.client.topology_description.server_descriptions().values()
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

    def _remove_customer(self, customer_id):
        """Undo a customer whose user could not be stored, on a server without transactions."""
        try:
            self.db.credit_transactions.delete_many({"customerId": customer_id})
            self.db.customers.delete_one({"_id": customer_id})
        except PyMongoError:
            log.error("could not remove customer %s after its user failed; remove it by hand", customer_id)

    def insert_reseller(self, name, password_hash, *, free_credits, created_at):
        """Store a new, active reseller; raises ResellerExists when the name is taken."""
        try:
            self.db.resellers.insert_one(
                {
                    "name": name,
                    "passwordHash": password_hash,
                    "active": True,
                    "freeCredits": free_credits,
                    "createdAt": created_at,
                    "updatedAt": created_at,
                }
            )
        except DuplicateKeyError:
            raise ResellerExists(name) from None

    def update_reseller(self, name, changes, *, updated_at):
        """Set fields of the reseller named name; raises ResellerNotFound when there is none."""
        result = self.db.resellers.update_one({"name": name}, {"$set": {**changes, "updatedAt": updated_at}})
        if result.matched_count == 0:
            raise ResellerNotFound(name)

    def resellers_with_customer_counts(self):
        """Yield each reseller, by name, with the number of its customers; never its hash."""
        for reseller in self.db.resellers.find({}, {"passwordHash": 0}).sort("name", ASCENDING):
            reseller["customers"] = self.db.customers.count_documents({"resellerId": reseller["_id"]})
            yield reseller
