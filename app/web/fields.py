"""The contract's parameter rules, one marshmallow field per kind of value."""
import json
import re
import unicodedata

from bson import ObjectId
from email_validator import EmailNotValidError, validate_email
from marshmallow import ValidationError, fields

from app.domain import names
from app.web.push_targets import push_url

LINE_BREAKS_AND_TABS = "\t\n\r"
# JSON Schema (ECMA 262) spellings of the text rules, for the OpenAPI document.
NO_CONTROLS = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
NOT_BLANK_OR_INVISIBLE = "^[^\\s\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2064\\ufeff]+$"


class RequestInvalid(Exception):
    """The request's body breaks the contract as a whole (not one parameter); errors maps parameters to messages."""

    def __init__(self, message, errors=None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class Refused:
    """A parameter value the body parser already refused, and why (given twice, not UTF-8, ...)."""

    def __init__(self, message):
        self.message = message


REPEATED = Refused("is given more than once")
NOT_UTF8 = Refused("must be valid UTF-8 text")


def quoted(text):
    """Text from a request as a message may show it: anything not plainly visible written as an escape."""
    return "".join(c if c.isprintable() and c not in DIRECTION_CONTROLS else c.encode("unicode_escape",
                   "backslashreplace").decode("ascii") for c in text)


def group_pairs(pairs):
    """Key/value pairs as a dict in which a key given more than once holds REPEATED (also a json.loads hook)."""
    grouped = {}
    for key, value in pairs:
        grouped[key] = REPEATED if key in grouped else value
    return grouped


def refuse_constant(name):
    """parse_constant for json.loads: NaN and Infinity are not JSON."""
    raise ValueError(f"{name} is not JSON")


# Characters that reorder how text around them is shown (Unicode's bidirectional controls): refused in every text,
# since a name or a message shown to a person can be made to read as something else.
DIRECTION_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def text_problems(value, *, max_length=None, allow_whitespace=True, forbidden="", allowed_controls=""):
    """Every way a string breaks the rules common to all text; empty when it keeps them."""
    if value.isascii() and value.isprintable():
        # Printable ASCII (nearly every value) has no surrogate, control or format character, and no space but " ".
        surrogate = control = direction = invisible = False
        whitespace = " " in value
    else:
        categories = {unicodedata.category(c) for c in value}
        surrogate = "Cs" in categories
        whitespace = any(c.isspace() for c in value)
        control = any(unicodedata.category(c) == "Cc" and c not in allowed_controls for c in value)
        direction = not DIRECTION_CONTROLS.isdisjoint(value)
        invisible = "Cf" in categories
    problems = []
    if surrogate:
        problems.append("must be valid Unicode text")
    if whitespace and not allow_whitespace:
        problems.append("must not contain spaces or other whitespace")
    if control:
        problems.append("must not contain control characters")
    if direction:
        problems.append("must not contain text direction controls")
    if invisible and not allow_whitespace and not direction:
        problems.append("must not contain invisible formatting characters")
    problems += [f"must not contain '{c}'" for c in forbidden if c in value]
    if max_length is not None and len(value) > max_length:
        problems.append(f"must be at most {max_length} characters long")
    return problems


class Text(fields.Field):
    """A string parameter: no control characters, bounded length, and optionally no whitespace."""

    default_error_messages = {"required": "is required", "null": "is required"}
    wrong_type = "must be a string"

    def __init__(self, *, max_length=128, allow_whitespace=True, forbidden="", **kwargs):
        super().__init__(**kwargs)
        self.max_length = max_length
        self.allow_whitespace = allow_whitespace
        self.forbidden = forbidden

    def openapi(self):
        """This field's rule as JSON Schema, for the OpenAPI document."""
        pattern = NO_CONTROLS if self.allow_whitespace else NOT_BLANK_OR_INVISIBLE
        forbidden = "".join(re.escape(c) for c in self.forbidden)
        described = {"type": "string", "minLength": 1, "pattern": pattern.replace("]", forbidden + "]", 1)}
        if self.max_length is not None:
            described["maxLength"] = self.max_length
        return described

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, Refused):
            raise ValidationError(value.message)
        if not isinstance(value, str):
            raise ValidationError(self.wrong_type)
        problems = text_problems(
            value, max_length=self.max_length, allow_whitespace=self.allow_whitespace, forbidden=self.forbidden
        )
        if problems:
            raise ValidationError(problems)
        return value


