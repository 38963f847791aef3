"""The OpenAPI document, and schemathesis fuzzing the service against it with valid and invalid data."""
import copy
import re
import uuid

import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.formats import unregister_string_format

from app.domain import text
from app.web import fields, patterns
from app.web.endpoint import api
from app.web.schemas.users import CLEARABLE
from tests.support.apps import RESELLER, app_for

FUZZ_EXAMPLES = 60
# The document's format for names of one writing system, as schemathesis is to draw them. None has "@": a name with
# one must end with "@" and the caller's reseller name, which no schema can say.
SINGLE_SCRIPT = st.from_regex(
    r"[A-Za-z0-9._-]{1,40}|[а-яА-ЯёЁ0-9._-]{1,40}|[α-ρσ-ωΑ-ΡΣ-Ω0-9._-]{1,40}|[一-龥ぁ-んァ-ヶA-Za-z0-9]{1,40}", fullmatch=True)


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection, positive_data_acceptance]


def given_and_cleared(body):
    """Whether a user/update body gives a detail and clears it too: the rule its description states in words."""
    clear = body.get("clear")
    names = clear if isinstance(clear, list) else str(clear or "").split(",")
    cleared = {name.strip() for name in names if isinstance(name, str)}
    return any(body.get(name) not in (None, "") for name in cleared & set(CLEARABLE))


def breaks_a_whole_rule(body, path):
    """Whether a body breaks a rule over its parameters that the document states in words (and x-one-of-required,
    x-any-of-required) rather than as oneOf/anyOf, which generators would turn into a model per branch."""
    schema = next(endpoint.request for endpoint in api.declared if endpoint.url == path)
    given = {name for name, value in body.items() if value not in (None, "")}
    return bool((schema.one_of_required and len(given & set(schema.one_of_required)) != 1)
                or (schema.any_of_required and not given & set(schema.any_of_required)))


def csv_rows_refused(body):
    """Whether a form's rows are CSV text that does not make 1 to 100 rows under its header (a rule stated in words:
    a string's schema cannot count the lines it holds)."""
    rows = body.get("rows")
    if not isinstance(rows, str):
        return False
    try:
        fields.Rows(most=100, row_component="CustomerUserRow").deserialize(rows)
    except ValidationError:
        return True
    return False


def with_forms(document):
    """The document with each request body's x-form-bodies as content of their own, for the fuzzer to send forms
    too."""
    document = copy.deepcopy(document)
    for operation in (operation for item in document["paths"].values() for operation in item.values()):
        body = operation.get("requestBody")
        if body:
            body["content"].update(body.pop("x-form-bodies"))
    return document


def as_known(case, known):
    """A valid case made to reach the database: known credentials and customer, a fresh Idempotency-Key and reference
    (one used before with other parameters is refused, as it should be), and credits added rather than taken (the
    fuzzed customer has none to take)."""
    case.body.update({key: value for key, value in known.items()
                      if key in RESELLER or case.body.get(key) not in (None, "")})
    if case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = uuid.uuid4().hex
    if case.body.get("reference") not in (None, ""):
        case.body["reference"] = uuid.uuid4().hex
    if isinstance(case.body.get("amount"), (int, str)) and str(case.body["amount"]).startswith("-"):
        amount = case.body["amount"]
        case.body["amount"] = -amount if isinstance(amount, int) else amount.lstrip("-")


@pytest.fixture
def single_script_names():
    schemathesis.openapi.format(patterns.NAME_FORMAT, SINGLE_SCRIPT)
    yield
    unregister_string_format(patterns.NAME_FORMAT)


@pytest.mark.usefixtures("single_script_names")
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_generated_request_makes_the_service_fail_or_break_its_document(app, reseller, customer_of, mode):
    known = {**RESELLER, "customerId": customer_of("fuzz-customer")}
    schema = schemathesis.openapi.from_dict(with_forms(app.test_client().get("/services/rest/openapi.json").json))
    schema.app = app
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len(api.declared)
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and operation.method.upper() == "GET":
            continue  # health takes no input to get wrong

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case):
            if isinstance(case.body, dict) and mode is GenerationMode.POSITIVE:
                assume(not given_and_cleared(case.body) and not breaks_a_whole_rule(case.body, case.operation.path)
                       and not csv_rows_refused(case.body))
                as_known(case, known)
            case.call_and_validate(checks=CHECKS)

        fuzz()


def test_the_document_is_served_and_names_every_endpoint_and_status(client):
    document = client.get("/services/rest/openapi.json").json
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path in ("/services/rest/customer/create", "/services/rest/user/create", "/services/rest/customer-user/create"):
        operation = paths[path]["post"]
        assert set(operation["requestBody"]["content"]) == {"application/json"}
        assert set(operation["requestBody"]["x-form-bodies"]) == {
            "application/x-www-form-urlencoded", "multipart/form-data"}
        assert {"201", "400", "401", "409", "413", "415", "422", "429", "500", "503"} <= set(operation["responses"])
    statuses = {status for operation in (paths[p]["post"] for p in paths if p.endswith("/create"))
                for response in operation["responses"].values() for status in response.get("x-statuses", [])}
    assert statuses == {1, 2, 3, 4, 5, 6, 7, 8, 12, 98, 99}


def test_the_document_is_built_from_the_schemas_the_endpoints_use(client):
    schemas = client.get("/services/rest/openapi.json").json["components"]["schemas"]
    assert schemas["UserCreate"]["properties"]["phoneNumber"]["pattern"] == "^[+ 0-9]*[0-9][+ 0-9]*$"
    assert set(schemas["CustomerUserCreate"]["required"]) == {
        "customer", "username", "password", "applyFreeCredits"}


