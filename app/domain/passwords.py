"""How strong a new password must be (OWASP's authentication guidance): long enough, and not a common one."""

from app.domain.text import text_problems

RESELLER_MINIMUM = 8
PASSWORD_MAX_LENGTH = 128
# The most common passwords of eight or more characters in published breach corpora (lower case): the first a
# guesser tries. A reseller password protects every customer of the reseller.
COMMON = frozenset({
    "password", "12345678", "123456789", "1234567890", "12345678910", "123123123", "11111111", "00000000",
    "88888888", "87654321", "12341234", "11223344", "1q2w3e4r", "1q2w3e4r5t", "1qaz2wsx", "qwertyui",
    "qwertyuiop", "qwerty123", "qwerty12", "qwerty1234", "asdfghjk", "asdfghjkl", "zxcvbnm1", "zxcvbnmasdf",
    "password1", "password12", "password123", "password!", "passw0rd", "p@ssw0rd", "p@ssword", "iloveyou",
    "iloveyou1", "sunshine", "princess", "football", "baseball", "basketball", "superman", "starwars",
    "trustno1", "welcome1", "welcome123", "letmein1", "letmein123", "admin123", "administrator", "abc12345",
    "abcd1234", "abcdefgh", "aa123456", "a1234567", "monkey123", "dragon12", "master12", "shadow12", "michael1",
    "jennifer", "whatever", "computer", "internet", "changeme", "changeme1", "secret123", "default1",
    "testtest", "test1234", "qazwsxedc",
})


def weakness(password: str, minimum: int, *, refuse_common: bool) -> str | None:
    """Why a new password is too weak (a message for its field), or None."""
    if len(password) < minimum:
        return f"must be at least {minimum} characters long"
    if refuse_common and password.lower() in COMMON:
        return "is one of the most common passwords; choose another"
    return None


def user_password_problems(password: str, minimum: int) -> list[str]:
    """Every way a new user password breaks the rules: those of all text (1 to 128 characters), then the platform's
    shortest length."""
    problems = text_problems(password, max_length=PASSWORD_MAX_LENGTH)
    if problems:
        return problems
    weak = weakness(password, minimum, refuse_common=False)
    return [weak] if weak else []
