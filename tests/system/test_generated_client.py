"""A Python client generated from the OpenAPI document with openapi-python-client works against a real server."""
import importlib
import json
import subprocess
import sys

import pytest
from bson import ObjectId

from app.web import openapi
from tests.support.apps import CHEAP_ARGON2
from tests.support.servers import Gunicorn, tool

CREDENTIALS = {"reseller_name": "generated", "reseller_password": "generated-client secret"}
PACKAGE = "provisioning_client"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The client package generated from the document, importable; the generator may warn about nothing."""
    folder = tmp_path_factory.mktemp("generated")
    document = folder / "openapi.json"
    document.write_text(json.dumps(openapi.document()))
    # No post-hooks: the generated code is used as generated, not formatted.
    config = folder / "config.json"
    config.write_text(json.dumps({"post_hooks": [], "package_name_override": PACKAGE}))
    generator = tool("openapi-python-client", "make install")
    command = [generator, "generate", "--path", str(document), "--config", str(config), "--meta", "none",
               "--output-path", str(folder / PACKAGE), "--fail-on-warning"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(folder))
    yield importlib.import_module(PACKAGE)
    sys.path.remove(str(folder))
    for name in [name for name in sys.modules if name == PACKAGE or name.startswith(PACKAGE + ".")]:
        del sys.modules[name]


@pytest.fixture(scope="module")
def server(database_uri):
    with Gunicorn(MONGODB_URI=database_uri, **CHEAP_ARGON2) as gunicorn:
        yield gunicorn


@pytest.fixture
def api(generated, server, make_reseller):
    """The generated package's client of the server, for a reseller of its own."""
    make_reseller(CREDENTIALS["reseller_name"], CREDENTIALS["reseller_password"])
    return generated.Client(base_url=server.url(""), raise_on_unexpected_status=True)


def create(module, api, body):
    """Call a create through the generated client; its answer must be 201."""
    response = module.sync_detailed(client=api, body=body)
    assert response.status_code == 201, response.content
    return response.parsed


def test_a_generated_client_creates_a_customer(generated, api, db):
    from provisioning_client.api.customers import customer_create
    from provisioning_client.models import BillingType, CustomerCreate

    answer = create(customer_create, api, CustomerCreate(**CREDENTIALS, name="generated-shop",
                                                         billing_type=BillingType.PRE_PAID, mo_charge=42))

    stored = db.customers.find_one({"_id": ObjectId(answer.id)})
    assert (stored["name"], stored["billingType"], stored["moCharge"]) == ("generated-shop", "PRE_PAID", 42)


def test_a_generated_client_creates_a_user_of_a_customer(generated, api, db):
    from provisioning_client.api.customers import customer_create
    from provisioning_client.api.users import user_create
    from provisioning_client.models import CustomerCreate, UrlPush, UrlPushData, UrlPushType, UserCreate

    customer = create(customer_create, api, CustomerCreate(**CREDENTIALS, name="generated-users")).id
    push = UrlPush(type_=UrlPushType.URL, data=UrlPushData(url="https://push.example.com/mo"))
    answer = create(user_create, api, UserCreate(**CREDENTIALS, username="generated-user", password="user-Pa55",
                                                 customer_id=customer, email="john@doe.com",
                                                 phone_number="+48 999 444 111", mo_push=push,
                                                 swapping_source_address_allowed=True))

    stored = db.users.find_one({"_id": ObjectId(answer.id)})
    assert stored["customerId"] == ObjectId(customer)
    assert stored["moPush"] == {"type": "URL", "data": {"url": "https://push.example.com/mo"}}
    assert stored["swappingSourceAddressAllowed"] is True


def test_a_generated_client_creates_a_customer_with_its_user(generated, api, db):
    from provisioning_client.api.customers import customer_user_create
    from provisioning_client.models import CustomerUserCreate

    answer = create(customer_user_create, api, CustomerUserCreate(
        **CREDENTIALS, customer="1212412@generated", username="1212412@generated", password="app-Pa55",
        phone_number="999444111", apply_free_credits=True))

    user = db.users.find_one({"_id": ObjectId(answer.id)})
    assert user["customerId"] == ObjectId(answer.customer_id)
    assert db.customers.find_one({"_id": ObjectId(answer.customer_id)})["name"] == "1212412@generated"
