"""What every benchmark run starts from: the database as `db upgrade` makes it, a reseller with a customer and a
user, customers to credit, and an API key; made through the service layer, as the CLI and the API make them."""
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass

from bson import ObjectId

from app import create_app
from app.domain.commands import Credentials, CustomerRequest, NewApiKey, NewCustomer, NewUser, UserRequest
from app.domain.model import Origin
from app.service_layer import api_keys, creates, resellers
from scripts.embedded_db import EmbeddedDatabase

RESELLER, PASSWORD = "bench", "bench-secret-1"
BENCH = Origin(client="bench")
CREDITED_CUSTOMERS = 100
UPDATED_USERS = 100


@dataclass(frozen=True)
class Fixture:
    reseller: str
    password: str
    reseller_id: ObjectId
    customer_id: ObjectId
    updated_users: tuple[ObjectId, ...]
    credit_customers: tuple[ObjectId, ...]
    key_id: ObjectId
    api_key: str


def set_up(uri):
    """The bench reseller, its customer, UPDATED_USERS users of it to update in turn and CREDITED_CUSTOMERS customers to
    credit in turn (so that changes do not all queue on one document: two changes of one document conflict, and the
    later one waits and tries again), and an API key; the indexes first."""
    app = create_app({"MONGODB_URI": uri})
    tools = app.extensions["provisioning"]
    list(tools.database_upgrade(rest=0).run())
    credentials = Credentials(RESELLER, PASSWORD)
    with tools.unit_of_work() as uow:
        resellers.create_reseller(RESELLER, PASSWORD, BENCH, free_credits=10, uow=uow, hasher=tools.hasher,
                                  clock=tools.clock)
        reseller = uow.resellers.named(RESELLER)

    # One unit of work each: a unit of work lasts one request's deadline, and a hundred argon2 hashes may not.
    def customer(name):
        with tools.unit_of_work() as uow:
            request = CustomerRequest(credentials, NewCustomer(name))
            return creates.create_customer(reseller, request, BENCH, None, uow=uow, clock=tools.clock).customer_id

    customer_id = customer("bench-customer")

    def user(name):
        with tools.unit_of_work() as uow:
            request = UserRequest(credentials, customer_id, NewUser(name, "user-pw", email="b@example.com",
                                                                    phone_number="1"))
            return creates.create_user(reseller, request, BENCH, None, uow=uow, hasher=tools.hasher,
                                       clock=tools.clock).user_id

    updated = tuple(user(f"bench-user-{number}") for number in range(UPDATED_USERS))
    credited = tuple(customer(f"bench-credited-{number}") for number in range(CREDITED_CUSTOMERS))
    with tools.unit_of_work() as uow:
        key, presented = api_keys.create_key(reseller.id, NewApiKey(credentials, "bench"), BENCH, uow=uow,
                                             clock=tools.clock)
    tools.database.client.close()
    return Fixture(RESELLER, PASSWORD, reseller.id, customer_id, updated, credited, key.id, presented)


def argon2_parameters(settings):
    """The argon2id parameters of the service's settings, as argon2-cffi names them."""
    return {"time_cost": settings["ARGON2_TIME_COST"], "memory_cost": settings["ARGON2_MEMORY_KIB"],
            "parallelism": settings["ARGON2_PARALLELISM"]}


@contextmanager
def bench_database():
    """A fresh SecantusDB in a folder of its own, the URI of the service's database in it, and the bench's fixture
    there; the database stopped at the end."""
    with tempfile.TemporaryDirectory() as storage:
        database = EmbeddedDatabase(storage_path=storage).start()
        uri = database.uri.replace("/?", "/provisioning?")
        try:
            yield database, uri, set_up(uri)
        finally:
            database.stop()
