"""Request bodies (urlencoded form, multipart form, JSON) turned into one dict of parameters."""
import json

from werkzeug.exceptions import UnsupportedMediaType

from app.exceptions import RequestInvalid
from app.fields import Repeated

FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
JSON = "application/json"


def parameters(request):
    """Return the request's parameters: a repeated one as Repeated, an empty one left out as not given."""
    if request.mimetype == JSON:
        params = _json_object(request.get_data())
    elif request.mimetype in FORMS or (not request.mimetype and not request.get_data()):
        pairs = list(request.form.items(multi=True))
        pairs += [(name, upload.read().decode("utf-8", "replace")) for name, upload in request.files.items(multi=True)]
        params = _grouped(pairs)
    else:
        raise UnsupportedMediaType()
    return {key: value for key, value in params.items() if value not in ("", None)}


def _json_object(body):
    """Return the parameters of a JSON object body, a key given more than once holding Repeated."""
    try:
        document = json.loads(body, object_pairs_hook=_grouped)
    except (ValueError, RecursionError):
        raise RequestInvalid("the body is not valid JSON") from None
    if not isinstance(document, dict):
        raise RequestInvalid("the JSON body must be an object of parameters, e.g. {\"name\": \"example\"}")
    return document


def _grouped(pairs):
    """Make a dict of key/value pairs in which a key given more than once holds Repeated."""
    grouped = {}
    for key, value in pairs:
        grouped[key] = Repeated() if key in grouped else value
    return grouped
