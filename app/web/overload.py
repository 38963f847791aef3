"""Work nobody waits for, refused: a request that waited too long before a worker took it is answered 503 at once,
and a request whose caller has closed its connection is stopped before its argon2 work.

Under overload, clients give up (phone apps after a few seconds) and retry. Served first come first served, every
request would wait longer than its client does, and the workers would spend all their time on answers nobody
reads. Answering the stale ones at once, and dropping the abandoned ones before their costly part, keeps the
workers on requests whose clients still wait.
"""
import logging
import re
import select
import socket
import time

from flask import current_app, g, request

from app.adapters.passwords import client_waiting
from app.web import errors

events = logging.getLogger("app.events")
# Set by the proxy in front (deploy/nginx: "t=" and the Unix time in seconds, to the millisecond, when it passed the
# request on); the time the request then waited is its queue in front of the workers.
REQUEST_START = "X-Request-Start"
REQUEST_START_FORMAT = re.compile(r"t=([0-9]{9,11}(?:\.[0-9]{1,6})?)")
SHED_MESSAGE = "the service is too busy to take this request in time; try again later"


def waited(header, now):
    """Seconds a request waited since the proxy passed it on, from its X-Request-Start header; None when the header is
    absent or malformed (no proxy of ours set it)."""
    found = REQUEST_START_FORMAT.fullmatch(header.strip()) if header else None
    if not found:
        return None
    return now - float(found[1])


def shed_stale():
    """Before any work on a request: answer it 503 status 98 at once when it waited longer than STALE_REQUEST_MS.

    Only behind our proxy (TRUSTED_PROXIES above 0), which sets the header on every request and replaces a client's:
    without one, any client could have its requests refused, or others' waits misread. The proxy's clock and the
    service's must agree (one host, or both kept by NTP): a clock ahead of the proxy's by more than the limit would
    shed every request."""
    limit_ms = current_app.config["STALE_REQUEST_MS"]
    if not limit_ms or not current_app.config["TRUSTED_PROXIES"]:
        return None
    seconds = waited(request.headers.get(REQUEST_START), time.time())
    if seconds is None or seconds * 1000 <= limit_ms:
        return None
    g.overloaded = "shed"
    return errors.error_response(errors.DATABASE_UNAVAILABLE, 503, SHED_MESSAGE,
                                 {"Retry-After": str(current_app.config["RETRY_AFTER_SECONDS"])})


def connected(sock):
    """Tell whether the peer of a connected socket may still read an answer: False once it closed or reset the
    connection. Looks without waiting (poll, then MSG_DONTWAIT) and without taking anything (MSG_PEEK): the request's
    body has been read by then, so what is left to read is the end of the connection, or nothing yet."""
    try:
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        if not poller.poll(0):
            return True
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
    except (BlockingIOError, InterruptedError):
        return True
    except (ConnectionError, TimeoutError):
        return False
    except (OSError, ValueError):
        # Not a plain socket (TLS allows no flags), or one already closed on this side: nothing to tell by.
        return True


def guard_client():
    """Let the argon2 work of this request check first that its caller is still connected (app.adapters.passwords).

    gunicorn hands the request's socket over in the environ; without one (Flask's test client, other servers) the
    work is always done."""
    sock = request.environ.get("gunicorn.socket")
    if sock is not None:
        g.client_guard = client_waiting.set(lambda: connected(sock))


def release_client(error=None):
    """After the request: the next one served on this thread gets its own check."""
    token = g.pop("client_guard", None)
    if token is not None:
        client_waiting.reset(token)
