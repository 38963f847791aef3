"""The success answers: each shape defined once, and that one definition both makes the JSON of an answer and
describes it in the OpenAPI document."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from operator import attrgetter
from typing import Any

from flask import Response

from app.domain import events, webhooks
from app.domain.limits import SendingLimits
from app.domain.model import Created, Page
from app.domain.text import iso_time
from app.version import VERSION
from app.web import examples
from app.web.errors import DONE, answer
from app.web.headers import REPLAYED_HEADER

JSON = "application/json"
OBJECT_ID = {"type": "string", "pattern": "^[0-9a-f]{24}$"}
TIME = {"type": "string", "format": "date-time"}
STRING = {"type": "string"}
BOOLEAN = {"type": "boolean"}
INTEGER = {"type": "integer"}
# Status 0, one component every success answer refers to (one type in generated clients).
DONE_COMPONENT = "Done"
DONE_SCHEMA = {"type": "integer", "enum": [0], "description": "0: done"}
STATUS_DONE = {"$ref": f"#/components/schemas/{DONE_COMPONENT}"}
# The sets of choices answers share with requests, as components of their own (one type each in generated clients).
CHOICES = {
    "RotationAlgorithm": {"type": "string", "enum": ["CONVERSATION", "MAX_ROTATION"]},
    "BillingType": {"type": "string", "enum": ["PRE_PAID", "POST_PAID"]},
    "SuspendedBy": {"type": "string", "enum": ["reseller", "operator"],
                    "description": "who suspended it (only when suspended): an operators' hold only they can lift"},
}


def choice(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


SUSPENDED_BY = choice("SuspendedBy")
PUSH = {"oneOf": [{"$ref": f"#/components/schemas/{name}"} for name in ("UrlPush", "EmailPush", "SmppPush")]}


LIMIT_NAMES = {"throughput": "throughput", "max_bindings": "maxBindings", "daily_limit": "dailyLimit",
               "allowed_senders": "allowedSenders", "allowed_prefixes": "allowedPrefixes"}
STRINGS = {"type": "array", "items": {"type": "string"}}
LIMITS = {"type": "object", "additionalProperties": False, "description": "the user's sending limits (absent: the "
          "platform's defaults)", "properties": {
              "throughput": INTEGER, "maxBindings": INTEGER, "dailyLimit": INTEGER, "allowedSenders": STRINGS,
              "allowedPrefixes": STRINGS}}


def limits_json(limits: SendingLimits) -> dict[str, Any]:
    """Sending limits as answers show them: integers, and lists of strings."""
    return {LIMIT_NAMES[name]: list(value) if isinstance(value, tuple) else value
            for name, value in limits.given().items()}


@dataclass(frozen=True)
class Property:
    """A property of an object in answers: its name, its JSON Schema, how its value is read from the domain object,
    and whether it is left out when that value is None."""

    name: str
    schema: dict[str, Any]
    value: Callable[[Any], Any]
    optional: bool = False
    attribute: str = ""


def prop(name: str, schema: dict[str, Any], attribute: str, *, shown: Callable[[Any], Any] | None = None,
         optional: bool = False) -> Property:
    """A property read from an attribute of the domain object (dotted for a nested one), shown as it is or converted."""
    read = attrgetter(attribute)
    return Property(name, schema, (lambda obj: shown(read(obj))) if shown else read, optional, attribute)


def optional_prop(name: str, schema: dict[str, Any], attribute: str) -> Property:
    """A property absent from the answer when the domain object does not have it."""
    return prop(name, schema, attribute, optional=True)


@dataclass(frozen=True)
class Shape:
    """An object as answers show it (a customer, a user): named for the OpenAPI document's components."""

    name: str
    properties: tuple[Property, ...]
    example: dict[str, Any]

    def json(self, obj: Any) -> dict[str, Any]:
        shown = {}
        for one in self.properties:
            value = one.value(obj)
            if value is not None or not one.optional:
                shown[one.name] = value
        return shown

    @property
    def ref(self) -> dict[str, str]:
        return {"$ref": f"#/components/schemas/{self.name}"}

    def schema(self) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": False,
                "required": [one.name for one in self.properties if not one.optional],
                "properties": {one.name: one.schema for one in self.properties}}


