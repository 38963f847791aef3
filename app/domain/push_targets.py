"""Push targets: where the platform pushes a user's messages and statuses (push configurations), and the URLs it will
call, which must not be turned against the platform itself."""
import ipaddress
import json
import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from ada_url import URL, HostType, SchemeType

from app.domain.contacts import normalized_email
from app.domain.exceptions import ValueRefused
from app.domain.text import LINE_BREAKS_AND_TABS, Refused, quoted, text_problems

NOT_A_URL = "data.url must be an absolute http or https URL"
CONTROLS = "data.url must not contain whitespace or control characters"
AMBIGUOUS = ("data.url must write its host in plain ASCII (an international name in its xn-- form), "
             "without percent-encoding or backslashes")
IPV4_SPELLING = "data.url must write an IPv4 address as four decimal numbers, without leading zeros or a trailing dot"
CREDENTIALS = "data.url must not carry a user name or password"
INSIDE = "data.url must not point at localhost or a private, loopback or reserved address"

# Names that reach the machine itself or its own links without asking DNS: a stock Debian or Docker /etc/hosts,
# and what systemd's nss-myhostname answers on the hosts that have it. Then the names under which cloud platforms
# serve a VM its instance metadata (the credentials of the machine's role among them), answered inside the VM only:
# - Google documents metadata.google.internal (cloud.google.com/compute/docs/metadata/querying-metadata and
#   .../compute/docs/storing-retrieving-metadata); its guests also resolve the bare `metadata` (their resolver
#   searches google.internal) and metadata.goog, a name under Google's own TLD that SSRF filters list beside it.
# - AWS documents the addresses (169.254.169.254, and fd00:ec2::254 on Nitro: docs.aws.amazon.com/AWSEC2/latest/
#   UserGuide/instancedata-dynamic-data-retrieval.html), refused as addresses below; the VPC's resolver also answers
#   instance-data (instance-data.ec2.internal in us-east-1) with the first, a name older tools and SDKs still call.
# - Azure, Oracle Cloud and Alibaba Cloud document addresses only (169.254.169.254, 100.100.100.200).
INSIDE_NAMES = frozenset({
    "localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", "ip6-localnet", "ip6-mcastprefix",
    "ip6-allnodes", "ip6-allrouters", "_gateway", "_outbound",
    "metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal",
})
# Zones that are never the public Internet's, each name under them (and the zone itself) refused: localhost's
# (RFC 6761), the private-use top-level domain IANA reserved in 2024 (internal: ICANN's SAC113 process; the clouds'
# own names live there, compute.internal, ec2.internal, google.internal), multicast DNS (local, RFC 6762, answered
# by any machine on the link), and home networks (home.arpa, RFC 8375).
INSIDE_ZONES = ("localhost", "localhost.localdomain", "internal", "local", "home.arpa")
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# Blocks Python's tables (3.11) count as global that no push target lives in: IETF protocol assignments (anycast
# service addresses and the dummy address among them) and the IPv6 documentation block of 2024 (RFC 9637).
NEVER_TARGETS = (ipaddress.IPv4Network("192.0.0.0/24"), ipaddress.IPv6Network("3fff::/20"))
# The authority: what lies between "//" and the first "/", "?" or "#", backslashes included.
AUTHORITY = re.compile(r"[a-z][a-z0-9+.-]*://([^/?#]*)", re.IGNORECASE)
HTTP_SCHEMES = (SchemeType.HTTP, SchemeType.HTTPS)


def push_url(url: str, *, allow_private: bool = False) -> str:
    """Return url when it is an absolute http or https URL with a host the platform may call, else refuse it."""
    # WHATWG parsers drop tabs and newlines and trim control characters and spaces; other clients keep or reject them.
    if any(c.isspace() or unicodedata.category(c) == "Cc" for c in url):
        raise ValueRefused(CONTROLS)
    # WHATWG parsers end the authority at a backslash too, RFC 3986 ones do not; some clients decode percent-encoding
    # in it, some not; IDNA implementations map Unicode differently (full-width digits, invisible characters, sigma).
    found = AUTHORITY.match(url)
    authority = found[1] if found else ""
    if "%" in authority or "\\" in authority or not authority.isascii():
        raise ValueRefused(AMBIGUOUS)
    try:
        split, parsed = urlsplit(url), URL(url)
    except ValueError:
        raise ValueRefused(NOT_A_URL) from None
    name = parsed.hostname.removesuffix(".")
    labels = name.split(".")
    # DNS holds no empty label, none longer than 63 octets, and no name longer than 253.
    resolvable = "" not in labels and (parsed.host_type != HostType.DEFAULT
                                       or (len(name) <= 253 and max(map(len, labels)) <= 63))
    valid = parsed.scheme_type in HTTP_SCHEMES and resolvable and parsed.port != "0" and split.hostname is not None
    if not valid:
        raise ValueRefused(NOT_A_URL)
    if "@" in authority:
        raise ValueRefused(CREDENTIALS)
    # Normalized alike, urlsplit's host must be the WHATWG one, else clients of either kind call different hosts.
    if whatwg_host(split.hostname or "") != parsed.hostname:
        raise ValueRefused(AMBIGUOUS)
    # Clients read other IPv4 spellings apart: glibc refuses "0x" and "1.2.3.4.", some libraries take 010 as ten.
    if parsed.host_type == HostType.IPV4 and split.hostname != parsed.hostname:
        raise ValueRefused(IPV4_SPELLING)
    if not allow_private and is_internal_host(parsed.hostname):
        raise ValueRefused(INSIDE)
    return url


