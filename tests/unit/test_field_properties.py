"""Properties of the field rules, over generated inputs rather than examples."""
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from app.web.fields import Flag, Identifier, PhoneNumber

WHITESPACE = [chr(c) for c in range(0x110000) if chr(c).isspace()]
identifier = Identifier()
phone_number = PhoneNumber()
flag = Flag()


def load(field, value):
    return field.deserialize(value)


@settings(max_examples=300)
@given(
    prefix=st.text(alphabet=string.ascii_letters + string.digits + "@._-", max_size=60),
    space=st.sampled_from(WHITESPACE),
    suffix=st.text(alphabet=string.ascii_letters + string.digits + "@._-", max_size=60),
)
def test_any_whitespace_anywhere_in_an_identifier_is_refused(prefix, space, suffix):
    with pytest.raises(ValidationError) as refused:
        load(identifier, prefix + space + suffix)
    assert "must not contain spaces or other whitespace" in refused.value.messages


@settings(max_examples=300)
@given(st.text(alphabet="+ 0123456789", max_size=32).filter(lambda text: any(c.isdigit() for c in text)))
def test_any_string_of_plus_spaces_and_at_least_one_digit_is_a_phone_number(number):
    assert load(phone_number, number) == number


@settings(max_examples=300)
@given(st.text(max_size=32).filter(lambda text: not any(c in "0123456789" for c in text) or set(text) - set("+ 0123456789")))
def test_anything_else_is_not_a_phone_number(text):
    with pytest.raises(ValidationError):
        load(phone_number, text)


@settings(max_examples=300)
@given(word=st.sampled_from(["true", "false"]), cases=st.lists(st.booleans(), min_size=5, max_size=5))
def test_the_two_words_are_booleans_in_any_letter_case(word, cases):
    spelled = "".join(c.upper() if upper else c for c, upper in zip(word, cases, strict=False))
    assert load(flag, spelled) is (word == "true")


@settings(max_examples=500)
@given(st.text(max_size=8).filter(lambda text: text.lower() not in ("true", "false")))
def test_no_other_text_is_a_boolean(text):
    with pytest.raises(ValidationError):
        load(flag, text)
