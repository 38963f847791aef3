"""How the platform reaches a user: phone numbers and email addresses."""
import re

from email_validator import EmailNotValidError, validate_email

from app.domain.exceptions import ValueRefused
from app.domain.text import text_problems

PHONE_NUMBER = re.compile(r"[+ 0-9]*[0-9][+ 0-9]*")
PHONE_NUMBER_MAX_LENGTH = 32
NOT_A_PHONE_NUMBER = "may contain only digits, spaces and '+', and at least one digit"
EMAIL_MAX_LENGTH = 254


def phone_number(value: str) -> str:
    """A phone number: only '+', spaces and digits, at least one digit, at most 32 characters."""
    problems = text_problems(value, max_length=PHONE_NUMBER_MAX_LENGTH)
    if problems:
        raise ValueRefused(*problems)
    if not PHONE_NUMBER.fullmatch(value):
        raise ValueRefused(NOT_A_PHONE_NUMBER)
    return value


def normalized_email(value: str) -> str:
    """The normalized form of an email address (its syntax checked, no DNS lookup), or ValueRefused saying why it is
    not one."""
    problems = text_problems(value, max_length=EMAIL_MAX_LENGTH, allow_whitespace=False)
    if problems:
        raise ValueRefused(*problems)
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueRefused(f"is not a valid email address: {error}") from None