class Identifier(Text):
    """A name, username or reseller name: 1 to 128 characters, no whitespace, nothing invisible, one writing system
    (Unicode's "highly restrictive" profile); returned in NFC, as it is stored."""

    def __init__(self, *, forbidden="", **kwargs):
        super().__init__(max_length=128, allow_whitespace=False, forbidden=forbidden, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = names.as_stored(super()._deserialize(value, attr, data, **kwargs))
        if not names.highly_restrictive(value):
            raise ValidationError("must not mix writing systems (e.g. Latin with Cyrillic or Greek letters)")
        return value


class Choice(Text):
    """One of a fixed set of words, exactly as spelled."""

    def __init__(self, choices, **kwargs):
        super().__init__(**kwargs)
        self.choices = tuple(choices)
        self.wrong_type = f"must be one of: {', '.join(self.choices)}"

    def openapi(self):
        return {"type": "string", "enum": list(self.choices)}

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if value not in self.choices:
            raise ValidationError(self.wrong_type)
        return value


PHONE_NUMBER = re.compile(r"[+ 0-9]*[0-9][+ 0-9]*")
PHONE_NUMBER_MAX_LENGTH = 32
EMAIL_MAX_LENGTH = 254


class PhoneNumber(Text):
    """Only '+', spaces and digits, at least one digit, at most 32 characters."""

    wrong_type = "must be a string of digits, spaces and '+'"

    def __init__(self, **kwargs):
        super().__init__(max_length=PHONE_NUMBER_MAX_LENGTH, **kwargs)

    def openapi(self):
        return {"type": "string", "maxLength": PHONE_NUMBER_MAX_LENGTH, "pattern": f"^{PHONE_NUMBER.pattern}$"}

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not PHONE_NUMBER.fullmatch(value):
            raise ValidationError("may contain only digits, spaces and '+', and at least one digit")
        return value


def normalized_email(value):
    """Return the normalized form of an email address, or raise ValidationError saying why it is not one."""
    problems = text_problems(value, max_length=EMAIL_MAX_LENGTH, allow_whitespace=False)
    if problems:
        raise ValidationError(problems)
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValidationError(f"is not a valid email address: {error}") from None


class Email(Text):
    """An email address, syntax checked without DNS, returned in its normalized form."""

    def __init__(self, **kwargs):
        super().__init__(max_length=EMAIL_MAX_LENGTH, **kwargs)

    def openapi(self):
        return {"type": "string", "format": "email", "maxLength": EMAIL_MAX_LENGTH}

    def _deserialize(self, value, attr, data, **kwargs):
        return normalized_email(super()._deserialize(value, attr, data, **kwargs))


class Flag(Text):
    """A boolean: exactly 'true' or 'false' in any letter case, or a JSON boolean."""

    wrong_type = "must be true or false"

    def openapi(self):
        return {"anyOf": [{"type": "boolean"}, {"type": "string", "pattern": "^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$"}]}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            return value
        value = super()._deserialize(value, attr, data, **kwargs)
        if not value.isascii() or value.lower() not in ("true", "false"):
            raise ValidationError(self.wrong_type)
        return value.lower() == "true"


class WholeNumber(Text):
    """A whole number in a range, given as digits or as a JSON integer."""

    def __init__(self, *, minimum, maximum, **kwargs):
        super().__init__(max_length=None, **kwargs)
        self.minimum = minimum
        self.maximum = maximum
        self.wrong_type = f"must be a whole number from {minimum} to {maximum}"

    def openapi(self):
        number = {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}
        return {"anyOf": [number, {"type": "string", "pattern": "^[0-9]+$"}]}

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

    def openapi(self):
        return {"type": "string", "pattern": "^[0-9a-fA-F]{24}$"}

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

    def openapi(self):
        one = "(" + "|".join(re.escape(name) for name in self.names) + ")"
        return {"type": "string", "pattern": f"^{one}(,{one})*$", "description": self.wrong_type}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list) and all(isinstance(name, str) for name in value):
            value = ",".join(value)
        given = [name.strip() for name in super()._deserialize(value, attr, data, **kwargs).split(",")]
        unknown = [name for name in given if name not in self.names]
        if unknown:
            raise ValidationError(f"{self.wrong_type}; not: {', '.join(unknown)}")
        return tuple(dict.fromkeys(given))


