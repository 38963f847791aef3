"""Work nobody waits for, on its own: how long a request waited by its X-Request-Start, whether its caller is still
connected, and the argon2 work that stops when it is not."""
import socket

import pytest

from app.adapters.passwords import Hasher, client_waiting
from app.domain.exceptions import ClientGone
from app.web.overload import connected, waited

NOW = 1_800_000_000.0


@pytest.mark.parametrize("header, seconds", [
    (f"t={NOW - 2.5:.3f}", 2.5), (f"t={NOW:.3f}", 0.0), (f"t={NOW + 1:.3f}", -1.0), (f" t={NOW - 1:.0f} ", 1.0),
    (f"t={NOW - 0.25:.6f}", 0.25),
])
def test_the_wait_is_read_from_nginx_request_start(header, seconds):
    assert waited(header, NOW) == pytest.approx(seconds)


@pytest.mark.parametrize("header", [None, "", "t=", "t=abc", f"{NOW:.3f}", f"t={NOW:.3f}x", "t=1e9", "t=nan",
                                    "t=inf", f"t=-{NOW:.3f}", f"t={NOW:.3f}, t={NOW:.3f}", f"t={NOW * 1000:.0f}",
                                    f"t={NOW:.3f}.5", "t=\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660"])
def test_an_absent_or_malformed_request_start_says_nothing(header):
    assert waited(header, NOW) is None


def test_a_socket_whose_peer_is_there_is_connected():
    mine, peer = socket.socketpair()
    with mine, peer:
        assert connected(mine)


def test_a_socket_whose_peer_closed_is_not_connected():
    mine, peer = socket.socketpair()
    with mine:
        peer.close()
        assert not connected(mine)


def test_a_socket_with_data_left_unread_counts_as_connected_and_keeps_its_data():
    mine, peer = socket.socketpair()
    with mine, peer:
        peer.sendall(b"next")
        assert connected(mine)
        assert mine.recv(4) == b"next"


def test_a_socket_with_a_timeout_is_looked_at_without_waiting():
    mine, peer = socket.socketpair()
    with mine, peer:
        mine.settimeout(30)
        assert connected(mine)


@pytest.fixture
def hasher():
    return Hasher(time_cost=1, memory_kib=8, parallelism=1)


def test_argon2_work_is_done_when_nobody_set_a_check(hasher):
    stored = hasher.hash("secret")
    assert hasher.verify(stored, "secret")


def test_argon2_work_stops_before_it_begins_when_the_caller_has_gone(hasher):
    stored = hasher.hash("secret")
    token = client_waiting.set(lambda: False)
    try:
        with pytest.raises(ClientGone):
            hasher.hash("another")
        with pytest.raises(ClientGone):
            hasher.verify(stored, "secret")
        with pytest.raises(ClientGone):
            hasher.verify(None, "secret")
    finally:
        client_waiting.reset(token)
    assert hasher.verify(stored, "secret")