CUSTOMER = Shape("Customer", (
    prop("id", OBJECT_ID, "id", shown=str),
    prop("name", STRING, "name"),
    prop("integrationId", STRING, "integration_id"),
    prop("rotationAlgorithm", choice("RotationAlgorithm"), "rotation_algorithm"),
    prop("billingType", choice("BillingType"), "billing_type"),
    prop("moCharge", {"type": "integer", "minimum": 0}, "mo_charge"),
    prop("credits", INTEGER, "credits"),
    prop("active", BOOLEAN, "active"),
    optional_prop("suspendedBy", SUSPENDED_BY, "suspended_by"),
    prop("createdAt", TIME, "created.at", shown=iso_time),
), example=examples.CUSTOMER)

USER = Shape("User", (
    prop("id", OBJECT_ID, "id", shown=str),
    prop("username", STRING, "username"),
    prop("customerId", OBJECT_ID, "customer_id", shown=str),
    optional_prop("email", STRING, "email"),
    optional_prop("phoneNumber", STRING, "phone_number"),
    optional_prop("virtualNumber", STRING, "virtual_number"),
    optional_prop("contactName", STRING, "contact_name"),
    optional_prop("moPush", PUSH, "mo_push"),
    optional_prop("finalStatusPush", PUSH, "final_status_push"),
    prop("swappingSourceAddressAllowed", BOOLEAN, "swapping_source_address_allowed"),
    prop("limits", LIMITS, "limits", shown=lambda limits: limits_json(limits) if limits else None, optional=True),
    prop("active", BOOLEAN, "active"),
    optional_prop("suspendedBy", SUSPENDED_BY, "suspended_by"),
    prop("createdAt", TIME, "created.at", shown=iso_time),
), example=examples.USER)
TRANSACTION = Shape("Transaction", (
    prop("id", OBJECT_ID, "id", shown=str),
    prop("customerId", OBJECT_ID, "customer_id", shown=str),
    prop("amount", INTEGER, "amount"),
    prop("reason", {"type": "string", "enum": ["TOPUP", "REFUND", "ADJUSTMENT", "FREE_CREDITS"]}, "reason"),
    optional_prop("reference", STRING, "reference"),
    prop("balanceAfter", {"type": "integer", "minimum": 0}, "balance_after"),
    prop("createdAt", TIME, "created.at", shown=iso_time),
    prop("origin", {"type": "string", "enum": ["reseller", "operator"]}, "origin"),
), example=examples.TRANSACTION)

API_KEY = Shape("ApiKey", (
    prop("id", OBJECT_ID, "id", shown=str),
    prop("label", STRING, "label"),
    prop("allowedIps", STRINGS, "allowed_ips", shown=list),
    prop("expiresAt", {**TIME, "nullable": True}, "expires_at", shown=lambda moment: iso_time(moment) if moment else None),
    prop("lastUsedAt", {**TIME, "nullable": True}, "last_used_at",
         shown=lambda moment: iso_time(moment) if moment else None),
    prop("createdAt", TIME, "created.at", shown=iso_time),
    prop("revoked", BOOLEAN, "revoked"),
), example=examples.API_KEY)
EVENT_PROPERTIES: dict[str, dict[str, Any]] = {
    "id": {"type": "integer", "minimum": 0, "description": "the event's number in the reseller's order: 1, 2, 3, ..."},
    "type": {"type": "string", "enum": list(events.TYPES)},
    "customerId": OBJECT_ID, "userId": OBJECT_ID, "apiKeyId": OBJECT_ID, "transactionId": OBJECT_ID,
    "amount": INTEGER, "reason": STRING, "balanceAfter": {"type": "integer", "minimum": 0},
    "changed": {**STRINGS, "description": "the fields that changed (names, never values of passwords)"},
    "origin": {"type": "string", "enum": [events.BY_RESELLER, events.BY_OPERATOR]},
    "requestId": {**STRING, "description": "the id of the request that made the change (none for an operator's)"},
    "occurredAt": TIME,
}
def event_field(name: str, event: events.FeedEvent) -> Any:
    return events.as_json(event).get(name)


# An event as events.as_json makes it (the same JSON a webhook receives).
EVENT = Shape("Event", tuple(Property(name, schema, partial(event_field, name),
                                      optional=name not in ("id", "type", "changed", "origin", "occurredAt"))
                             for name, schema in EVENT_PROPERTIES.items()), example=examples.EVENT)
