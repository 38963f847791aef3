"""The relay's failures as its log lines tell them: one short line each (type, message, where), never a traceback."""
from app.service_layer.relay import FAILURE_CHARACTERS, failure


def raised(error):
    try:
        raise error
    except Exception as caught:
        return caught


def test_a_failure_is_its_type_its_message_and_where_it_was_raised_in_one_line():
    line = failure(raised(ConnectionError("connection refused")))
    assert line.startswith("ConnectionError: connection refused at test_relay_failures.py:")
    assert "\n" not in line


def test_a_long_message_is_cut_and_the_place_kept():
    line = failure(raised(RuntimeError("x" * 10_000)))
    said, where = line.rsplit(" at ", 1)
    assert said == ("RuntimeError: " + "x" * 10_000)[:FAILURE_CHARACTERS]
    assert where.startswith("test_relay_failures.py:")
