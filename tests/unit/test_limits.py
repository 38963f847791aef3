"""The rules of sending limits' lists: sender ids and destination prefixes."""
import pytest

from app.domain import limits
from app.domain.exceptions import ValueRefused


def test_sender_ids_keep_their_order_once_each():
    assert limits.senders(["Acme", "ACME SHOP", "+48 600", "Acme"]) == ("Acme", "ACME SHOP", "+48 600")


@pytest.mark.parametrize("items, message", [
    ([], "at least one"), (["x" * 17], "1 to 16 characters"), (["Acmé"], "1 to 16 characters"),
    (["ok", ""], "1 to 16 characters"), ([f"s{number}" for number in range(51)], "at most 50"),
])
def test_a_bad_list_of_sender_ids_says_why(items, message):
    with pytest.raises(ValueRefused) as refused:
        limits.senders(items)
    assert any(message in problem for problem in refused.value.messages)


def test_prefixes_are_strings_of_digits_and_leading_zeros_count():
    assert limits.prefixes(["0048", "48", "1"]) == ("0048", "48", "1")


def test_every_bad_prefix_is_named_at_once():
    with pytest.raises(ValueRefused) as refused:
        limits.prefixes(["48", "+48", "4 8", "1234567890123456"])
    assert "'+48', '4 8', '1234567890123456'" in refused.value.messages[0]
