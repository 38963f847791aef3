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


def finish_request(response, status, seconds):
    """Return the request id to the caller and write the request's access-log line."""
    response.headers["X-Request-ID"] = g.request_id
    if access_log.isEnabledFor(logging.INFO):
        method, path, code = request.method, request.path[:LOGGED_TEXT_MAX], response.status_code
        facts = {"requestId": g.request_id, "method": method, "path": path, "httpStatus": code, "status": status,
                 "reseller": g.get("reseller_name"), "client": request.remote_addr,
                 "durationMs": round(seconds * 1000, 2)}
        # Made and handled directly: the logger's search of the stack for its caller costs more than the line.
        access_log.handle(access_log.makeRecord(access_log.name, logging.INFO, __file__, 0, "%s %s %s",
                                                (method, path, code), None, extra=facts))
    return response


def elapsed():
    """Seconds since the request started."""
    return time.perf_counter() - g.started


def note_reseller(name):
    """Remember the reseller the request authenticated as, for its access-log line.

    Only a name that authenticated: what a failed request gave as a name may be a password typed in the wrong field.
    """
    g.reseller_name = name
