"""Unit tests: the domain, the service layer over fakes of its ports, the parameter rules, the configuration. None of
them may reach a database or the network: a connection attempt fails the test."""
import socket

import pytest


@pytest.fixture(autouse=True)
def no_connections(monkeypatch):
    def refuse(sock, address):
        raise AssertionError(f"a unit test tried to connect to {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
