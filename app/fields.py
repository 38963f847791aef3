"""The contract's parameter rules, one marshmallow field per kind of value."""
import json
import re
import unicodedata
from urllib.parse import urlsplit

from bson import ObjectId
from email_validator import EmailNotValidError, validate_email
from marshmallow import ValidationError, fields


class Repeated:
    """Stands for a parameter that the request gave more than once."""


def text_problem(value, *, max_length, allow_whitespace=True, forbidden=""):
    """Return why a string breaks the rules common to all text, or None when it keeps them."""
    if any(unicodedata.category(c) == "Cs" for c in value):
        return "must be valid Unicode text"
    if not allow_whitespace and any(c.isspace() for c in value):
        return "must not contain spaces or other whitespace"
    if any(unicodedata.category(c) == "Cc" for c in value):
        return "must not contain control characters"
    for c in forbidden:
        if c in value:
            return f"must not contain '{c}'"
    if len(value) > max_length:
        return f"must be at most {max_length} characters long"
    return None


class Text(fields.Field):
    """A string parameter: no control characters, bounded length, and optionally no whitespace."""

    default_error_messages = {"required": "is required", "null": "is required"}

    def __init__(self, *, max_length=128, allow_whitespace=True, forbidden="", **kwargs):
        super().__init__(**kwargs)
        self.max_length = max_length
        self.allow_whitespace = allow_whitespace
        self.forbidden = forbidden

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, Repeated):
            raise ValidationError("is given more than once")
        if not isinstance(value, str):
            raise ValidationError("must be a string")
        problem = text_problem(
            value,
            max_length=self.max_length,
            allow_whitespace=self.allow_whitespace,
            forbidden=self.forbidden,
        )
        if problem:
            raise ValidationError(problem)
        return value


class Identifier(Text):
    """A name, username or reseller name: 1 to 128 characters, no whitespace."""

    def __init__(self, *, forbidden="", **kwargs):
        super().__init__(max_length=128, allow_whitespace=False, forbidden=forbidden, **kwargs)


class Choice(Text):
    """One of a fixed set of words, exactly as spelled."""

    def __init__(self, choices, **kwargs):
        super().__init__(**kwargs)
        self.choices = tuple(choices)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if value not in self.choices:
            raise ValidationError(f"must be one of: {', '.join(self.choices)}")
        return value


PHONE_NUMBER = re.compile(r"[+ 0-9]*[0-9][+ 0-9]*")