WEBHOOK = Shape("Webhook", (
    prop("id", OBJECT_ID, "id", shown=str),
    prop("url", STRING, "url"),
    prop("events", STRINGS, "events", shown=list),
    prop("state", {"type": "string", "enum": [webhooks.ACTIVE, webhooks.FAILING],
                   "description": "failing: a delivery went untaken for the whole retry period; deliveries stopped "
                                  "until the platform's operators replay them"}, "state"),
    optional_prop("failingSince", TIME, "failing_since"),
    optional_prop("lastError", STRING, "last_error"),
    prop("createdAt", TIME, "created.at", shown=iso_time),
), example=examples.WEBHOOK)
SHAPES = (CUSTOMER, USER, TRANSACTION, API_KEY, EVENT, WEBHOOK)


@dataclass(frozen=True)
class Success:
    """A success answer: its HTTP code, what it means, the properties beside status 0 (JSON Schema), an example, and
    how the view's result becomes them."""

    code: int
    description: str
    properties: dict[str, dict[str, Any]]
    example: dict[str, Any]
    body: Callable[[Any], dict[str, Any]] = field(repr=False)
    status_first: bool = True
    headers: Callable[[Any], dict[str, str] | None] = field(default=lambda result: None, repr=False)
    # The component the OpenAPI document names this answer's schema after, and the properties it may leave out.
    component: str = ""
    optional: tuple[str, ...] = ()

    def __call__(self, result: Any = None, **extra: Any) -> Response:
        """The answer to a request, made from the view's result, with the optional properties given that have a
        value."""
        made = {**self.body(result), **{name: value for name, value in extra.items() if value}}
        return answer({"status": DONE, **made} if self.status_first else {**made, "status": DONE}, self.code,
                      self.headers(result))

    def schema(self) -> dict[str, Any]:
        """This answer's JSON Schema."""
        return {"type": "object", "additionalProperties": False,
                "required": ["status", *(name for name in self.properties if name not in self.optional)],
                "properties": {"status": STATUS_DONE, **self.properties}}

    def response(self) -> dict[str, Any]:
        """This answer in the OpenAPI document: its schema by reference to its component."""
        example = {"status": 0, **self.example} if self.status_first else {**self.example, "status": 0}
        schema = {"$ref": f"#/components/schemas/{self.component}"}
        return {"description": self.description, "content": {JSON: {"schema": schema, "example": example}}}


def one(name: str, shape: Shape, description: str, component: str) -> Success:
    """200 with one object under name."""
    return Success(200, description, {name: shape.ref}, {name: shape.example}, lambda found: {name: shape.json(found)},
                   component=component)


IGNORED = {"type": "array", "items": {"type": "string"},
           "description": "parameters of the request that the service does not know, and so ignored (absent when "
                          "none): a misspelled one changes nothing"}
TRUE = {"type": "boolean", "enum": [True]}


def changed(name: str, shape: Shape, description: str, component: str) -> Success:
    """200 with the object as a change left it, and the parameters the change ignored."""
    return Success(200, description, {name: shape.ref, "ignored": IGNORED}, {name: shape.example},
                   lambda found: {name: shape.json(found)}, component=component, optional=("ignored",))


# The API's name of each field a change may change (domain attribute names as a Preview gives them).
API_NAMES = {**{one.attribute: one.name for shape in (CUSTOMER, USER) for one in shape.properties},
             **LIMIT_NAMES, "password": "password", "credits": "credits"}


def preview(name: str, shape: Shape, component: str) -> Success:
    """200 for a dry run of a change: the object as the change would leave it, the fields it would change."""
    return Success(
        200, f"dryRun=true: the {name} as the change would leave it, and the fields it would change (changed, empty "
             "when none); nothing was written (status 0)",
        {name: shape.ref, "changed": {"type": "array", "items": {"type": "string"}}, "dryRun": TRUE,
         "ignored": IGNORED},
        {name: shape.example, "changed": ["moCharge"] if name == "customer" else ["email"], "dryRun": True},
        lambda made: {name: shape.json(made.found), "changed": [API_NAMES[field] for field in made.changed],
                      "dryRun": True}, component=component, optional=("ignored",))


def page_of(name: str, shape: Shape, description: str, component: str) -> Success:
    """200 with a page of objects under name, and the id to ask the next page after."""
    def body(found: Page) -> dict[str, Any]:
        return {name: [shape.json(item) for item in found.items],
                "next": str(found.next_after) if found.next_after else None}

    return Success(200, description, {name: {"type": "array", "items": shape.ref}, "next": NEXT},
                   {name: [shape.example], "next": None}, body, component=component)


