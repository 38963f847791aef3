"""The OpenAPI 3.0 document, generated from the endpoints' own schemas, fields and status table.

Each body has a JSON schema (JSON booleans and numbers, push configs as objects) and a form schema (every value a
string), under component names of their own, so that a client generator sends one body in one form.
"""
import copy
import dataclasses
import functools
import json

from apispec import APISpec
from apispec.ext.marshmallow.openapi import OpenAPIConverter

from app.domain.exceptions import (
    AuthenticationFailed,
    CustomerExists,
    CustomerNotFound,
    IdempotencyKeyInFlight,
    IdempotencyKeyReused,
    TooManyFailures,
    UserExists,
    UserNotFound,
)
from app.domain.model import CustomerRequest, CustomerUserRequest, NewCustomer, NewUser, UserRequest
from app.web import errors, fields, headers
from app.web.schemas import (
    CUSTOMER_SETTINGS,
    USER_DETAILS,
    CustomerCreateSchema,
    CustomerLookupSchema,
    CustomerUpdateSchema,
    CustomerUserCreateSchema,
    ListSchema,
    UserCreateSchema,
    UserIdSchema,
    UserListSchema,
    UserLookupSchema,
    UserUpdateSchema,
)

JSON = "application/json"
# Form variants of a body get component names of their own: a generator picks the body's form by its type.
FORMS = {"application/x-www-form-urlencoded": "Form", "multipart/form-data": "Multipart"}
OBJECT_ID = {"type": "string", "pattern": "^[0-9a-f]{24}$"}
TIME = {"type": "string", "format": "date-time"}
CUSTOMER = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "name", "integrationId", "rotationAlgorithm", "billingType", "moCharge", "credits", "active",
                 "createdAt"],
    "properties": {
        "id": OBJECT_ID, "name": {"type": "string"}, "integrationId": {"type": "string"},
        "rotationAlgorithm": {"type": "string", "enum": ["CONVERSATION", "MAX_ROTATION"]},
        "billingType": {"type": "string", "enum": ["PRE_PAID", "POST_PAID"]},
        "moCharge": {"type": "integer", "minimum": 0}, "credits": {"type": "integer"}, "active": {"type": "boolean"},
        "createdAt": TIME,
    },
}
PUSH = {"type": "object", "required": ["type"], "properties": {"type": {"type": "string", "enum": ["URL", "EMAIL", "SMPP"]},
                                                               "data": {"type": "object"}}}
