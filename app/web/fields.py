"""The parameters' fields: one marshmallow field per kind of value, each applying its domain rule to what a body
gave, and describing its rule for the OpenAPI document (openapi())."""
import csv
import io
import json
import re
from datetime import UTC, datetime

from bson import ObjectId
from marshmallow import ValidationError, fields

from app.domain import contacts, names, push_targets, text, webhooks
from app.domain.exceptions import ValueRefused
from app.web import patterns
from app.web.bodies import group_pairs, refuse_constant


class Text(fields.Field):
    """A string parameter: no control characters, bounded length, and optionally no whitespace."""

    # marshmallow merges this class attribute over its own messages (an instance attribute in its annotations).
    default_error_messages = {"required": "is required", "null": "is required"}  # noqa: RUF012
    wrong_type = "must be a string"

    def __init__(self, *, max_length=128, allow_whitespace=True, forbidden="", **kwargs):
        super().__init__(**kwargs)
        self.max_length = max_length
        self.allow_whitespace = allow_whitespace
        self.forbidden = forbidden

    def openapi(self, form=False):
        """This field's rule for a value given, as JSON Schema for the OpenAPI document (form: as a form sends it)."""
        forbidden = "".join(re.escape(c) for c in self.forbidden)
        described = {"type": "string", "minLength": 1, "pattern": f"^[^{patterns.CONTROLS}{forbidden}]+$"}
        if self.max_length is not None:
            described["maxLength"] = self.max_length
        return described

    def _deserialize(self, value, attr, data, **kwargs):
        value = self.string(value)
        problems = text.text_problems(
            value, max_length=self.max_length, allow_whitespace=self.allow_whitespace, forbidden=self.forbidden
        )
        if problems:
            raise ValidationError(problems)
        return value

    def string(self, value):
        """The value given, when it is a string."""
        if isinstance(value, text.Refused):
            raise ValidationError(value.message)
        if not isinstance(value, str):
            raise ValidationError(self.wrong_type)
        return value


class Identifier(Text):
    """A name, username or reseller name (app.domain.text.identifier); returned in NFC, as it is stored."""

    def __init__(self, *, forbidden="", **kwargs):
        super().__init__(max_length=text.IDENTIFIER_MAX_LENGTH, allow_whitespace=False, forbidden=forbidden, **kwargs)

    def openapi(self, form=False):
        return patterns.RESELLER_NAME if "@" in self.forbidden else patterns.NAME

    def _deserialize(self, value, attr, data, **kwargs):
        stored, problems = text.identifier(self.string(value), forbidden=self.forbidden)
        if problems:
            raise ValidationError(problems)
        return stored


