"""gunicorn's workers, answering what gunicorn itself refuses (a malformed request line, headers too large, a bad
chunk) in the contract's JSON error shape rather than gunicorn's HTML page."""
import json
import logging
import uuid

from gunicorn.workers.base import Worker
from gunicorn.workers.gthread import ThreadWorker
from gunicorn.workers.sync import SyncWorker

from app.web.errors import INTERNAL_ERROR, INTERNAL_ERROR_MESSAGE, INVALID, MALFORMED

access_log = logging.getLogger("app.access")
# gunicorn answers a Transfer-Encoding it does not know with 501 (as RFC 9112 asks) but keeps the reason "Bad Request".
REASONS = {501: "Not Implemented"}
MESSAGES = {501: "the request's Transfer-Encoding is not supported (only chunked is)"}


def error_answer(code: int, reason: str, client: str) -> bytes:
    """The whole HTTP answer to a request gunicorn refused with this code and reason, its body the contract's; the
    access log gets its line, with the request id the answer carries."""
    request_id = uuid.uuid4().hex
    reason = REASONS.get(code, reason)
    if code == 500:
        body = {"status": INTERNAL_ERROR, "message": INTERNAL_ERROR_MESSAGE, "requestId": request_id}
    else:
        message = MESSAGES.get(code, MALFORMED.format(name=reason))
        body = {"status": INVALID, "message": message, "errors": {}, "requestId": request_id}
    access_log.info("refused before the service read it: %s %s", code, reason, extra={
        "requestId": request_id, "httpStatus": code, "status": body["status"], "client": client})
    content = json.dumps(body).encode()
    # The headers every JSON answer of the service carries (app.web.headers), written out here: no Flask answers this.
    head = (f"HTTP/1.1 {code} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(content)}\r\nX-Request-ID: {request_id}\r\n"
            "X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n\r\n")
    return head.encode("latin-1") + content


class JsonErrorSocket:
    """A client's socket through which gunicorn's error page goes out as error_answer (the rest passes through)."""

    def __init__(self, sock, client):
        self._sock = sock
        self._client = client

    def __getattr__(self, name):
        return getattr(self._sock, name)

    def sendall(self, data):
        # gunicorn writes its error page in one call, starting with the status line "HTTP/1.1 <code> <reason>".
        _, code, reason = data.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        self._sock.sendall(error_answer(int(code), reason, self._client))


class JsonErrors(Worker):
    """A worker whose own error pages go out as the contract's JSON errors."""

    def handle_error(self, req, client, addr, exc):
        address = addr[0] if isinstance(addr, tuple) else str(addr or "")
        super().handle_error(req, JsonErrorSocket(client, address), addr, exc)


class JsonErrorSyncWorker(JsonErrors, SyncWorker):
    """gunicorn's sync worker, its own errors in JSON."""


class JsonErrorThreadWorker(JsonErrors, ThreadWorker):
    """gunicorn's gthread worker (THREADS above 1), its own errors in JSON."""
