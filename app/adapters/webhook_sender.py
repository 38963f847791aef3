"""Deliveries over HTTP (urllib3): the webhook's host name resolved when the delivery is sent, every address it has
checked against the push-URL rules (app.domain.webhooks.refusal), and the connection made to the address checked, not
to the name again (which a DNS server could answer otherwise a moment later: DNS rebinding); the Host header and, for
https, the TLS server name and certificate check are the URL's host. No redirect is followed, no proxy of the
environment used; 10 s for the whole exchange."""
from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import HTTPError

from app.domain.webhooks import TIMEOUT_SECONDS, Outcome, refusal

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[Address]]
USER_AGENT = "provisioning-webhooks/1"
# What is read of an answer: its code is all that counts.
ANSWER_READ_BYTES = 4096


def resolve(host: str, port: int) -> list[Address]:
    """The addresses a name has now (an address stays itself)."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in found))


class HttpSender:
    """POSTs a body with headers to a URL, on the terms above; the Outcome, never an exception."""

    def __init__(self, *, allow_private: bool, resolver: Resolver = resolve, timeout_seconds: float = TIMEOUT_SECONDS,
                 tls: ssl.SSLContext | None = None):
        self._allow_private = allow_private
        self._resolve = resolver
        self._timeout = timeout_seconds
        self._tls = tls or ssl.create_default_context()

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Outcome:
        started = time.perf_counter()
        parts = urlsplit(url)
        host = parts.hostname or ""
        https = parts.scheme.lower() == "https"
        port = parts.port or (443 if https else 80)
        try:
            addresses = self._resolve(host, port)
        except (OSError, UnicodeError, ValueError) as error:
            return Outcome(None, f"cannot resolve {host}: {error}", elapsed(started))
        refused = [reason for address in addresses if (reason := refusal(address, allow_private=self._allow_private))]
        if refused or not addresses:
            return Outcome(None, f"refused: {host} resolves to {refused[0] if refused else 'no address'}",
                           elapsed(started))
        address = str(addresses[0])
        timeout = urllib3.Timeout(total=self._timeout)
        pool: urllib3.HTTPConnectionPool
        if https:
            pool = urllib3.HTTPSConnectionPool(address, port, timeout=timeout, retries=False, maxsize=1,
                                               server_hostname=host, assert_hostname=host, ssl_context=self._tls)
        else:
            pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False, maxsize=1)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        default_port = port == (443 if https else 80)
        host_header = (f"[{host}]" if ":" in host else host) + ("" if default_port else f":{port}")
        try:
            answer = pool.urlopen("POST", target, body=body, redirect=False, preload_content=False,
                                  headers={"Host": host_header, "User-Agent": USER_AGENT,
                                           "Content-Type": "application/json", **headers})
            answer.read(ANSWER_READ_BYTES, decode_content=False)
            answer.release_conn()
            return Outcome(answer.status, None, elapsed(started))
        except (HTTPError, OSError) as error:
            return Outcome(None, described(error), elapsed(started))
        finally:
            pool.close()


def described(error: Exception) -> str:
    """An error of the exchange in a line (urllib3 wraps the socket's)."""
    reason = getattr(error, "reason", None) or error
    return f"{type(reason).__name__}: {reason}"[:300]


def elapsed(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