NEXT = {"type": "string", "nullable": True, "pattern": "^[0-9a-f]{24}$",
        "description": "the id to give as after for the next page; null on the last page"}


def created(ids: dict[str, tuple[str, str, Callable[[Created], Any]]], component: str) -> Success:
    """201 with the ids a create made (by name: description, example, how it is read), marked Idempotent-Replayed
    when they are an earlier request's."""
    properties = {name: {**OBJECT_ID, "description": description} for name, (description, _, _) in ids.items()}
    example = {name: value for name, (_, value, _) in ids.items()}

    def body(outcome: Created) -> dict[str, Any]:
        return {name: str(read(outcome)) for name, (_, _, read) in ids.items()}

    def headers(outcome: Created) -> dict[str, str] | None:
        return {REPLAYED_HEADER: "true"} if outcome.replayed else None

    return Success(201, "created (status 0)", properties, example, body, status_first=False, headers=headers,
                   component=component)


DRY_RUN_PASSED = Success(200, "dryRun=true: the create would succeed; nothing was written (status 0)",
                         {"dryRun": TRUE}, {"dryRun": True}, lambda _: {"dryRun": True}, component="DryRunPassed")
CREATED_CUSTOMER = created({"id": ("the customer's id", examples.CUSTOMER_ID, attrgetter("customer_id"))},
                           "CustomerCreated")
CREATED_USER = created({"id": ("the user's id", examples.USER_ID, attrgetter("user_id"))}, "UserCreated")
CREATED_CUSTOMER_WITH_USER = created({
    "id": ("the user's id", "6b08957edae25ef41902996d", attrgetter("user_id")),
    "customerId": ("the customer's id", "6b08957edae25ef41902996b", attrgetter("customer_id")),
}, "CustomerUserCreated")
ONE_CUSTOMER = one("customer", CUSTOMER, "the customer (status 0)", "CustomerFound")
CUSTOMER_CHANGED = changed("customer", CUSTOMER, "the customer as changed (status 0)", "CustomerChanged")
CUSTOMER_PREVIEW = preview("customer", CUSTOMER, "CustomerPreview")
ONE_USER = one("user", USER, "the user (status 0)", "UserFound")
USER_CHANGED = changed("user", USER, "the user as changed (status 0)", "UserChanged")
USER_PREVIEW = preview("user", USER, "UserPreview")
CUSTOMER_PAGE = page_of("customers", CUSTOMER, "a page of customers (status 0)", "CustomerPage")
USER_PAGE = page_of("users", USER, "a page of users (status 0)", "UserPage")
RELAY = {"type": "object", "additionalProperties": False, "required": ["relay", "lagSeconds"], "properties": {
    "relay": {"type": "string", "enum": ["running", "stopped"],
              "description": "whether the events relay told it runs within the last 30 s (events wait while it "
                             "does not; the API works all the same)"},
    "lagSeconds": {"type": "number", "nullable": True,
                   "description": "how long ago the last change the relay wrote an event for was committed"},
    "lastHeardSecondsAgo": {"type": "number"}}}
HEALTHY = Success(200, "up, which version of the service answers, and how the events relay fares",
                  {"database": {"type": "string", "enum": ["up"]}, "version": {"type": "string"}, "events": RELAY},
                  {"database": "up", "version": VERSION, "events": {"relay": "running", "lagSeconds": 0.02}},
                  lambda relay: {"database": "up", "version": VERSION, "events": relay}, component="Health")
CREDITED = Success(200, "the customer as the change left it, and its ledger entry (status 0)",
                   {"customer": CUSTOMER.ref, "transaction": TRANSACTION.ref},
                   {"customer": examples.CUSTOMER, "transaction": examples.TRANSACTION},
                   lambda change: {"customer": CUSTOMER.json(change.customer),
                                   "transaction": TRANSACTION.json(change.entry)},
                   headers=lambda change: {REPLAYED_HEADER: "true"} if change.replayed else None, component="Credited")
