"""Names and usernames: stored as given (in NFC), unique by what they look like."""
import unicodedata


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