USER = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "username", "customerId", "swappingSourceAddressAllowed", "active", "createdAt"],
    "properties": {
        "id": OBJECT_ID, "username": {"type": "string"}, "customerId": OBJECT_ID, "email": {"type": "string"},
        "phoneNumber": {"type": "string"}, "virtualNumber": {"type": "string"}, "contactName": {"type": "string"},
        "moPush": PUSH, "finalStatusPush": PUSH, "swappingSourceAddressAllowed": {"type": "boolean"},
        "active": {"type": "boolean"}, "createdAt": TIME,
    },
}
ERROR = {
    "type": "object",
    "required": ["status", "message", "requestId"],
    "properties": {
        "status": {"type": "integer"},
        "message": {"type": "string"},
        "requestId": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
}
DATABASE_UNAVAILABLE = "database unavailable, try again later"
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before trying again", "schema": {"type": "integer"}}}
NAME_RULE = ("1 to 128 characters: no whitespace, control or invisible formatting characters, and one writing system "
             f"(format {fields.NAME_FORMAT}: Unicode's highly restrictive profile, e.g. no Latin mixed with "
             "Cyrillic or Greek; Latin with Han, Kana or Hangul is fine); stored in NFC, and the length counts "
             "the name in NFC.")

# Examples, as the README's.
CREDENTIALS = {"resellerName": "acme", "resellerPassword": "s3cret-Reseller"}
CUSTOMER_ID = "6b08957e7265435a2da2e472"
USER_ID = "6b08957edae25ef41902996a"
REQUEST_ID = "9e8d648b432d4372883cafa3e0405e6b"
CREATED_AT = "2026-11-26T20:59:27.426Z"
CUSTOMER_EXAMPLE = {"id": CUSTOMER_ID, "name": "example-shop", "integrationId": "", "rotationAlgorithm": "MAX_ROTATION",
                    "billingType": "PRE_PAID", "moCharge": 42, "credits": 0, "active": True, "createdAt": CREATED_AT}
URL_PUSH_EXAMPLE = {"type": "URL", "data": {"url": "https://push.example.com/mo"}}
USER_EXAMPLE = {"id": USER_ID, "username": "jdoe", "customerId": CUSTOMER_ID, "email": "john@doe.com",
                "phoneNumber": "+48 999 444 111", "moPush": URL_PUSH_EXAMPLE, "swappingSourceAddressAllowed": True,
                "active": True, "createdAt": CREATED_AT}

PARAMETERS = {
    "resellerName": "the calling reseller's name (no '@')",
    "resellerPassword": "the calling reseller's password",
    "name": "the customer's name, unique across all resellers; one that contains '@' must end with '@' and the "
            "reseller's name (customer@reseller)",
    "customer": "the new customer's name, as name in customer/create; phone apps send customer@reseller",
    "username": "the user's name, unique across all resellers; one that contains '@' must end with '@' and the "
                "reseller's name",
    "password": "the user's password, stored only as an argon2id hash",
    "integrationId": "the reseller's own reference for the customer",
    "rotationAlgorithm": "how the customer's sender numbers rotate",
    "billingType": "whether the customer pays before or after sending",
    "moCharge": "what a mobile-originated message costs the customer, 0 to 1,000,000,000",
    "customerId": "the id of one of the reseller's customers",
    "userId": "the id of one of the reseller's users",
    "email": "the user's email address",
    "phoneNumber": "the user's phone number",
    "virtualNumber": "the user's virtual number",
    "contactName": "the name of the person to contact, up to 256 characters",
    "moPush": "where the platform pushes the user's mobile-originated messages",
    "finalStatusPush": "where the platform pushes the final statuses of the user's messages",
    "swappingSourceAddressAllowed": "whether the user may send with another source address",
    "applyFreeCredits": "true: credit the new customer with the reseller's free credits",
    "dryRun": "true: check everything the create would (validation, credentials, free names, the customer) and write "
              "nothing; the answer is 200 with dryRun true",
    "limit": "how many to answer at most, 1 to 100",
    "after": "the next of the previous page (the last id it held); none: the first page",
    "clear": "optional details to remove, by name, separated by commas (in JSON also a list); a detail cannot be "
             "given and cleared at once",
}
# Defaults of the creates, as the service applies them when a parameter is not given.
CREATE_DEFAULTS = {CustomerCreateSchema: (NewCustomer, CustomerRequest), UserCreateSchema: (NewUser, UserRequest),
                   CustomerUserCreateSchema: (NewUser, CustomerUserRequest)}


def done(properties, description, example):
    """A 200 answer with status 0 and these properties."""
    schema = {"type": "object", "additionalProperties": False, "required": ["status", *properties],
              "properties": {"status": {"type": "integer", "enum": [0]}, **properties}}
    return {"200": {"description": description,
                    "content": {JSON: {"schema": schema, "example": {"status": 0, **example}}}}}


ONE_CUSTOMER = done({"customer": {"$ref": "#/components/schemas/Customer"}}, "the customer (status 0)",
                    {"customer": CUSTOMER_EXAMPLE})
ONE_USER = done({"user": {"$ref": "#/components/schemas/User"}}, "the user (status 0)", {"user": USER_EXAMPLE})
NEXT = {"type": "string", "nullable": True, "pattern": "^[0-9a-f]{24}$",
        "description": "the id to give as after for the next page; null on the last page"}
DRY_RUN_PASSED = {
    "description": "dryRun=true: the create would succeed; nothing was written (status 0)",
    "content": {JSON: {"schema": {
        "type": "object", "required": ["status", "dryRun"], "additionalProperties": False,
        "properties": {"status": {"type": "integer", "enum": [0]}, "dryRun": {"type": "boolean", "enum": [True]}}},
        "example": {"status": 0, "dryRun": True}}},
}


def created(ids):
    """The answers of a create: 201 with the ids made, or 200 for a dry run."""
    properties = {name: {**OBJECT_ID, "description": description} for name, (description, _) in ids.items()}
    properties["status"] = {"type": "integer", "enum": [0]}
    example = {name: value for name, (_, value) in ids.items()}
    return {"200": DRY_RUN_PASSED, "201": {"description": "created (status 0)", "content": {JSON: {
        "schema": {"type": "object", "required": list(properties), "properties": properties,
                   "additionalProperties": False},
        "example": {**example, "status": 0}}}}}


CREATE = (AuthenticationFailed, TooManyFailures, IdempotencyKeyReused, IdempotencyKeyInFlight)
READ = (AuthenticationFailed, TooManyFailures)
CUSTOMERS = "customers"
USERS = "users"
LOOKUP = {**CREDENTIALS, "customerId": CUSTOMER_ID}
USER_LOOKUP = {**CREDENTIALS, "userId": USER_ID}
# path: (operationId, tag, summary, description, schema, component name, success answers, errors, request example)
ENDPOINTS = {
    "customer/create": (
        "customerCreate", CUSTOMERS, "Create a customer",
        "Creates a customer of the calling reseller. Not given: integrationId is empty, rotationAlgorithm "
        "MAX_ROTATION, billingType POST_PAID, moCharge 0.",
        CustomerCreateSchema, "CustomerCreate", created({"id": ("the customer's id", CUSTOMER_ID)}),
        (*CREATE, CustomerExists),
        {**CREDENTIALS, "name": "example-shop", "billingType": "PRE_PAID", "moCharge": 42}),
    "user/create": (
        "userCreate", USERS, "Create a user of one of the reseller's customers",
        "Creates a user of a customer of the calling reseller.",
        UserCreateSchema, "UserCreate", created({"id": ("the user's id", USER_ID)}),
        (*CREATE, CustomerNotFound, UserExists),
        {**CREDENTIALS, "username": "jdoe", "password": "user-Pa55", "customerId": CUSTOMER_ID,
         "email": "john@doe.com", "phoneNumber": "+48 999 444 111",
         "moPush": URL_PUSH_EXAMPLE, "swappingSourceAddressAllowed": True}),
    "customer-user/create": (
        "customerUserCreate", CUSTOMERS, "Create a customer and its first user, all or nothing",
        "Creates a customer (with customer/create's defaults) and its first user together: if the user cannot be "
        "created, no customer is left behind. applyFreeCredits=true credits the customer with the reseller's free "
        "credits.",
        CustomerUserCreateSchema, "CustomerUserCreate",
        created({"id": ("the user's id", "6b08957edae25ef41902996d"),
                 "customerId": ("the customer's id", "6b08957edae25ef41902996b")}),
        (*CREATE, CustomerExists, UserExists),
        {**CREDENTIALS, "customer": "1212412@acme", "username": "1212412@acme", "password": "app-Pa55",
         "phoneNumber": "999444111", "applyFreeCredits": True}),
    "customer/get": (
        "customerGet", CUSTOMERS, "One of the reseller's customers", "Answers a customer of the calling reseller.",
        CustomerLookupSchema, "CustomerLookup", ONE_CUSTOMER, (*READ, CustomerNotFound), LOOKUP),
    "customer/list": (
        "customerList", CUSTOMERS, "The reseller's customers, a page at a time in creation order",
        "Answers a page of the calling reseller's customers; next is the after of the following page.",
        ListSchema, "CustomerList",
        done({"customers": {"type": "array", "items": {"$ref": "#/components/schemas/Customer"}}, "next": NEXT},
             "a page of customers (status 0)", {"customers": [CUSTOMER_EXAMPLE], "next": None}),
        READ, {**CREDENTIALS, "limit": 20}),
    "customer/update": (
        "customerUpdate", CUSTOMERS, "Change a customer's settings (not its name)",
        "Changes the settings given; at least one of integrationId, rotationAlgorithm, billingType, moCharge.",
        CustomerUpdateSchema, "CustomerUpdate", ONE_CUSTOMER, (*READ, CustomerNotFound),
        {**LOOKUP, "billingType": "PRE_PAID"}),
    "customer/suspend": (
        "customerSuspend", CUSTOMERS, "Suspend a customer: the platform stops serving its users",
        "Marks the customer inactive; the SMPP server and the router stop serving every user of it.",
        CustomerLookupSchema, "CustomerLookup", ONE_CUSTOMER, (*READ, CustomerNotFound), LOOKUP),
    "customer/resume": (
        "customerResume", CUSTOMERS, "Resume a suspended customer", "Marks the customer active again.",
        CustomerLookupSchema, "CustomerLookup", ONE_CUSTOMER, (*READ, CustomerNotFound), LOOKUP),
    "user/get": (
        "userGet", USERS, "One of the reseller's users, by userId or username",
        "Answers a user of the calling reseller; give exactly one of userId and username.",
        UserLookupSchema, "UserLookup", ONE_USER, (*READ, UserNotFound), {**CREDENTIALS, "username": "jdoe"}),
    "user/list": (
        "userList", USERS, "The reseller's users (or one customer's), a page at a time in creation order",
        "Answers a page of the calling reseller's users, or of one of its customers' users.",
        UserListSchema, "UserList",
        done({"users": {"type": "array", "items": {"$ref": "#/components/schemas/User"}}, "next": NEXT},
             "a page of users (status 0)", {"users": [USER_EXAMPLE], "next": None}),
        (*READ, CustomerNotFound), {**CREDENTIALS, "customerId": CUSTOMER_ID, "limit": 20}),
    "user/update": (
        "userUpdate", USERS, "Change a user's details or password (not its username)",
        "Changes the details given and removes those named in clear (not both for one detail); at least one change.",
        UserUpdateSchema, "UserUpdate", ONE_USER, (*READ, UserNotFound),
        {**USER_LOOKUP, "email": "john.doe@doe.com", "clear": "virtualNumber"}),
    "user/suspend": (
        "userSuspend", USERS, "Suspend a user: the platform stops serving it",
        "Marks the user inactive; the SMPP server and the router stop serving it.",
        UserIdSchema, "UserId", ONE_USER, (*READ, UserNotFound), USER_LOOKUP),
    "user/resume": (
        "userResume", USERS, "Resume a suspended user", "Marks the user active again.",
        UserIdSchema, "UserId", ONE_USER, (*READ, UserNotFound), USER_LOOKUP),
}


def name_schema(refused, description):
    """The schema of a name: the characters it may not hold, and its writing-system rule as a format."""
    return {"type": "string", "minLength": 1, "maxLength": 128, "pattern": f"^[^{refused}]+$",
            "format": fields.NAME_FORMAT, "description": description}


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
        return rule if "$ref" in rule else {**rule, "description": PARAMETERS[key]}
    choices = rule.get("anyOf", rule.get("oneOf")) if set(rule) in ({"anyOf"}, {"oneOf"}) else [rule]
    described: dict[str, object] = {"anyOf": [*choices, {"type": "string", "maxLength": 0}],
                                     "description": PARAMETERS[key]}
    if not form:
        described["nullable"] = True
    if isinstance(field.load_default, int):
        described["default"] = str(field.load_default) if form else field.load_default
    return described


def given(form):
    """A property given, not empty (nor null)."""
    return {"minLength": 1} if form else {"not": {"enum": ["", None]}}


def whole_rules(schema_class, form):
    """The rules of a body that span its parameters, as JSON Schema keywords."""
    def any_of(keys):
        return [{"required": [key], "properties": {key: given(form)}} for key in keys]

    if schema_class is UserLookupSchema:
        return {"oneOf": any_of(("userId", "username"))}
    if schema_class is CustomerUpdateSchema:
        return {"anyOf": any_of(CUSTOMER_SETTINGS)}
    if schema_class is UserUpdateSchema:
        # That no detail is both given and cleared is said in words: schemathesis cannot take it with this rule.
        return {"anyOf": any_of(USER_DETAILS)}
    return {}


def create_defaults(schema_class, properties, form):
    """Give the parameters of a create the defaults the service applies when they are not given."""
    for model in CREATE_DEFAULTS.get(schema_class, ()):
        for attribute in dataclasses.fields(model):
            field = schema_class._declared_fields.get(attribute.name)
            key = field and (field.data_key or attribute.name)
            if key in properties and attribute.default not in (dataclasses.MISSING, None):
                default = attribute.default
                if form:
                    default = str(default).lower() if isinstance(default, bool) else str(default)
                properties[key]["default"] = default


def body_components(spec):
    """Register each body's JSON and form schemas; return, by schema class, its content by media type."""
    converters = {}
    for form, rule in ((False, json_rule), (True, form_rule)):
        converter = OpenAPIConverter(openapi_version=spec.openapi_version, schema_name_resolver=lambda schema: None,
                                     spec=spec)
        converter.add_attribute_function(rule)
        converters[form] = converter
    contents = {}
    for _, _, _, _, schema_class, name, _, _, example in ENDPOINTS.values():
        if schema_class in contents:
            continue
        content = {}
        for media, suffix in ((JSON, ""), *FORMS.items()):
            form = media != JSON
            body = converters[form].schema2jsonschema(schema_class())
            create_defaults(schema_class, body["properties"], form)
            body.update(whole_rules(schema_class, form))
            body["additionalProperties"] = {"type": "string"} if form else True
            spec.components.schema(name + suffix, body)
            content[media] = {"schema": {"$ref": f"#/components/schemas/{name}{suffix}"},
                              "example": as_form(example) if form else example}
        contents[schema_class] = content
    return contents


def as_form(example):
    """A JSON example as a form sends it: every value a string."""
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in example.items()}


