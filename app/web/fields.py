"""The contract's parameter rules, one marshmallow field per kind of value."""
import functools
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
DIRECTION = "\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069"
CONTROLS = f"\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029{DIRECTION}"
BODY_CONTROLS = f"\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\u2028\\u2029{DIRECTION}"
TEXT = f"[^{CONTROLS}]"
@functools.cache
def refused_in_names(forbidden=""):
    """The characters of the BMP a name may not hold (identifier_problems finds one in them), as the inside of an
    ECMA 262 character class. Those above the BMP (tag characters and the like) are left out: ECMA 262 and Python
    share no escape for them, and schemathesis cannot take them written out."""
    refused: list[list[int]] = []
    for code in range(0x10000):
        if not 0xD800 <= code <= 0xDFFF and identifier_problems(chr(code), forbidden=forbidden):
            if refused and refused[-1][1] == code - 1:
                refused[-1][1] = code
            else:
                refused.append([code, code])
    return "".join(f"\\u{first:04x}" + (f"-\\u{last:04x}" if last > first else "") for first, last in refused)


# The rule over a whole name (one writing system) has no pattern: the document names it as a format of its own.
NAME_FORMAT = "single-script"
NAME = {"$ref": "#/components/schemas/Name"}
RESELLER_NAME = {"$ref": "#/components/schemas/ResellerName"}
FLAG = {"type": "string", "pattern": "^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$"}
OBJECT_ID = {"type": "string", "pattern": "^[0-9a-fA-F]{24}$"}
# A subset of what email-validator accepts: dot-atoms, a host of plain labels, and a few top-level domains that are
# not special-use.
EMAIL_PATTERN = ("[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,20}(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,20}){0,2}"
                 "@([A-Za-z0-9]{1,20}(-[A-Za-z0-9]{1,20}){0,2}\\.){1,2}(com|net|org|info|io)")
EMAIL_DESCRIPTION = ("an email address, its syntax checked with email-validator (no DNS lookup) and stored normalized; "
                     "special-use domains (.local, .localhost, .test, .invalid, .arpa, .onion) and quoted local parts "
                     "are refused. The pattern is a part of what is accepted.")
# A subset of the URLs push targets accept: http or https, a public host name, an optional port and a plain path.
URL_PATTERN = ("https?://([a-z0-9]{1,20}(-[a-z0-9]{1,20}){0,2}\\.){1,3}(com|net|org|info|io)(:[1-9][0-9]{0,3})?"
               "(/[A-Za-z0-9._~-]{0,20}){0,4}")
PLAIN_TEXT = "[A-Za-z0-9 .,:;!?()-]{0,60}"
PUSH_TEXT_PATTERN = (
    f'^(\\{{"type": ?"SMPP"\\}}'
    f'|\\{{"type": ?"URL", ?"data": ?\\{{"url": ?"{URL_PATTERN}"\\}}\\}}'
    f'|\\{{"type": ?"EMAIL", ?"data": ?\\{{"to": ?"{EMAIL_PATTERN}"(, ?"subject": ?"{PLAIN_TEXT}")?'
    f'(, ?"body": ?"{PLAIN_TEXT}")?\\}}\\}})$'
)


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
    return "".join(c if c.isprintable() and c not in DIRECTION_CONTROLS and not names.ignorable(c)
                   else c.encode("unicode_escape", "backslashreplace").decode("ascii") for c in text)


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
# Unicode's line and paragraph separators break a line as a control character does: one-line text refuses them.
LINE_SEPARATORS = "\u2028\u2029"