class NamePrefix(Text):
    """The beginning of a name or username, compared in NFC as names are stored (one with a space matches none)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=text.IDENTIFIER_MAX_LENGTH, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return names.as_stored(super()._deserialize(value, attr, data, **kwargs))


class Choice(Text):
    """One of a fixed set of words, exactly as spelled."""

    def __init__(self, choices, **kwargs):
        super().__init__(**kwargs)
        self.choices = tuple(choices)
        self.wrong_type = f"must be one of: {', '.join(self.choices)}"

    def openapi(self, form=False):
        return {"type": "string", "enum": list(self.choices)}

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if value not in self.choices:
            raise ValidationError(self.wrong_type)
        return value


class PhoneNumber(Text):
    """A phone number (app.domain.contacts.phone_number)."""

    wrong_type = "must be a string of digits, spaces and '+'"

    def __init__(self, **kwargs):
        super().__init__(max_length=contacts.PHONE_NUMBER_MAX_LENGTH, **kwargs)

    def openapi(self, form=False):
        return {"type": "string", "maxLength": contacts.PHONE_NUMBER_MAX_LENGTH,
                "pattern": f"^{contacts.PHONE_NUMBER.pattern}$",
                "description": "digits, spaces and '+', at least one digit"}

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return contacts.phone_number(super()._deserialize(value, attr, data, **kwargs))
        except ValueRefused as refused:
            raise ValidationError(refused.messages) from None


class Email(Text):
    """An email address, syntax checked without DNS, returned in its normalized form."""

    def __init__(self, **kwargs):
        super().__init__(max_length=contacts.EMAIL_MAX_LENGTH, **kwargs)

    def openapi(self, form=False):
        return patterns.EMAIL

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return contacts.normalized_email(super()._deserialize(value, attr, data, **kwargs))
        except ValueRefused as refused:
            raise ValidationError(refused.messages) from None


class Flag(Text):
    """A boolean: exactly 'true' or 'false' in any letter case, or a JSON boolean."""

    wrong_type = "must be true or false"

    def openapi(self, form=False):
        return patterns.FLAG if form else {"anyOf": [{"type": "boolean"}, patterns.FLAG]}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            return value
        value = super()._deserialize(value, attr, data, **kwargs)
        if not value.isascii() or value.lower() not in ("true", "false"):
            raise ValidationError(self.wrong_type)
        return value.lower() == "true"


def digits_up_to(maximum, *, zero):
    """An ECMA 262 alternation of the numbers from 1 (or 0) up to maximum, written without leading zeros: fewer digits
    than the maximum has, or as many and below it at some digit, or the maximum itself."""
    top = str(maximum)
    below = [f"{top[:i]}[{int(i == 0)}-{int(digit) - 1}][0-9]{{{len(top) - i - 1}}}"
             for i, digit in enumerate(top) if int(digit) > int(i == 0)]
    shorter = [f"[1-9][0-9]{{0,{len(top) - 2}}}"] if len(top) > 1 else []
    return "|".join(["0"] * zero + shorter + below + [top])


class WholeNumber(Text):
    """A whole number in a range, given as digits or as a JSON integer."""

    def __init__(self, *, minimum, maximum, **kwargs):
        super().__init__(max_length=None, **kwargs)
        self.minimum = minimum
        self.maximum = maximum
        self.wrong_type = f"must be a whole number from {minimum} to {maximum}"

    def openapi(self, form=False):
        digits = {"type": "string", "pattern": f"^0*({digits_up_to(self.maximum, zero=self.minimum == 0)})$"}
        return digits if form else {"anyOf": [{"type": "integer", "minimum": self.minimum, "maximum": self.maximum},
                                              digits]}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            value = super()._deserialize(value, attr, data, **kwargs)
            digits = value.lstrip("0") or "0"
            if not (value.isascii() and value.isdigit()) or len(digits) > len(str(self.maximum)):
                raise ValidationError(self.wrong_type)
            number = int(digits)
        if not self.minimum <= number <= self.maximum:
            raise ValidationError(self.wrong_type)
        return number


class ObjectIdText(Text):
    """A MongoDB ObjectId written as 24 hexadecimal digits."""

    wrong_type = "must be an ObjectId: 24 hexadecimal digits"

    def openapi(self, form=False):
        return patterns.OBJECT_ID

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not ObjectId.is_valid(value):
            raise ValidationError(self.wrong_type)
        return ObjectId(value)


class NameList(Text):
    """Comma-separated names out of a fixed set (or, in JSON, a list of them)."""

    def __init__(self, names, **kwargs):
        super().__init__(max_length=None, **kwargs)
        self.names = tuple(names)
        self.wrong_type = f"must be names out of {', '.join(self.names)}, separated by commas"

    def openapi(self, form=False):
        one = " *(" + "|".join(re.escape(name) for name in self.names) + ") *"
        text = {"type": "string", "pattern": f"^{one}(,{one})*$", "description": self.wrong_type}
        listed = {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": f"^{one}$"}}
        return text if form else {"anyOf": [text, listed]}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list) and all(isinstance(name, str) for name in value):
            value = ",".join(value)
        given = [name.strip() for name in super()._deserialize(value, attr, data, **kwargs).split(",")]
        unknown = [name for name in given if name not in self.names]
        if unknown:
            raise ValidationError(f"{self.wrong_type}; not: {', '.join(unknown)}")
        return tuple(dict.fromkeys(given))


class ListOf(Text):
    """A list of strings kept to a domain rule (rule(items) returns them as stored, or raises ValueRefused naming every
    bad item): comma-separated in a form (spaces around commas dropped), an array of strings or such a string in
    JSON."""

    def __init__(self, rule, *, item_pattern, most, description, **kwargs):
        super().__init__(max_length=None, **kwargs)
        self.rule = rule
        self.item_pattern = item_pattern
        self.most = most
        self.description = description
        self.wrong_type = "must be a list of strings, or one string of them separated by commas"

    def openapi(self, form=False):
        """The items' pattern is a part of what is accepted (the description says the rest)."""
        text = {"type": "string", "pattern": f"^{self.item_pattern}(,{self.item_pattern}){{0,{self.most - 1}}}$",
                "description": f"{self.description}, separated by commas"}
        listed = {"type": "array", "minItems": 1, "maxItems": self.most,
                  "items": {"type": "string", "pattern": f"^{self.item_pattern}$"}, "description": self.description}
        return text if form else {"anyOf": [listed, text]}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list):
            if not all(isinstance(item, str) for item in value):
                raise ValidationError(self.wrong_type)
            items = value
        else:
            items = [item.strip() for item in super()._deserialize(value, attr, data, **kwargs).split(",")]
        try:
            return self.rule(items)
        except ValueRefused as refused:
            raise ValidationError(refused.messages) from None


