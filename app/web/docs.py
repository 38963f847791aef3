"""The interactive API page: Swagger UI on the service's OpenAPI document, from assets installed with the service."""
from importlib.resources import files

from flask import Blueprint, Response, abort, send_from_directory, url_for
from markupsafe import escape

bp = Blueprint("docs", __name__, url_prefix="/services/rest/docs")

# Swagger UI's built files, as the flask-swagger-ui package installs them: nothing is fetched from a CDN.
ASSETS = str(files("flask_swagger_ui") / "dist")
SERVED = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"})
# The page loads only what this service serves (and the pictures its stylesheet holds as data: URLs).
POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; "
          "base-uri 'none'; frame-ancestors 'none'")
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Provisioning service API</title>
<link rel="stylesheet" href="{css}">
<link rel="icon" type="image/png" href="{icon}">
</head>
<body data-openapi="{openapi}">
<div id="swagger-ui"></div>
<script src="{bundle}"></script>
<script src="{start}"></script>
</body>
</html>
"""
# No validator badge (it would call swagger.io); requests go to the page's own origin, as the document's servers say.
START = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: document.body.dataset.openapi,
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    validatorUrl: null,
    defaultModelsExpandDepth: -1,
    displayRequestDuration: true
  });
});
"""


@bp.get("", provide_automatic_options=False)
def page():
    """The page itself."""
    def asset(name):
        return escape(url_for("docs.asset", name=name))

    html = PAGE.format(css=asset("swagger-ui.css"), icon=asset("favicon-32x32.png"),
                       bundle=asset("swagger-ui-bundle.js"), start=escape(url_for("docs.start")),
                       openapi=escape(url_for("api.openapi_document")))
    return Response(html, mimetype="text/html", headers={"Content-Security-Policy": POLICY})


@bp.get("/start.js", provide_automatic_options=False)
def start():
    """The script that starts Swagger UI on the document."""
    return Response(START, mimetype="text/javascript")


@bp.get("/<name>", provide_automatic_options=False)
def asset(name):
    """One of Swagger UI's files."""
    if name not in SERVED:
        abort(404)
    return send_from_directory(ASSETS, name, max_age=3600)
