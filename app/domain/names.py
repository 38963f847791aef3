"""Names and usernames: stored as given (in NFC), unique by what they look like."""
import unicodedata
from collections.abc import Callable, Iterable

import unicodedataplus


def as_stored(name: str) -> str:
    """A name as it is stored and answered: in Unicode's composed normal form (NFC)."""
    return unicodedata.normalize("NFC", name)


# Unicode's Default_Ignorable_Code_Point property (DerivedCoreProperties.txt, Unicode 16): characters shown as nothing
# at all when a font has no glyph for them. Python's unicodedata does not carry the property.
DEFAULT_IGNORABLE_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F),
    (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)
DEFAULT_IGNORABLE = frozenset(chr(code) for first, last in DEFAULT_IGNORABLE_RANGES for code in range(first, last + 1))


def ignorable(character: str) -> bool:
    """Tell whether a character is one a person cannot see (Default_Ignorable_Code_Point)."""
    return character in DEFAULT_IGNORABLE


def lookalike_key(name: str) -> str:
    """What a name looks like to a person: compatibility-normalized and case-folded (NFKC_Casefold).

    Two names with the same key are the same name: café in NFC and NFD, foo and its full-width
    spelling, Acme and acme, K and the Kelvin sign, and a name with an invisible character added.
    """
    visible = "".join(c for c in name if c not in DEFAULT_IGNORABLE)
    folded = unicodedata.normalize("NFKC", visible).casefold()
    return unicodedata.normalize("NFKC", folded)


# The generations of the look-alike rules whose keys the service writes, each in a field and under a unique index of
# its own. Changing the rules (or the Unicode version they run on: Python's) is a new generation, added beside the
# current one (expand): `db upgrade` builds its index and fills it in on every document; reads match any generation.
# Once every process of the service writes the new generation, a later release removes the old one (contract), and
# `db upgrade` then drops its index and field.
LOOKALIKE_GENERATIONS: dict[int, Callable[[str], str]] = {2: lookalike_key}
# Generations removed from the code whose fields and indexes `db upgrade` removes from the database.
RETIRED_LOOKALIKE_GENERATIONS: tuple[int, ...] = ()
LOOKALIKE_RULES = max(LOOKALIKE_GENERATIONS)
UNICODE_VERSION = unicodedata.unidata_version


# Unicode TR 39 (Security Mechanisms), section 5: a character's scripts, widened so that Han writing in Japanese,
# Chinese and Korean each form one script with the scripts they are written together with.
COMMON = frozenset({"Zyyy", "Zinh"})
WRITTEN_WITH = {"Hani": {"Hanb", "Jpan", "Kore"}, "Hira": {"Jpan"}, "Kana": {"Jpan"}, "Hang": {"Kore"},
                "Bopo": {"Hanb"}}
HAN_WRITINGS = frozenset({"Hanb", "Jpan", "Kore"})


def highly_restrictive(name: str) -> bool:
    """Tell whether a name keeps to TR 39's "highly restrictive" profile: all of one script, or Latin with Han and
    the scripts Japanese, Chinese or Korean write it with. paypal with a Cyrillic a does not."""
    if name.isascii():
        return True
    resolved = resolved_scripts(name)
    if resolved is None or resolved:
        return True
    without_latin = resolved_scripts(c for c in name if "Latn" not in unicodedataplus.script_extensions(c))
    return without_latin is None or not HAN_WRITINGS.isdisjoint(without_latin)


def resolved_scripts(characters: Iterable[str]) -> set[str] | None:
    """The scripts every character can be written in (None: any, for characters common to all scripts)."""
    resolved: set[str] | None = None
    for character in characters:
        scripts = set(unicodedataplus.script_extensions(character))
        if scripts & COMMON:
            continue
        scripts |= {writing for script in scripts for writing in WRITTEN_WITH.get(script, ())}
        resolved = scripts if resolved is None else resolved & scripts
    return resolved


def suffix_problem(name: str, reseller: str) -> str | None:
    """Why a customer name or username breaks the phone apps' rule (None when it keeps it): one that contains "@" (in
    any spelling: "＠" is one) must end with "@" and the reseller's name, so that no reseller can take a name of that
    form for another reseller's customers."""
    key = lookalike_key(name)
    if "@" in key and not key.endswith("@" + lookalike_key(reseller)):
        return f'must end with "@{reseller}", the reseller\'s name, when it contains "@"'
    return None