class Amount(Text):
    """A whole number of credits other than 0, negative to take them: a JSON integer, or digits with an optional '-'."""

    PATTERN = re.compile(r"-?[0-9]+")

    def __init__(self, *, most, **kwargs):
        super().__init__(max_length=None, **kwargs)
        self.most = most
        self.wrong_type = f"must be a whole number from -{most} to {most}, not 0"

    def openapi(self, form=False):
        digits = {"type": "string", "pattern": f"^-?0*({digits_up_to(self.most, zero=False)})$",
                  "description": self.wrong_type}
        number = {"type": "integer", "minimum": -self.most, "maximum": self.most, "not": {"enum": [0]}}
        return digits if form else {"anyOf": [number, digits]}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            value = super()._deserialize(value, attr, data, **kwargs)
            if not (value.isascii() and self.PATTERN.fullmatch(value)) or len(value.lstrip("-").lstrip("0")) > 10:
                raise ValidationError(self.wrong_type)
            number = int(value)
        if number == 0 or abs(number) > self.most:
            raise ValidationError(self.wrong_type)
        return number


FUTURE = "^2[1-9][0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z$"


class Moment(Text):
    """A moment in ISO 8601 with its offset (e.g. 2027-01-31T00:00:00Z), returned in UTC; optionally in the future."""

    def __init__(self, *, future=False, **kwargs):
        super().__init__(max_length=64, **kwargs)
        self.future = future
        self.wrong_type = "must be a date and time in ISO 8601 with its offset, e.g. 2027-01-31T00:00:00Z"

    def openapi(self, form=False):
        described = {"type": "string", "format": "date-time", "description": self.wrong_type}
        if self.future:
            # A part of what is accepted (times after 2100 are in the future); the description says the rest.
            return {"type": "string", "pattern": FUTURE, "description": f"{self.wrong_type}, in the future"}
        return described

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValidationError(self.wrong_type) from None
        if moment.tzinfo is None:
            raise ValidationError(self.wrong_type)
        moment = moment.astimezone(UTC)
        if self.future and moment <= datetime.now(UTC):
            raise ValidationError("must be in the future")
        return moment


