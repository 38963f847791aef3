"""The parameter rules written as JSON Schema (ECMA 262 patterns) for the OpenAPI document.

Where a rule cannot be written as a pattern (an email address, a URL a push may call), the pattern is a part of what
the service accepts, and the description says the rest.
"""
import functools
import re

from app.domain.contacts import EMAIL_MAX_LENGTH
from app.domain.events import TYPES
from app.domain.push_targets import PUSH_CONFIG_MAX_BYTES
from app.domain.text import identifier_problems

DIRECTION = "\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069"
CONTROLS = f"\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029{DIRECTION}"
BODY_CONTROLS = f"\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\u2028\\u2029{DIRECTION}"
TEXT = f"[^{CONTROLS}]"


@functools.cache
def refused_in_names(forbidden: str = "") -> str:
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
EMAIL = {"type": "string", "maxLength": EMAIL_MAX_LENGTH, "pattern": f"^{EMAIL_PATTERN}$",
         "description": EMAIL_DESCRIPTION}
# A subset of the URLs push targets accept: http or https, a public host name, an optional port and a plain path.
URL_PATTERN = ("https?://([a-z0-9]{1,20}(-[a-z0-9]{1,20}){0,2}\\.){1,3}(com|net|org|info|io)(:[1-9][0-9]{0,3})?"
               "(/[A-Za-z0-9._~-]{0,20}){0,4}")
# What webhooks accept of those: https only (http where private targets are allowed, which the document does not say).
HTTPS_URL_PATTERN = URL_PATTERN.replace("https?://", "https://", 1)
# A webhook's event types: one of them, or * for all.
EVENT_TYPE_PATTERN = "(" + "|".join(re.escape(name) for name in TYPES) + "|\\*)"
PLAIN_TEXT = "[A-Za-z0-9 .,:;!?()-]{0,60}"
PUSH_TEXT_PATTERN = (
    f'^(\\{{"type": ?"SMPP"\\}}'
    f'|\\{{"type": ?"URL", ?"data": ?\\{{"url": ?"{URL_PATTERN}"\\}}\\}}'
    f'|\\{{"type": ?"EMAIL", ?"data": ?\\{{"to": ?"{EMAIL_PATTERN}"(, ?"subject": ?"{PLAIN_TEXT}")?'
    f'(, ?"body": ?"{PLAIN_TEXT}")?\\}}\\}})$'
)
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
PUSH_COMPONENTS = {"UrlPush": URL_PUSH, "EmailPush": EMAIL_PUSH, "SmppPush": SMPP_PUSH}
# Parts of what lists of sending limits and API keys' addresses accept.
SENDER = "[A-Za-z0-9+]([A-Za-z0-9+ ]{0,14}[A-Za-z0-9+])?"
PREFIX = "[0-9]{1,15}"
OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV4_BLOCK = f"{OCTET}(\\.{OCTET}){{3}}(/([0-9]|[12][0-9]|3[0-2]))?"