def text_problems(value, *, max_length=None, allow_whitespace=True, forbidden="", allowed_controls=""):
    """Every way a string breaks the rules common to all text; empty when it keeps them."""
    if value.isascii() and value.isprintable():
        # Printable ASCII (nearly every value) has no surrogate, control or format character, and no space but " ".
        surrogate = control = direction = invisible = unassigned = False
        whitespace = " " in value
    else:
        categories = {unicodedata.category(c) for c in value}
        surrogate = "Cs" in categories
        whitespace = any(c.isspace() for c in value)
        control = any(c not in allowed_controls and (unicodedata.category(c) == "Cc" or c in LINE_SEPARATORS)
                      for c in value)
        direction = not DIRECTION_CONTROLS.isdisjoint(value)
        invisible = "Cf" in categories or any(names.ignorable(c) for c in value)
        unassigned = not categories.isdisjoint({"Cn", "Co"})
    problems = []
    if surrogate:
        problems.append("must be valid Unicode text")
    if whitespace and not allow_whitespace:
        problems.append("must not contain spaces or other whitespace")
    if control:
        problems.append("must not contain control characters")
    if direction:
        problems.append("must not contain text direction controls")
    if not allow_whitespace:
        # Names and addresses: nothing in them may be invisible or mean nothing yet.
        if invisible and not direction:
            problems.append("must not contain invisible characters")
        if unassigned:
            problems.append("must not contain unassigned or private-use characters")
    problems += [f"must not contain '{c}'" for c in forbidden if c in value]
    if max_length is not None and len(value) > max_length:
        problems.append(f"must be at most {max_length} characters long")
    return problems


def identifier_problems(value, *, max_length=None, forbidden=""):
    """Every way a name (as stored) breaks the text rules for identifiers, a forbidden character in any spelling
    (a full-width "＠" is an "@") included."""
    problems = text_problems(value, max_length=max_length, allow_whitespace=False, forbidden=forbidden)
    return problems + [f"must not contain '{c}' in any spelling" for c in forbidden
                       if c not in value and c in names.lookalike_key(value)]


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
        described = {"type": "string", "minLength": 1, "pattern": f"^[^{CONTROLS}{forbidden}]+$"}
        if self.max_length is not None:
            described["maxLength"] = self.max_length
        return described

    def _deserialize(self, value, attr, data, **kwargs):
        value = self.string(value)
        problems = text_problems(
            value, max_length=self.max_length, allow_whitespace=self.allow_whitespace, forbidden=self.forbidden
        )
        if problems:
            raise ValidationError(problems)
        return value

    def string(self, value):
        """The value given, when it is a string."""
        if isinstance(value, Refused):
            raise ValidationError(value.message)
        if not isinstance(value, str):
            raise ValidationError(self.wrong_type)
        return value


class Identifier(Text):
    """A name, username or reseller name: 1 to 128 characters, no whitespace, nothing invisible, one writing system
    (Unicode's "highly restrictive" profile); returned in NFC, as it is stored."""

    def __init__(self, *, forbidden="", **kwargs):
        super().__init__(max_length=128, allow_whitespace=False, forbidden=forbidden, **kwargs)

    def openapi(self, form=False):
        return RESELLER_NAME if "@" in self.forbidden else NAME

    def _deserialize(self, value, attr, data, **kwargs):
        # The length counts the name as stored (NFC): composing can shorten it (e + U+0301 is é) or lengthen it (a few
        # characters decompose to two or three); and a full-width "＠" is an "@".
        value = names.as_stored(self.string(value))
        problems = identifier_problems(value, max_length=self.max_length, forbidden=self.forbidden)
        if problems:
            raise ValidationError(problems)
        if not names.highly_restrictive(value):
            raise ValidationError("must not mix writing systems (e.g. Latin with Cyrillic or Greek letters)")
        return value


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


PHONE_NUMBER = re.compile(r"[+ 0-9]*[0-9][+ 0-9]*")
PHONE_NUMBER_MAX_LENGTH = 32
EMAIL_MAX_LENGTH = 254
EMAIL = {"type": "string", "maxLength": EMAIL_MAX_LENGTH, "pattern": f"^{EMAIL_PATTERN}$",
         "description": EMAIL_DESCRIPTION}


