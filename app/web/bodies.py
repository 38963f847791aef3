"""Request bodies (urlencoded form, multipart form, JSON) turned into one dict of parameters, in which a value the
parser already refused (given twice, not UTF-8) is a Refused."""
import json
from urllib.parse import parse_qsl

from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from app.domain.text import Refused

URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
JSON = "application/json"
# No parameter is nested deeper than a push config's data; a body nested far deeper is not a request of this API.
JSON_DEPTH_MAX = 32
REPEATED = Refused("is given more than once")
NOT_UTF8 = Refused("must be valid UTF-8 text")
LOOKS_LIKE_JSON = ("the body looks like JSON but was sent as a form (Content-Type {content_type}): send it as "
                   "application/json, e.g. curl --json '{{...}}' or curl -H 'Content-Type: application/json' -d '{{...}}'")


class RequestInvalid(Exception):
    """The request's body breaks the contract as a whole (not one parameter); errors maps parameters to messages."""

    def __init__(self, message, errors=None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


def group_pairs(pairs):
    """Key/value pairs as a dict in which a key given more than once holds REPEATED (also a json.loads hook)."""
    grouped = {}
    for key, value in pairs:
        grouped[key] = REPEATED if key in grouped else value
    return grouped


def refuse_constant(name):
    """parse_constant for json.loads: NaN and Infinity are not JSON."""
    raise ValueError(f"{name} is not JSON")


def parameters(request):
    """Return the request's parameters by name; one given twice, or not in UTF-8, holds a Refused value."""
    body = _body(request)
    if request.mimetype == JSON:
        return _json_object(body)
    if request.mimetype == URLENCODED:
        if body.strip().startswith(b"{") and body.strip().endswith(b"}"):
            raise RequestInvalid(LOOKS_LIKE_JSON.format(content_type=URLENCODED))
        # latin-1 maps bytes to characters one to one, so each value's own bytes can be decoded strictly.
        pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
        return group_pairs((_name(key), _text(value.encode("latin-1"))) for key, value in pairs)
    if request.mimetype == MULTIPART:
        return _multipart(request.mimetype_params.get("boundary"), body)
    if not request.mimetype and not body:
        return {}
    raise UnsupportedMediaType()


def _body(request):
    """The whole body, refused when larger than the limit, whether its length was announced or not."""
    try:
        body = request.get_data()
        limit = request.max_content_length
        # A chunked body has no Content-Length: werkzeug stops reading at the limit, so look past it.
        if request.content_length is None and len(body) >= limit and request.environ["wsgi.input"].read(1):
            raise RequestEntityTooLarge()
    except RequestEntityTooLarge:
        raise
    except Exception:
        # The server failed to read what the client sent (a malformed chunk, a body cut short): the client's fault.
        raise RequestInvalid("the body could not be read: its chunked encoding or its length is wrong") from None
    return body


def _name(latin1_key):
    return latin1_key.encode("latin-1").decode("utf-8", "replace")


def _text(raw):
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return NOT_UTF8


def _json_object(body):
    """The parameters of a JSON object body."""
    try:
        # JSON exchanged between systems is UTF-8 (RFC 8259): json.loads would take UTF-16 and UTF-32 bytes too. A byte
        # order mark, which the RFC lets a parser ignore and Windows tools add, is passed over.
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RequestInvalid("the JSON body must be UTF-8 text") from None
    try:
        document = json.loads(text, object_pairs_hook=group_pairs, parse_constant=refuse_constant)
    except (ValueError, RecursionError):
        raise RequestInvalid("the body is not valid JSON") from None
    if not isinstance(document, dict):
        raise RequestInvalid('the JSON body must be an object of parameters, e.g. {"name": "example"}')
    if nesting(document) > JSON_DEPTH_MAX:
        raise RequestInvalid(f"the JSON body is nested deeper than {JSON_DEPTH_MAX} levels")
    return document


def nesting(value):
    """How deeply objects and arrays are nested in a JSON value (0 for a string or a number)."""
    deepest, pending = 0, [(value, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, depth + 1)
            pending += [(child, depth + 1) for child in (value.values() if isinstance(value, dict) else value)]
    return deepest


def _multipart(boundary, body):
    """The parameters of a multipart form; a file part counts as a value, its content as text.

    Each part's bytes are decoded here, strictly, so that what is not UTF-8 is refused and a U+FFFD that is
    (a valid character) is not mistaken for one.
    """
    if not boundary:
        raise RequestInvalid("the multipart body has no boundary in its Content-Type")
    decoder = MultipartDecoder(boundary.encode("latin-1", "replace"))
    decoder.receive_data(body)
    decoder.receive_data(None)
    pairs: list[tuple[str | None, object]] = []
    name: str | None = None
    chunks: list[bytes] = []
    try:
        event = decoder.next_event()
        while not isinstance(event, (Epilogue, NeedData)):
            if isinstance(event, (Field, File)):
                name, chunks = event.name, []
            elif isinstance(event, Data):
                chunks.append(event.data)
                if not event.more_data:
                    pairs.append((name, _text(b"".join(chunks))))
            event = decoder.next_event()
    except ValueError:
        raise RequestInvalid("the multipart body is malformed") from None
    if body and not pairs:
        raise RequestInvalid("the multipart body is malformed")
    return group_pairs(pairs)
