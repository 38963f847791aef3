"""The OpenAPI 3.0 document, read from the endpoints' declarations (app.web.endpoint), their schemas' fields, the
answers' shapes and the status table.

Made for client generators: each operation has one request body, JSON, under a component named for it (JSON
booleans and numbers, push configs as objects), with every parameter as a property (the credentials included); rules
that span parameters (exactly one of, at least one of) are said in its description and in x-one-of-required and
x-any-of-required, not as oneOf/anyOf over the whole body (which generators turn into one model per branch). The same
body as an urlencoded or multipart form (every value a string) is an alternative the service takes: its schema is in
the request body's x-form-bodies, which generators, and the API page, skip. Every answer has a named component, and
every error the Error component, its statuses in the response's description and x-statuses.
"""
import copy
import csv
import dataclasses
import functools
import io
import json

from apispec import APISpec
from apispec.ext.marshmallow.openapi import OpenAPIConverter
from flask import current_app

from app.version import VERSION
from app.web import errors, examples, headers, patterns
from app.web.answers import CHOICES, DONE_COMPONENT, DONE_SCHEMA, NESTED, SHAPES
from app.web.endpoint import Endpoint
from app.web.endpoints import api
from app.web.schemas.imports import ROW_COMPONENT

JSON = "application/json"
# The form bodies the service takes as well as JSON (the request body's x-form-bodies).
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
ERROR = {
    "type": "object",
    "required": ["status", "message", "requestId"],
    "properties": {
        "status": {"type": "integer", "description": "the contract's status (the response's x-statuses)"},
        "message": {"type": "string"},
        "requestId": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                   "description": "status 1: each bad parameter and its messages"},
        "id": {"type": "string", "pattern": "^[0-9a-f]{24}$",
               "description": "status 3 or 4: the id of the calling reseller's own customer or user that holds the "
                              "name (never another reseller's)"},
    },
}
DATABASE_UNAVAILABLE = "database unavailable, try again later"
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before trying again", "schema": {"type": "integer"}}}
NAME_RULE = ("1 to 128 characters: no whitespace, control or invisible formatting characters, and one writing system "
             f"(format {patterns.NAME_FORMAT}: Unicode's highly restrictive profile, e.g. no Latin mixed with "
             "Cyrillic or Greek; Latin with Han, Kana or Hangul is fine); stored in NFC, and the length counts "
             "the name in NFC.")

IDEMPOTENCY_KEY = {
    "in": "header", "name": headers.IDEMPOTENCY_HEADER, "required": False,
    "description": "retry safely: a repeat with the same key gets the first answer",
    "schema": {"type": "string", "minLength": 1, "maxLength": headers.KEY_MAX_LENGTH, "pattern": "^[!-~]+$"},
}


def name_schema(refused, description):
    """The schema of a name: the characters it may not hold, and its writing-system rule as a format."""
    return {"type": "string", "minLength": 1, "maxLength": 128, "pattern": f"^[^{refused}]+$",
            "format": patterns.NAME_FORMAT, "description": description}


def json_rule(self, field, **kwargs):
    """apispec attribute function: a field of ours describes its own rule, in JSON."""
    return parameter(self.spec, field, form=False)


def form_rule(self, field, **kwargs):
    """apispec attribute function: a field of ours describes its own rule, as a form sends it."""
    return parameter(self.spec, field, form=True)


def parameter(spec, field, *, form):
    """A parameter's JSON Schema: its field's rule and description; an optional one may also be empty (or null).

    A set of choices becomes a component named after the parameter, for generated clients to name its type.
    """
    key = field.data_key or field.name
    rule = field.openapi(form=form)
    if "enum" in rule:
        name = key[0].upper() + key[1:]
        if name not in spec.components.schemas:
            spec.components.schema(name, rule)
        rule = {"$ref": f"#/components/schemas/{name}"}
    if field.required:
        # Siblings of a reference are ignored in OpenAPI 3.0: a name's component describes it.
        return rule if "$ref" in rule else {**rule, "description": field.metadata["doc"]}
    choices = rule.get("anyOf", rule.get("oneOf")) if set(rule) in ({"anyOf"}, {"oneOf"}) else [rule]
    described: dict[str, object] = {"anyOf": [*choices, {"type": "string", "maxLength": 0}],
                                     "description": field.metadata["doc"]}
    if not form:
        described["nullable"] = True
    if isinstance(field.load_default, int):
        described["default"] = str(field.load_default) if form else field.load_default
    return described