class PushConfig(Text):
    """A push configuration (app.domain.push_targets.push_config): a JSON object, or its text."""

    wrong_type = push_targets.NOT_AN_OBJECT

    def openapi(self, form=False):
        described = {"type": "string", "maxLength": push_targets.PUSH_CONFIG_MAX_BYTES,
                     "pattern": patterns.PUSH_TEXT_PATTERN,
                     "description": "a push configuration as JSON text (the pattern is a part of what is accepted)"}
        return described if form else {"oneOf": [*patterns.PUSH_CONFIGS, described]}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, text.Refused):
            raise ValidationError(value.message)
        if isinstance(value, str):
            self._check_size(value)
            # Line breaks and tabs between JSON tokens are layout; inside strings JSON forbids them raw.
            problems = text.text_problems(value, allowed_controls=text.LINE_BREAKS_AND_TABS)
            if problems:
                raise ValidationError(problems)
            try:
                value = json.loads(value, object_pairs_hook=group_pairs, parse_constant=refuse_constant)
            except (ValueError, RecursionError):
                raise ValidationError(self.wrong_type) from None
        try:
            return push_targets.push_config(value, allow_private=getattr(self.parent, "allow_private_push_targets",
                                                                         False))
        except ValueRefused as refused:
            raise ValidationError(refused.messages) from None

    @staticmethod
    def _check_size(value):
        if len(value.encode("utf-8", "surrogatepass")) > push_targets.PUSH_CONFIG_MAX_BYTES:
            raise ValidationError(f"must be at most {push_targets.PUSH_CONFIG_MAX_BYTES} bytes of JSON")


class WebhookUrl(Text):
    """A webhook's URL (app.domain.webhooks.webhook_url): https, and http too where private targets are allowed."""

    def __init__(self, **kwargs):
        super().__init__(max_length=webhooks.URL_MAX_LENGTH, **kwargs)

    def openapi(self, form=False):
        return {"type": "string", "maxLength": webhooks.URL_MAX_LENGTH, "pattern": f"^{patterns.HTTPS_URL_PATTERN}$",
                "description": "an absolute https URL of a public host (the pattern is a part of what is accepted)"}

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        try:
            return webhooks.webhook_url(value, allow_private=getattr(self.parent, "allow_private_push_targets", False))
        except ValueRefused as refused:
            raise ValidationError(refused.messages) from None


class Rows(fields.Field):
    """A bulk import's rows: in JSON an array of objects (each with its parameters); in a form, CSV text (a file part
    of a multipart form) whose header row names the parameters. Between 1 and most rows; each is checked later, on its
    own."""

    default_error_messages = {"required": "is required", "null": "is required"}  # noqa: RUF012

    def __init__(self, *, most, row_component, **kwargs):
        super().__init__(**kwargs)
        self.most = most
        self.row_component = row_component

    def openapi(self, form=False):
        if form:
            return {"type": "string", "description": f"CSV text (UTF-8): a header row naming the parameters, then up "
                                                     f"to {self.most} rows; an empty cell is a parameter not given"}
        return {"type": "array", "minItems": 1, "maxItems": self.most,
                "items": {"$ref": f"#/components/schemas/{self.row_component}"}}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, text.Refused):
            raise ValidationError(value.message)
        if isinstance(value, str):
            value = self.csv_rows(value)
        if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
            raise ValidationError("must be an array of objects (in a form: CSV text with a header row)")
        if not 1 <= len(value) <= self.most:
            raise ValidationError(f"must have 1 to {self.most} rows")
        return tuple(value)

    def csv_rows(self, value):
        problems = text.text_problems(value, allowed_controls=text.LINE_BREAKS_AND_TABS)
        if problems:
            raise ValidationError(problems)
        reader = csv.DictReader(io.StringIO(value.lstrip("\ufeff")), restkey=None)
        if not reader.fieldnames or len(set(reader.fieldnames)) != len(reader.fieldnames):
            raise ValidationError("must begin with a header row naming each parameter once")
        rows = []
        for number, row in enumerate(reader, start=2):
            if None in row:
                raise ValidationError(f"line {number} has more cells than the header")
            rows.append({key: cell for key, cell in row.items() if cell is not None})
            if len(rows) > self.most:
                break
        return rows