class PhoneNumber(Text):
    """Only '+', spaces and digits, at least one digit, at most 32 characters."""

    def __init__(self, **kwargs):
        super().__init__(max_length=32, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not PHONE_NUMBER.fullmatch(value):
            raise ValidationError("may contain only digits, spaces and '+', and at least one digit")
        return value


def normalized_email(value):
    """Return the normalized form of an email address, or raise ValidationError saying why it is not one."""
    problem = text_problem(value, max_length=254, allow_whitespace=False)
    if problem:
        raise ValidationError(problem)
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValidationError(f"is not a valid email address: {error}") from None


class Email(Text):
    """An email address, syntax checked without DNS, returned in its normalized form."""

    def __init__(self, **kwargs):
        super().__init__(max_length=254, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return normalized_email(super()._deserialize(value, attr, data, **kwargs))


class Flag(Text):
    """A boolean: exactly 'true' or 'false' in any letter case, or a JSON boolean."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            return value
        value = super()._deserialize(value, attr, data, **kwargs)
        if not value.isascii() or value.lower() not in ("true", "false"):
            raise ValidationError("must be true or false")
        return value.lower() == "true"


class WholeNumber(Text):
    """A whole number in a range, given as digits or as a JSON integer."""

    def __init__(self, *, minimum, maximum, **kwargs):
        super().__init__(**kwargs)
        self.minimum = minimum
        self.maximum = maximum

    def _deserialize(self, value, attr, data, **kwargs):
        message = f"must be a whole number from {self.minimum} to {self.maximum}"
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            if isinstance(value, float):
                raise ValidationError(message)
            value = super()._deserialize(value, attr, data, **kwargs)
            if not (value.isascii() and value.isdigit()):
                raise ValidationError(message)
            number = int(value)
        if not self.minimum <= number <= self.maximum:
            raise ValidationError(message)
        return number


class ObjectIdText(Text):
    """A MongoDB ObjectId written as 24 hexadecimal digits."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if len(value) != 24 or not ObjectId.is_valid(value):
            raise ValidationError("must be an ObjectId: 24 hexadecimal digits")
        return ObjectId(value)


PUSH_CONFIG_MAX_BYTES = 4096


class PushConfig(Text):
    """A push configuration: a JSON object (or its text) with a type and, by type, its data."""

    def __init__(self, **kwargs):
        # The byte limit below is the one that speaks; this only bounds the work before it.
        super().__init__(max_length=4 * PUSH_CONFIG_MAX_BYTES, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, dict):
            size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
        else:
            value = super()._deserialize(value, attr, data, **kwargs)
            size = len(value.encode("utf-8", "surrogatepass"))
        if size > PUSH_CONFIG_MAX_BYTES:
            raise ValidationError(f"must be at most {PUSH_CONFIG_MAX_BYTES} bytes of JSON")
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise ValidationError("must be a JSON object, e.g. {\"type\": \"SMPP\"}") from None
        return push_config(value)


def push_config(config):
    """Return the push configuration in its stored form, or raise ValidationError saying what is wrong."""
    if not isinstance(config, dict):
        raise ValidationError("must be a JSON object, e.g. {\"type\": \"SMPP\"}")
    unknown = sorted(set(config) - {"type", "data"})
    if unknown:
        raise ValidationError(f"has unknown keys: {', '.join(unknown)}")
    kind = config.get("type")
    data = config.get("data")
    if kind == "SMPP":
        if data not in (None, {}):
            raise ValidationError("type SMPP takes no data")
        return {"type": "SMPP"}
    if kind == "URL":
        fields_of_data = _data_of(kind, data, required=("url",), optional=())
        return {"type": "URL", "data": {"url": push_url(fields_of_data["url"])}}
    if kind == "EMAIL":
        fields_of_data = _data_of(kind, data, required=("to",), optional=("subject", "body"))
        fields_of_data["to"] = normalized_email_in_data("to", fields_of_data["to"])
        return {"type": "EMAIL", "data": fields_of_data}
    raise ValidationError("type must be one of: URL, EMAIL, SMPP")


def _data_of(kind, data, *, required, optional):
    """Check the data object of a push configuration: its keys, and that each value is clean text."""
    if not isinstance(data, dict):
        raise ValidationError(f"type {kind} needs a data object with {', '.join(required)}")
    unknown = sorted(set(data) - set(required) - set(optional))
    if unknown:
        raise ValidationError(f"data has unknown keys: {', '.join(unknown)}")
    for key in required:
        if key not in data:
            raise ValidationError(f"data.{key} is required for type {kind}")
    for key, value in data.items():
        if not isinstance(value, str):
            raise ValidationError(f"data.{key} must be a string")
        problem = text_problem(value, max_length=PUSH_CONFIG_MAX_BYTES)
        if problem:
            raise ValidationError(f"data.{key} {problem}")
    return dict(data)


def normalized_email_in_data(key, value):
    """Normalize an email address inside a push configuration's data, naming the key on failure."""
    try:
        return normalized_email(value)
    except ValidationError as error:
        raise ValidationError(f"data.{key} {error.messages[0]}") from None


def push_url(url):
    """Return url when it is an absolute http or https URL with a host, else raise ValidationError."""
    message = "data.url must be an absolute http or https URL"
    try:
        parts = urlsplit(url)
        valid = (
            parts.scheme.lower() in ("http", "https")
            and bool(parts.hostname)
            and (parts.port is None or parts.port > 0)
            and not any(c.isspace() for c in url)
        )
    except ValueError:
        valid = False
    if not valid:
        raise ValidationError(message)
    return url