def whole_rules(schema_class):
    """The rules of a body that span its parameters (the schema's one_of_required, any_of_required), in words and as
    extensions a tool may read."""
    rules: dict[str, object] = {}
    said = []
    if schema_class.one_of_required:
        rules["x-one-of-required"] = list(schema_class.one_of_required)
        said.append(f"give exactly one of {', '.join(schema_class.one_of_required)}")
    if schema_class.any_of_required:
        rules["x-any-of-required"] = list(schema_class.any_of_required)
        said.append(f"give at least one of {', '.join(schema_class.any_of_required)}")
    if said:
        rules["description"] = "; ".join(said).capitalize() + "."
    return rules


def create_defaults(schema_class, properties, form):
    """Give the parameters the defaults the service applies when they are not given (the schema's defaults_from)."""
    for model in schema_class.defaults_from:
        for attribute in dataclasses.fields(model):
            field = schema_class._declared_fields.get(attribute.name)
            key = field and (field.data_key or attribute.name)
            if key in properties and attribute.default not in (dataclasses.MISSING, None):
                default = attribute.default
                if form:
                    default = str(default).lower() if isinstance(default, bool) else str(default)
                properties[key]["default"] = default


def body_components(spec, declared):
    """Register each body's JSON schema (under the schema's component name); return, by schema class, its request
    body: the JSON content, and the form bodies as x-form-bodies."""
    converters = {}
    for form, rule in ((False, json_rule), (True, form_rule)):
        converter = OpenAPIConverter(openapi_version=spec.openapi_version, schema_name_resolver=lambda schema: None,
                                     spec=spec)
        converter.add_attribute_function(rule)
        converters[form] = converter
    contents = {}
    for endpoint in declared:
        schema_class = endpoint.request
        if schema_class is None or schema_class in contents:
            continue
        name = schema_class.component
        bodies = {}
        for media in (JSON, *FORMS):
            form = media != JSON
            body = converters[form].schema2jsonschema(schema_class())
            create_defaults(schema_class, body["properties"], form)
            body.update(whole_rules(schema_class))
            body["additionalProperties"] = {"type": "string"} if form else True
            bodies[media] = {"schema": body, "example": as_form(endpoint.example) if form else endpoint.example}
        spec.components.schema(name, bodies[JSON]["schema"])
        contents[schema_class] = {
            "content": {JSON: {"schema": {"$ref": f"#/components/schemas/{name}"}, "example": endpoint.example}},
            "required": True,
            "x-form-bodies": {media: bodies[media] for media in FORMS},
        }
    return contents


def import_row(create):
    """A row of customer-user/import: customer-user/create's body without the credentials and dryRun (given once)."""
    row = copy.deepcopy(create)
    for name in ("resellerName", "resellerPassword", "dryRun"):
        row["properties"].pop(name)
    row["description"] = "a row: customer-user/create's parameters"
    return row


def as_form(example):
    """A JSON example as a form sends it: every value a string (a list's items separated by commas, a list of rows as
    CSV text with a header row)."""
    return {key: form_value(value) for key, value in example.items()}