LEDGER_PAGE = page_of("transactions", TRANSACTION, "a page of the customer's ledger (status 0)", "TransactionPage")
KEY_CREATED = Success(201, "the key, shown this once: only its digest is kept (status 0)",
                      {"id": OBJECT_ID, "key": {"type": "string", "pattern": "^pk_[0-9a-f]{24}_[A-Za-z0-9_-]{43}$"}},
                      {"id": examples.KEY_ID, "key": examples.KEY}, lambda made: {"id": str(made[0].id), "key": made[1]},
                      status_first=False, component="ApiKeyCreated")
ONE_KEY = one("apiKey", API_KEY, "the key (status 0)", "ApiKeyFound")
KEY_PAGE = page_of("apiKeys", API_KEY, "a page of the reseller's keys (status 0)", "ApiKeyPage")

ROW_CREATED = Success(201, "the row's customer and user were created (status 0); replayed: by an earlier batch with "
                           "this Idempotency-Key", {"id": {**OBJECT_ID, "description": "the user's id"},
                                                    "customerId": {**OBJECT_ID, "description": "the customer's id"},
                                                    "replayed": TRUE},
                      {"id": "6b08957edae25ef41902996d", "customerId": "6b08957edae25ef41902996b"},
                      lambda outcome: {"id": str(outcome.user_id), "customerId": str(outcome.customer_id),
                                       **({"replayed": True} if outcome.replayed else {})},
                      status_first=False, component="ImportRowCreated", optional=("replayed",))
IMPORTED = Success(
    200, "one result per row, in order: each what customer-user/create would have answered for it (status 0)",
    {"results": {"type": "array", "items": {"oneOf": [
        {"$ref": f"#/components/schemas/{ROW_CREATED.component}"},
        {"$ref": f"#/components/schemas/{DRY_RUN_PASSED.component}"},
        {"$ref": "#/components/schemas/Error"}]}}},
    {"results": [{"id": "6b08957edae25ef41902996d", "customerId": "6b08957edae25ef41902996b", "status": 0},
                 {"status": 4, "message": "a user with this username already exists", "id": examples.USER_ID,
                  "requestId": examples.REQUEST_ID}]},
    lambda results: {"results": results}, component="ImportResults")
# Answers within answers, with components of their own.
NESTED = (ROW_CREATED,)

FEED_NEXT = {"type": "integer", "nullable": True, "description": "the id to give as after for the next page; null when "
             "this page reaches the end of the feed as it stands (ask again later after the last id it held)"}
EVENT_PAGE = Success(200, "a page of the reseller's events, in their order (status 0)",
                     {"events": {"type": "array", "items": EVENT.ref}, "next": FEED_NEXT},
                     {"events": [examples.EVENT], "next": None},
                     lambda found: {"events": [events.as_json(event) for event in found.events],
                                    "next": found.next_after}, component="EventPage")
WEBHOOK_CREATED = Success(201, "the webhook, and its signing secret shown this once (status 0)",
                          {"id": OBJECT_ID, "secret": {"type": "string", "pattern": "^whsec_[A-Za-z0-9_-]{43}$"},
                           "webhook": WEBHOOK.ref},
                          {"id": examples.WEBHOOK_ID, "secret": examples.WEBHOOK_SECRET, "webhook": examples.WEBHOOK},
                          lambda made: {"id": str(made[0].id), "secret": made[1], "webhook": WEBHOOK.json(made[0])},
                          status_first=False, component="WebhookCreated")
ONE_WEBHOOK = one("webhook", WEBHOOK, "the webhook (status 0)", "WebhookFound")
WEBHOOK_PAGE = page_of("webhooks", WEBHOOK, "a page of the reseller's webhooks (status 0)", "WebhookPage")
TRIED = {"type": "object", "additionalProperties": False, "required": ["answerCode", "error", "durationMs", "taken"],
         "properties": {"answerCode": {"type": "integer", "nullable": True,
                                       "description": "the receiver's HTTP code; null when it gave none"},
                        "error": {"type": "string", "nullable": True,
                                  "description": "why there was no answer (refused address, timeout, ...)"},
                        "durationMs": {"type": "number"}, "taken": {"type": "boolean"}}}
WEBHOOK_TRIED = Success(200, "what the receiver answered the test event (status 0, whatever it answered)",
                        {"delivery": TRIED},
                        {"delivery": {"answerCode": 200, "error": None, "durationMs": 85.2, "taken": True}},
                        lambda outcome: {"delivery": {"answerCode": outcome.code, "error": outcome.error,
                                                      "durationMs": outcome.milliseconds, "taken": outcome.taken}},
                        component="WebhookTried")
