"""Names and usernames: stored as given (in NFC), unique by what they look like."""
import unicodedata
from collections.abc import Iterable

import unicodedataplus


def as_stored(name: str) -> str:
    """A name as it is stored and answered: in Unicode's composed normal form (NFC)."""
    return unicodedata.normalize("NFC", name)


def lookalike_key(name: str) -> str:
    """What a name looks like to a person: compatibility-normalized and case-folded (NFKC_Casefold).

    Two names with the same key are the same name: café in NFC and NFD, foo and its full-width
    spelling, Acme and acme, K and the Kelvin sign.
    """
    folded = unicodedata.normalize("NFKC", name).casefold()
    return unicodedata.normalize("NFKC", folded)


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
