"""The OpenAPI document, and schemathesis fuzzing the service against it with valid and invalid data."""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import RESELLER

FUZZ_EXAMPLES = 150


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_generated_request_makes_the_service_fail_or_break_its_document(app, reseller, customer_of, mode):
    known = {**RESELLER, "customerId": customer_of("fuzz-customer")}
    schema = schemathesis.openapi.from_wsgi("/services/rest/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 14
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and operation.method.upper() == "GET":
            continue  # health takes no input to get wrong

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case):
            if isinstance(case.body, dict) and mode is GenerationMode.POSITIVE:
                # Valid requests then get past authentication and the customer lookup, to the database writes.
                case.body.update({key: value for key, value in known.items() if key in case.body or key in RESELLER})
            case.call_and_validate(checks=CHECKS)

        fuzz()


def test_the_document_is_served_and_names_every_endpoint_and_status(client):
    document = client.get("/services/rest/openapi.json").json
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path in ("/services/rest/customer/create", "/services/rest/user/create", "/services/rest/customer-user/create"):
        operation = paths[path]["post"]
        assert set(operation["requestBody"]["content"]) == {
            "application/x-www-form-urlencoded", "multipart/form-data", "application/json"}
        assert {"201", "400", "401", "409", "413", "415", "422", "429", "500", "503"} <= set(operation["responses"])
    statuses = {status for operation in (paths[p]["post"] for p in paths if p.endswith("/create"))
                for response in operation["responses"].values()
                for status in response["content"]["application/json"]["schema"].get("allOf", [{}, {}])[1]
                .get("properties", {}).get("status", {}).get("enum", [])}
    assert statuses == {1, 2, 3, 4, 5, 6, 7, 8, 98, 99}


def test_the_document_is_built_from_the_schemas_the_endpoints_use(client):
    schemas = client.get("/services/rest/openapi.json").json["components"]["schemas"]
    assert schemas["UserCreate"]["properties"]["phoneNumber"]["pattern"] == "^[+ 0-9]*[0-9][+ 0-9]*$"
    assert set(schemas["CustomerUserCreate"]["required"]) == {
        "resellerName", "resellerPassword", "customer", "username", "password", "applyFreeCredits"}