def test_the_name_pattern_refuses_the_characters_of_the_bmp_that_names_refuse(client):
    pattern = re.compile(client.get("/services/rest/openapi.json").json["components"]["schemas"]["Name"]["pattern"])
    for code in range(0x10000):
        if not 0xD800 <= code <= 0xDFFF:
            character = chr(code)
            assert bool(pattern.match(character)) is not bool(text.text_problems(character, allow_whitespace=False))


def test_the_reseller_name_pattern_refuses_what_the_service_refuses_in_a_reseller_name(client):
    pattern = re.compile(client.get("/services/rest/openapi.json").json["components"]["schemas"]["ResellerName"]["pattern"])
    field = fields.Identifier(forbidden="@")
    for code in range(0x10000):
        if not 0xD800 <= code <= 0xDFFF:
            try:
                field.deserialize(chr(code))
                refused = False
            except ValidationError:
                refused = True
            assert bool(pattern.match(chr(code))) is not refused, hex(code)


def as_json_schema(schema):
    """An OpenAPI 3.0 schema as JSON Schema: nullable spelled as a type of its own."""
    if isinstance(schema, list):
        return [as_json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {key: as_json_schema(value) for key, value in schema.items() if key != "nullable"}
    return {"anyOf": [converted, {"type": "null"}]} if schema.get("nullable") else converted


def test_every_example_in_the_document_keeps_to_its_schema(client):
    document = client.get("/services/rest/openapi.json").json
    components = as_json_schema(document["components"])
    for operation in (operation for operations in document["paths"].values() for operation in operations.values()):
        contents = [*operation.get("requestBody", {}).get("content", {}).values(),
                    *(content for response in operation["responses"].values()
                      for content in response.get("content", {}).values())]
        for content in contents:
            schema = {**as_json_schema(content["schema"]), "components": components}
            jsonschema_rs.Draft4Validator(schema).validate(content["example"])


def test_each_operation_has_one_json_body_named_for_it_and_its_forms_aside(client):
    document = client.get("/services/rest/openapi.json").json
    schemas = document["components"]["schemas"]
    for operation in (operations["post"] for operations in document["paths"].values() if "post" in operations):
        [(media, content)] = operation["requestBody"]["content"].items()
        body = schemas[content["schema"]["$ref"].rsplit("/", 1)[1]]
        assert media == "application/json"
        assert {"resellerName", "resellerPassword"} <= set(body["properties"])
        assert not {"oneOf", "anyOf", "allOf"} & set(body), "generators make a model of each branch"
        forms = operation["requestBody"]["x-form-bodies"]
        assert list(forms) == ["application/x-www-form-urlencoded", "multipart/form-data"]
        assert all("$ref" not in form["schema"] for form in forms.values())
    assert not [name for name in schemas if name.endswith(("Form", "Multipart")) or "Type0" in name]


def test_every_answer_and_error_is_a_named_component(client):
    document = client.get("/services/rest/openapi.json").json
    for operation in (operation for operations in document["paths"].values() for operation in operations.values()):
        for response in operation["responses"].values():
            schema = response["content"]["application/json"]["schema"]
            assert all("$ref" in branch for branch in schema.get("oneOf", [schema])), operation["operationId"]


def test_every_operation_has_an_id_a_tag_a_summary_and_a_description(client):
    document = client.get("/services/rest/openapi.json").json
    operations = [operation for operations in document["paths"].values() for operation in operations.values()]
    assert len({operation["operationId"] for operation in operations}) == len(operations) == len(api.declared)
    assert all(operation["tags"] and operation["summary"] for operation in operations)
    assert all(operation.get("description") for operation in operations if operation["operationId"] != "health")
    assert document["servers"] == [{"url": "/", "description": "this service"}]


def test_the_creates_document_the_defaults_the_service_applies(client):
    schemas = client.get("/services/rest/openapi.json").json["components"]["schemas"]
    defaults = {key: value.get("default") for key, value in schemas["CustomerCreate"]["properties"].items()}
    assert defaults | {"integrationId": "", "rotationAlgorithm": "MAX_ROTATION", "billingType": "POST_PAID",
                       "moCharge": 0, "dryRun": False} == defaults
    form = client.get("/services/rest/openapi.json").json["paths"]["/services/rest/customer/create"]["post"][
        "requestBody"]["x-form-bodies"]["application/x-www-form-urlencoded"]["schema"]
    assert form["properties"]["moCharge"]["default"] == "0"
    assert schemas["CustomerList"]["properties"]["limit"]["default"] == 50
    assert schemas["UserCreate"]["properties"]["swappingSourceAddressAllowed"]["default"] is False


@pytest.mark.parametrize("minimum", [1, 12])
def test_the_document_gives_the_platforms_minimum_for_user_passwords(database_uri, minimum):
    client = app_for(database_uri, USER_PASSWORD_MIN_LENGTH=minimum).test_client()
    document = client.get("/services/rest/openapi.json").json
    schemas = document["components"]["schemas"]
    assert schemas["UserCreate"]["properties"]["password"]["minLength"] == minimum
    form = document["paths"]["/services/rest/user/update"]["post"]["requestBody"]["x-form-bodies"][
        "application/x-www-form-urlencoded"]["schema"]
    assert form["properties"]["password"]["anyOf"][0]["minLength"] == minimum


def test_the_document_gives_the_services_version(client):
    from app.version import VERSION

    assert client.get("/services/rest/openapi.json").json["info"]["version"] == VERSION