PUSH_CONFIG_MAX_BYTES = 4096


class PushConfig(Text):
    """A push configuration: a JSON object (or its text) with a type and, by type, its data."""

    wrong_type = 'must be a JSON object, e.g. {"type": "SMPP"}'

    def openapi(self):
        config = {
            "type": "object",
            "required": ["type"],
            "properties": {"type": {"type": "string", "enum": ["URL", "EMAIL", "SMPP"]}, "data": {"type": "object"}},
            "additionalProperties": False,
        }
        text = {"type": "string", "maxLength": PUSH_CONFIG_MAX_BYTES, "description": "the same object as JSON text"}
        return {"anyOf": [config, text]}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, Refused):
            raise ValidationError(value.message)
        if isinstance(value, str):
            self._check_size(value)
            # Line breaks and tabs between JSON tokens are layout; inside strings JSON forbids them raw.
            problems = text_problems(value, allowed_controls=LINE_BREAKS_AND_TABS)
            if problems:
                raise ValidationError(problems)
            try:
                value = json.loads(value, object_pairs_hook=group_pairs, parse_constant=refuse_constant)
            except (ValueError, RecursionError):
                raise ValidationError(self.wrong_type) from None
        config = push_config(value, allow_private=getattr(self.parent, "allow_private_push_targets", False))
        self._check_size(json.dumps(config, separators=(",", ":"), ensure_ascii=False))
        return config

    @staticmethod
    def _check_size(text):
        if len(text.encode("utf-8", "surrogatepass")) > PUSH_CONFIG_MAX_BYTES:
            raise ValidationError(f"must be at most {PUSH_CONFIG_MAX_BYTES} bytes of JSON")


def push_config(config, *, allow_private=False):
    """Return the push configuration in its stored form, or raise ValidationError saying what is wrong."""
    if not isinstance(config, dict):
        raise ValidationError(PushConfig.wrong_type)
    _refuse_repeated_keys(config, "")
    unknown = sorted(set(config) - {"type", "data"}, key=quoted)
    if unknown:
        raise ValidationError(f"has unknown keys: {', '.join(map(quoted, unknown))}")
    kind = config.get("type")
    data = config.get("data")
    if kind == "SMPP":
        if data not in (None, {}):
            raise ValidationError("type SMPP takes no data")
        return {"type": "SMPP"}
    if kind == "URL":
        checked = _data_of(kind, data, required=("url",), optional=())
        return {"type": "URL", "data": {"url": push_url(checked["url"], allow_private=allow_private)}}
    if kind == "EMAIL":
        checked = _data_of(kind, data, required=("to",), optional=("subject", "body"))
        checked["to"] = normalized_email_in_data("to", checked["to"])
        return {"type": "EMAIL", "data": checked}
    raise ValidationError("type must be one of: URL, EMAIL, SMPP")


def _refuse_repeated_keys(mapping, prefix):
    repeated = sorted(key for key, value in mapping.items() if value is REPEATED)
    if repeated:
        raise ValidationError(f"gives {', '.join(prefix + quoted(key) for key in repeated)} more than once")


def _data_of(kind, data, *, required, optional):
    """Check the data object of a push configuration: its keys, and that each value is clean text."""
    if not isinstance(data, dict):
        raise ValidationError(f"type {kind} needs a data object with {', '.join(required)}")
    _refuse_repeated_keys(data, "data.")
    unknown = sorted(set(data) - set(required) - set(optional), key=quoted)
    if unknown:
        raise ValidationError(f"data has unknown keys: {', '.join(map(quoted, unknown))}")
    for key in required:
        if key not in data:
            raise ValidationError(f"data.{key} is required for type {kind}")
    for key, value in data.items():
        if not isinstance(value, str):
            raise ValidationError(f"data.{key} must be a string")
        # An email body has lines; every other value is one line.
        problems = text_problems(value, allowed_controls=LINE_BREAKS_AND_TABS if key == "body" else "")
        if problems:
            raise ValidationError([f"data.{key} {problem}" for problem in problems])
    return dict(data)


def normalized_email_in_data(key, value):
    """Normalize an email address inside a push configuration's data, naming the key on failure."""
    try:
        return normalized_email(value)
    except ValidationError as error:
        raise ValidationError([f"data.{key} {message}" for message in error.messages]) from None