class PhoneNumber(Text):
    """Only '+', spaces and digits, at least one digit, at most 32 characters."""

    wrong_type = "must be a string of digits, spaces and '+'"

    def __init__(self, **kwargs):
        super().__init__(max_length=PHONE_NUMBER_MAX_LENGTH, **kwargs)

    def openapi(self, form=False):
        return {"type": "string", "maxLength": PHONE_NUMBER_MAX_LENGTH, "pattern": f"^{PHONE_NUMBER.pattern}$",
                "description": "digits, spaces and '+', at least one digit"}

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

    def openapi(self, form=False):
        return EMAIL

    def _deserialize(self, value, attr, data, **kwargs):
        return normalized_email(super()._deserialize(value, attr, data, **kwargs))


class Flag(Text):
    """A boolean: exactly 'true' or 'false' in any letter case, or a JSON boolean."""

    wrong_type = "must be true or false"

    def openapi(self, form=False):
        return FLAG if form else {"anyOf": [{"type": "boolean"}, FLAG]}

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

    def openapi(self, form=False):
        top = str(self.maximum)
        # Digits up to the maximum (from 0 or 1): fewer digits than it has, or as many and below it at some digit.
        below = [f"{top[:i]}[{int(i == 0)}-{int(digit) - 1}][0-9]{{{len(top) - i - 1}}}"
                 for i, digit in enumerate(top) if int(digit) > int(i == 0)]
        shorter = [f"[1-9][0-9]{{0,{len(top) - 2}}}"] if len(top) > 1 else []
        numbers = ["0"] * (self.minimum == 0) + shorter + below + [top]
        digits = {"type": "string", "pattern": f"^0*({'|'.join(numbers)})$"}
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
        return OBJECT_ID

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


PUSH_CONFIG_MAX_BYTES = 4096
# Text longer than this cannot fit in a push configuration's 4 KiB, whatever else the configuration holds.
URL_ROOM = PUSH_CONFIG_MAX_BYTES - len('{"type":"URL","data":{"url":""}}')
TEXT_ROOM = PUSH_CONFIG_MAX_BYTES - len('{"type":"EMAIL","data":{"to":"a@b.io","body":""}}')
URL_PUSH = {
    "description": "pushed to a URL", "type": "object", "required": ["type", "data"], "additionalProperties": False,
    "properties": {"type": {"type": "string", "enum": ["URL"]}, "data": {
        "type": "object", "required": ["url"], "additionalProperties": False,
        "properties": {"url": {"type": "string", "maxLength": URL_ROOM, "pattern": f"^{URL_PATTERN}$",
                               "description": "an absolute http or https URL of a public host (the pattern is a part "
                                              "of what is accepted)"}}}},
}
EMAIL_PUSH = {
    "description": "pushed by email", "type": "object", "required": ["type", "data"], "additionalProperties": False,
    "properties": {"type": {"type": "string", "enum": ["EMAIL"]}, "data": {
        "type": "object", "required": ["to"], "additionalProperties": False,
        "properties": {"to": EMAIL,
                       "subject": {"type": "string", "maxLength": TEXT_ROOM, "pattern": f"^{TEXT}*$"},
                       "body": {"type": "string", "maxLength": TEXT_ROOM,
                                "pattern": f"^[^{BODY_CONTROLS}]*$",
                                "description": "may have line breaks and tabs"}}}},
}
SMPP_PUSH = {
    "description": "pushed over the SMPP connection (data absent, null or empty)", "type": "object",
    "required": ["type"], "additionalProperties": False,
    "properties": {"type": {"type": "string", "enum": ["SMPP"]},
                   "data": {"type": "object", "nullable": True, "maxProperties": 0}},
}
# The configurations as objects; the document holds them as components of these names.
PUSH_CONFIGS = [{"$ref": f"#/components/schemas/{name}"} for name in ("UrlPush", "EmailPush", "SmppPush")]


class PushConfig(Text):
    """A push configuration: a JSON object (or its text) with a type and, by type, its data."""

    wrong_type = 'must be a JSON object, e.g. {"type": "SMPP"}'

    def openapi(self, form=False):
        text = {"type": "string", "maxLength": PUSH_CONFIG_MAX_BYTES, "pattern": PUSH_TEXT_PATTERN,
                "description": "a push configuration as JSON text (the pattern is a part of what is accepted)"}
        return text if form else {"oneOf": [*PUSH_CONFIGS, text]}

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