def form_value(value):
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and all(isinstance(row, dict) for row in value):
        columns = list(dict.fromkeys(key for row in value for key in row))
        text = io.StringIO()
        writer = csv.DictWriter(text, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows({key: form_value(cell) for key, cell in row.items()} for row in value)
        return text.getvalue()
    if isinstance(value, list):
        return ",".join(value)
    if isinstance(value, bool):
        return str(value).lower()
    return json.dumps(value)


def view() -> dict:
    """GET /services/rest/openapi.json: the document, for this platform's shortest user password."""
    return document(current_app.config["USER_PASSWORD_MIN_LENGTH"])


@functools.cache
def document(password_min_length: int = 1) -> dict:
    """The whole OpenAPI document as a dict, for the platform's shortest user password; built once per process."""
    described = contract_document()
    if password_min_length == 1:
        return described
    adjusted = copy.deepcopy(described)
    forms = [form["schema"] for item in adjusted["paths"].values() for operation in item.values()
             for form in operation.get("requestBody", {}).get("x-form-bodies", {}).values()]
    for schema in [*adjusted["components"]["schemas"].values(), *forms]:
        password = schema.get("properties", {}).get("password")
        if password:
            (password["anyOf"][0] if "anyOf" in password else password)["minLength"] = password_min_length
            password["description"] += f"; at least {password_min_length} characters on this platform"
    return adjusted


@functools.cache
def contract_document() -> dict:
    """The OpenAPI document of the contract as it stands (a user's password of 1 character or more)."""
    spec = APISpec(
        title="Provisioning service",
        version=VERSION,
        openapi_version="3.0.3",
        info={"description": "Resellers create customers and their users, and see, change and suspend them. Every "
                             "request is a POST of the reseller's credentials and parameters, as JSON (shown first), "
                             "an urlencoded form or a multipart form; every answer is a JSON object with a numeric "
                             "status, and errors add a message and the request id. An empty (or null) optional "
                             "parameter counts as not given."},
        servers=[{"url": "/", "description": "this service"}],
        tags=[{"name": "customers", "description": "customers, and a customer with its first user, and their credits"},
              {"name": "users", "description": "users of the reseller's customers"},
              {"name": "api keys", "description": "keys a reseller's back-end authenticates with instead of its password"},
              {"name": "events", "description": "every change of the reseller's objects, in order, as a feed"},
              {"name": "webhooks", "description": "the reseller's events POSTed, signed, to its URLs"},
              {"name": "service", "description": "the service itself"}],
    )
    spec.components.security_scheme("apiKey", {
        "type": "http", "scheme": "bearer", "bearerFormat": "pk_<id>_<secret>",
        "description": "An API key (apikey/create) instead of resellerName and resellerPassword in the body; not for "
                       "managing API keys."})
    for name, schema in patterns.PUSH_COMPONENTS.items():
        spec.components.schema(name, schema)
    spec.components.schema("Error", ERROR)
    for choices, choice in CHOICES.items():
        spec.components.schema(choices, choice)
    for shape in SHAPES:
        spec.components.schema(shape.name, shape.schema())
    spec.components.schema(DONE_COMPONENT, DONE_SCHEMA)
    answers = [*(success for endpoint in api.declared for success in endpoint.answers), *NESTED]
    for success in {success.component: success for success in answers}.values():
        spec.components.schema(success.component, success.schema())
    spec.components.schema("Name", name_schema(patterns.refused_in_names(), NAME_RULE + " Names and usernames are "
                                               "unique across all resellers; one that contains '@' must end with '@' "
                                               "and the reseller's name."))
    spec.components.schema("ResellerName", name_schema(patterns.refused_in_names("@"),
                                                       NAME_RULE + " No '@' in any spelling."))
    contents = body_components(spec, api.declared)
    spec.components.schema(ROW_COMPONENT, import_row(spec.to_dict()["components"]["schemas"]["CustomerUserCreate"]))
    for endpoint in api.declared:
        spec.path(path=endpoint.url, operations={endpoint.method: operation(endpoint, contents)})
    return spec.to_dict()


# Behind the shipped proxy, a request that waited too long for a worker is answered so too (app.web.overload).
UNAVAILABLE = "database unavailable, or the request waited too long for the service (status 98)"


def operation(endpoint: Endpoint, contents) -> dict:
    """An endpoint's operation: its body, its success answers and its errors."""
    described: dict[str, object] = {"operationId": endpoint.operation_id, "tags": [endpoint.tag],
                                    "summary": endpoint.summary, "description": endpoint.description}
    successes = success_responses(endpoint.answers)
    if endpoint.request is None:
        described["responses"] = {**successes, "503": error(errors.DATABASE_UNAVAILABLE, UNAVAILABLE,
                                                            DATABASE_UNAVAILABLE, RETRY_AFTER)}
        return described
    described["requestBody"] = contents[endpoint.request]
    described["responses"] = {**successes, **error_responses(endpoint.errors)}
    # The credentials in the body, or an API key: the body's credentials are then left out.
    described["security"] = [{}, {"apiKey": []}] if getattr(endpoint.request, "keys_allowed", False) else [{}]
    if endpoint.keyed:
        described["parameters"] = [IDEMPOTENCY_KEY]
    return described


def success_responses(answers):
    """The success responses of an endpoint by HTTP code; two answers of one code (a change and its dry run) as one of
    either."""
    by_code: dict[str, list[dict]] = {}
    # The answer with more properties first: a generated client takes the first that parses, and the smaller one's
    # parser may ignore what it does not know.
    for success in sorted(answers, key=lambda success: -len(success.properties)):
        by_code.setdefault(str(success.code), []).append(success.response())
    merged = {}
    for code, responses in by_code.items():
        if len(responses) == 1:
            merged[code] = responses[0]
            continue
        contents = [response["content"][JSON] for response in responses]
        merged[code] = {"description": "; or ".join(response["description"] for response in responses),
                        "content": {JSON: {"schema": {"oneOf": [content["schema"] for content in contents]},
                                           "example": contents[0]["example"]}}}
    return merged


def error(statuses, description, message, headers=None):
    """A response of the Error shape whose status is one of statuses (x-statuses), with an example of the first (and
    message)."""
    statuses = statuses if isinstance(statuses, (list, tuple)) else [statuses]
    example: dict[str, object] = {"status": statuses[0], "message": message, "requestId": examples.REQUEST_ID}
    if statuses[0] == errors.INVALID:
        example["errors"] = {"name": ["must not contain spaces or other whitespace"]} if "parameters" in message else {}
    response = {"description": description, "x-statuses": sorted(set(statuses)),
                "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}, "example": example}}}
    if headers:
        response["headers"] = headers
    return response


def error_responses(conditions):
    """The error responses of an endpoint: the contract's status table, by HTTP code."""
    by_code = {
        400: ([errors.INVALID], ["invalid parameters (status 1); errors names each bad parameter"],
              ["invalid parameters: name"]),
        413: ([errors.INVALID], ["body larger than the limit (status 1)"],
              ["the request body is larger than 1048576 bytes"]),
        415: ([errors.INVALID], ["unsupported Content-Type (status 1)"],
              ["unsupported Content-Type 'text/plain': send application/x-www-form-urlencoded, multipart/form-data or "
               "application/json"]),
        500: ([errors.INTERNAL_ERROR], ["internal error (status 99)"], ["internal error"]),
        503: ([errors.DATABASE_UNAVAILABLE], [UNAVAILABLE], [DATABASE_UNAVAILABLE]),
    }
    for condition in conditions:
        status, code, message = errors.DOMAIN_ERRORS[condition]
        statuses, descriptions, messages = by_code.setdefault(code, ([], [], []))
        statuses.append(status)
        descriptions.append(f"{message} (status {status})")
        messages.append(message)
    return {
        str(code): error(statuses, "; ".join(descriptions), messages[0], RETRY_AFTER if code in (429, 503) else None)
        for code, (statuses, descriptions, messages) in sorted(by_code.items())
    }


api.add_url_rule("/openapi.json", "openapi_document", view, methods=["GET"], provide_automatic_options=False)
