"""URL push targets: what the platform will call must not be turned against the platform itself."""
import ipaddress
import re
import unicodedata
from urllib.parse import urlsplit

from ada_url import URL, HostType, SchemeType
from marshmallow import ValidationError

NOT_A_URL = "data.url must be an absolute http or https URL"
CONTROLS = "data.url must not contain whitespace or control characters"
AMBIGUOUS = ("data.url must write its host in plain ASCII (an international name in its xn-- form), "
             "without percent-encoding or backslashes")
IPV4_SPELLING = "data.url must write an IPv4 address as four decimal numbers, without leading zeros or a trailing dot"
CREDENTIALS = "data.url must not carry a user name or password"
INSIDE = "data.url must not point at localhost or a private, loopback or reserved address"

# Names that reach the machine itself or its own links without asking DNS: a stock Debian or Docker /etc/hosts,
# and what systemd's nss-myhostname answers on the hosts that have it.
INSIDE_NAMES = frozenset({
    "localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", "ip6-localnet", "ip6-mcastprefix",
    "ip6-allnodes", "ip6-allrouters", "_gateway", "_outbound",
})
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# Blocks Python's tables (3.11) count as global that no push target lives in: IETF protocol assignments (anycast
# service addresses and the dummy address among them) and the IPv6 documentation block of 2024 (RFC 9637).
NEVER_TARGETS = (ipaddress.IPv4Network("192.0.0.0/24"), ipaddress.IPv6Network("3fff::/20"))
# The authority: what lies between "//" and the first "/", "?" or "#", backslashes included.
AUTHORITY = re.compile(r"[a-z][a-z0-9+.-]*://([^/?#]*)", re.IGNORECASE)
HTTP_SCHEMES = (SchemeType.HTTP, SchemeType.HTTPS)


def push_url(url, *, allow_private=False):
    """Return url when it is an absolute http or https URL with a host the platform may call, else refuse it."""
    # WHATWG parsers drop tabs and newlines and trim control characters and spaces; other clients keep or reject them.
    if any(c.isspace() or unicodedata.category(c) == "Cc" for c in url):
        raise ValidationError(CONTROLS)
    # WHATWG parsers end the authority at a backslash too, RFC 3986 ones do not; some clients decode percent-encoding
    # in it, some not; IDNA implementations map Unicode differently (full-width digits, invisible characters, sigma).
    found = AUTHORITY.match(url)
    authority = found[1] if found else ""
    if "%" in authority or "\\" in authority or not authority.isascii():
        raise ValidationError(AMBIGUOUS)
    try:
        split, parsed = urlsplit(url), URL(url)
    except ValueError:
        raise ValidationError(NOT_A_URL) from None
    name = parsed.hostname.removesuffix(".")
    labels = name.split(".")
    # DNS holds no empty label, none longer than 63 octets, and no name longer than 253.
    resolvable = "" not in labels and (parsed.host_type != HostType.DEFAULT
                                       or (len(name) <= 253 and max(map(len, labels)) <= 63))
    valid = parsed.scheme_type in HTTP_SCHEMES and resolvable and parsed.port != "0" and split.hostname is not None
    if not valid:
        raise ValidationError(NOT_A_URL)
    if "@" in authority:
        raise ValidationError(CREDENTIALS)
    # Normalized alike, urlsplit's host must be the WHATWG one, else clients of either kind call different hosts.
    if whatwg_host(split.hostname) != parsed.hostname:
        raise ValidationError(AMBIGUOUS)
    # Clients read other IPv4 spellings apart: glibc refuses "0x" and "1.2.3.4.", some libraries take 010 as ten.
    if parsed.host_type == HostType.IPV4 and split.hostname != parsed.hostname:
        raise ValidationError(IPV4_SPELLING)
    if not allow_private and is_internal_host(parsed.hostname):
        raise ValidationError(INSIDE)
    return url


def whatwg_host(hostname):
    """The host a WHATWG parser makes of a host name alone (lower case, IPv4 numbers, IPv6 forms), or None."""
    try:
        return URL(f"http://[{hostname}]/" if ":" in hostname else f"http://{hostname}/").hostname
    except ValueError:
        return None


def is_internal_host(host):
    """Tell whether a WHATWG-serialized host is localhost or an IP address that is not globally routable."""
    # Names are not resolved (DNS can point anywhere): whatever calls the URL must check the address it connects to.
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        name = host.removesuffix(".")
        return name in INSIDE_NAMES or name.endswith((".localhost", ".localhost.localdomain"))
    return is_internal_address(address)


def is_internal_address(address):
    """Tell whether an IP address, or the IPv4 address an IPv6 one carries, is not globally routable."""
    if address.version == 6:
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo and address.teredo[1])
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_internal_address(embedded)
        if address.is_site_local:
            return True
    return (not address.is_global or address.is_multicast or address.is_reserved or address.is_unspecified
            or any(address in network for network in NEVER_TARGETS if network.version == address.version))