def whatwg_host(hostname: str) -> str | None:
    """The host a WHATWG parser makes of a host name alone (lower case, IPv4 numbers, IPv6 forms), or None."""
    try:
        return URL(f"http://[{hostname}]/" if ":" in hostname else f"http://{hostname}/").hostname
    except ValueError:
        return None


def is_internal_host(host: str) -> bool:
    """Tell whether a WHATWG-serialized host is localhost or an IP address that is not globally routable."""
    # Names are not resolved (DNS can point anywhere): whatever calls the URL must check the address it connects to.
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        name = host.removesuffix(".")
        return name in INSIDE_NAMES or any(name == zone or name.endswith("." + zone) for zone in INSIDE_ZONES)
    return is_internal_address(address)


def is_internal_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
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


PUSH_CONFIG_MAX_BYTES = 4096
NOT_AN_OBJECT = 'must be a JSON object, e.g. {"type": "SMPP"}'


def push_config(config: object, *, allow_private: bool = False) -> dict[str, Any]:
    """Return the push configuration in its stored form, or raise ValueRefused saying what is wrong."""
    if not isinstance(config, dict):
        raise ValueRefused(NOT_AN_OBJECT)
    _refuse_repeated_keys(config, "")
    unknown = sorted(set(config) - {"type", "data"}, key=quoted)
    if unknown:
        raise ValueRefused(f"has unknown keys: {', '.join(map(quoted, unknown))}")
    kind = config.get("type")
    data = config.get("data")
    if kind == "SMPP":
        if data not in (None, {}):
            raise ValueRefused("type SMPP takes no data")
        stored: dict[str, Any] = {"type": "SMPP"}
    elif kind == "URL":
        checked = _data_of(kind, data, required=("url",), optional=())
        stored = {"type": "URL", "data": {"url": push_url(checked["url"], allow_private=allow_private)}}
    elif kind == "EMAIL":
        checked = _data_of(kind, data, required=("to",), optional=("subject", "body"))
        checked["to"] = _normalized_email_in_data("to", checked["to"])
        stored = {"type": "EMAIL", "data": checked}
    else:
        raise ValueRefused("type must be one of: URL, EMAIL, SMPP")
    if len(json.dumps(stored, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass")) > \
            PUSH_CONFIG_MAX_BYTES:
        raise ValueRefused(f"must be at most {PUSH_CONFIG_MAX_BYTES} bytes of JSON")
    return stored


def _refuse_repeated_keys(mapping: dict[str, Any], prefix: str) -> None:
    # A JSON object's parser marks the value of a key given more than once as Refused.
    repeated = sorted(key for key, value in mapping.items() if isinstance(value, Refused))
    if repeated:
        raise ValueRefused(f"gives {', '.join(prefix + quoted(key) for key in repeated)} more than once")


def _data_of(kind: str, data: object, *, required: tuple[str, ...], optional: tuple[str, ...]) -> dict[str, Any]:
    """Check the data object of a push configuration: its keys, and that each value is clean text."""
    if not isinstance(data, dict):
        raise ValueRefused(f"type {kind} needs a data object with {', '.join(required)}")
    _refuse_repeated_keys(data, "data.")
    unknown = sorted(set(data) - set(required) - set(optional), key=quoted)
    if unknown:
        raise ValueRefused(f"data has unknown keys: {', '.join(map(quoted, unknown))}")
    for key in required:
        if key not in data:
            raise ValueRefused(f"data.{key} is required for type {kind}")
    for key, value in data.items():
        if not isinstance(value, str):
            raise ValueRefused(f"data.{key} must be a string")
        # An email body has lines; every other value is one line.
        problems = text_problems(value, allowed_controls=LINE_BREAKS_AND_TABS if key == "body" else "")
        if problems:
            raise ValueRefused(*[f"data.{key} {problem}" for problem in problems])
    return dict(data)


def _normalized_email_in_data(key: str, value: str) -> str:
    """Normalize an email address inside a push configuration's data, naming the key on failure."""
    try:
        return normalized_email(value)
    except ValueRefused as error:
        raise ValueRefused(*[f"data.{key} {message}" for message in error.messages]) from None
