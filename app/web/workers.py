"""gunicorn's workers, answering what gunicorn itself refuses (a malformed request line, headers too large, a bad
chunk) in the contract's JSON error shape rather than gunicorn's HTML page."""
import json
import uuid

from gunicorn.workers.base import Worker
from gunicorn.workers.gthread import ThreadWorker
from gunicorn.workers.sync import SyncWorker

from app.web.errors import INTERNAL_ERROR, INTERNAL_ERROR_MESSAGE, INVALID, MALFORMED


def error_answer(code: int, reason: str) -> bytes:
    """The whole HTTP answer to a request gunicorn refused with this code and reason, its body the contract's."""
    request_id = uuid.uuid4().hex
    if code == 500:
        body = {"status": INTERNAL_ERROR, "message": INTERNAL_ERROR_MESSAGE, "requestId": request_id}
    else:
        body = {"status": INVALID, "message": MALFORMED.format(name=reason), "errors": {}, "requestId": request_id}
    content = json.dumps(body).encode()
    head = (f"HTTP/1.1 {code} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(content)}\r\nX-Request-ID: {request_id}\r\n\r\n")
    return head.encode("latin-1") + content


class JsonErrorSocket:
    """A client's socket through which gunicorn's error page goes out as error_answer (the rest passes through)."""

    def __init__(self, sock):
        self._sock = sock

    def __getattr__(self, name):
        return getattr(self._sock, name)

    def sendall(self, data):
        # gunicorn writes its error page in one call, starting with the status line "HTTP/1.1 <code> <reason>".
        _, code, reason = data.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        self._sock.sendall(error_answer(int(code), reason))


class JsonErrors(Worker):
    """A worker whose own error pages go out as the contract's JSON errors."""

    def handle_error(self, req, client, addr, exc):
        super().handle_error(req, JsonErrorSocket(client), addr, exc)


class JsonErrorSyncWorker(JsonErrors, SyncWorker):
    """gunicorn's sync worker, its own errors in JSON."""


class JsonErrorThreadWorker(JsonErrors, ThreadWorker):
    """gunicorn's gthread worker (THREADS above 1), its own errors in JSON."""
