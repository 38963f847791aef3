"""Request ids and the access log: one structured line per answered request."""
import logging
import re
import time
import uuid

from flask import g, request

access_log = logging.getLogger("app.access")
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
LOGGED_TEXT_MAX = 128


def start_request():
    """Give the request its id (the caller's, when sane) and start its clock."""
    g.started = time.perf_counter()
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def finish_request(response, status):
    """Return the request id to the caller and write the request's access-log line."""
    response.headers["X-Request-ID"] = g.request_id
    access_log.info(
        "%s %s %s",
        request.method,
        request.path[:LOGGED_TEXT_MAX],
        response.status_code,
        extra={
            "requestId": g.request_id,
            "method": request.method,
            "path": request.path[:LOGGED_TEXT_MAX],
            "httpStatus": response.status_code,
            "status": status,
            "reseller": g.get("reseller_name"),
            "client": request.remote_addr,
            "durationMs": round((time.perf_counter() - g.started) * 1000, 2),
        },
    )
    return response


def note_reseller(params):
    """Remember the reseller name a request gave, for its access-log line."""
    name = params.get("resellerName")
    if isinstance(name, str):
        g.reseller_name = name[:LOGGED_TEXT_MAX]
