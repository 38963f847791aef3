"""The rules every text value keeps (what is refused in it), and how a message quotes text it was given."""
import unicodedata
from datetime import UTC, datetime

from app.domain import names

LINE_BREAKS_AND_TABS = "\t\n\r"
# Characters that reorder how text around them is shown (Unicode's bidirectional controls): refused in every text,
# since a name or a message shown to a person can be made to read as something else.
DIRECTION_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Unicode's line and paragraph separators break a line as a control character does: one-line text refuses them.
LINE_SEPARATORS = "\u2028\u2029"


class Refused:
    """A value refused before any rule saw it (a parameter or key given twice, bytes that are not UTF-8), and why."""

    def __init__(self, message: str):
        self.message = message


def quoted(text: str) -> str:
    """Text from a request as a message may show it: anything not plainly visible written as an escape."""
    return "".join(c if c.isprintable() and c not in DIRECTION_CONTROLS and not names.ignorable(c)
                   else c.encode("unicode_escape", "backslashreplace").decode("ascii") for c in text)


def text_problems(value: str, *, max_length: int | None = None, allow_whitespace: bool = True, forbidden: str = "",
                  allowed_controls: str = "") -> list[str]:
    """Every way a string breaks the rules common to all text; empty when it keeps them."""
    if value.isascii() and value.isprintable():
        # Printable ASCII (nearly every value) has no surrogate, control or format character, and no space but " ".
        surrogate = control = direction = invisible = unassigned = False
        whitespace = " " in value
    else:
        categories = {unicodedata.category(c) for c in value}
        surrogate = "Cs" in categories
        whitespace = any(c.isspace() for c in value)
        control = any(c not in allowed_controls and (unicodedata.category(c) == "Cc" or c in LINE_SEPARATORS)
                      for c in value)
        direction = not DIRECTION_CONTROLS.isdisjoint(value)
        invisible = "Cf" in categories or any(names.ignorable(c) for c in value)
        unassigned = not categories.isdisjoint({"Cn", "Co"})
    problems = []
    if surrogate:
        problems.append("must be valid Unicode text")
    if whitespace and not allow_whitespace:
        problems.append("must not contain spaces or other whitespace")
    if control:
        problems.append("must not contain control characters")
    if direction:
        problems.append("must not contain text direction controls")
    if not allow_whitespace:
        # Names and addresses: nothing in them may be invisible or mean nothing yet.
        if invisible and not direction:
            problems.append("must not contain invisible characters")
        if unassigned:
            problems.append("must not contain unassigned or private-use characters")
    problems += [f"must not contain '{c}'" for c in forbidden if c in value]
    if max_length is not None and len(value) > max_length:
        problems.append(f"must be at most {max_length} characters long")
    return problems


def identifier_problems(value: str, *, max_length: int | None = None, forbidden: str = "") -> list[str]:
    """Every way a name (as stored) breaks the text rules for identifiers, a forbidden character in any spelling
    (a full-width "＠" is an "@") included."""
    problems = text_problems(value, max_length=max_length, allow_whitespace=False, forbidden=forbidden)
    return problems + [f"must not contain '{c}' in any spelling" for c in forbidden
                       if c not in value and c in names.lookalike_key(value)]


IDENTIFIER_MAX_LENGTH = 128
MIXED_SCRIPTS = "must not mix writing systems (e.g. Latin with Cyrillic or Greek letters)"


def identifier(value: str, *, forbidden: str = "") -> tuple[str, list[str]]:
    """A name, username or reseller name as stored (NFC), and every way it breaks the rules for identifiers:
    1 to 128 characters, no whitespace, nothing invisible, one writing system (Unicode's "highly restrictive"
    profile)."""
    # The length counts the name as stored (NFC): composing can shorten it (e + U+0301 is é) or lengthen it (a few
    # characters decompose to two or three); and a full-width "＠" is an "@".
    stored = names.as_stored(value)
    problems = identifier_problems(stored, max_length=IDENTIFIER_MAX_LENGTH, forbidden=forbidden)
    if not problems and not names.highly_restrictive(stored):
        problems = [MIXED_SCRIPTS]
    return stored, problems


def iso_time(moment: datetime) -> str:
    """A stored time in ISO 8601, UTC, to the millisecond MongoDB keeps."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
