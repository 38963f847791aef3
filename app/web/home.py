"""GET /: where the API is. A browser goes on to the API page (the OpenAPI document when API_DOCS=off); curl without -L
reads where it is, the document and the version."""
from flask import current_app, redirect

from app.version import VERSION
from app.web.errors import DONE, answer

DOCS = "/services/rest/docs"
DOCUMENT = "/services/rest/openapi.json"


def home():
    page = DOCS if current_app.config["API_DOCS"] == "on" else DOCUMENT
    found = answer({"status": DONE, "apiPage": page, "openapi": DOCUMENT, "version": VERSION}, 302)
    found.headers["Location"] = redirect(page).headers["Location"]
    return found
