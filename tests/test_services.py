"""The service layer on its own, with an in-memory repository in place of MongoDB."""
from datetime import datetime, timezone

import pytest
from bson import ObjectId

from app import services
from app.exceptions import AuthenticationFailed, CustomerNotFound
from app.model import Credentials, NewUser, Origin, UserRequest
from app.passwords import Hasher
from app.services import FailureLimits

NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)
ORIGIN = Origin(client="192.0.2.1", request_id="r1")
LIMITS = FailureLimits(per_client=10, per_reseller=100, window_seconds=900)


class InMemoryRepository:
    def __init__(self, resellers=(), customers=()):
        self.resellers = {reseller["name"]: reseller for reseller in resellers}
        self.customers = set(customers)
        self.users = []

    def find_reseller(self, name):
        return self.resellers.get(name)

    def recent_failures(self, name, since, limit):
        return []

    def record_failure(self, name, client, created_at):
        pass

    def customer_belongs_to(self, customer_id, reseller_id):
        return (customer_id, reseller_id) in self.customers

    def insert_user(self, user, password_hash, **fields):
        fields["reseller_id"] = fields.pop("reseller")["_id"]
        self.users.append((user, password_hash, fields))
        return {"customerId": fields["customer_id"], "userId": ObjectId()}


class CountingHasher(Hasher):
    def __init__(self):
        super().__init__(time_cost=1, memory_kib=8, parallelism=1)
        self.hashed = 0

    def hash(self, password):
        self.hashed += 1
        return super().hash(password)


@pytest.fixture
def hasher():
    return CountingHasher()


@pytest.fixture
def reseller(hasher):
    return {"_id": ObjectId(), "name": "acme", "passwordHash": hasher.hash("pw"), "active": True, "freeCredits": 10}


def user_request(customer_id, password="pw"):
    return UserRequest(Credentials("acme", password), customer_id, NewUser("u", "user pw", email="a@b.com", phone_number="1"))


def test_a_disabled_reseller_with_the_right_password_is_refused(hasher, reseller):
    repository = InMemoryRepository([{**reseller, "active": False}])
    with pytest.raises(AuthenticationFailed):
        services.authenticate(Credentials("acme", "pw"), ORIGIN, repository=repository, hasher=hasher, clock=lambda: NOW,
                              limits=LIMITS)


def test_an_unknown_reseller_is_refused(hasher):
    with pytest.raises(AuthenticationFailed):
        services.authenticate(Credentials("ghost", "pw"), ORIGIN, repository=InMemoryRepository(), hasher=hasher,
                              clock=lambda: NOW, limits=LIMITS)


def test_a_user_for_a_customer_of_another_reseller_is_refused_before_any_hashing(hasher, reseller):
    someone_elses = ObjectId()
    repository = InMemoryRepository([reseller], customers=[(someone_elses, ObjectId())])
    hasher.hashed = 0
    with pytest.raises(CustomerNotFound):
        services.create_user(reseller, user_request(someone_elses), ORIGIN, repository=repository, hasher=hasher,
                             clock=lambda: NOW)
    assert hasher.hashed == 0 and repository.users == []


def test_a_user_is_stored_with_a_hash_of_its_password_and_the_resellers_ids(hasher, reseller):
    customer_id = ObjectId()
    repository = InMemoryRepository([reseller], customers=[(customer_id, reseller["_id"])])
    services.create_user(reseller, user_request(customer_id), ORIGIN, repository=repository, hasher=hasher,
                         clock=lambda: NOW)
    [(user, password_hash, fields)] = repository.users
    assert hasher.verify(password_hash, "user pw")
    assert fields == {"customer_id": customer_id, "reseller_id": reseller["_id"], "origin": ORIGIN, "created_at": NOW,
                      "claim": None}


def test_credentials_never_show_the_password_in_their_repr():
    assert "secret" not in repr(Credentials("acme", "secret"))
    assert "secret" not in repr(NewUser("u", "secret"))