@functools.cache
def document(password_min_length: int = 1) -> dict:
    """The whole OpenAPI document as a dict, for the platform's shortest user password; built once per process."""
    described = contract_document()
    if password_min_length == 1:
        return described
    adjusted = copy.deepcopy(described)
    for schema in adjusted["components"]["schemas"].values():
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
        version="1",
        openapi_version="3.0.3",
        info={"description": "Resellers create customers and their users, and see, change and suspend them. Every "
                             "request is a POST of the reseller's credentials and parameters, as JSON (shown first), "
                             "an urlencoded form or a multipart form; every answer is a JSON object with a numeric "
                             "status, and errors add a message and the request id. An empty (or null) optional "
                             "parameter counts as not given."},
        servers=[{"url": "/", "description": "this service"}],
        tags=[{"name": CUSTOMERS, "description": "customers, and a customer with its first user"},
              {"name": USERS, "description": "users of the reseller's customers"},
              {"name": "service", "description": "the service itself"}],
    )
    spec.components.schema("UrlPush", fields.URL_PUSH)
    spec.components.schema("EmailPush", fields.EMAIL_PUSH)
    spec.components.schema("SmppPush", fields.SMPP_PUSH)
    spec.components.schema("Error", ERROR)
    spec.components.schema("Customer", CUSTOMER)
    spec.components.schema("User", USER)
    spec.components.schema("Name", name_schema(fields.refused_in_names(), NAME_RULE + " Names and usernames are unique "
                                               "across all resellers; one that contains '@' must end with '@' and the "
                                               "reseller's name."))
    spec.components.schema("ResellerName", name_schema(fields.refused_in_names("@"),
                                                       NAME_RULE + " No '@' in any spelling."))
    contents = body_components(spec)
    for path, (operation_id, tag, summary, description, schema_class, _, success, conditions, _) in ENDPOINTS.items():
        operation: dict[str, object] = {
            "operationId": operation_id, "tags": [tag], "summary": summary, "description": description,
            "requestBody": {"content": contents[schema_class], "required": True},
            "responses": {**success, **error_responses(conditions)},
        }
        if path.endswith("/create"):
            operation["parameters"] = [{
                "in": "header", "name": headers.IDEMPOTENCY_HEADER, "required": False,
                "description": "retry safely: a repeat with the same key gets the first answer",
                "schema": {"type": "string", "minLength": 1, "maxLength": headers.KEY_MAX_LENGTH,
                           "pattern": "^[!-~]+$"},
            }]
        spec.path(path=f"/services/rest/{path}", operations={"post": operation})
    spec.path(path="/services/rest/health", operations={"get": {
        "operationId": "health", "tags": ["service"], "summary": "Whether the service and its database answer",
        "responses": {
            "200": {"description": "up", "content": {JSON: {"schema": {
                "type": "object", "required": ["status"], "properties": {"status": {"type": "integer", "enum": [0]}}},
                "example": {"status": 0, "database": "up"}}}},
            "503": error(errors.DATABASE_UNAVAILABLE, "database unavailable (status 98)", DATABASE_UNAVAILABLE,
                         RETRY_AFTER),
        },
    }})
    return spec.to_dict()


def error(statuses, description, message, headers=None):
    """A response of the Error shape whose status is one of statuses, with an example of the first (and message)."""
    statuses = statuses if isinstance(statuses, (list, tuple)) else [statuses]
    status = {"type": "integer", "enum": sorted(set(statuses))}
    schema = {"allOf": [{"$ref": "#/components/schemas/Error"}, {"type": "object", "properties": {"status": status}}]}
    example: dict[str, object] = {"status": statuses[0], "message": message, "requestId": REQUEST_ID}
    if statuses[0] == errors.INVALID:
        example["errors"] = {"name": ["must not contain spaces or other whitespace"]} if "parameters" in message else {}
    response = {"description": description, "content": {JSON: {"schema": schema, "example": example}}}
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
        503: ([errors.DATABASE_UNAVAILABLE], ["database unavailable (status 98)"], [DATABASE_UNAVAILABLE]),
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
