"""URL push targets: what the platform will call must not be turned against the platform itself."""
import ipaddress
import re
import socket
from urllib.parse import urlsplit

from marshmallow import ValidationError

IPV4_SPELLING = re.compile(r"(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}")


def push_url(url, *, allow_private=False):
    """Return url when it is an absolute http or https URL with a host the platform may call, else refuse it."""
    try:
        parts = urlsplit(url)
        valid = (
            parts.scheme.lower() in ("http", "https")
            and bool(parts.hostname)
            and (parts.port is None or parts.port > 0)
            and not any(c.isspace() for c in url)
        )
    except ValueError:
        valid = False
    if not valid:
        raise ValidationError("data.url must be an absolute http or https URL")
    if parts.username is not None or parts.password is not None:
        raise ValidationError("data.url must not carry a user name or password")
    if not allow_private and is_internal_host(parts.hostname):
        raise ValidationError("data.url must not point at localhost or a private, loopback or reserved address")
    return url


def is_internal_host(hostname):
    """Tell whether a URL's host is localhost or an IP literal, in any spelling, that is not globally routable.

    Names are not resolved here: whatever calls the URL must check the address it connects to as well.
    """
    host = ascii_host(hostname)
    if host is None:
        return True
    if host == "localhost" or host.endswith(".localhost"):
        return True
    address = ip_literal(host)
    if address is None:
        return False
    if address.version == 6:
        address = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, address))[1]
    return not address.is_global or address.is_multicast or address.is_reserved or address.is_unspecified


def ascii_host(hostname):
    """The host as a resolver sees it (IDNA: full-width digits, ideographic dots, soft hyphens folded), or None."""
    if hostname.startswith("[") or ":" in hostname:
        return hostname.lower()
    try:
        return hostname.encode("idna").decode("ascii").rstrip(".").lower()
    except UnicodeError:
        return None


def ip_literal(host):
    """The IP address a host names literally (dotted, shortened, decimal, octal or hex IPv4; IPv6), or None."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if not IPV4_SPELLING.fullmatch(host):
        return None
    try:
        # inet_aton reads every legacy spelling resolvers accept: 127.1, 0x7f.1, 2130706433, 0177.0.0.1.
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None
