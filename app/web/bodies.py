"""Request bodies (urlencoded form, multipart form, JSON) turned into one dict of parameters."""
import json
from urllib.parse import parse_qsl

from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

from app.web.fields import NOT_UTF8, RequestInvalid, group_pairs, refuse_constant

URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
JSON = "application/json"


def parameters(request):
    """Return the request's parameters by name; one given twice, or not in UTF-8, holds a Refused value."""
    body = _body(request)
    if request.mimetype == JSON:
        return _json_object(body)
    if request.mimetype == URLENCODED:
        # latin-1 maps bytes to characters one to one, so each value's own bytes can be decoded strictly.
        pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
        return group_pairs((_name(key), _text(value.encode("latin-1"))) for key, value in pairs)
    if request.mimetype == MULTIPART:
        return _multipart(request, body)
    if not request.mimetype and not body:
        return {}
    raise UnsupportedMediaType()


def _body(request):
    """The whole body, refused when larger than the limit, whether its length was announced or not."""
    body = request.get_data()
    limit = request.max_content_length
    # A chunked body has no Content-Length: werkzeug stops reading at the limit, so look past it.
    if request.content_length is None and len(body) >= limit and request.environ["wsgi.input"].read(1):
        raise RequestEntityTooLarge()
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
        document = json.loads(body, object_pairs_hook=group_pairs, parse_constant=refuse_constant)
    except (ValueError, RecursionError):
        raise RequestInvalid("the body is not valid JSON") from None
    if not isinstance(document, dict):
        raise RequestInvalid('the JSON body must be an object of parameters, e.g. {"name": "example"}')
    return document


def _multipart(request, body):
    """The parameters of a multipart form; a file part counts as a value, its content as text.

    werkzeug decodes form parts with replacement characters, so one in a value means it was not UTF-8.
    """
    if "boundary" not in request.mimetype_params:
        raise RequestInvalid("the multipart body has no boundary in its Content-Type")
    pairs = [(key, NOT_UTF8 if "\ufffd" in value else value) for key, value in request.form.items(multi=True)]
    pairs += [(key, _text(upload.read())) for key, upload in request.files.items(multi=True)]
    if body and not pairs:
        raise RequestInvalid("the multipart body is malformed")
    return group_pairs(pairs)
